"""The Authsignal SDK client, built once per cold start from the secret and the environment.

The URL and the HTTP timeout come from the function's environment (set by the stack from
the environment's configuration); the timeout is below the Lambda's own, which is below
Cognito's 5-second limit, so a slow Authsignal fails the call rather than the trigger.
"""

from __future__ import annotations

import os
from typing import Any

from authsignal.client import AuthsignalClient
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter

from shared.secret import authsignal_secret_key

URL_VARIABLE = "AUTHSIGNAL_URL"
TIMEOUT_VARIABLE = "AUTHSIGNAL_TIMEOUT_SECONDS"
SIGN_IN_ACTION = "cognitoAuth"

_client: AuthsignalClient | None = None


def authsignal() -> AuthsignalClient:
    """Return the client, creating it (and reading the secret) on first use."""
    global _client
    if _client is None:
        timeout = float(os.environ.get(TIMEOUT_VARIABLE, "1.5"))
        client = AuthsignalClient(
            api_secret_key=authsignal_secret_key(), api_url=os.environ[URL_VARIABLE], timeout=timeout
        )
        transport = _Transport(timeout)
        client.session.mount("https://", transport)
        client.session.mount("http://", transport)
        _client = client
    return _client


class _Transport(HTTPAdapter):
    """Makes two promises of authsignal 4.1.0's session hold.

    Its ``send`` sets the timeout with ``kwargs.setdefault``, but requests always passes
    ``timeout=None`` there, so no call would ever time out. Its ``prepare_request`` drops
    ``None`` values from a JSON body after requests has set ``Content-Length``, so such a body
    (``track`` without a phone number) is announced longer than it is and the call stalls.
    Here the timeout applies and the announced length is the body's.
    """

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def send(self, request: PreparedRequest, timeout: Any = None, **kwargs: Any) -> Response:  # type: ignore[override]
        if request.body is not None:
            request.prepare_content_length(request.body)
        return super().send(request, timeout=self._timeout if timeout is None else timeout, **kwargs)


def reset_client() -> None:
    """Forget the client (tests simulate a new cold start with it)."""
    global _client
    _client = None

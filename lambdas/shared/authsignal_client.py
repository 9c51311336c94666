"""The Authsignal SDK client, built once per cold start from the secret and the environment.

The URL and the HTTP timeout come from the function's environment (set by the stack from
the environment's configuration); the timeout is below the Lambda's own, which is below
Cognito's 5-second limit, so a slow Authsignal fails the call rather than the trigger.

Every call goes through ``_Transport``, so every call site gets the same reliability: transient
failures of idempotent requests are retried within the invocation's deadline
(``shared.retry``), and a 401 makes the function read the secret again once (the key was
rotated) instead of failing until the next cold start.
"""

from __future__ import annotations

import os
import time
from typing import Any

from authsignal.client import AuthsignalClient
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from requests.auth import HTTPBasicAuth
from requests.exceptions import ConnectionError, Timeout

from shared import retry
from shared.log import decision
from shared.secret import authsignal_secret_key, reread_authsignal_secret_key

URL_VARIABLE = "AUTHSIGNAL_URL"
TIMEOUT_VARIABLE = "AUTHSIGNAL_TIMEOUT_SECONDS"
SIGN_IN_ACTION = "cognitoAuth"

_client: AuthsignalClient | None = None


def authsignal() -> AuthsignalClient:
    """Return the client, creating it (and reading the secret) on first use."""
    global _client
    if _client is None:
        timeout = float(os.environ[TIMEOUT_VARIABLE])  # set by the stack; missing, the sign-in fails
        client = AuthsignalClient(
            api_secret_key=authsignal_secret_key(), api_url=os.environ[URL_VARIABLE], timeout=timeout
        )
        transport = _Transport(timeout, client)
        client.session.mount("https://", transport)
        client.session.mount("http://", transport)
        _client = client
    return _client


class _Transport(HTTPAdapter):
    """Makes two promises of authsignal 4.1.0's session hold, and adds retries and rotation.

    Its ``send`` sets the timeout with ``kwargs.setdefault``, but requests always passes
    ``timeout=None`` there, so no call would ever time out. Its ``prepare_request`` drops
    ``None`` values from a JSON body after requests has set ``Content-Length``, so such a body
    (``track`` without a phone number) is announced longer than it is and the call stalls.
    Here the timeout applies and the announced length is the body's.
    """

    def __init__(self, timeout: float, client: AuthsignalClient) -> None:
        super().__init__()
        self._timeout = timeout
        self._client = client

    def send(self, request: PreparedRequest, timeout: Any = None, **kwargs: Any) -> Response:  # type: ignore[override]
        if request.body is not None:
            request.prepare_content_length(request.body)
        timeout = self._timeout if timeout is None else timeout
        response = self._send_with_retries(request, timeout, **kwargs)
        if response.status_code == 401 and self._rotated(request):
            response = self._send_with_retries(request, timeout, **kwargs)
        return response

    def _send_with_retries(self, request: PreparedRequest, timeout: Any, **kwargs: Any) -> Response:
        """Send; repeat an idempotent request after a transient failure while time allows,
        waiting at least as long as a ``Retry-After`` asks. A transient failure writes one line:
        ``authsignal_retry`` when it is tried again, ``authsignal_not_retried`` (and why) when not."""
        method, path = request.method or "", request.path_url.split("?")[0]
        idempotent = retry.is_idempotent(method, path, request.body)
        attempt = 1
        while True:
            if not retry.fits(self._timeout):
                raise Timeout("no time left in this invocation for an Authsignal attempt")
            response: Response | None = None
            try:
                response = super().send(request, timeout=timeout, **kwargs)
            except (ConnectionError, Timeout) as problem:
                failure = problem
                reason: str | None = "timeout" if isinstance(problem, Timeout) else "connection"
            else:
                reason = retry.transient_status(response.status_code)
            if reason is None and response is not None:
                return response
            pause = retry.wait_before(attempt, response.headers.get("Retry-After") if response is not None else None)
            why_not = retry.held_back(idempotent, attempt, pause + self._timeout)
            status_code = response.status_code if response is not None else None
            if why_not:
                decision(
                    "authsignal_not_retried",
                    metric="AuthsignalNotRetried",
                    reason=reason,
                    attempt=attempt,
                    operation=retry.operation(method, path),
                    status_code=status_code,
                    error=why_not,
                )
                if response is None:
                    raise failure
                return response
            attempt += 1
            decision(
                "authsignal_retry",
                metric="AuthsignalRetry",
                reason=reason,
                attempt=attempt,
                operation=retry.operation(method, path),
                status_code=status_code,
            )
            if response is not None:
                response.close()
            time.sleep(pause)

    def _rotated(self, request: PreparedRequest) -> bool:
        """After a 401: read the secret again; True if it holds another key, now in use.

        The key may have been rotated since this container read it. Only one re-read per
        request: if the new key is refused too, the 401 stands and the call fails closed.
        """
        key = reread_authsignal_secret_key()
        if key == self._client.api_secret_key:
            return False
        self._client.api_secret_key = key
        self._client.session.auth = HTTPBasicAuth(key, "")
        request.prepare_auth(self._client.session.auth)
        decision("authsignal_key_reread", metric="AuthsignalKeyReread")
        return True


def reset_client() -> None:
    """Forget the client (tests simulate a new cold start with it)."""
    global _client
    _client = None

"""A proxy in front of the emulator that throttles a share of Cognito's admin calls, as Cognito
does when the account's category quota is used up: MiniStack itself never throttles.

``scripts/chaos --scenario throttling`` points one function's Cognito endpoint at it
(``AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER``, which the AWS SDKs read before
``AWS_ENDPOINT_URL``); every other request goes on to the emulator unchanged. A throttled call
gets what Cognito answers (HTTP 400, ``TooManyRequestsException`` in the JSON protocol), so the
function's own botocore parses it into the same exception as on AWS.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from e2e.emulator import HOST

ADMIN_CALLS = "AWSCognitoIdentityProviderService.Admin"  # X-Amz-Target of AdminUpdateUserAttributes & co
THROTTLED = "TooManyRequestsException"
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "host"})


class ThrottlingProxy:
    """Forwards to ``upstream``; answers a share ``rate`` of admin calls with a throttle instead."""

    def __init__(self, upstream: str, *, rate: float = 0.0, seed: int | None = None) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or HOST, parts.port or 80)
        self._lock = threading.Lock()
        self.set_rate(rate, seed)
        self._server = ThreadingHTTPServer((HOST, 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="throttling-proxy", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._server.server_port}"

    def __enter__(self) -> ThrottlingProxy:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def set_rate(self, rate: float, seed: int | None = None) -> None:
        """Throttle a share ``rate`` (0-1) of the admin calls from now on (``seed``: repeatably),
        counting them from zero."""
        if not 0 <= rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        with self._lock:
            self._rate, self._random = rate, random.Random(seed)
            self._counts = {"throttled": 0, "passed": 0}

    def counts(self) -> dict[str, int]:
        """Admin calls throttled and passed on so far."""
        with self._lock:
            return dict(self._counts)

    def throttles(self, target: str) -> bool:
        """Whether this request (by its ``X-Amz-Target``) is answered with a throttle; counts it."""
        if not target.startswith(ADMIN_CALLS):
            return False
        with self._lock:
            throttled = self._random.random() < self._rate
            self._counts["throttled" if throttled else "passed"] += 1
        return throttled

    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(*self._upstream, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()


def _handler_for(proxy: ThrottlingProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self._handle()

        def do_GET(self) -> None:
            self._handle()

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if proxy.throttles(self.headers.get("X-Amz-Target", "")):
                self._answer(
                    400,
                    [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", THROTTLED)],
                    json.dumps({"__type": THROTTLED, "message": "Rate exceeded"}).encode(),
                )
                return
            headers = {name: value for name, value in self.headers.items() if name.lower() not in _HOP_BY_HOP}
            status, answer_headers, answer = proxy.forward(self.command, self.path, headers, body)
            self._answer(
                status, [(name, value) for name, value in answer_headers if name.lower() not in _HOP_BY_HOP], answer
            )

        def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler

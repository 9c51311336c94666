"""moto on 127.0.0.1, over HTTP, counting what it is asked: the AWS that the cold sign-in
benchmark's function containers reach through ``AWS_ENDPOINT_URL``. A process of its own, so
its work never shares an interpreter with the clock.

Why not ``moto.server``: it needs Flask, which moto does not install; this serves moto's own
request handling (the dispatcher its mock mode uses) with the standard library's HTTP server.
The service is the one the request is signed for (its SigV4 credential scope), as AWS routes it.

``python -m benchmarks.aws_server`` prints its base URL on one line, then serves. ``GET
/__calls`` answers every request's operation so far (``X-Amz-Target``, as
``secretsmanager.GetSecretValue``, ``DynamoDB_20120810.PutItem``), oldest first.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


def main() -> None:
    from botocore.awsrequest import AWSPreparedRequest
    from botocore.compat import HTTPHeaders
    from moto.core.botocore_stubber import BotocoreStubber

    moto = BotocoreStubber()
    calls: list[str] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path == "/__calls":
                with lock:
                    self._send(200, {"Content-Type": "application/json"}, json.dumps(calls).encode())
            else:
                self._aws()

        def do_POST(self) -> None:
            self._aws()

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _aws(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            scope = _SCOPE.search(self.headers.get("Authorization", ""))
            target = self.headers.get("X-Amz-Target") or f"{self.command} {self.path}"
            with lock:
                calls.append(target)
            if not scope:
                self._send(403, {}, b"unsigned request")
                return
            region, service = scope.groups()
            headers = HTTPHeaders()
            for key, value in self.headers.items():
                headers[key] = value
            request = AWSPreparedRequest(
                self.command, f"https://{service}.{region}.amazonaws.com{self.path}", headers, body, False
            )
            with lock:  # moto's backends are not made for concurrent requests
                answer = moto.process_request(request)
            if answer is None:
                self._send(404, {}, f"moto does not serve {service}".encode())
                return
            status, response_headers, response_body = answer
            data = response_body.encode() if isinstance(response_body, str) else bytes(response_body or b"")
            self._send(
                status,
                {
                    key: str(value)
                    for key, value in response_headers.items()
                    if key.lower() not in ("content-length", "transfer-encoding")
                },
                data,
            )

        def _send(self, status: int, headers: dict[str, str], data: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

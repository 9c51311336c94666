"""The sandbox's static server for the web app's production build (``web/dist``), on 127.0.0.1,
with ``/config.json`` made at request time from the sandbox's state (``ops.web_config``), so the
build carries no environment and the browser gets this sandbox's endpoints.

Files are read when asked for, so a build made after the server started is served; a path
that is no file gets ``index.html`` (the app routes in the browser). Nothing is cached.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from e2e.emulator import HOST
from ops.web_config import WebConfigError, config_from_state

APP_HOST = "localhost"  # not 127.0.0.1: browsers refuse WebAuthn on an IP address origin


class AppServer:
    """Serves ``directory`` on ``port`` (0: a free one) with ``state()``'s config at /config.json."""

    def __init__(self, directory: Path, state: Callable[[], dict[str, Any] | None], port: int = 0) -> None:
        self.directory = directory
        handler = partial(_Handler, directory=str(directory), state=state)
        self._server = ThreadingHTTPServer((HOST, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="app-server", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Where a browser opens the app (``http://localhost:PORT/``)."""
        return f"http://{APP_HOST}:{self.port}/"

    @property
    def origin(self) -> str:
        return f"http://{APP_HOST}:{self.port}"

    def start(self) -> AppServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Handler(SimpleHTTPRequestHandler):
    def __init__(self, *args: Any, state: Callable[[], dict[str, Any] | None], **kwargs: Any) -> None:
        self.state = state
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/config.json":
            self._config()
            return
        if not (Path(self.directory) / "index.html").exists():
            self._answer(
                404,
                "text/plain; charset=utf-8",
                f"No app build in {self.directory}: build it (cd web && npm ci && npm run build).\n".encode(),
            )
            return
        if not (Path(self.directory) / path.lstrip("/")).is_file():
            self.path = "/index.html"  # a route of the app, not a file
        super().do_GET()

    def _config(self) -> None:
        state = self.state()
        if state is None:
            self._answer(503, "application/json", b'{"error": "the sandbox is still starting"}')
            return
        try:
            config = config_from_state(state)
        except WebConfigError as problem:  # a stack without an output the app needs: say which
            self._answer(503, "application/json", json.dumps({"error": str(problem)}).encode())
            return
        self._answer(200, "application/json", json.dumps(config).encode())

    def _answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass

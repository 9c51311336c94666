"""The running sandbox's state file: what a client needs to reach it (the emulator's endpoint,
the fake Authsignal's URLs and tenant, the stack and its outputs, the app's and the outbox's
URLs), written when the sandbox is up and removed when it stops. ``scripts/sign-in --sandbox``,
``scripts/deploy-local`` and the web app's config step read it, so nothing machine-specific (a
port) lives in a tracked file, and a second sandbox (another ``--state`` path, another checkout)
never points a client at the first.

Format, version 1 (``.sandbox/state.json`` by default, untracked)::

    {"version": 1, "stack": "local-Passwordless", "region": "us-east-1",
     "endpoint": "http://127.0.0.1:PORT", "authsignalUrl": "http://127.0.0.1:PORT/v1",
     "authsignalClientUrl": "http://127.0.0.1:PORT/v1", "authsignalTenantId": "...",
     "outputs": {...}, "appUrl": "http://localhost:PORT/" or null, "outboxUrl": "http://127.0.0.1:PORT/outbox"}
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from e2e.emulator import ROOT

STATE_VERSION = 1
# Where scripts/sandbox writes, and scripts/sign-in --sandbox and scripts/deploy-local read, when
# no --state is given: the variable lets a shell (or a test) pair them up with one sandbox of its
# own, so that commands written for the default path run as written against it.
STATE_PATH_VARIABLE = "PASSWORDLESS_SANDBOX_STATE"
DEFAULT_STATE_PATH = Path(os.environ.get(STATE_PATH_VARIABLE) or ROOT / ".sandbox" / "state.json")
REQUIRED_KEYS = (
    "stack",
    "region",
    "endpoint",
    "authsignalUrl",
    "authsignalClientUrl",
    "authsignalTenantId",
    "outputs",
    "appUrl",
    "outboxUrl",
)


class SandboxStateError(Exception):
    """No usable state file: the message says what to do."""


def sandbox_state(
    *,
    stack: str,
    region: str,
    endpoint: str,
    fake_url: str,
    tenant_id: str,
    outputs: dict[str, str],
    app_url: str | None,
) -> dict[str, Any]:
    """The state of a sandbox whose fake Authsignal answers at ``fake_url`` (scheme, host, port)."""
    return {
        "version": STATE_VERSION,
        "stack": stack,
        "region": region,
        "endpoint": endpoint,
        "authsignalUrl": fake_url + "/v1",
        "authsignalClientUrl": fake_url + "/v1",
        "authsignalTenantId": tenant_id,
        "outputs": dict(outputs),
        "appUrl": app_url,
        "outboxUrl": fake_url + "/outbox",
    }


def write_state(path: Path, state: dict[str, Any]) -> None:
    """Write the state whole or not at all (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(state, indent=2) + "\n")
    partial.replace(path)


def remove_state(path: Path, state: dict[str, Any]) -> None:
    """Remove the state file if it is still this sandbox's (another may have taken the path since)."""
    try:
        if json.loads(path.read_text()).get("endpoint") == state["endpoint"]:
            path.unlink()
    except (OSError, ValueError):
        pass


def read_state(path: Path | None = None) -> dict[str, Any]:
    """The state a running sandbox wrote, checked; SandboxStateError says what is wrong."""
    path = path or DEFAULT_STATE_PATH
    try:
        state = json.loads(path.read_text())
    except FileNotFoundError:
        raise SandboxStateError(
            f"no sandbox state at {path}: start one with scripts/sandbox (or give the --state path it was started with)"
        ) from None
    except (OSError, ValueError) as error:
        raise SandboxStateError(f"{path} is not a sandbox state file: {error}") from None
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        raise SandboxStateError(f"{path} is not a version {STATE_VERSION} sandbox state file")
    missing = [key for key in REQUIRED_KEYS if key not in state]
    if missing:
        raise SandboxStateError(f"{path} lacks {', '.join(missing)}")
    return state


def refuse_a_running_sandbox(path: Path) -> None:
    """Stop a second sandbox from taking the state file of one that still answers; a stale file
    (its emulator gone, e.g. after a crash) is simply replaced."""
    try:
        endpoint = read_state(path)["endpoint"]
    except SandboxStateError:
        return
    if listening(endpoint):
        raise SandboxStateError(
            f"a sandbox is running with the state file {path} (its emulator listens at "
            f"{endpoint}): stop it, or start this one with --state OTHER_PATH"
        )


def listening(url: str) -> bool:
    """Whether something accepts connections where ``url`` points."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=1):
            return True
    except (OSError, ValueError):
        return False

"""MiniStack, the local AWS emulator, as a child process: started on 127.0.0.1 only, with its own
state and scratch directories, a clean environment and only the services the app uses, and
stopped (with the Lambda workers it spawned) when we are done.

MiniStack pins its own botocore, so it runs from its own virtual environment, ``.venv-emulator``
(``scripts/setup`` creates it from ``e2e/requirements-emulator.txt``). It runs each Lambda as a
local process of that same interpreter, so that environment also stands in for the Lambda
runtime: Python 3.13 and boto3, as on AWS.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from stacks.config import EMULATOR_ACCOUNT

ROOT = Path(__file__).resolve().parent.parent
EMULATOR_VENV = ROOT / ".venv-emulator"
EMULATOR_PYTHON = EMULATOR_VENV / "bin" / "python"
REGION = "us-east-1"
ACCOUNT = EMULATOR_ACCOUNT
HOST = "127.0.0.1"
# What the app's stacks use, and nothing else: CloudFormation and what it creates.
SERVICES = (
    "cloudformation",
    "cognito-idp",
    "lambda",
    "apigateway",
    "s3",
    "secretsmanager",
    "ssm",
    "iam",
    "sts",
    "logs",
    "monitoring",
    "sns",
    "wafv2",
    "dynamodb",
)
START_TIMEOUT_SECONDS = 30.0


class EmulatorError(Exception):
    """The emulator is missing, did not start, or stopped answering."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) == 0


def require_emulator_venv() -> None:
    if not EMULATOR_PYTHON.exists():
        raise EmulatorError(f"{EMULATOR_VENV.name} is missing: run scripts/setup (it installs MiniStack there)")


def aws_client(service: str, endpoint_url: str) -> Any:
    """A boto3 client for the emulator: its endpoint, its region, dummy credentials.

    The credentials are explicit so that nothing from the caller's AWS configuration (a
    profile, real keys) is ever used, or sent, for a local call.
    """
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
    return session.client(service, endpoint_url=endpoint_url)


@dataclass
class Emulator:
    """A running MiniStack; ``stop()`` ends it and every process it started."""

    process: subprocess.Popen[bytes]
    port: int
    workdir: Path

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "ministack.log"

    def client(self, service: str) -> Any:
        return aws_client(service, self.endpoint_url)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """SIGTERM to the emulator's process group, that is to it and the Lambda workers it
        started (and nothing else: it leads a session of its own); SIGKILL if it lingers."""
        if self.process.poll() is not None:
            return
        _signal_group(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _signal_group(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def start_emulator(workdir: Path, port: int | None = None) -> Emulator:
    """Start MiniStack on ``127.0.0.1:port`` (a free port if None) and wait until it answers."""
    require_emulator_venv()
    port = port or free_port()
    if port_in_use(port):
        raise EmulatorError(f"{HOST}:{port} is already in use: pick another port (scripts/sandbox --port N)")
    for name in ("state", "tmp", "home"):
        (workdir / name).mkdir(parents=True, exist_ok=True)
    environment = {
        # Only what the emulator needs: nothing of the caller's environment (AWS profiles, keys)
        # reaches it or the Lambdas it runs, which inherit its environment.
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(workdir / "home"),
        "GATEWAY_PORT": str(port),
        "BIND_HOST": HOST,
        "SERVICES": ",".join(SERVICES),
        "IOT_MTLS_ENABLED": "false",  # its MQTT listener would bind 0.0.0.0:8883
        "SFTP_ENABLED": "0",
        "PERSIST_STATE": "0",
        # Cognito's signing keys land in STATE_DIR and Lambda code is unpacked under TMPDIR,
        # whatever PERSIST_STATE says: both go to our scratch directory.
        "STATE_DIR": str(workdir / "state"),
        "TMPDIR": str(workdir / "tmp"),
        "LOG_LEVEL": "WARNING",
        "MINISTACK_REGION": REGION,
        "MINISTACK_ACCOUNT_ID": ACCOUNT,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    log = (workdir / "ministack.log").open("wb")
    process = subprocess.Popen(
        [str(EMULATOR_PYTHON), "-m", "ministack"],
        cwd=workdir,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    emulator = Emulator(process=process, port=port, workdir=workdir)
    try:
        _wait_healthy(emulator)
    except BaseException:
        emulator.stop()
        raise
    return emulator


def _wait_healthy(emulator: Emulator) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    url = f"{emulator.endpoint_url}/_ministack/health"
    while time.monotonic() < deadline:
        if emulator.process.poll() is not None:
            raise EmulatorError(f"MiniStack exited with status {emulator.process.returncode}:\n{emulator.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    raise EmulatorError(
        f"MiniStack did not answer on {url} within {START_TIMEOUT_SECONDS:.0f} s:\n{emulator.log_tail()}"
    )


def _signal_group(pid: int, signum: signal.Signals) -> None:
    """Signal the process group ``pid`` leads (we started it with a new session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)

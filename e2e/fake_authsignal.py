"""The fake Authsignal server of the unit tests (``tests/fakes/authsignal_server.py``) as a child
process, and a client of its test controls (``/__fake/...``): what a user does in the app
(enter the OTP, use a passkey) and what a test reads back (the calls the Lambdas made, the
outbox of one-time codes).

The fake listens on 127.0.0.1 only; the deployed Lambdas reach it through the Authsignal URL the
local deployment gives them.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from e2e.emulator import HOST, ROOT, free_port
from tests.fakes.authsignal_server import DEFAULT_TENANT_ID
from tests.fakes.outbox import OtpMessage, last_code

START_TIMEOUT_SECONDS = 15.0


class FakeAuthsignalError(Exception):
    """The fake did not start, or refused a control request."""


class FakeAuthsignalControls:
    """The fake's test controls over HTTP, for tests and for the sign-in tool."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    @property
    def api_url(self) -> str:
        """What the Lambdas' ``AUTHSIGNAL_URL`` must be to reach this fake."""
        return self.base_url + "/v1"

    def complete(self, token: str) -> str:
        """Complete the challenge of ``token`` as the user would (enter the OTP); returns the
        validation token the app then sends to Cognito (a new one: not the track token)."""
        return self._control("complete", token=token)

    def enter_code(self, token: str, to: str) -> str:
        """What the app does with a sign-in's ``token`` through the client API, as
        ``@authsignal/browser`` calls it: send a code (``email.challenge()`` or ``sms.challenge()``,
        by what ``to`` is), read it from the outbox as a person reads their mail, verify it;
        returns the validation token (``accessToken``) the app answers Cognito with."""
        channel = "sms" if to.startswith("+") else "email-otp"
        self._request("POST", f"/v1/client/challenge/{channel}", {}, token=token)
        code = self.last_code(to)
        if code is None:
            raise FakeAuthsignalError(f"no code in the outbox for {channel}")
        verified = self._request("POST", f"/v1/client/verify/{channel}", {"verificationCode": code}, token=token)
        if not verified.get("isVerified") or not isinstance(verified.get("accessToken"), str):
            raise FakeAuthsignalError(f"the fake did not verify the code from the outbox: {verified}")
        return str(verified["accessToken"])

    def set_rule(self, state: str, user_id: str | None = None) -> None:
        self._control("set_rule", state=state, user_id=user_id)

    def enrol_passkey(self, token: str) -> str:
        """What ``passkey.signUp`` does with the token ``POST /authenticators`` returned; returns
        the new authenticator's id."""
        return self._control("enrol_passkey", token=token)

    def enroll_with_token(
        self, token: str, *, email: str | None = None, phone: str | None = None, passkey: bool = False
    ) -> str:
        """What the client SDK's ``email.enroll``, ``sms.enroll`` or ``passkey.signUp`` do with a
        sign-in's track token for a user with no authenticator (refused once the user has one)."""
        return self._control("enroll_with_token", token=token, email=email, phone=phone, passkey=passkey)

    def add_email(self, user_id: str, email: str) -> str:
        """The user's email enrolled as a verified authenticator (as their first sign-in leaves
        it, create enrolling the account's own contact); returns its id."""
        return self._control("add_authenticator", user_id=user_id, verification_method="EMAIL_OTP", email=email)

    def add_passkey(self, user_id: str) -> str:
        """A passkey enrolled for ``user_id`` (as ``passkey.signUp`` leaves one); returns its id."""
        return self._control("add_authenticator", user_id=user_id)

    def passkey_sign_in(self, user_id: str, action: str = "cognitoAuth", state_updated_at: str | None = None) -> str:
        """What ``passkey.signIn(action)`` does before Cognito is called, for a user with a passkey:
        its own succeeded action; returns the validation token the app answers Cognito with.
        ``state_updated_at`` (ISO 8601) makes it an old token."""
        return self._control("passkey_sign_in", user_id=user_id, action=action, state_updated_at=state_updated_at)

    def set_fault_rate(
        self,
        rate: float,
        kinds: list[str] | None = None,
        *,
        delay: float = 1.0,
        seed: int | None = None,
        status: int = 503,
        retry_after: str | None = None,
    ) -> None:
        """Fail a share ``rate`` of the Lambdas' requests (503, reset, slow; see the fake); a
        status fault answers ``status``, with a ``Retry-After`` header when given."""
        self._control(
            "set_fault_rate", rate=rate, kinds=kinds, delay=delay, seed=seed, status=status, retry_after=retry_after
        )

    def outage(self, on: bool = True, kinds: list[str] | None = None, *, delay: float = 1.0) -> None:
        """Authsignal down for every request until ``outage(False)``."""
        self._control("outage", on=on, kinds=kinds, delay=delay)

    def fault_counts(self) -> dict[str, int]:
        """How many random faults the fake injected so far, by kind."""
        return self._control("fault_counts")

    def calls(self) -> list[dict[str, Any]]:
        """Every request the Lambdas made to the fake's API, oldest first."""
        return self._request("GET", "/__fake/calls")

    @property
    def outbox(self) -> list[OtpMessage]:
        """Every one-time code the fake sent (email or SMS), oldest first."""
        return [OtpMessage(**message) for message in self._request("GET", "/__fake/outbox")]

    def last_code(self, to: str) -> str | None:
        """The code last sent to ``to`` (an email address or a phone number), as a person reads it."""
        return last_code(self.outbox, to)

    def set_origins(self, origins: list[str]) -> None:
        """The app origins the client API's passkey ceremonies may come from."""
        self._control("set_origins", origins=origins)

    @property
    def outbox_url(self) -> str:
        """The outbox page a person opens beside the app."""
        return self.base_url + "/outbox"

    def _control(self, name: str, **arguments: Any) -> Any:
        return self._request("POST", f"/__fake/{name}", arguments)["result"]

    def _request(self, method: str, path: str, body: Any = None, *, token: str | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:300]
            raise FakeAuthsignalError(f"fake Authsignal refused {method} {path}: {error.code} {detail}") from None


@dataclass
class FakeAuthsignalProcess:
    """The fake running as a child process with a secret key made up for this run."""

    process: subprocess.Popen[bytes]
    controls: FakeAuthsignalControls
    secret_key: str
    tenant_id: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_fake_authsignal(
    log_path: Path, port: int | None = None, *, origins: list[str] | None = None, tenant_id: str = DEFAULT_TENANT_ID
) -> FakeAuthsignalProcess:
    """Start ``python -m tests.fakes.authsignal_server`` on 127.0.0.1 and wait until it answers.
    ``origins``: the app origins its client API takes passkey ceremonies from. (The codes it
    sends are read from its outbox, never from its log.)"""
    port = port or free_port()
    secret_key = "local-" + secrets.token_urlsafe(24)  # never printed; the emulator's secret gets it
    command = [
        sys.executable,
        "-m",
        "tests.fakes.authsignal_server",
        "--port",
        str(port),
        "--secret",
        secret_key,
        "--tenant-id",
        tenant_id,
        *(f"--origin={origin}" for origin in origins or []),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    fake = FakeAuthsignalProcess(process, FakeAuthsignalControls(f"http://{HOST}:{port}"), secret_key, tenant_id)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        if process.poll() is not None:
            raise FakeAuthsignalError(
                f"the fake Authsignal server exited with status {process.returncode}: "
                f"{log_path.read_text(errors='replace')[-1000:]}"
            )
        try:
            fake.controls.calls()
            return fake
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                fake.stop()
                raise FakeAuthsignalError(f"the fake Authsignal server did not answer on port {port}") from None
            time.sleep(0.05)

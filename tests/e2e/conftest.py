"""One local sandbox for the end-to-end tests: the fake Authsignal server and the MiniStack
emulator as child processes on 127.0.0.1, ``cdk bootstrap`` and ``cdk deploy`` of the local
stack with the pinned CDK CLI; torn down as soon as the last of these tests is done (package
scope), not at the end of the whole test session. Each test signs up its own users, so tests
share the deployment but no state.

The assembly deployed is the session's one synth (tests/conftest.py), built exactly as app.py
builds it, and the bootstrap runs while it is synthesized; set ``E2E_CDK_OUT`` to deploy another
cloud assembly instead (synthesized with ``-c authsignalUrl=http://127.0.0.1:PORT/v1``; the fake
then listens on that port). The sandbox also serves the web app's build (web/dist, read when asked
for) at ``web_app_url``, and writes its state file in the test's temporary directory, never at
the default path a developer's own sandbox uses.
"""

from __future__ import annotations

import os
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from e2e.emulator import EMULATOR_PYTHON
from e2e.fake_authsignal import FakeAuthsignalControls
from e2e.sandbox import APP_DIR, LocalSandbox, SandboxPorts, assembly_authsignal_port, local_sandbox
from e2e.signin import PasswordlessClient
from tests.conftest import SANDBOX_TIMINGS, shared_directory
from tests.e2e.support import SignedIn, new_email, new_phone, require_emulator


@pytest.fixture(scope="package")
def sandbox(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSandbox]:
    require_emulator(EMULATOR_PYTHON)
    _claim_the_runs_only_sandbox(request.config, shared_directory(request.config, tmp_path_factory))
    given = os.environ.get("E2E_CDK_OUT")
    if given:
        ports, assembly = SandboxPorts.choose(authsignal=assembly_authsignal_port(Path(given))), lambda: Path(given)
    else:
        ports = SandboxPorts.choose(
            authsignal=_port(request.getfixturevalue("local_authsignal_url")),
            app=_port(request.getfixturevalue("local_app_origin")),
        )
        assembly = lambda: Path(request.getfixturevalue("synthesized").directory)  # noqa: E731
    started = time.monotonic()
    workdir = tmp_path_factory.mktemp("e2e")
    with local_sandbox(
        workdir, ports=ports, assembly=assembly, app_dir=APP_DIR, state_path=workdir / "state.json"
    ) as built:
        SANDBOX_TIMINGS.update(built.timings)
        SANDBOX_TIMINGS["ready"] = time.monotonic() - started
        yield built
        SANDBOX_TIMINGS["e2e tests"] = time.monotonic() - started


def _claim_the_runs_only_sandbox(config: pytest.Config, shared: Path) -> None:
    """Under scripts/test the end-to-end tests all run on one worker (tests/conftest.py), which
    builds the one sandbox; a second one means the tests were split, paying for it twice."""
    if not getattr(config.option, "loadgroup", False):
        return  # one process, or an xdist mode the caller chose
    worker = os.environ.get("PYTEST_XDIST_WORKER", "this process")
    try:
        with open(shared / "sandbox.claimed", "x") as claim:
            claim.write(worker)
    except FileExistsError:
        pytest.fail(
            f"a second sandbox in one run: {(shared / 'sandbox.claimed').read_text()} built one "
            "already, so the end-to-end tests were split between workers (or that worker crashed)",
            pytrace=False,
        )


def _port(url: str) -> int:
    return urlsplit(url).port or 0


@pytest.fixture(scope="package")
def sandbox_state(sandbox: LocalSandbox) -> dict[str, Any]:
    """What the sandbox's state file holds (e2e/sandbox_state.py): endpoints, tenant, outputs, URLs."""
    return sandbox.state


@pytest.fixture(scope="package")
def web_app_url(sandbox: LocalSandbox) -> str:
    """The web app's build (web/dist), served by the sandbox with this sandbox's config.json."""
    assert sandbox.app is not None
    return sandbox.app.url


@pytest.fixture(scope="package")
def client(sandbox: LocalSandbox) -> PasswordlessClient:
    return sandbox.client()


@pytest.fixture(scope="package")
def authsignal(sandbox: LocalSandbox) -> FakeAuthsignalControls:
    return sandbox.authsignal


@pytest.fixture
def email() -> str:
    return new_email()


@pytest.fixture
def phone() -> str:
    return new_phone()


@pytest.fixture
def signed_in(client: PasswordlessClient, authsignal: FakeAuthsignalControls) -> SignedIn:
    """A new user, signed up by email and signed in with an email OTP."""
    username = new_email()
    sub = client.sign_up(username).sub
    tokens = client.sign_in(username, lambda challenge: authsignal.complete(challenge.token))
    return SignedIn(username, sub, tokens)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test's report carries the functions' last log lines and the emulator's."""
    report = yield
    sandbox = getattr(item, "funcargs", {}).get("sandbox") if report.failed else None
    if isinstance(sandbox, LocalSandbox):
        try:
            report.sections.append(("Lambda logs (emulator)", sandbox.function_logs()))
            report.sections.append(("MiniStack log", sandbox.emulator.log_tail()))
        except Exception as error:  # noqa: BLE001 - diagnosis must not hide the failure itself
            report.sections.append(("Lambda logs (emulator)", f"unavailable: {error!r}"))
    return report

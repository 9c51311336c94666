"""The sandbox's parts that need no emulator: its ports, its state file, the app's static server.
(The running sandbox's own checks are in tests/e2e/test_sandbox_e2e.py.)"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from e2e import deploy, signin
from e2e.app_server import AppServer
from e2e.deploy import sandbox_context
from e2e.emulator import HOST
from e2e.sandbox import SandboxError, SandboxPorts
from e2e.sandbox_state import (
    SandboxStateError,
    read_state,
    refuse_a_running_sandbox,
    remove_state,
    sandbox_state,
    write_state,
)


def a_state(endpoint: str = "http://127.0.0.1:1") -> dict[str, Any]:
    return sandbox_state(
        stack="local-Passwordless",
        region="us-east-1",
        endpoint=endpoint,
        fake_url="http://127.0.0.1:2",
        tenant_id="tenant-1",
        outputs={"UserPoolClientId": "client-1", "ApiUrl": "http://api/", "AttemptLimit": "3"},
        app_url="http://localhost:3/",
    )


@pytest.fixture
def listener() -> Iterator[int]:
    """A port something listens on (as a running sandbox's emulator would)."""
    with socket.socket() as server:
        server.bind((HOST, 0))
        server.listen()
        yield server.getsockname()[1]


def test_free_ports_are_chosen_for_whatever_is_not_pinned_and_all_differ() -> None:
    first, second = SandboxPorts.choose(), SandboxPorts.choose(authsignal=SandboxPorts.choose().authsignal)

    assert len({first.emulator, first.authsignal, first.app}) == 3
    assert len({second.emulator, second.authsignal, second.app}) == 3


def test_a_pinned_port_in_use_is_refused_with_the_option_that_pinned_it(listener: int) -> None:
    with pytest.raises(SandboxError, match=rf"^{HOST}:{listener} \(--app-port\) is in use"):
        SandboxPorts.choose(app=listener)


def test_the_synth_gets_the_fakes_url_and_the_apps_origin_from_the_ports() -> None:
    ports = SandboxPorts(emulator=4001, authsignal=4002, app=4003)

    assert ports.synth_context() == [
        "-c",
        "authsignalUrl=http://127.0.0.1:4002/v1",
        "-c",
        "appOrigin=http://localhost:4003",
    ]


def test_the_state_file_is_written_read_and_removed(tmp_path: Path) -> None:
    path = tmp_path / "sandbox" / "state.json"
    state = a_state()

    write_state(path, state)
    read = read_state(path)
    remove_state(path, state)

    assert read == state and read["version"] == 1
    assert read["authsignalClientUrl"] == "http://127.0.0.1:2/v1" and read["outboxUrl"] == "http://127.0.0.1:2/outbox"
    assert not path.exists()


def test_a_stopping_sandbox_leaves_another_sandboxs_state_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    write_state(path, a_state("http://127.0.0.1:2000"))

    remove_state(path, a_state("http://127.0.0.1:1000"))

    assert read_state(path)["endpoint"] == "http://127.0.0.1:2000"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, r"no sandbox state at .*: start one with scripts/sandbox"),
        ("not json", "is not a sandbox state file"),
        (json.dumps({"version": 2}), "is not a version 1 sandbox state file"),
        (json.dumps({"version": 1, "stack": "s"}), "lacks region"),
    ],
)
def test_a_missing_or_foreign_state_file_is_a_sentence(tmp_path: Path, content: str | None, says: str) -> None:
    path = tmp_path / "state.json"
    if content is not None:
        path.write_text(content)

    with pytest.raises(SandboxStateError, match=says):
        read_state(path)


def test_a_second_sandbox_may_not_take_the_state_file_of_one_that_runs(tmp_path: Path, listener: int) -> None:
    running, stale = tmp_path / "running.json", tmp_path / "stale.json"
    write_state(running, a_state(f"http://{HOST}:{listener}"))
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        gone = probe.getsockname()[1]
    write_state(stale, a_state(f"http://{HOST}:{gone}"))

    with pytest.raises(SandboxStateError, match=r"a sandbox is running with the state file .* --state OTHER_PATH"):
        refuse_a_running_sandbox(running)
    refuse_a_running_sandbox(stale)  # its emulator is gone: the file may be replaced
    refuse_a_running_sandbox(tmp_path / "none.json")


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text("<!doctype html><title>app</title>")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.js").write_text("console.log(1)")
    return tmp_path


def test_the_app_server_serves_the_build_and_this_sandboxs_config(app_dir: Path) -> None:
    state = a_state()
    server = AppServer(app_dir, lambda: state).start()
    try:
        config = requests.get(server.url + "config.json", timeout=5)
        script = requests.get(server.url + "assets/app.js", timeout=5)
        route = requests.get(server.url + "signed-in", timeout=5)
    finally:
        server.stop()

    assert server.url.startswith("http://localhost:")
    assert config.json() == {
        "region": "us-east-1",
        "userPoolClientId": "client-1",
        "apiUrl": "http://api/",
        "authsignalTenantId": "tenant-1",
        "authsignalClientUrl": "http://127.0.0.1:2/v1",
        "attemptLimit": 3,
        "cognitoEndpoint": "http://127.0.0.1:1",
    }
    assert config.headers["Cache-Control"] == "no-store"
    assert script.text == "console.log(1)"
    assert "<title>app</title>" in route.text


def test_the_app_server_names_an_output_the_stack_lacks(app_dir: Path) -> None:
    state = a_state()
    del state["outputs"]["AttemptLimit"]
    server = AppServer(app_dir, lambda: state).start()
    try:
        config = requests.get(server.url + "config.json", timeout=5)
    finally:
        server.stop()

    assert config.status_code == 503
    assert config.json() == {"error": "the stack has no AttemptLimit output (deploy the stack with this version first)"}


def test_the_app_server_says_when_there_is_no_build_or_no_sandbox_yet(tmp_path: Path) -> None:
    server = AppServer(tmp_path / "dist", lambda: None).start()
    try:
        page, config = requests.get(server.url, timeout=5), requests.get(server.url + "config.json", timeout=5)
    finally:
        server.stop()

    assert page.status_code == 404 and "npm run build" in page.text
    assert config.status_code == 503


def test_the_app_server_says_which_output_the_stack_lacks(app_dir: Path) -> None:
    state = {**a_state(), "outputs": {"UserPoolClientId": "client-1"}}
    server = AppServer(app_dir, lambda: state).start()
    try:
        config = requests.get(server.url + "config.json", timeout=5)
    finally:
        server.stop()

    assert config.status_code == 503 and "the stack has no ApiUrl" in config.json()["error"]


def test_deploy_local_points_a_synth_of_the_local_environment_at_the_sandboxs_fake_and_app() -> None:
    assert sandbox_context(a_state()) == {"authsignalUrl": "http://127.0.0.1:2/v1", "appOrigin": "http://localhost:3"}
    assert sandbox_context({**a_state(), "appUrl": None}) == {"authsignalUrl": "http://127.0.0.1:2/v1"}


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        (deploy.main, []),
        (signin.main, ["--sandbox", "--username", "ada@example.com"]),
    ],
)
def test_a_tool_aimed_at_the_sandbox_says_when_there_is_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tool: Any, arguments: list[str]
) -> None:
    status = tool([*arguments, "--state", str(tmp_path / "state.json")])

    assert status == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        f"{'deploy' if tool is deploy.main else 'sign-in'} failed: no sandbox state at {tmp_path / 'state.json'}: "
        "start one with scripts/sandbox (or give the --state path it was started with)"
        + ("; or give --endpoint-url" if tool is deploy.main else "")
    ]

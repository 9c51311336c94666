"""The running sandbox as a client finds it: its state file, a second sandbox beside it, the
app's config, and ``scripts/sign-in --sandbox`` signing in through the client API and the outbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from e2e import signin
from e2e.emulator import HOST
from e2e.fake_authsignal import FakeAuthsignalControls
from e2e.sandbox import LocalSandbox, SandboxError, SandboxPorts
from e2e.sandbox_state import SandboxStateError, read_state, refuse_a_running_sandbox
from ops.web_config import config_from_state
from tests.e2e.support import new_email


def state_path(sandbox: LocalSandbox) -> Path:
    assert sandbox.state_path is not None
    return sandbox.state_path


def test_the_state_file_says_where_this_sandbox_is(sandbox: LocalSandbox, sandbox_state: dict[str, Any]) -> None:
    state = read_state(state_path(sandbox))

    assert state == sandbox_state
    assert state["endpoint"] == sandbox.emulator.endpoint_url
    assert state["authsignalUrl"] == sandbox.authsignal.api_url == state["authsignalClientUrl"]
    assert state["outputs"] == sandbox.stack.outputs and state["stack"] == sandbox.deployment.stack_name
    assert state["appUrl"] == f"http://localhost:{sandbox.ports.app}/"


def test_a_second_sandbox_gets_its_own_ports_and_may_not_take_this_ones_state_file(sandbox: LocalSandbox) -> None:
    second = SandboxPorts.choose()

    assert not {second.emulator, second.authsignal, second.app} & {
        sandbox.ports.emulator,
        sandbox.ports.authsignal,
        sandbox.ports.app,
    }
    with pytest.raises(SandboxError, match=rf"{HOST}:{sandbox.ports.emulator} \(--port\) is in use"):
        SandboxPorts.choose(emulator=sandbox.ports.emulator)
    with pytest.raises(SandboxStateError, match="a sandbox is running with the state file"):
        refuse_a_running_sandbox(state_path(sandbox))


def test_the_app_gets_this_sandboxs_config(web_app_url: str, sandbox_state: dict[str, Any]) -> None:
    config = requests.get(web_app_url + "config.json", timeout=5).json()

    assert config == config_from_state(sandbox_state)
    assert config["cognitoEndpoint"] == sandbox_state["endpoint"]


def test_the_sign_in_tool_signs_in_to_the_sandbox_its_state_file_names(
    sandbox: LocalSandbox, authsignal: FakeAuthsignalControls, capsys: pytest.CaptureFixture[str]
) -> None:
    username = new_email()

    status = signin.main(
        ["--sandbox", "--state", str(state_path(sandbox)), "--username", username, "--sign-up", "--call-api"]
    )

    output = capsys.readouterr().out
    assert status == 0, output
    assert "read from the outbox" in output and "signed in: sub=" in output
    assert [message.channel for message in authsignal.outbox if message.to == username] == ["email"]

"""``scripts/set-authsignal-secret`` sets the key a deployed stack's secret holds: piped on standard
input or typed at a hidden prompt in a terminal, through real boto3 against the emulator. What is
not a key (empty, the placeholder, a JSON object) is refused and the secret keeps its value."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import time
import uuid

import pytest

from e2e.deploy import cli_environment
from e2e.sandbox import LocalSandbox
from ops.set_authsignal_secret import main, refusal
from stacks.authsignal_secret import NOT_SET_MARKER
from stacks.config import stack_name
from tests.e2e.support import ROOT, create_probe_stack

SCRIPT = str(ROOT / "scripts" / "set-authsignal-secret")
ENVIRONMENT = "qa"  # a stack of its own: the sandbox's dev secret is left alone
# What a new stack's secret holds until the key is set (CloudFormation generates it as such JSON).
PLACEHOLDER = json.dumps({NOT_SET_MARKER: "set the Authsignal secret key", "filler": "Abc123Def456Ghi7"})
TEMPLATE = {
    "Resources": {
        "AuthsignalSecret": {"Type": "AWS::SecretsManager::Secret", "Properties": {"SecretString": PLACEHOLDER}}
    },
    "Outputs": {"AuthsignalSecretArn": {"Value": {"Ref": "AuthsignalSecret"}}},
}


@pytest.fixture(scope="module")
def secret_arn(sandbox: LocalSandbox) -> str:
    return create_probe_stack(sandbox.emulator.endpoint_url, stack_name(ENVIRONMENT), TEMPLATE)["AuthsignalSecretArn"]


@pytest.fixture
def secret_value(sandbox: LocalSandbox, secret_arn: str):
    """The secret's current value, read behind the script's back; reset to the placeholder first."""
    secrets = sandbox.aws("secretsmanager")
    secrets.put_secret_value(SecretId=secret_arn, SecretString=PLACEHOLDER)
    return lambda: secrets.get_secret_value(SecretId=secret_arn)["SecretString"]


def aws_environment(sandbox: LocalSandbox) -> dict[str, str]:
    """The caller's environment pointed at the emulator, with no AWS profile or real key of theirs
    (as a local deploy runs the CDK CLI)."""
    return cli_environment(sandbox.emulator.endpoint_url)


def point_at_emulator(monkeypatch: pytest.MonkeyPatch, sandbox: LocalSandbox) -> None:
    """This process's AWS settings, as ``aws_environment`` gives them to a child process."""
    for key in [key for key in os.environ if key.startswith("AWS_")]:
        monkeypatch.delenv(key)
    for key, value in aws_environment(sandbox).items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)


def new_key() -> str:
    return f"sk_test_{uuid.uuid4().hex}"


def test_a_key_piped_on_standard_input_is_set_and_never_printed(sandbox, secret_value):
    key = new_key()

    result = subprocess.run(
        [SCRIPT, ENVIRONMENT],
        input=key + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        env=aws_environment(sandbox),
    )

    assert result.returncode == 0, result.stderr
    assert secret_value() == key
    assert "set the Authsignal secret of qa-Passwordless" in result.stdout
    assert key not in result.stdout + result.stderr


def test_a_key_typed_at_the_hidden_prompt_of_a_terminal_is_set_and_not_echoed(sandbox, secret_value):
    key = new_key()
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [SCRIPT, ENVIRONMENT],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=aws_environment(sandbox),
        start_new_session=True,
    )
    os.close(terminal)
    try:
        shown = read_until(controller, b"(input hidden): ")
        os.write(controller, key.encode() + b"\n")
        assert process.wait(timeout=120) == 0
        shown += read_until(controller, None)
    finally:
        process.kill()
        os.close(controller)

    assert secret_value() == key
    assert b"set the Authsignal secret of qa-Passwordless" in shown
    assert key.encode() not in shown


def test_a_json_object_is_refused_and_the_secret_keeps_its_value(sandbox, secret_value):
    result = subprocess.run(
        [SCRIPT, ENVIRONMENT],
        input='{"notSetYet": true}\n',
        capture_output=True,
        text=True,
        timeout=120,
        env=aws_environment(sandbox),
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "that is a JSON object, not an Authsignal key (paste the secret key from the Authsignal portal): "
        "nothing changed"
    )
    assert secret_value() == PLACEHOLDER


@pytest.mark.parametrize("value", ["", "   ", PLACEHOLDER, "sk_live_a b"])
def test_what_is_not_a_key_is_refused_and_the_secret_keeps_its_value(sandbox, secret_value, monkeypatch, capsys, value):
    point_at_emulator(monkeypatch, sandbox)

    assert main([ENVIRONMENT], stdin=io.StringIO(value + "\n")) == 1
    assert capsys.readouterr().err.strip().endswith("nothing changed")
    assert secret_value() == PLACEHOLDER


def test_an_environment_that_is_not_deployed_is_named_and_nothing_is_set(sandbox, monkeypatch, capsys):
    point_at_emulator(monkeypatch, sandbox)

    assert main(["nowhere"], stdin=io.StringIO(new_key() + "\n")) == 1
    error = capsys.readouterr().err
    assert "nowhere-Passwordless" in error and "deploy it first" in error


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "no key given"),
        ("PLACEHOLDER: set the key", "placeholder"),
        ('{"status": "not set yet"}', "JSON object"),
        ("sk_live abc", "no spaces"),
    ],
)
def test_refusal_names_why_a_value_is_not_a_key(value, reason):
    assert reason in (refusal(value) or "")


def test_a_plausible_key_is_not_refused():
    assert refusal("sk_live_0123456789abcdef") is None


def read_until(descriptor: int, marker: bytes | None, timeout: float = 60) -> bytes:
    """What the terminal shows until ``marker`` (or until the other side closes it)."""
    seen, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline and (marker is None or marker not in seen):
        ready, _, _ = select.select([descriptor], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(descriptor, 4096)
        except OSError:  # the other side closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    if marker is not None and marker not in seen:
        raise AssertionError(f"the terminal never showed {marker!r}; it showed {seen!r}")
    return seen

"""The web app's config.json: built from a stack's outputs or the sandbox's state, public settings
only, and a missing setting is one sentence naming it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ops.web_config import (
    ALLOWED_KEYS,
    WebConfigError,
    config_from_outputs,
    config_from_state,
    main,
    stack_outputs,
    write,
)

OUTPUTS = {
    "UserPoolId": "us-east-1_AbC",
    "UserPoolClientId": "client123",
    "Region": "eu-west-1",
    "AuthsignalSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:authsignal/dev-AbCdEf",
    "ApiUrl": "https://abc.execute-api.eu-west-1.amazonaws.com/",
    "AuthsignalTenantId": "tenant-1",
    "AuthsignalClientUrl": "https://api.authsignal.com/v1",
    "AttemptLimit": "3",
    "AlarmTopicArn": "arn:aws:sns:eu-west-1:123456789012:alarms",
}
STATE: dict[str, Any] = {
    "version": 1,
    "stack": "local-Passwordless",
    "region": "us-east-1",
    "endpoint": "http://127.0.0.1:4566",
    "authsignalUrl": "http://127.0.0.1:4001/v1",
    "authsignalClientUrl": "http://127.0.0.1:4001/v1",
    "authsignalTenantId": "fake-tenant",
    "appUrl": "http://127.0.0.1:4002/",
    "outboxUrl": "http://127.0.0.1:4001/outbox",
    "outputs": {
        key: value for key, value in OUTPUTS.items() if key not in ("AuthsignalTenantId", "AuthsignalClientUrl")
    },
}


def test_the_config_holds_only_public_settings_whatever_the_stack_outputs():
    config = config_from_outputs(OUTPUTS, "eu-west-1")

    assert set(config) <= ALLOWED_KEYS
    assert "arn:" not in json.dumps(config)
    assert config == {
        "region": "eu-west-1",
        "userPoolClientId": "client123",
        "apiUrl": OUTPUTS["ApiUrl"],
        "authsignalTenantId": "tenant-1",
        "authsignalClientUrl": "https://api.authsignal.com/v1",
        "attemptLimit": 3,
    }


def test_the_allowlist_holds_no_secret_or_admin_setting():
    assert not {key for key in ALLOWED_KEYS if any(word in key.lower() for word in ("secret", "arn", "poolid", "key"))}


def test_a_stack_without_a_tenant_id_is_told_which_setting_to_add():
    outputs = {key: value for key, value in OUTPUTS.items() if key != "AuthsignalTenantId"}

    with pytest.raises(WebConfigError, match=r"^the stack has no AuthsignalTenantId output \(set authsignalTenantId"):
        config_from_outputs(outputs, "eu-west-1")


def test_the_sandbox_config_takes_the_fake_tenant_and_the_emulator_endpoint():
    config = config_from_state(STATE)

    assert config["authsignalTenantId"] == "fake-tenant"
    assert config["authsignalClientUrl"] == "http://127.0.0.1:4001/v1"
    assert config["cognitoEndpoint"] == "http://127.0.0.1:4566"
    assert config["region"] == "us-east-1"


@pytest.mark.parametrize(
    "state", [{**STATE, "version": 2}, {key: value for key, value in STATE.items() if key != "endpoint"}, []]
)
def test_a_state_file_of_another_shape_is_refused_with_a_sentence(state):
    with pytest.raises(WebConfigError, match=r"^the sandbox state .*: restart scripts/sandbox$"):
        config_from_state(state)


def test_writing_refuses_a_key_outside_the_allowlist(tmp_path: Path):
    with pytest.raises(WebConfigError, match=r"refusing to write authsignalSecret"):
        write({"region": "eu-west-1", "authsignalSecret": "sk"}, tmp_path / "config.json")
    assert not (tmp_path / "config.json").exists()


def test_the_command_writes_the_sandbox_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    state, out = tmp_path / "state.json", tmp_path / "public" / "config.json"
    state.write_text(json.dumps(STATE))  # what a running sandbox wrote

    assert main(["--sandbox", "--state", str(state), "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == config_from_state(STATE)


def test_the_command_without_a_sandbox_says_to_start_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["--sandbox", "--state", str(tmp_path / "none.json"), "--out", str(tmp_path / "c.json")]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"no sandbox state at {tmp_path / 'none.json'}: start one with scripts/sandbox")


def cloudformation_answering(
    method: str, response: dict[str, Any] | None = None, error_code: str | None = None
) -> tuple[Any, Stubber]:
    client = boto3.client(
        "cloudformation", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    stubber = Stubber(client)
    if error_code:
        stubber.add_client_error(method, service_error_code=error_code, service_message="Stack does not exist")
    else:
        stubber.add_response(method, response)
    stubber.activate()
    return client, stubber


def test_a_deployed_stack_outputs_are_read_from_cloudformation():
    described = {
        "Stacks": [
            {
                "StackName": "dev-Passwordless",
                "CreationTime": "2026-01-01T00:00:00Z",
                "StackStatus": "CREATE_COMPLETE",
                "Outputs": [{"OutputKey": key, "OutputValue": value} for key, value in OUTPUTS.items()],
            }
        ]
    }
    client, stubber = cloudformation_answering("describe_stacks", described)

    assert stack_outputs(client, "dev-Passwordless") == OUTPUTS
    stubber.assert_no_pending_responses()


def test_a_stack_not_deployed_says_so():
    client, _ = cloudformation_answering("describe_stacks", error_code="ValidationError")

    with pytest.raises(
        WebConfigError,
        match=r"^staging-Passwordless: Stack does not exist \(deploy it first, or "
        r"check your AWS credentials and region\)$",
    ):
        stack_outputs(client, "staging-Passwordless")

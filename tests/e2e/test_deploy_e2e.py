"""The local deploy is ``cdk deploy`` of what was synthesized: every resource, the template
unchanged, the functions calling Authsignal where the local environment's configuration says;
a deploy the CLI refuses stops with the CLI's own reason; and the CLI never sees the caller's AWS
configuration, nor an endpoint beyond this machine."""

from __future__ import annotations

import json
from typing import Any

import pytest

from e2e.deploy import DeployError, cli_environment, deploy, deployed_template
from e2e.sandbox import STACK_NAME, LocalSandbox


def synthesized_template(sandbox: LocalSandbox) -> dict[str, Any]:
    return json.loads((sandbox.cdk_out / f"{STACK_NAME}.template.json").read_text())


def test_every_synthesized_resource_is_deployed(sandbox: LocalSandbox) -> None:
    resources = synthesized_template(sandbox)["Resources"]

    assert {logical_id: resource["Type"] for logical_id, resource in resources.items()} == {
        logical_id: kind for logical_id, (kind, _) in sandbox.stack.resources.items()
    }


def test_the_deployed_template_is_the_synthesized_one(sandbox: LocalSandbox) -> None:
    assert deployed_template(sandbox.emulator.endpoint_url, STACK_NAME) == synthesized_template(sandbox)


def test_the_functions_call_authsignal_where_the_local_configuration_says(sandbox: LocalSandbox) -> None:
    functions = sandbox.aws("lambda")
    urls = {
        functions.get_function_configuration(FunctionName=physical_id)["Environment"]["Variables"].get("AUTHSIGNAL_URL")
        for kind, physical_id in sandbox.stack.resources.values()
        if kind == "AWS::Lambda::Function"
    }

    assert urls - {None} == {sandbox.authsignal.api_url}


def test_every_function_is_deployed_with_its_code(sandbox: LocalSandbox) -> None:
    # MiniStack deploys a function whose S3 code is missing and answers its invokes with a mock:
    # only the code size shows that the CLI published every asset.
    functions = sandbox.aws("lambda")
    for logical_id, (kind, physical_id) in sandbox.stack.resources.items():
        if kind == "AWS::Lambda::Function":
            assert functions.get_function(FunctionName=physical_id)["Configuration"]["CodeSize"] > 0, logical_id


def test_the_api_keeps_the_cors_configuration_of_its_template(sandbox: LocalSandbox) -> None:
    (api_id,) = [
        logical_id
        for logical_id, resource in synthesized_template(sandbox)["Resources"].items()
        if resource["Type"] == "AWS::ApiGatewayV2::Api"
    ]
    expected = synthesized_template(sandbox)["Resources"][api_id]["Properties"]["CorsConfiguration"]

    deployed = sandbox.aws("apigatewayv2").get_api(ApiId=sandbox.stack.resources[api_id][1])

    assert deployed["CorsConfiguration"] == expected


def test_a_deploy_the_cli_refuses_stops_with_the_cli_s_reason(sandbox: LocalSandbox) -> None:
    with pytest.raises(DeployError) as failed:
        deploy(sandbox.emulator.endpoint_url, "nosuchenv", app=sandbox.cdk_out)

    assert "cdk deploy failed" in str(failed.value)
    assert "nosuchenv-Passwordless" in str(failed.value)


def test_the_cli_gets_the_emulator_and_test_credentials_and_nothing_of_the_callers_aws_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "AWS_PROFILE": "prod",
        "AWS_ACCESS_KEY_ID": "AKIAREALKEY",
        "AWS_SECRET_ACCESS_KEY": "real",
        "AWS_SESSION_TOKEN": "real",
        "AWS_ENDPOINT_URL_S3": "https://s3.amazonaws.com",
        "AWS_CONFIG_FILE": "/home/me/.aws/config",
    }.items():
        monkeypatch.setenv(name, value)

    aws = {name: value for name, value in cli_environment("http://127.0.0.1:4566").items() if name.startswith("AWS_")}

    assert aws == {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@pytest.mark.parametrize(
    "endpoint",
    ["https://cloudformation.us-east-1.amazonaws.com", "http://10.0.0.8:4566", "http://127.0.0.1.example.com:4566"],
)
def test_the_cli_is_never_pointed_beyond_this_machine(endpoint: str) -> None:
    with pytest.raises(DeployError, match="targets a local emulator only"):
        cli_environment(endpoint)

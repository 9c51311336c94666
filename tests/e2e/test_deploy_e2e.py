"""The local deploy: what ``cdk synth`` produced is what runs, only the Authsignal URL differs,
and a resource that fails stops the deploy with its name and the reason."""

from __future__ import annotations

import json

import pytest

from e2e.deploy import DeployError, LocalDeployer, read_assembly
from e2e.sandbox import STACK_NAME, LocalSandbox


def test_every_synthesized_resource_is_deployed(sandbox: LocalSandbox) -> None:
    (synthesized,) = read_assembly(sandbox.cdk_out, "dev")
    template = json.loads(synthesized.template_path.read_text())

    assert synthesized.stack_name == STACK_NAME
    assert {logical_id: resource["Type"] for logical_id, resource in template["Resources"].items()} == \
        {logical_id: kind for logical_id, (kind, _) in sandbox.stack.resources.items()}


def test_only_the_authsignal_url_of_the_functions_differs_from_the_synthesized_template(
        sandbox: LocalSandbox) -> None:
    (synthesized,) = read_assembly(sandbox.cdk_out, "dev")
    template = json.loads(synthesized.template_path.read_text())
    calling_authsignal = {
        logical_id for logical_id, resource in template["Resources"].items()
        if "AUTHSIGNAL_URL" in resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
    }
    changed = {
        logical_id for logical_id, resource in template["Resources"].items()
        if resource != sandbox.stack.template["Resources"][logical_id]
    }
    functions = sandbox.aws("lambda")

    assert calling_authsignal and changed == calling_authsignal
    for logical_id in changed:
        deployed = functions.get_function_configuration(FunctionName=sandbox.stack.resources[logical_id][1])
        assert deployed["Environment"]["Variables"]["AUTHSIGNAL_URL"] == sandbox.authsignal.api_url


def test_a_failed_resource_stops_the_deploy_naming_it_and_the_reason(sandbox: LocalSandbox) -> None:
    template = {"Resources": {
        "Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {}},
        "Copy": {"Type": "AWS::SSM::Parameter",
                 "Properties": {"Type": "String", "Value": {"Fn::GetAtt": ["Pool", "NoSuchAttribute"]}}},
    }}

    with pytest.raises(DeployError) as failed:
        LocalDeployer(sandbox.emulator.endpoint_url).deploy_stack("e2e-broken", template)

    assert "e2e-broken: ROLLBACK_COMPLETE" in str(failed.value)
    assert "Copy (AWS::SSM::Parameter): CREATE_FAILED" in str(failed.value)
    assert "NoSuchAttribute" in str(failed.value)

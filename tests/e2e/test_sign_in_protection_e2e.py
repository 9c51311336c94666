"""The staging web ACL, as synthesized, deploys beside its user pool in the emulator.

Dev deploys no web ACL, so the sandbox's stack has none; this deploys the staging template's
user pool and web ACL as a small stack of their own. MiniStack gaps, each named: its
CloudFormation does not know ``AWS::WAFv2::WebACLAssociation`` (the test makes the association
the template declares through the WAF API instead), and it does not filter Cognito requests
through a web ACL, so blocking is not exercised here; the rules are asserted on the template
(tests/infra/test_sign_in_protection_infrastructure.py).
"""

from __future__ import annotations

from typing import Any

from e2e.emulator import aws_client
from e2e.sandbox import LocalSandbox
from tests.conftest import Synthesized
from tests.e2e.support import create_probe_stack


def _of_type(template: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    [(logical_id, resource)] = [(key, value) for key, value in template["Resources"].items() if value["Type"] == kind]
    return logical_id, resource


def test_the_staging_web_acl_deploys_and_attaches_to_its_user_pool(
    sandbox: LocalSandbox, synthesized: Synthesized
) -> None:
    endpoint = sandbox.emulator.endpoint_url
    staging = synthesized.templates["staging"]
    pool_id, pool = _of_type(staging, "AWS::Cognito::UserPool")
    acl_id, acl = _of_type(staging, "AWS::WAFv2::WebACL")
    _, association = _of_type(staging, "AWS::WAFv2::WebACLAssociation")
    assert association["Properties"] == {
        "ResourceArn": {"Fn::GetAtt": [pool_id, "Arn"]},
        "WebACLArn": {"Fn::GetAtt": [acl_id, "Arn"]},
    }
    pool_properties = {key: value for key, value in pool["Properties"].items() if key != "LambdaConfig"}
    probe = {
        "Resources": {pool_id: {"Type": pool["Type"], "Properties": pool_properties}, acl_id: acl},
        "Outputs": {
            "PoolArn": {"Value": {"Fn::GetAtt": [pool_id, "Arn"]}},
            "WebAclArn": {"Value": {"Fn::GetAtt": [acl_id, "Arn"]}},
        },
    }

    outputs = create_probe_stack(endpoint, "staging-sign-in-protection", probe)
    waf = aws_client("wafv2", endpoint)
    waf.associate_web_acl(WebACLArn=outputs["WebAclArn"], ResourceArn=outputs["PoolArn"])  # MiniStack gap

    web_acl = waf.get_web_acl_for_resource(ResourceArn=outputs["PoolArn"])["WebACL"]
    assert web_acl["Name"] == "staging-passwordless-sign-in"
    rules = {rule["Name"]: rule for rule in web_acl["Rules"]}
    assert rules["SignInRequestsPerIp"]["Statement"]["RateBasedStatement"]["Limit"] == 300
    assert rules["AWSManagedRulesAmazonIpReputationList"]["Statement"]["ManagedRuleGroupStatement"] == {
        "VendorName": "AWS",
        "Name": "AWSManagedRulesAmazonIpReputationList",
    }

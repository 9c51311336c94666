"""Sign-in protection: the AWS WAF web ACL on the user pool (per-IP rate limit, IP reputation
list, metrics, alarm) where config asks for it, and reserved concurrency for the sign-in triggers."""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Template

from stacks.user_pool import PasswordlessUserPool
from tests.infra.conftest import CONTEXT, EXISTING_SECRET_ARN, functions_by_handler, resources
from tests.infra.test_monitoring_infrastructure import graphed, graphs

# The environments of cdk.json with a sign-in rate, and those without: the rules hold for any split.
PROTECTED = [name for name, raw in CONTEXT["environments"].items() if raw.get("signInRequestsPer5MinutesPerIp")]
UNPROTECTED = [name for name in CONTEXT["environments"] if name not in PROTECTED]
NOT_SIGN_IN = {"triggers.pre_sign_up.handler", "api.authenticators.handler"}  # sign-up, the API


def only(template_json, kind):
    (resource,) = resources(template_json, kind).items()
    return resource


@pytest.fixture(scope="module")
def reserved_template(configs):
    """The smallest stack with dev's user pool and ``triggerReservedConcurrency`` set (no
    environment in cdk.json sets it)."""
    stack = cdk.Stack(cdk.App(analytics_reporting=False), "Reserved")
    secret = secretsmanager.Secret.from_secret_complete_arn(stack, "Secret", EXISTING_SECRET_ARN)
    dev = configs["dev"]
    PasswordlessUserPool(
        stack,
        "Auth",
        secret=secret,
        authsignal_url=dev.authsignal_url,
        runtime_environment={},
        removal_policy=cdk.RemovalPolicy.DESTROY,
        log_retention_days=1,
        memory_mb=dev.lambda_memory_mb,
        attempt_limit=3,
        passkey_token_max_age_seconds=300,
        email_magic_link_enabled=False,
        access_token_validity_minutes=60,
        id_token_validity_minutes=60,
        refresh_token_validity_days=1,
        deletion_protection=False,
        trigger_reserved_concurrency=20,
    )
    return Template.from_stack(stack).to_json()


@pytest.mark.parametrize("environment", UNPROTECTED)
def test_an_environment_without_a_sign_in_rate_has_no_web_acl(templates, configs, environment):
    assert configs[environment].sign_in_requests_per_5_minutes_per_ip is None
    for kind in ("AWS::WAFv2::WebACL", "AWS::WAFv2::WebACLAssociation"):
        assert resources(templates[environment], kind) == {}


@pytest.mark.parametrize("environment", PROTECTED)
def test_the_web_acl_is_regional_and_associated_with_the_user_pool(templates, environment):
    template = templates[environment]
    pool_id, _ = only(template, "AWS::Cognito::UserPool")
    acl_id, acl = only(template, "AWS::WAFv2::WebACL")
    _, association = only(template, "AWS::WAFv2::WebACLAssociation")
    assert acl["Properties"]["Scope"] == "REGIONAL"
    assert acl["Properties"]["DefaultAction"] == {"Allow": {}}
    assert association["Properties"] == {
        "ResourceArn": {"Fn::GetAtt": [pool_id, "Arn"]},
        "WebACLArn": {"Fn::GetAtt": [acl_id, "Arn"]},
    }


@pytest.mark.parametrize("environment", PROTECTED)
def test_the_web_acl_blocks_bad_reputation_first_then_ips_over_the_configured_rate(templates, configs, environment):
    _, acl = only(templates[environment], "AWS::WAFv2::WebACL")
    reputation, rate = sorted(acl["Properties"]["Rules"], key=lambda rule: rule["Priority"])
    assert reputation["Statement"] == {
        "ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesAmazonIpReputationList"}
    }
    assert reputation["OverrideAction"] == {"None": {}}  # the group's own block actions apply
    assert rate["Statement"] == {
        "RateBasedStatement": {
            "Limit": configs[environment].sign_in_requests_per_5_minutes_per_ip,
            "AggregateKeyType": "IP",
            "EvaluationWindowSec": 300,
        }
    }
    assert rate["Action"] == {"Block": {}}


@pytest.mark.parametrize("environment", PROTECTED)
def test_the_web_acl_and_every_rule_publish_metrics(templates, environment):
    _, acl = only(templates[environment], "AWS::WAFv2::WebACL")
    rules = acl["Properties"]["Rules"]
    configs = [acl["Properties"]["VisibilityConfig"], *(rule["VisibilityConfig"] for rule in rules)]
    assert all(config["CloudWatchMetricsEnabled"] and config["SampledRequestsEnabled"] for config in configs)
    assert len({config["MetricName"] for config in configs}) == 3


@pytest.mark.parametrize("environment", PROTECTED)
def test_blocked_requests_are_alarmed_and_graphed(templates, environment):
    template = templates[environment]
    _, acl = only(template, "AWS::WAFv2::WebACL")
    [alarm] = [
        props["Properties"]
        for props in resources(template, "AWS::CloudWatch::Alarm").values()
        if props["Properties"].get("Namespace") == "AWS/WAFV2"
    ]
    assert alarm["MetricName"] == "BlockedRequests"
    assert {"Name": "WebACL", "Value": acl["Properties"]["Name"]} in alarm["Dimensions"]
    assert {"Name": "Rule", "Value": "ALL"} in alarm["Dimensions"]
    assert alarm["AlarmActions"]
    waf_lines = [
        line for graph in graphs(template).values() for line in graphed(graph) if line.get("namespace") == "AWS/WAFV2"
    ]
    assert {line["metric"] for line in waf_lines} == {"AllowedRequests", "BlockedRequests"}
    assert all(line["dimensions"]["WebACL"] == acl["Properties"]["Name"] for line in waf_lines)


def test_no_environment_reserves_trigger_concurrency_by_default(templates, configs):
    for environment in (name for name, config in configs.items() if config.trigger_reserved_concurrency is None):
        for _, function in functions_by_handler(templates[environment]).values():
            assert "ReservedConcurrentExecutions" not in function["Properties"]


def test_reserved_concurrency_applies_to_the_sign_in_triggers_only(reserved_template):
    reserved = {
        name: function["Properties"].get("ReservedConcurrentExecutions")
        for name, (_, function) in functions_by_handler(reserved_template).items()
    }
    sign_in_triggers = set(reserved) - NOT_SIGN_IN
    assert sign_in_triggers == {"triggers.custom_auth.handler"}  # define, create and verify: one function
    assert {name: reserved[name] for name in sign_in_triggers} == dict.fromkeys(sign_in_triggers, 20)
    assert reserved["triggers.pre_sign_up.handler"] is None

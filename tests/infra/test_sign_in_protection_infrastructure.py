"""Sign-in protection: the AWS WAF web ACL on the user pool (per-IP rate limit, IP reputation
list, metrics, alarm) where config asks for it, and reserved concurrency for the sign-in triggers."""

import json
from dataclasses import replace

import aws_cdk as cdk
import pytest
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Template

from stacks.user_pool import PasswordlessUserPool
from tests.infra.conftest import EXISTING_SECRET_ARN, functions_by_handler, resources

PROTECTED = ["staging", "prod"]
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
    PasswordlessUserPool(stack, "Auth", config=replace(configs["dev"], trigger_reserved_concurrency=20),
                         secret=secret, runtime_environment={}, removal_policy=cdk.RemovalPolicy.DESTROY)
    return Template.from_stack(stack).to_json()


def test_an_environment_without_a_sign_in_rate_has_no_web_acl(templates, configs):
    assert configs["dev"].sign_in_requests_per_5_minutes_per_ip is None
    for kind in ("AWS::WAFv2::WebACL", "AWS::WAFv2::WebACLAssociation"):
        assert resources(templates["dev"], kind) == {}


@pytest.mark.parametrize("environment", PROTECTED)
def test_the_web_acl_is_regional_and_associated_with_the_user_pool(templates, environment):
    template = templates[environment]
    pool_id, _ = only(template, "AWS::Cognito::UserPool")
    acl_id, acl = only(template, "AWS::WAFv2::WebACL")
    _, association = only(template, "AWS::WAFv2::WebACLAssociation")
    assert acl["Properties"]["Scope"] == "REGIONAL"
    assert acl["Properties"]["DefaultAction"] == {"Allow": {}}
    assert association["Properties"] == {"ResourceArn": {"Fn::GetAtt": [pool_id, "Arn"]},
                                         "WebACLArn": {"Fn::GetAtt": [acl_id, "Arn"]}}


@pytest.mark.parametrize("environment", PROTECTED)
def test_the_web_acl_blocks_bad_reputation_first_then_ips_over_the_configured_rate(templates, configs, environment):
    _, acl = only(templates[environment], "AWS::WAFv2::WebACL")
    reputation, rate = sorted(acl["Properties"]["Rules"], key=lambda rule: rule["Priority"])
    assert reputation["Statement"] == {"ManagedRuleGroupStatement": {
        "VendorName": "AWS", "Name": "AWSManagedRulesAmazonIpReputationList"}}
    assert reputation["OverrideAction"] == {"None": {}}  # the group's own block actions apply
    assert rate["Statement"] == {"RateBasedStatement": {
        "Limit": configs[environment].sign_in_requests_per_5_minutes_per_ip, "AggregateKeyType": "IP",
        "EvaluationWindowSec": 300}}
    assert rate["Action"] == {"Block": {}}


def test_prod_allows_100_sign_in_requests_per_ip_in_5_minutes(templates):
    _, acl = only(templates["prod"], "AWS::WAFv2::WebACL")
    [limit] = [rule["Statement"]["RateBasedStatement"]["Limit"] for rule in acl["Properties"]["Rules"]
               if "RateBasedStatement" in rule["Statement"]]
    assert limit == 100


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
    [alarm] = [props["Properties"] for props in resources(template, "AWS::CloudWatch::Alarm").values()
               if props["Properties"].get("Namespace") == "AWS/WAFV2"]
    assert alarm["MetricName"] == "BlockedRequests"
    assert {"Name": "WebACL", "Value": acl["Properties"]["Name"]} in alarm["Dimensions"]
    assert {"Name": "Rule", "Value": "ALL"} in alarm["Dimensions"]
    assert alarm["AlarmActions"]
    _, dashboard = only(template, "AWS::CloudWatch::Dashboard")
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    assert "AWS/WAFV2" in body and "AllowedRequests" in body and "BlockedRequests" in body


def test_no_environment_reserves_trigger_concurrency_by_default(templates):
    for environment in ("dev", "staging", "prod"):
        for _, function in functions_by_handler(templates[environment]).values():
            assert "ReservedConcurrentExecutions" not in function["Properties"]


def test_reserved_concurrency_applies_to_the_sign_in_triggers_only(reserved_template):
    reserved = {name: function["Properties"].get("ReservedConcurrentExecutions")
                for name, (_, function) in functions_by_handler(reserved_template).items()}
    sign_in_triggers = set(reserved) - NOT_SIGN_IN
    assert sign_in_triggers == {"triggers.custom_auth.handler"}  # define, create and verify: one function
    assert {name: reserved[name] for name in sign_in_triggers} == dict.fromkeys(sign_in_triggers, 20)
    assert reserved["triggers.pre_sign_up.handler"] is None

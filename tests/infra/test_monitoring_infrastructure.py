"""Alarms, the alarm topic and the dashboard, per environment as config enables them.

The dashboard's body is a JSON string that CloudFormation joins from literal parts and resource
references (``Fn::Join``): ``dashboard_widgets`` joins it as CloudFormation would, with each
reference written as ``<Ref:Id>`` or ``<GetAtt:Id.Attribute>``, and the tests read its widgets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cognito as cognito
from aws_cdk.assertions import Template

from stacks.monitoring import Monitoring
from tests.infra.conftest import resources

FUNCTIONS = ("PreSignUp", "CustomAuth", "AuthenticatorsApi")
PERIOD_SECONDS = 300  # every alarm and graph counts 5 minutes
QUOTA_WARNING = 0.8  # a category's usage alarm warns at 80 % of its configured quota


def alarms(template_json: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        props["Properties"]["AlarmName"]: props["Properties"]
        for props in resources(template_json, "AWS::CloudWatch::Alarm").values()
    }


def alarmed_environments(configs: dict[str, Any]) -> list[str]:
    names = [name for name, config in configs.items() if config.alarms_enabled]
    assert names, "no environment has alarms on: nothing to check"
    return names


def only(template_json: dict[str, Any], kind: str) -> str:
    """The logical id of the template's one resource of type ``kind``."""
    (logical_id,) = resources(template_json, kind)
    return logical_id


def dashboard_widgets(template_json: dict[str, Any]) -> list[dict[str, Any]]:
    """The widgets of the template's one dashboard, its body joined as CloudFormation would."""
    (dashboard,) = resources(template_json, "AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    if isinstance(body, dict):
        separator, parts = body["Fn::Join"]
        body = separator.join(part if isinstance(part, str) else _placeholder(part) for part in parts)
    return json.loads(body)["widgets"]


def _placeholder(token: dict[str, Any]) -> str:
    if "Ref" in token:
        return f"<Ref:{token['Ref']}>"
    logical_id, attribute = token["Fn::GetAtt"]
    return f"<GetAtt:{logical_id}.{attribute}>"


def graphs(template_json: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The dashboard's graphs by title: their properties."""
    return {
        widget["properties"]["title"]: widget["properties"]
        for widget in dashboard_widgets(template_json)
        if widget["type"] == "metric"
    }


def graphed(properties: dict[str, Any]) -> list[dict[str, Any]]:
    """A graph's visible lines: a metric as namespace, name, dimensions and options; an
    expression as its options (``expression``, ``label``, ``id``). Hidden lines (an expression's
    inputs, ``visible: false``) are left out."""
    lines = []
    for entry in properties.get("metrics", []):
        options = entry[-1] if isinstance(entry[-1], dict) else {}
        if options.get("visible") is False:
            continue
        if "expression" in options:
            lines.append(options)
            continue
        names = entry[:-1] if options else entry
        namespace, metric, *pairs = names
        dimensions = dict(zip(pairs[::2], pairs[1::2], strict=True))
        lines.append({"namespace": namespace, "metric": metric, "dimensions": dimensions, **options})
    return lines


def expression_inputs(alarm: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, str]]]:
    """An expression alarm's inputs by id: namespace, metric name and dimensions."""
    return {
        query["Id"]: (
            query["MetricStat"]["Metric"]["Namespace"],
            query["MetricStat"]["Metric"]["MetricName"],
            {pair["Name"]: pair["Value"] for pair in query["MetricStat"]["Metric"]["Dimensions"]},
        )
        for query in alarm["Metrics"]
        if "MetricStat" in query
    }


def returned_expression(alarm: dict[str, Any]) -> str:
    [expression] = [query["Expression"] for query in alarm["Metrics"] if query.get("ReturnData", True)]
    return expression


_USAGE = re.compile(r'SELECT SUM\(CallCount\) FROM "AWS/Usage" WHERE (.+)')


def usage_conditions(expression: str) -> set[str]:
    """The conditions of a Metrics Insights query of Cognito's calls (``AWS/Usage`` ``CallCount``)."""
    match = _USAGE.fullmatch(expression)
    assert match, f"not a query of AWS/Usage CallCount: {expression}"
    return set(match.group(1).split(" AND "))


# --- what each environment gets ------------------------------------------------------------------


def test_monitoring_is_off_where_config_says_so(templates, configs):
    assert configs["dev"].alarms_enabled is False
    for kind in ("AWS::CloudWatch::Alarm", "AWS::SNS::Topic", "AWS::CloudWatch::Dashboard"):
        assert resources(templates["dev"], kind) == {}


def test_every_function_has_an_error_and_a_throttle_alarm(templates):
    names = alarms(templates["prod"])
    assert {
        name for name in names if name.endswith(("Errors", "Throttles")) and name.split("-")[-1].startswith(FUNCTIONS)
    } == {f"prod-passwordless-{function}{kind}" for function in FUNCTIONS for kind in ("Errors", "Throttles")}
    for function in FUNCTIONS:
        errors = names[f"prod-passwordless-{function}Errors"]
        assert (errors["MetricName"], errors["Namespace"], errors["Threshold"]) == ("Errors", "AWS/Lambda", 1)
        throttles = names[f"prod-passwordless-{function}Throttles"]
        assert (throttles["MetricName"], throttles["Namespace"], throttles["Threshold"]) == (
            "Throttles",
            "AWS/Lambda",
            1,
        )


def test_api_error_rates_are_alarmed_as_a_share_of_requests(templates):
    names = alarms(templates["prod"])
    for kind, percent in (("5xx", 5), ("4xx", 25)):
        alarm = names[f"prod-passwordless-Api{kind}Rate"]
        assert returned_expression(alarm) == "100 * errors / MAX([requests, 1])"
        assert {id_: metric for id_, (_, metric, _) in expression_inputs(alarm).items()} == {
            "errors": kind,
            "requests": "Count",
        }
        assert alarm["Threshold"] == percent


def test_authsignal_errors_and_rejected_answer_spikes_are_alarmed_from_the_lambdas_metrics(templates):
    names = alarms(templates["prod"])
    for alarm_name, metric in (("AuthsignalErrors", "AuthsignalError"), ("RejectedAnswersSpike", "AnswerRejected")):
        alarm = names[f"prod-passwordless-{alarm_name}"]
        assert (alarm["Namespace"], alarm["MetricName"]) == ("PasswordlessAuth", metric)
        assert alarm["Dimensions"] == [{"Name": "Environment", "Value": "prod"}]


def test_every_alarm_notifies_the_encrypted_topic(templates):
    template = templates["prod"]
    ((topic_id, topic),) = resources(template, "AWS::SNS::Topic").items()
    assert "KmsMasterKeyId" in topic["Properties"]
    for alarm in alarms(template).values():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["TreatMissingData"] == "notBreaching"


def test_the_alarm_email_from_config_is_subscribed_only_where_configured(templates, configs):
    (subscription,) = resources(templates["prod"], "AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == configs["prod"].alarm_email
    assert configs["staging"].alarms_enabled and resources(templates["staging"], "AWS::SNS::Subscription") == {}


# --- capacity ----------------------------------------------------------------------------------


def test_cognito_throttling_sign_ins_or_sign_ups_of_the_app_client_is_alarmed(templates, configs):
    for environment in alarmed_environments(configs):
        template = templates[environment]
        pool, client = only(template, "AWS::Cognito::UserPool"), only(template, "AWS::Cognito::UserPoolClient")
        names = alarms(template)
        for metric in ("SignInThrottles", "SignUpThrottles"):
            alarm = names[f"{environment}-passwordless-Cognito{metric}"]
            assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/Cognito", metric, "Sum")
            assert alarm["Dimensions"] == [
                {"Name": "UserPool", "Value": {"Ref": pool}},
                {"Name": "UserPoolClient", "Value": {"Ref": client}},
            ]
            assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")


def test_each_cognito_category_warns_at_80_percent_of_the_quota_config_gives_it(templates, configs):
    for environment in alarmed_environments(configs):
        names = alarms(templates[environment])
        for category, rps in configs[environment].cognito_quotas_rps.items():
            alarm = names[f"{environment}-passwordless-Cognito{category}NearQuota"]
            [query] = alarm["Metrics"]
            assert usage_conditions(query["Expression"]) == {"Type = 'API'", f"Resource = '{category}'"}
            assert query["Period"] == PERIOD_SECONDS
            assert alarm["Threshold"] == pytest.approx(QUOTA_WARNING * rps * PERIOD_SECONDS)


def test_a_quota_set_in_config_moves_its_alarm_and_only_configured_categories_are_watched():
    stack = cdk.Stack(cdk.App(), "Fixture")
    pool = cognito.UserPool(stack, "Pool")
    Monitoring(
        stack,
        "Monitoring",
        environment_name="fixture",
        namespace="PasswordlessAuth",
        functions={},
        http_api=apigwv2.HttpApi(stack, "Api"),
        alarm_email=None,
        user_pool=pool,
        user_pool_client=pool.add_client("Client"),
        cognito_quotas_rps={"UserAuthentication": 1000},
    )

    names = alarms(Template.from_stack(stack).to_json())

    near_quota = {name: alarm["Threshold"] for name, alarm in names.items() if name.endswith("NearQuota")}
    assert near_quota == {"fixture-passwordless-CognitoUserAuthenticationNearQuota": QUOTA_WARNING * 1000 * 300}


def test_authsignal_429s_are_alarmed_whether_retried_or_not(templates, configs):
    for environment in alarmed_environments(configs):
        alarm = alarms(templates[environment])[f"{environment}-passwordless-AuthsignalThrottled"]
        assert returned_expression(alarm) == "FILL(retried, 0) + FILL(not_retried, 0)"
        throttled = {"Environment": environment, "Reason": "throttled"}
        assert expression_inputs(alarm) == {
            "retried": ("PasswordlessAuth", "AuthsignalRetry", throttled),
            "not_retried": ("PasswordlessAuth", "AuthsignalNotRetried", throttled),
        }


# --- the dashboard -------------------------------------------------------------------------------


def test_every_alarm_is_on_the_dashboard(templates, configs):
    for environment in alarmed_environments(configs):
        template = templates[environment]
        [status] = [widget["properties"] for widget in dashboard_widgets(template) if widget["type"] == "alarm"]
        assert sorted(status["alarms"]) == sorted(
            f"<GetAtt:{logical_id}.Arn>" for logical_id in resources(template, "AWS::CloudWatch::Alarm")
        )


def test_dashboard_shows_sign_ins_by_outcome_and_latency_per_function(templates):
    shown = graphs(templates["prod"])
    outcomes = {line["metric"] for line in graphed(shown["Sign-ins by outcome"])}
    assert {"TokensIssued", "AnswerRejected", "Blocked", "AttemptsExhausted", "AuthsignalError"} <= outcomes
    latency = graphed(shown["Function latency p99 (ms)"])
    assert sorted(line["label"] for line in latency) == sorted(FUNCTIONS)
    assert {(line["metric"], line["stat"]) for line in latency} == {("Duration", "p99")}


def test_dashboard_shows_each_custom_auth_triggers_decisions_apart(templates):
    # one function serves define, create and verify: their decisions carry the trigger's name
    [line] = graphed(graphs(templates["prod"])["Decisions by trigger"])
    assert line["expression"].startswith("SEARCH('{PasswordlessAuth,Environment,Trigger} Environment=\"prod\"'")


def test_dashboard_graphs_cognito_throttles_lambda_throttles_and_authsignal_429s(templates, configs):
    for environment in alarmed_environments(configs):
        template = templates[environment]
        pool, client = only(template, "AWS::Cognito::UserPool"), only(template, "AWS::Cognito::UserPoolClient")
        shown = graphs(template)
        cognito_lines = graphed(shown["Cognito throttles (this app client)"])
        assert {line["metric"] for line in cognito_lines if line["namespace"] == "AWS/Cognito"} == {
            "SignInThrottles",
            "SignUpThrottles",
            "TokenRefreshThrottles",
        }
        assert all(
            line["dimensions"] == {"UserPool": f"<Ref:{pool}>", "UserPoolClient": f"<Ref:{client}>"}
            for line in cognito_lines
            if line["namespace"] == "AWS/Cognito"
        )
        assert {
            "namespace": "PasswordlessAuth",
            "metric": "ContactVerificationThrottled",
            "dimensions": {"Environment": environment},
            "stat": "Sum",
        } in cognito_lines
        throttles = graphed(shown["Lambda throttles and Authsignal 429s"])
        assert sorted(line["label"] for line in throttles if line.get("metric") == "Throttles") == sorted(
            f"{function} throttles" for function in FUNCTIONS
        )
        assert [line["expression"] for line in throttles if "expression" in line] == [
            "FILL(retried, 0) + FILL(not_retried, 0)"
        ]


def test_dashboard_graphs_each_categorys_calls_against_its_configured_quota(templates, configs):
    for environment in alarmed_environments(configs):
        shown = graphs(templates[environment])
        for category, rps in configs[environment].cognito_quotas_rps.items():
            usage = shown[f"Cognito {category} calls per 5 minutes (account and Region)"]
            [line] = graphed(usage)
            assert usage_conditions(line["expression"]) == {"Type = 'API'", f"Resource = '{category}'"}
            assert sorted(mark["value"] for mark in usage["annotations"]["horizontal"]) == pytest.approx(
                [QUOTA_WARNING * rps * PERIOD_SECONDS, rps * PERIOD_SECONDS]
            )

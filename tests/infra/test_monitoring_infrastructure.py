"""Alarms, the alarm topic and the dashboard, per environment as config enables them."""

import json

from tests.infra.conftest import resources

FUNCTIONS = ("PreSignUp", "CustomAuth", "AuthenticatorsApi")


def alarms(template_json):
    return {props["Properties"]["AlarmName"]: props["Properties"]
            for props in resources(template_json, "AWS::CloudWatch::Alarm").values()}


def test_monitoring_is_off_where_config_says_so(templates, configs):
    assert configs["dev"].alarms_enabled is False
    for kind in ("AWS::CloudWatch::Alarm", "AWS::SNS::Topic", "AWS::CloudWatch::Dashboard"):
        assert resources(templates["dev"], kind) == {}


def test_every_function_has_an_error_and_a_throttle_alarm(templates):
    names = alarms(templates["prod"])
    assert {name for name in names if name.endswith(("Errors", "Throttles")) and "Authsignal" not in name} == {
        f"prod-passwordless-{function}{kind}" for function in FUNCTIONS for kind in ("Errors", "Throttles")}
    for function in FUNCTIONS:
        errors = names[f"prod-passwordless-{function}Errors"]
        assert (errors["MetricName"], errors["Namespace"], errors["Threshold"]) == ("Errors", "AWS/Lambda", 1)
        throttles = names[f"prod-passwordless-{function}Throttles"]
        assert (throttles["MetricName"], throttles["Threshold"]) == ("Throttles", 1)


def test_api_error_rates_are_alarmed_as_a_share_of_requests(templates):
    names = alarms(templates["prod"])
    for kind, percent in (("5xx", 5), ("4xx", 25)):
        alarm = names[f"prod-passwordless-Api{kind}Rate"]
        expression = next(query for query in alarm["Metrics"] if "Expression" in query)
        assert expression["Expression"] == "100 * errors / MAX([requests, 1])"
        watched = {query["Id"]: query["MetricStat"]["Metric"]["MetricName"] for query in alarm["Metrics"]
                   if "MetricStat" in query}
        assert watched == {"errors": kind, "requests": "Count"}
        assert alarm["Threshold"] == percent


def test_authsignal_errors_and_rejected_answer_spikes_are_alarmed_from_the_lambdas_metrics(templates):
    names = alarms(templates["prod"])
    for alarm_name, metric in (("AuthsignalErrors", "AuthsignalError"), ("RejectedAnswersSpike", "AnswerRejected")):
        alarm = names[f"prod-passwordless-{alarm_name}"]
        assert (alarm["Namespace"], alarm["MetricName"]) == ("PasswordlessAuth", metric)
        assert alarm["Dimensions"] == [{"Name": "Environment", "Value": "prod"}]


def test_every_alarm_notifies_the_encrypted_topic(templates):
    template = templates["prod"]
    (topic_id, topic), = resources(template, "AWS::SNS::Topic").items()
    assert "KmsMasterKeyId" in topic["Properties"]
    for alarm in alarms(template).values():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["TreatMissingData"] == "notBreaching"


def test_the_alarm_email_from_config_is_subscribed_only_where_configured(templates, configs):
    (subscription,) = resources(templates["prod"], "AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == configs["prod"].alarm_email
    assert configs["staging"].alarms_enabled and resources(templates["staging"], "AWS::SNS::Subscription") == {}


def test_dashboard_shows_sign_ins_by_outcome_and_latency_per_function(templates):
    (dashboard,) = resources(templates["prod"], "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for outcome in ("TokensIssued", "AnswerRejected", "Blocked", "AttemptsExhausted", "AuthsignalError"):
        assert outcome in body
    assert body.count("Duration") >= len(FUNCTIONS)


def test_dashboard_shows_each_custom_auth_triggers_decisions_apart(templates):
    # one function serves define, create and verify: their decisions carry the trigger's name
    (dashboard,) = resources(templates["prod"], "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    assert "SEARCH('{PasswordlessAuth,Environment,Trigger} Environment=" in body.replace('\\', "")

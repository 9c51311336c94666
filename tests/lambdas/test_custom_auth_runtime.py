"""The one function behind the define, create and verify triggers: it serves each
``triggerSource`` with that trigger's own module, names the trigger in every log line and
metric, refuses any other source, keeps define's path light and reads the secret once for a
whole sign-in."""

from __future__ import annotations

from typing import Any

import pytest
from shared import retry
from triggers import custom_auth
from triggers.create_auth_challenge import ChallengeRefused
from triggers.custom_auth import UnknownTrigger

from tests.fakes.authsignal_server import FakeAuthsignal
from tests.lambdas.support import (
    NO_TIME_TO_VERIFY,
    TIMEOUT_SECONDS,
    LambdaContext,
    Logs,
    Secrets,
    User,
    completes_otp,
    create_event,
    define_event,
    entry,
    sign_in,
    verify_event,
)


def routed(event: Any, context: object = None) -> Any:
    """The custom-auth function's answer, as whichever trigger served it (each test knows which)."""
    return custom_auth.handler(event, context)


def test_each_trigger_source_is_served_by_its_own_trigger(fake: FakeAuthsignal, email_user: User) -> None:
    assert routed(define_event(email_user, []))["response"]["challengeName"] == "CUSTOM_CHALLENGE"
    created = routed(create_event(email_user))["response"]
    assert set(created["publicChallengeParameters"]) == {"url", "token", "isEnrolled"}
    token = fake.complete(created["publicChallengeParameters"]["token"])
    answer = verify_event(email_user, token, created["privateChallengeParameters"])
    assert routed(answer)["response"] == {"answerCorrect": True}
    assert routed(define_event(email_user, [entry(True)]))["response"]["issueTokens"] is True


@pytest.mark.parametrize(
    "source",
    [
        "PreSignUp_SignUp",
        "PostAuthentication_Authentication",
        "DefineAuthChallenge_Authentication ",
        "defineauthchallenge_authentication",
        "",
        None,
        7,
    ],
)
def test_any_other_trigger_source_is_refused_with_one_log_line(
    fake: FakeAuthsignal, email_user: User, logs: Logs, source: object
) -> None:
    event = define_event(email_user, [entry(True)])  # a define that would otherwise issue tokens
    event["triggerSource"] = source

    with pytest.raises(UnknownTrigger):
        custom_auth.handler(event)

    problem = logs.one_problem()
    assert (problem["event"], problem["reason"]) == ("trigger_refused", "unknown_trigger_source")
    assert "trigger" not in problem
    assert fake.calls() == []


@pytest.mark.parametrize("user_not_found", [False, True], ids=["known", "unknown"])
def test_a_refused_source_is_logged_by_the_sub_never_the_typed_user_name(
    email_user: User, logs: Logs, user_not_found: bool
) -> None:
    # for a user Cognito did not find, userName is the address as typed (docs/design.md: logging)
    event = define_event(email_user, [], user_not_found=user_not_found)
    event["triggerSource"] = "PreSignUp_SignUp"

    with pytest.raises(UnknownTrigger):
        custom_auth.handler(event)

    assert logs.one_problem().get("correlation_id") == (None if user_not_found else email_user.sub)
    assert email_user.typed not in logs.text


@pytest.mark.parametrize("event", [None, [], "DefineAuthChallenge_Authentication", {"request": {}}])
def test_an_event_without_a_trigger_source_is_refused(logs: Logs, event: object) -> None:
    with pytest.raises(UnknownTrigger):
        custom_auth.handler(event)

    assert logs.one_problem()["reason"] == "unknown_trigger_source"


def test_every_line_and_metric_names_the_trigger_that_wrote_it(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    assert sign_in(email_user, completes_otp(fake), handler=custom_auth.handler) is True

    named = [(line["event"], line["trigger"]) for line in logs.lines]
    assert named == [
        ("challenge_requested", "DefineAuthChallenge"),
        ("challenge_created", "CreateAuthChallenge"),
        ("answer_accepted", "VerifyAuthChallenge"),
        ("tokens_issued", "DefineAuthChallenge"),
    ]
    for line in logs.lines:
        if "_aws" in line:
            (directive,) = line["_aws"]["CloudWatchMetrics"]
            assert ["Environment", "Trigger"] in directive["Dimensions"]
            assert line["Trigger"] == line["trigger"]


def test_a_refused_source_after_a_served_one_is_not_named_after_it(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    custom_auth.handler(define_event(email_user, []))
    event = define_event(email_user, [])
    event["triggerSource"] = "PreSignUp_SignUp"

    with pytest.raises(UnknownTrigger):
        custom_auth.handler(event)

    assert "trigger" not in logs.one_problem()


def test_each_trigger_gets_lambdas_context_so_its_authsignal_calls_keep_the_deadline(
    fake: FakeAuthsignal, email_user: User
) -> None:
    # time for no attempt: create and verify must make no call, which they know only from the context
    created = routed(create_event(email_user), LambdaContext(4.0))["response"]
    token = fake.complete(created["publicChallengeParameters"]["token"])
    answer = verify_event(email_user, token, created["privateChallengeParameters"])
    calls_before = len(fake.calls())

    with pytest.raises(ChallengeRefused):
        custom_auth.handler(create_event(email_user), LambdaContext(retry.MARGIN_SECONDS + TIMEOUT_SECONDS / 2))
    assert routed(answer, NO_TIME_TO_VERIFY)["response"]["answerCorrect"] is False

    assert len(fake.calls()) == calls_before


def test_two_whole_sign_ins_read_the_secret_once_and_make_each_client_once(
    fake: FakeAuthsignal, secrets: Secrets, email_user: User, other_user: User
) -> None:
    from shared import aws

    assert sign_in(email_user, completes_otp(fake), handler=custom_auth.handler) is True
    made = {service: aws.client(service) for service in aws.services()}
    assert sign_in(other_user, completes_otp(fake), handler=custom_auth.handler) is True

    assert secrets.reads == 1
    # the secret, and the single-use put (both users' contacts are verified: no Cognito call)
    assert sorted(made) == aws.services() == ["dynamodb", "secretsmanager"]
    assert all(aws.client(service) is client for service, client in made.items())

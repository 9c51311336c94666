"""The one function behind the define, create and verify triggers: it serves each
``triggerSource`` with that trigger's own module, names the trigger in every log line and
metric, refuses any other source, keeps define's path light and reads the secret once for a
whole sign-in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from typing import Any

import pytest

from shared import retry
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
from triggers import custom_auth
from triggers.create_auth_challenge import ChallengeRefused
from triggers.custom_auth import UnknownTrigger

LAMBDAS = os.path.join(os.path.dirname(custom_auth.__file__), os.pardir)
HEAVY = ("authsignal", "requests", "urllib3", "boto3", "botocore")


def test_each_trigger_source_is_served_by_its_own_trigger(fake: FakeAuthsignal, email_user: User) -> None:
    assert custom_auth.handler(define_event(email_user, []))["response"]["challengeName"] == "CUSTOM_CHALLENGE"
    created = custom_auth.handler(create_event(email_user))["response"]
    assert set(created["publicChallengeParameters"]) == {"url", "token", "isEnrolled"}
    token = fake.complete(created["publicChallengeParameters"]["token"])
    answer = verify_event(email_user, token, created["privateChallengeParameters"]["idempotencyKey"])
    assert custom_auth.handler(answer)["response"] == {"answerCorrect": True}
    assert custom_auth.handler(define_event(email_user, [entry(True)]))["response"]["issueTokens"] is True


@pytest.mark.parametrize("source", [
    "PreSignUp_SignUp", "PostAuthentication_Authentication", "DefineAuthChallenge_Authentication ",
    "defineauthchallenge_authentication", "", None, 7,
])
def test_any_other_trigger_source_is_refused_with_one_log_line(
        fake: FakeAuthsignal, email_user: User, logs: Logs, source: object) -> None:
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
        email_user: User, logs: Logs, user_not_found: bool) -> None:
    # for a user Cognito did not find, userName is the address as typed (DESIGN.md: logs)
    event = define_event(email_user, [], user_not_found=user_not_found)
    event["triggerSource"] = "PreSignUp_SignUp"

    with pytest.raises(UnknownTrigger):
        custom_auth.handler(event)

    assert logs.one_problem().get("correlation_id") == (None if user_not_found else email_user.sub)
    assert email_user.typed not in logs.text


@pytest.mark.parametrize("event", [None, [], "DefineAuthChallenge_Authentication", {"request": {}}])
def test_an_event_without_a_trigger_source_is_refused(logs: Logs, event: object) -> None:
    with pytest.raises(UnknownTrigger):
        custom_auth.handler(event)  # type: ignore[arg-type]

    assert logs.one_problem()["reason"] == "unknown_trigger_source"


def test_every_line_and_metric_names_the_trigger_that_wrote_it(
        fake: FakeAuthsignal, email_user: User, logs: Logs) -> None:
    assert sign_in(email_user, completes_otp(fake), handler=custom_auth.handler) is True

    named = [(line["event"], line["trigger"]) for line in logs.lines]
    assert named == [("challenge_requested", "DefineAuthChallenge"), ("challenge_created", "CreateAuthChallenge"),
                     ("answer_accepted", "VerifyAuthChallenge"), ("tokens_issued", "DefineAuthChallenge")]
    for line in logs.lines:
        if "_aws" in line:
            (directive,) = line["_aws"]["CloudWatchMetrics"]
            assert ["Environment", "Trigger"] in directive["Dimensions"]
            assert line["Trigger"] == line["trigger"]


def test_a_refused_source_after_a_served_one_is_not_named_after_it(
        fake: FakeAuthsignal, email_user: User, logs: Logs) -> None:
    custom_auth.handler(define_event(email_user, []))
    event = define_event(email_user, [])
    event["triggerSource"] = "PreSignUp_SignUp"

    with pytest.raises(UnknownTrigger):
        custom_auth.handler(event)

    assert "trigger" not in logs.one_problem()


def test_each_trigger_gets_lambdas_context_so_its_authsignal_calls_keep_the_deadline(
        fake: FakeAuthsignal, email_user: User) -> None:
    # time for no attempt: create and verify must make no call, which they know only from the context
    created = custom_auth.handler(create_event(email_user), LambdaContext(4.0))["response"]
    token = fake.complete(created["publicChallengeParameters"]["token"])
    answer = verify_event(email_user, token, created["privateChallengeParameters"]["idempotencyKey"])
    calls_before = len(fake.calls())

    with pytest.raises(ChallengeRefused):
        custom_auth.handler(create_event(email_user), LambdaContext(retry.MARGIN_SECONDS + TIMEOUT_SECONDS / 2))
    assert custom_auth.handler(answer, NO_TIME_TO_VERIFY)["response"]["answerCorrect"] is False

    assert len(fake.calls()) == calls_before


def test_two_whole_sign_ins_read_the_secret_once_and_make_each_client_once(
        fake: FakeAuthsignal, secrets: Secrets, email_user: User, other_user: User) -> None:
    from shared import aws

    assert sign_in(email_user, completes_otp(fake), handler=custom_auth.handler) is True
    made = {service: aws.client(service) for service in aws.services()}
    assert sign_in(other_user, completes_otp(fake), handler=custom_auth.handler) is True

    assert secrets.reads == 1
    # the secret, and the single-use put (both users' contacts are verified: no Cognito call)
    assert sorted(made) == aws.services() == ["dynamodb", "secretsmanager"]
    assert all(aws.client(service) is client for service, client in made.items())


def _modules_after(*events: dict[str, Any]) -> tuple[set[str], list[str]]:
    """The top-level packages a fresh interpreter holds after serving ``events`` with the one
    function, as a new container would (the bundle root first on sys.path, then the packages
    the runtime ships: botocore), and how each event ended: ``answered``, or the exception's
    class. AWS answers nothing here (a closed port), once."""
    path = [os.path.abspath(LAMBDAS), sysconfig.get_paths()["purelib"]]
    code = (f"import sys, json; sys.path[0:0] = {path!r}\n"
            "from triggers import custom_auth\n"
            "ended = []\n"
            f"for event in json.loads({json.dumps(json.dumps(events))}):\n"
            "    try: custom_auth.handler(event); ended.append('answered')\n"
            "    except Exception as error: ended.append(type(error).__name__)\n"
            "modules = sorted({name.split('.')[0] for name in sys.modules})\n"
            "print(json.dumps([modules, ended]), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True,
                            env={"PATH": os.environ.get("PATH", ""), "AUTHSIGNAL_URL": "http://127.0.0.1:9/v1",
                                 "ATTEMPT_LIMIT": "3", "AUTHSIGNAL_TIMEOUT_SECONDS": "0.5",
                                 "AUTHSIGNAL_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x",
                                 "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1",
                                 "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "testing",
                                 "AWS_SECRET_ACCESS_KEY": "testing"})
    modules, ended = json.loads(result.stderr.strip().splitlines()[-1])
    return set(modules), ended


def test_define_path_imports_neither_the_sdk_nor_the_aws_sdk(email_user: User) -> None:
    loaded, ended = _modules_after(define_event(email_user, []), define_event(email_user, [entry(True)]))

    assert ended == ["answered", "answered"]
    assert loaded.isdisjoint(HEAVY)
    assert "typing" not in loaded


def test_create_path_loads_the_sdk_and_the_aws_sdk_but_not_boto3(email_user: User) -> None:
    # the secret cannot be read here: the create is refused, after loading what it needs
    loaded, ended = _modules_after(create_event(email_user))

    assert {"authsignal", "requests", "botocore"} <= loaded
    assert "boto3" not in loaded and "s3transfer" not in loaded
    assert ended == ["ChallengeRefused"]

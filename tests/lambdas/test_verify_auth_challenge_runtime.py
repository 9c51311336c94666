"""Verify auth challenge response: the answer is correct only if Authsignal says the token is
valid, CHALLENGE_SUCCEEDED, and issued for this user and for cognitoAuth. Anything else,
errors included, is a wrong answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from api import authenticators
from tests.fakes.authsignal_server import FakeAuthsignal
from tests.lambdas.support import Logs, Secrets, User, access_claims, api_event, create_event, verify_event
from triggers import create_auth_challenge, verify_auth_challenge


def issue_token(user: User) -> str:
    """The token create hands the app for ``user``'s sign-in."""
    event = create_auth_challenge.handler(create_event(user))
    return event["response"]["publicChallengeParameters"]["token"]


def completed_token(fake: FakeAuthsignal, user: User) -> str:
    """A sign-in token for ``user`` whose challenge the user completed in the app."""
    token = issue_token(user)
    fake.complete(token)
    return token


def answer_correct(user: User, answer: Any) -> Any:
    return verify_auth_challenge.handler(verify_event(user, answer))["response"]["answerCorrect"]


def rejected_because(logs: Logs) -> str:
    problem = logs.one_problem()
    assert (problem["level"], problem["event"]) == ("WARNING", "answer_rejected")
    return problem["reason"]


def test_verify_accepts_a_completed_token_of_this_user(fake: FakeAuthsignal, email_user: User, logs: Logs) -> None:
    token = completed_token(fake, email_user)

    assert answer_correct(email_user, token) is True

    assert logs.problems() == []
    assert logs.lines[-1]["event"] == "answer_accepted"


def test_verify_asks_authsignal_to_validate_the_token_for_the_sub_and_cognito_auth(
    fake: FakeAuthsignal, email_user: User
) -> None:
    token = completed_token(fake, email_user)

    answer_correct(email_user, token)

    [validate] = [call for call in fake.calls() if call.path == "/v1/validate"]
    assert validate.method == "POST"
    assert validate.body == {"action": "cognitoAuth", "userId": email_user.sub, "token": token}
    assert validate.authorized


def test_verify_logs_neither_token_email_nor_secret(fake: FakeAuthsignal, email_user: User, logs: Logs) -> None:
    token = completed_token(fake, email_user)

    answer_correct(email_user, token)

    logs.assert_free_of(token, email_user.email)


def test_verify_rejects_a_token_of_another_user(
    fake: FakeAuthsignal, email_user: User, other_user: User, logs: Logs
) -> None:
    token = completed_token(fake, other_user)

    assert answer_correct(email_user, token) is False

    assert rejected_because(logs) == "wrong_user"
    logs.assert_free_of(token)


def test_verify_rejects_a_token_forged_for_another_user(
    fake: FakeAuthsignal, email_user: User, other_user: User, logs: Logs
) -> None:
    token = issue_token(email_user)
    fake.complete(token, user_id=other_user.sub)

    assert answer_correct(email_user, token) is False

    assert rejected_because(logs) == "wrong_user"


def test_verify_rejects_a_completed_token_of_another_action(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    """The token the API hands out to add a passkey is this user's, but not a sign-in."""
    response = authenticators.handler(api_event("POST /authenticators", access_claims(email_user)))
    token = json.loads(response["body"])["authsignalToken"]
    fake.complete(token)

    assert answer_correct(email_user, token) is False

    assert rejected_because(logs) == "wrong_action"


def test_verify_rejects_a_token_forged_for_another_action(fake: FakeAuthsignal, email_user: User, logs: Logs) -> None:
    token = issue_token(email_user)
    fake.complete(token, action="signIn")

    assert answer_correct(email_user, token) is False

    assert rejected_because(logs) == "wrong_action"


def test_verify_rejects_a_token_whose_challenge_was_not_completed(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    token = issue_token(email_user)

    assert answer_correct(email_user, token) is False

    assert rejected_because(logs) == "invalid"


@pytest.mark.parametrize(("state", "reason"), [("CHALLENGE_FAILED", "invalid"), ("REVIEW_SUCCEEDED", "wrong_state")])
def test_verify_rejects_a_token_whose_challenge_did_not_succeed(
    fake: FakeAuthsignal, email_user: User, state: str, reason: str, logs: Logs
) -> None:
    token = issue_token(email_user)
    fake.complete(token, state=state)

    assert answer_correct(email_user, token) is False

    assert rejected_because(logs) == reason


def test_verify_rejects_a_valid_token_that_was_allowed_without_a_challenge(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    """Authsignal calls an ALLOW token valid; signing in still takes a succeeded challenge."""
    fake.set_rule("ALLOW", user_id=email_user.sub)
    token = issue_token(email_user)

    assert answer_correct(email_user, token) is False

    assert rejected_because(logs) == "wrong_state"


def test_verify_rejects_a_token_authsignal_never_issued(fake: FakeAuthsignal, email_user: User, logs: Logs) -> None:
    assert answer_correct(email_user, "token-made-up-by-the-caller") is False

    assert rejected_because(logs) == "invalid"


def test_verify_rejects_a_completed_token_when_authsignal_fails(
    fake: FakeAuthsignal, break_authsignal: Callable[..., None], email_user: User, logs: Logs
) -> None:
    token = completed_token(fake, email_user)
    break_authsignal(on="^POST /v1/validate$")

    assert answer_correct(email_user, token) is False

    assert rejected_because(logs) == "authsignal_error"
    logs.assert_free_of(token, email_user.email)


def test_verify_rejects_when_authsignal_rejects_the_secret(
    fake: FakeAuthsignal, secrets: Secrets, email_user: User, logs: Logs
) -> None:
    secrets.set("sk-another-tenant")

    assert answer_correct(email_user, "token-anything") is False

    assert [call.authorized for call in fake.calls()] == [False]
    problem = logs.one_problem()
    assert (problem["reason"], problem["error"]) == ("authsignal_error", "ApiException status 401")


@pytest.mark.parametrize("value", ["   ", "PLACEHOLDER: set the Authsignal secret key"], ids=["blank", "placeholder"])
def test_verify_rejects_without_a_usable_secret(
    fake: FakeAuthsignal, secrets: Secrets, value: str, email_user: User, logs: Logs
) -> None:
    secrets.set(value)

    assert answer_correct(email_user, "token-anything") is False

    assert fake.calls() == []
    assert rejected_because(logs) == "secret_unavailable"


def test_verify_rejects_when_the_secret_arn_is_not_set(
    fake: FakeAuthsignal, monkeypatch: pytest.MonkeyPatch, email_user: User, logs: Logs
) -> None:
    monkeypatch.delenv("AUTHSIGNAL_SECRET_ARN")

    assert answer_correct(email_user, "token-anything") is False

    assert fake.calls() == []
    assert rejected_because(logs) == "secret_unavailable"


def test_verify_rejects_when_the_secret_has_no_value(
    fake: FakeAuthsignal, monkeypatch: pytest.MonkeyPatch, secrets: Secrets, email_user: User, logs: Logs
) -> None:
    monkeypatch.setenv("AUTHSIGNAL_SECRET_ARN", secrets.admin.create_secret(Name="never-set")["ARN"])

    assert answer_correct(email_user, "token-anything") is False

    assert rejected_because(logs) == "secret_unavailable"


def _without_sub(event: dict[str, Any]) -> None:
    del event["request"]["userAttributes"]["sub"]


def _sub_not_a_string(event: dict[str, Any]) -> None:
    event["request"]["userAttributes"]["sub"] = ["a", "list"]


def _without_answer(event: dict[str, Any]) -> None:
    del event["request"]["challengeAnswer"]


def _empty_answer(event: dict[str, Any]) -> None:
    event["request"]["challengeAnswer"] = ""


def _answer_not_a_string(event: dict[str, Any]) -> None:
    event["request"]["challengeAnswer"] = {"token": "token-x"}


def _answer_true(event: dict[str, Any]) -> None:
    event["request"]["challengeAnswer"] = True


def _no_request(event: dict[str, Any]) -> None:
    del event["request"]


@pytest.mark.parametrize(
    "spoil",
    [_without_sub, _sub_not_a_string, _without_answer, _empty_answer, _answer_not_a_string, _answer_true, _no_request],
    ids=lambda spoil: spoil.__name__.strip("_"),
)
def test_verify_rejects_a_malformed_event_without_calling_authsignal(
    fake: FakeAuthsignal, spoil: Callable[[dict[str, Any]], None], email_user: User, logs: Logs
) -> None:
    event = verify_event(email_user, "token-anything")
    spoil(event)

    assert verify_auth_challenge.handler(event)["response"]["answerCorrect"] is False

    assert fake.calls() == []
    assert rejected_because(logs) == "malformed_event"


@pytest.mark.parametrize("event", [None, [], "event", 7], ids=["none", "list", "string", "int"])
def test_verify_rejects_an_event_that_is_not_a_dict(fake: FakeAuthsignal, event: Any, logs: Logs) -> None:
    assert verify_auth_challenge.handler(event)["response"]["answerCorrect"] is False

    assert fake.calls() == []
    assert rejected_because(logs) == "malformed_event"

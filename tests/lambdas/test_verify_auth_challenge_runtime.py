"""Verify auth challenge response: the answer is correct only if Authsignal says the token is
valid, CHALLENGE_SUCCEEDED, issued for this user and for cognitoAuth, bound to this sign-in (its
idempotency key is the one this session's create step tracked, or it is a fresh passkey sign-in),
and never used before. Anything else, errors included, is a wrong answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from api import authenticators
from triggers import create_auth_challenge, verify_auth_challenge

from tests.fakes.authsignal_server import FakeAuthsignal, now_iso
from tests.lambdas.support import (
    PASSKEY_TOKEN_MAX_AGE_SECONDS,
    VALIDATE,
    Logs,
    Secrets,
    User,
    access_claims,
    api_event,
    create_event,
    session_private,
    validations,
    verify_event,
)


@dataclass(frozen=True)
class Session:
    """One InitiateAuth session, as its create step left it."""

    user: User
    token: str  # public: the track token the app completes the challenge with
    private: dict[str, str]  # what create kept: the tracked action's idempotency key, the track token's digest


def start(user: User) -> Session:
    response = create_auth_challenge.handler(create_event(user))["response"]
    return Session(user, response["publicChallengeParameters"]["token"], response["privateChallengeParameters"])


def issue_token(user: User) -> str:
    """The token create hands the app for ``user``'s sign-in."""
    return start(user).token


def completed_token(fake: FakeAuthsignal, user: User) -> str:
    """A validation token for ``user``: the user completed a sign-in's challenge in the app."""
    return fake.complete(issue_token(user))


def answer_correct(user: User, answer: Any, private: dict[str, str] | None = None) -> Any:
    """The verify trigger's verdict on ``answer`` in a session whose create step kept ``private``
    (default: a session that tracked nothing)."""
    return verify_auth_challenge.handler(verify_event(user, answer, private))["response"]["answerCorrect"]


def answers_in_session(fake: FakeAuthsignal, session: Session) -> bool:
    """The user completes this session's challenge and answers with the validation token."""
    return answer_correct(session.user, fake.complete(session.token), session.private)


def passkey_token(fake: FakeAuthsignal, user: User, *, age_seconds: float = 0.0) -> str:
    """What ``passkey.signIn(action: "cognitoAuth")`` hands the app, ``age_seconds`` ago."""
    fake.add_authenticator(user.sub)
    return fake.passkey_sign_in(user.sub, state_updated_at=now_iso(-age_seconds))


def rejected_because(logs: Logs) -> str:
    problem = logs.one_problem()
    assert (problem["level"], problem["event"]) == ("WARNING", "answer_rejected")
    return problem["reason"]


def test_verify_accepts_the_completed_challenge_of_this_sign_in(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    assert answers_in_session(fake, start(email_user)) is True

    assert logs.problems() == []
    assert logs.lines[-1]["event"] == "answer_accepted"
    assert logs.lines[-1]["correlation_id"] == email_user.sub


def test_verify_asks_authsignal_to_validate_the_token_for_the_sub_and_cognito_auth(
    fake: FakeAuthsignal, email_user: User
) -> None:
    session = start(email_user)
    token = fake.complete(session.token)

    answer_correct(email_user, token, session.private)

    [validate] = validations(fake)
    assert validate.method == "POST"
    assert validate.body == {"action": "cognitoAuth", "userId": email_user.sub, "token": token}
    assert validate.authorized


def test_verify_logs_neither_token_email_user_name_nor_secret(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    session = start(email_user)
    token = fake.complete(session.token)

    verify_auth_challenge.handler(verify_event(email_user, token, session.private, user_name=email_user.email))

    logs.assert_free_of(token, session.token, email_user.email)


def test_verify_rejects_a_token_of_another_user(
    fake: FakeAuthsignal, email_user: User, other_user: User, logs: Logs
) -> None:
    token = completed_token(fake, other_user)

    assert answer_correct(email_user, token, start(email_user).private) is False

    assert rejected_because(logs) == "wrong_user"
    logs.assert_free_of(token)


def test_verify_rejects_a_token_forged_for_another_user(
    fake: FakeAuthsignal, email_user: User, other_user: User, logs: Logs
) -> None:
    session = start(email_user)
    token = fake.complete(session.token)
    fake.forge(token, user_id=other_user.sub)

    assert answer_correct(email_user, token, session.private) is False

    assert rejected_because(logs) == "wrong_user"


def test_verify_rejects_a_completed_token_of_another_action(fake: FakeAuthsignal, email_user: User, logs: Logs) -> None:
    """The token the API hands out to add a passkey is this user's, but not a sign-in."""
    response = authenticators.handler(api_event("POST /authenticators", access_claims(email_user)))
    token = fake.complete(json.loads(response["body"])["authsignalToken"])

    assert answer_correct(email_user, token, start(email_user).private) is False

    assert rejected_because(logs) == "wrong_action"


def test_verify_rejects_a_token_forged_for_another_action(fake: FakeAuthsignal, email_user: User, logs: Logs) -> None:
    session = start(email_user)
    token = fake.complete(session.token)
    fake.forge(token, action="signIn")

    assert answer_correct(email_user, token, session.private) is False

    assert rejected_because(logs) == "wrong_action"


@pytest.mark.parametrize("completed", [False, True], ids=["before_completion", "after_completion"])
def test_verify_refuses_the_track_token_of_this_sign_in_without_asking_authsignal(
    fake: FakeAuthsignal, email_user: User, logs: Logs, completed: bool
) -> None:
    """Whoever called InitiateAuth holds the track token: a victim lured into completing that
    challenge must not sign the caller in. The fake validates a completed action's track token
    (lenient: the real behaviour is not documented), so only our own check can refuse it."""
    session = start(email_user)
    if completed:
        fake.complete(session.token)

    assert answer_correct(email_user, session.token, session.private) is False

    assert validations(fake) == []
    assert rejected_because(logs) == "track_token"
    logs.assert_free_of(session.token)


B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _with_segment(token: str, index: int, segment: str) -> str:
    parts = token.split(".")
    parts[index] = segment
    return ".".join(parts)


def _flip_spare_bit(segment: str) -> str:
    """The same bytes to a lenient decoder: the last character's lowest (spare) bit flipped."""
    assert len(segment) % 4 in (2, 3), "the segment has no spare bits"
    return segment[:-1] + B64URL[B64URL.index(segment[-1]) ^ 1]


@pytest.mark.parametrize(
    "respell",
    [
        pytest.param(lambda token: token + " ", id="trailing_space"),
        pytest.param(lambda token: token + "\n", id="trailing_newline"),
        pytest.param(lambda token: "\t" + token, id="leading_tab"),
        pytest.param(lambda token: token + "=", id="padding"),
        pytest.param(lambda token: token.replace(".", "+.", 1), id="other_alphabet"),
    ],
)
def test_verify_refuses_an_answer_no_token_holds_without_asking_authsignal(
    fake: FakeAuthsignal, email_user: User, logs: Logs, respell: Callable[[str], str]
) -> None:
    """A lenient verifier might read the track token with whitespace or another alphabet as the
    token itself (the fake does): such an answer is refused before anything is asked."""
    session = start(email_user)
    fake.complete(session.token)

    assert answer_correct(email_user, respell(session.token), session.private) is False

    assert validations(fake) == []
    assert rejected_because(logs) == "malformed_answer"


@pytest.mark.parametrize(
    "respell",
    [
        pytest.param(lambda token: _with_segment(token, 2, "A" * 43), id="another_signature"),
        pytest.param(
            lambda token: _with_segment(token, 2, _flip_spare_bit(token.split(".")[2])), id="signature_spare_bit"
        ),
        pytest.param(lambda token: _with_segment(token, 1, token.split(".")[1] + "A"), id="payload_dangling_character"),
    ],
)
def test_verify_refuses_the_track_token_spelled_another_way(
    fake: FakeAuthsignal, email_user: User, logs: Logs, respell: Callable[[str], str]
) -> None:
    """What a JWT verifier reads of a token is its payload: the same payload under another
    signature or encoding is the track token still (the fake validates it, leniently)."""
    session = start(email_user)
    fake.complete(session.token)
    answer = respell(session.token)
    assert answer != session.token

    assert answer_correct(email_user, answer, session.private) is False

    assert validations(fake) == []
    assert rejected_because(logs) == "track_token"


def test_verify_rejects_a_completed_track_token_of_another_session(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    """Bound to another session's key, our own check refuses it."""
    theirs, ours = start(email_user), start(email_user)
    fake.complete(theirs.token)

    assert answer_correct(email_user, theirs.token, ours.private) is False

    assert rejected_because(logs) == "not_this_sign_in"


def test_verify_refuses_a_session_challenge_completed_by_passkey_in_another_session(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    """A challenge a create step tracked, completed with a passkey, proves that session only: the
    passkey path (no session key needed) is for the passkey's own action, never one we tracked."""
    theirs, ours = start(email_user), start(email_user)
    token = fake.complete(theirs.token)
    fake.forge(token, verification_method="PASSKEY")

    assert answer_correct(email_user, token, ours.private) is False

    assert rejected_because(logs) == "not_this_sign_in"


OTHER_METHODS = [None, "AUTHENTICATOR_APP", "PUSH", "SECURITY_KEY", "RECOVERY_CODE", "VERIFF", "DEVICE"]


@pytest.mark.parametrize(
    ("kind", "method"),
    [
        *[("email", method) for method in [*OTHER_METHODS, "SMS"]],
        *[("phone", method) for method in [*OTHER_METHODS, "EMAIL_OTP", "EMAIL_MAGIC_LINK"]],
    ],
)
@pytest.mark.usefixtures("magic_links_on")
def test_verify_refuses_this_sessions_answer_by_a_method_that_is_not_the_accounts_channel(
    fake: FakeAuthsignal, email_user: User, phone_user: User, logs: Logs, kind: str, method: str | None
) -> None:
    """The session's own key is not enough: an SMS to some phone, an authenticator app or no
    method at all proves nothing about an email account (nor an email about a phone account)."""
    user = email_user if kind == "email" else phone_user
    session = start(user)
    token = fake.complete(session.token)
    fake.forge(token, verification_method=method)

    assert answer_correct(user, token, session.private) is False

    assert rejected_because(logs) == "wrong_method"


@pytest.mark.parametrize(
    ("kind", "method"),
    [
        ("email", "EMAIL_OTP"),
        ("email", "EMAIL_MAGIC_LINK"),
        ("email", "PASSKEY"),
        ("phone", "SMS"),
        ("phone", "PASSKEY"),
    ],
)
@pytest.mark.usefixtures("magic_links_on")
def test_verify_accepts_this_sessions_answer_by_the_accounts_own_channel_or_a_passkey(
    fake: FakeAuthsignal, email_user: User, phone_user: User, kind: str, method: str
) -> None:
    user = email_user if kind == "email" else phone_user
    session = start(user)
    token = fake.complete(session.token)
    fake.forge(token, verification_method=method)

    assert answer_correct(user, token, session.private) is True


@pytest.mark.parametrize("setting", [None, "false", "TRUE", "1", ""])
def test_verify_refuses_an_email_magic_link_unless_the_environment_turns_them_on(
    fake: FakeAuthsignal, email_user: User, logs: Logs, monkeypatch: pytest.MonkeyPatch, setting: str | None
) -> None:
    """Whoever holds a magic link's track token can poll for its validation token once the
    person clicks: magic links are off unless EMAIL_MAGIC_LINK_ENABLED is exactly "true"."""
    if setting is None:
        monkeypatch.delenv("EMAIL_MAGIC_LINK_ENABLED", raising=False)
    else:
        monkeypatch.setenv("EMAIL_MAGIC_LINK_ENABLED", setting)
    session = start(email_user)
    token = fake.complete(session.token)
    fake.forge(token, verification_method="EMAIL_MAGIC_LINK")

    assert answer_correct(email_user, token, session.private) is False

    assert rejected_because(logs) == "magic_link_disabled"


@pytest.mark.parametrize(("state", "reason"), [("CHALLENGE_FAILED", "invalid"), ("REVIEW_SUCCEEDED", "wrong_state")])
def test_verify_rejects_a_token_whose_challenge_did_not_succeed(
    fake: FakeAuthsignal, email_user: User, state: str, reason: str, logs: Logs
) -> None:
    session = start(email_user)
    token = fake.complete(session.token, state=state)

    assert answer_correct(email_user, token, session.private) is False

    assert rejected_because(logs) == reason


def test_verify_rejects_a_valid_token_that_was_allowed_without_a_challenge(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    """Authsignal calls an ALLOW token valid; signing in still takes a succeeded challenge."""
    fake.set_rule("ALLOW", user_id=email_user.sub)
    allowed, session = start(email_user), start(email_user)

    assert answer_correct(email_user, allowed.token, session.private) is False

    assert rejected_because(logs) == "wrong_state"


# --- bound to this sign-in, used once -----------------------------------------------------------


def test_verify_rejects_a_token_completed_in_another_session_of_the_same_user(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    """Only a passkey sign-in is accepted without this session's key: an OTP, however fresh,
    proves the session it was sent for."""
    theirs, mine = start(email_user), start(email_user)
    token = fake.complete(theirs.token)

    assert answer_correct(email_user, token, mine.private) is False

    assert rejected_because(logs) == "not_this_sign_in"


def test_verify_rejects_a_session_bound_token_in_a_session_without_a_key(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    assert answer_correct(email_user, completed_token(fake, email_user), None) is False

    assert rejected_because(logs) == "not_this_sign_in"


def test_verify_accepts_a_token_once_then_refuses_it_in_its_own_session_and_every_other(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    session = start(email_user)
    token = fake.complete(session.token)
    assert answer_correct(email_user, token, session.private) is True

    assert answer_correct(email_user, token, session.private) is False
    assert rejected_because(logs) == "already_used"
    assert answer_correct(email_user, token, start(email_user).private) is False
    assert [line["reason"] for line in logs.problems()] == ["already_used", "not_this_sign_in"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("idempotency_key", None),
        ("idempotency_key", ""),
        ("idempotency_key", 42),
        ("state_updated_at", None),
        ("state_updated_at", ""),
        ("state_updated_at", "yesterday"),
        ("state_updated_at", 1735787045),
        ("state_updated_at", "2025-01-02T03:04:05"),
    ],
    ids=[
        "key_missing",
        "key_empty",
        "key_number",
        "time_missing",
        "time_empty",
        "time_unparseable",
        "time_number",
        "time_without_zone",
    ],
)
def test_verify_rejects_an_answer_without_a_usable_key_or_time(
    fake: FakeAuthsignal, email_user: User, field: str, value: Any, logs: Logs
) -> None:
    session = start(email_user)
    token = fake.complete(session.token)
    fake.forge(token, **{field: value})

    assert answer_correct(email_user, token, session.private) is False

    assert rejected_because(logs) == "incomplete_answer"


# --- passkey sign-in ------------------------------------------------------------------------------------


def test_verify_accepts_a_fresh_passkey_sign_in_in_any_session_of_the_user_once(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    token = passkey_token(fake, email_user)

    assert answer_correct(email_user, token, start(email_user).private) is True
    assert logs.lines[-1]["method"] == "PASSKEY"
    assert answer_correct(email_user, token, start(email_user).private) is False
    assert rejected_because(logs) == "already_used"


def test_verify_rejects_a_passkey_token_older_than_the_limit(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    token = passkey_token(fake, email_user, age_seconds=PASSKEY_TOKEN_MAX_AGE_SECONDS + 5)

    assert answer_correct(email_user, token, start(email_user).private) is False

    assert rejected_because(logs) == "passkey_too_old"


def test_verify_accepts_a_passkey_token_just_within_the_limit(fake: FakeAuthsignal, email_user: User) -> None:
    token = passkey_token(fake, email_user, age_seconds=PASSKEY_TOKEN_MAX_AGE_SECONDS - 5)

    assert answer_correct(email_user, token, start(email_user).private) is True


def test_verify_reads_the_passkey_age_limit_from_the_environment(
    fake: FakeAuthsignal, email_user: User, monkeypatch: pytest.MonkeyPatch, logs: Logs
) -> None:
    monkeypatch.setenv("PASSKEY_TOKEN_MAX_AGE_SECONDS", "30")
    token = passkey_token(fake, email_user, age_seconds=60)

    assert answer_correct(email_user, token, start(email_user).private) is False

    assert rejected_because(logs) == "passkey_too_old"


def test_verify_refuses_a_fresh_passkey_token_when_the_age_limit_is_not_set(
    fake: FakeAuthsignal, email_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PASSKEY_TOKEN_MAX_AGE_SECONDS")
    token = passkey_token(fake, email_user, age_seconds=5)

    assert answer_correct(email_user, token, start(email_user).private) is False


def test_verify_rejects_a_passkey_token_from_the_future(fake: FakeAuthsignal, email_user: User, logs: Logs) -> None:
    token = passkey_token(fake, email_user, age_seconds=-120)

    assert answer_correct(email_user, token, start(email_user).private) is False

    assert rejected_because(logs) == "passkey_from_the_future"


def test_verify_allows_a_small_clock_skew(fake: FakeAuthsignal, email_user: User) -> None:
    token = passkey_token(fake, email_user, age_seconds=-5)

    assert answer_correct(email_user, token, start(email_user).private) is True


def test_verify_rejects_a_fresh_passkey_sign_in_of_another_user(
    fake: FakeAuthsignal, email_user: User, other_user: User, logs: Logs
) -> None:
    token = passkey_token(fake, other_user)

    assert answer_correct(email_user, token, start(email_user).private) is False

    assert rejected_because(logs) == "wrong_user"


# --- single use fails closed --------------------------------------------------------------------


def test_verify_rejects_when_the_single_use_table_is_missing(
    fake: FakeAuthsignal, email_user: User, monkeypatch: pytest.MonkeyPatch, logs: Logs
) -> None:
    monkeypatch.setenv("SINGLE_USE_TABLE_NAME", "no-such-table")
    session = start(email_user)

    assert answers_in_session(fake, session) is False

    assert rejected_because(logs) == "single_use_unavailable"
    assert logs.one_problem()["error"] == "ResourceNotFoundException"


def test_verify_rejects_when_the_single_use_table_is_not_configured(
    fake: FakeAuthsignal, email_user: User, monkeypatch: pytest.MonkeyPatch, logs: Logs
) -> None:
    monkeypatch.delenv("SINGLE_USE_TABLE_NAME")

    assert answers_in_session(fake, start(email_user)) is False

    assert rejected_because(logs) == "single_use_unavailable"


def test_verify_claims_a_key_only_after_every_other_check_passed(
    fake: FakeAuthsignal, email_user: User, other_user: User
) -> None:
    """A wrong answer must not burn the key: the right user can still sign in with it."""
    session = start(email_user)
    token = fake.complete(session.token)

    assert answer_correct(other_user, token, session.private) is False
    assert answer_correct(email_user, token, session_private("another-sessions-key")) is False

    assert answer_correct(email_user, token, session.private) is True


def test_verify_rejects_a_token_authsignal_never_issued(fake: FakeAuthsignal, email_user: User, logs: Logs) -> None:
    assert answer_correct(email_user, "token-made-up-by-the-caller") is False

    assert rejected_because(logs) == "invalid"


def test_verify_rejects_a_completed_token_when_authsignal_fails(
    fake: FakeAuthsignal, break_authsignal: Callable[..., None], email_user: User, logs: Logs
) -> None:
    token = completed_token(fake, email_user)
    break_authsignal(on=VALIDATE)

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


def _without_track_token_digest(event: dict[str, Any]) -> None:
    del event["request"]["privateChallengeParameters"]["trackTokenDigest"]


def _track_token_digest_not_a_string(event: dict[str, Any]) -> None:
    event["request"]["privateChallengeParameters"]["trackTokenDigest"] = None


@pytest.mark.parametrize(
    "spoil",
    [
        _without_sub,
        _sub_not_a_string,
        _without_answer,
        _empty_answer,
        _answer_not_a_string,
        _answer_true,
        _no_request,
        _without_track_token_digest,
        _track_token_digest_not_a_string,
    ],
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

"""Whole sign-ins, with the four triggers called as Cognito calls them for CUSTOM_AUTH:
define, create, (the app completes the challenge), verify, define, ..."""

from __future__ import annotations

from collections.abc import Callable

from tests.fakes.authsignal_server import FakeAuthsignal
from tests.lambdas.support import (
    ATTEMPT_LIMIT,
    Logs,
    User,
    create_event,
    define_event,
    entry,
    tracked_attributes,
    verify_event,
)
from triggers import create_auth_challenge, define_auth_challenge, verify_auth_challenge
from triggers.create_auth_challenge import ChallengeRefused

Answer = Callable[[dict[str, str]], str]  # what the app answers, given the public challenge parameters


def sign_in(user: User, answer: Answer) -> bool:
    """Run the CUSTOM_AUTH loop as Cognito does; True if Cognito would issue tokens."""
    session: list[dict[str, object]] = []
    while True:
        decision = define_auth_challenge.handler(define_event(user, session))["response"]
        if decision["issueTokens"]:
            return True
        if decision["failAuthentication"]:
            return False
        try:
            public = create_auth_challenge.handler(create_event(user, session))["response"]["publicChallengeParameters"]
        except ChallengeRefused:
            return False  # Cognito ends the sign-in with an error
        correct = verify_auth_challenge.handler(verify_event(user, answer(public)))["response"]["answerCorrect"]
        session.append(entry(correct))


def completes_otp(fake: FakeAuthsignal) -> Answer:
    """The app shows Authsignal's UI at ``url``, the user enters the OTP, the app answers the token."""

    def answer(public: dict[str, str]) -> str:
        fake.complete(public["token"])
        return public["token"]

    return answer


def test_a_user_signs_in_with_an_email_otp(fake: FakeAuthsignal, email_user: User, logs: Logs) -> None:
    assert sign_in(email_user, completes_otp(fake)) is True

    assert [tracked_attributes(call.body) for call in fake.calls() if "/actions/" in call.path] == [{"email": email_user.email}]
    assert [line["event"] for line in logs.lines] == [
        "challenge_requested", "challenge_created", "answer_accepted", "tokens_issued"
    ]


def test_a_user_signs_in_with_an_sms_otp(fake: FakeAuthsignal, phone_user: User) -> None:
    assert sign_in(phone_user, completes_otp(fake)) is True

    assert [tracked_attributes(call.body) for call in fake.calls() if "/actions/" in call.path] == [{"phoneNumber": phone_user.phone}]


def test_a_user_signs_in_with_a_passkey(fake: FakeAuthsignal, email_user: User) -> None:
    # the app runs passkey.signIn(action: "cognitoAuth") first, then InitiateAuth
    challenge_id = fake.start_passkey_challenge(email_user.sub)
    passkey_token = fake.complete_passkey_challenge(challenge_id)

    assert sign_in(email_user, lambda public: passkey_token) is True

    [track] = [call for call in fake.calls() if "/actions/" in call.path]
    assert tracked_attributes(track.body) == {"email": email_user.email, "challengeId": challenge_id}


def test_a_passkey_sign_in_of_another_user_does_not_sign_this_user_in(
    fake: FakeAuthsignal, email_user: User, other_user: User
) -> None:
    theirs = fake.complete_passkey_challenge(fake.start_passkey_challenge(other_user.sub))
    assert sign_in(other_user, lambda public: theirs) is True

    assert sign_in(email_user, lambda public: theirs) is False


def test_a_sign_in_fails_after_attempt_limit_wrong_answers(fake: FakeAuthsignal, email_user: User) -> None:
    assert sign_in(email_user, lambda public: "token-guessed") is False

    assert len([call for call in fake.calls() if call.path == "/v1/validate"]) == ATTEMPT_LIMIT


def test_a_sign_in_with_an_uncompleted_challenge_fails(fake: FakeAuthsignal, email_user: User) -> None:
    assert sign_in(email_user, lambda public: public["token"]) is False


def test_a_blocked_user_cannot_sign_in(fake: FakeAuthsignal, email_user: User) -> None:
    fake.set_rule("BLOCK")

    assert sign_in(email_user, completes_otp(fake)) is False

    assert [call.path for call in fake.calls() if call.path == "/v1/validate"] == []

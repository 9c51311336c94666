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
            created = create_auth_challenge.handler(create_event(user, session))["response"]
        except ChallengeRefused:
            return False  # Cognito ends the sign-in with an error
        # Cognito hands verify the private parameters create set for this session
        verify = verify_event(user, answer(created["publicChallengeParameters"]),
                              created["privateChallengeParameters"]["idempotencyKey"])
        correct = verify_auth_challenge.handler(verify)["response"]["answerCorrect"]
        session.append(entry(correct))


def completes_otp(fake: FakeAuthsignal) -> Answer:
    """The app shows Authsignal's UI at ``url``, the user enters the OTP, the app answers the token."""

    def answer(public: dict[str, str]) -> str:
        return fake.complete(public["token"])

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
    fake.add_authenticator(email_user.sub)
    passkey_token = fake.passkey_sign_in(email_user.sub)

    assert sign_in(email_user, lambda public: passkey_token) is True

    [track] = [call for call in fake.calls() if "/actions/" in call.path]
    assert tracked_attributes(track.body) == {"email": email_user.email}
    assert len(fake.calls()) == 2  # track and validate: nothing looked up


def test_a_passkey_token_signs_in_once(fake: FakeAuthsignal, email_user: User) -> None:
    fake.add_authenticator(email_user.sub)
    passkey_token = fake.passkey_sign_in(email_user.sub)
    assert sign_in(email_user, lambda public: passkey_token) is True

    assert sign_in(email_user, lambda public: passkey_token) is False


def test_a_passkey_sign_in_of_another_user_does_not_sign_this_user_in(
    fake: FakeAuthsignal, email_user: User, other_user: User
) -> None:
    fake.add_authenticator(other_user.sub)
    theirs = fake.passkey_sign_in(other_user.sub)

    assert sign_in(email_user, lambda public: theirs) is False
    assert sign_in(other_user, lambda public: theirs) is True


def test_initiating_a_sign_in_for_another_user_captures_nothing_of_their_passkey_ceremony(
    fake: FakeAuthsignal, email_user: User
) -> None:
    """Finding 3: Mallory starts a sign-in for Ada while Ada uses her passkey. Mallory's public
    challenge parameters cannot complete Ada's passkey sign-in, and Ada still signs in."""
    fake.add_authenticator(email_user.sub)
    mallorys = create_auth_challenge.handler(create_event(email_user))["response"]
    adas = fake.passkey_sign_in(email_user.sub)

    mallorys_token = mallorys["publicChallengeParameters"]["token"]
    verdict = verify_auth_challenge.handler(verify_event(
        email_user, mallorys_token, mallorys["privateChallengeParameters"]["idempotencyKey"]))
    assert verdict["response"]["answerCorrect"] is False
    assert adas != mallorys_token
    assert sign_in(email_user, lambda public: adas) is True


def test_a_sign_in_fails_after_attempt_limit_wrong_answers(fake: FakeAuthsignal, email_user: User) -> None:
    assert sign_in(email_user, lambda public: "token-guessed") is False

    assert len([call for call in fake.calls() if call.path == "/v1/validate"]) == ATTEMPT_LIMIT


def test_a_sign_in_with_an_uncompleted_challenge_fails(fake: FakeAuthsignal, email_user: User) -> None:
    assert sign_in(email_user, lambda public: public["token"]) is False


def test_a_sign_in_answered_with_the_track_token_after_completing_fails(fake: FakeAuthsignal, email_user: User) -> None:
    def completes_but_answers_the_track_token(public: dict[str, str]) -> str:
        fake.complete(public["token"])
        return public["token"]

    assert sign_in(email_user, completes_but_answers_the_track_token) is False


def test_a_blocked_user_cannot_sign_in(fake: FakeAuthsignal, email_user: User) -> None:
    fake.set_rule("BLOCK")

    assert sign_in(email_user, completes_otp(fake)) is False

    assert [call.path for call in fake.calls() if call.path == "/v1/validate"] == []

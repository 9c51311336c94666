"""Whole sign-ins, with the four triggers called as Cognito calls them for CUSTOM_AUTH:
define, create, (the app completes the challenge), verify, define, ..."""

from __future__ import annotations

from typing import Any

import pytest
from triggers import create_auth_challenge, verify_auth_challenge

from tests.fakes.authsignal_server import FakeAuthsignal
from tests.lambdas.support import (
    ATTEMPT_LIMIT,
    Logs,
    User,
    completes_otp,
    create_event,
    enrol_own_contact,
    new_user,
    sign_in,
    tracked_attributes,
    tracks,
    validations,
    verify_event,
)


def test_a_user_signs_in_with_an_email_otp(fake: FakeAuthsignal, email_user: User, logs: Logs) -> None:
    enrol_own_contact(fake, email_user)

    assert sign_in(email_user, completes_otp(fake)) is True

    assert [tracked_attributes(call.body) for call in tracks(fake)] == [{"email": email_user.email}]
    assert len(fake.calls()) == 2  # track and validate
    assert [line["event"] for line in logs.lines] == [
        "challenge_requested",
        "challenge_created",
        "answer_accepted",
        "tokens_issued",
    ]


def test_a_user_signs_in_with_an_sms_otp(fake: FakeAuthsignal, phone_user: User) -> None:
    enrol_own_contact(fake, phone_user)

    assert sign_in(phone_user, completes_otp(fake)) is True

    assert [tracked_attributes(call.body) for call in tracks(fake)] == [{"phoneNumber": phone_user.phone}]


@pytest.mark.parametrize("own", [{"email": "ada@example.com"}, {"phone": "+447700900123"}], ids=["email", "sms"])
def test_an_accounts_first_sign_in_enrols_its_own_contact_before_any_challenge(
    fake: FakeAuthsignal, own: dict[str, Any]
) -> None:
    user = new_user(**own)

    assert sign_in(user, completes_otp(fake)) is True

    method, contact, value = ("EMAIL_OTP", "email", user.email) if user.email else ("SMS", "phoneNumber", user.phone)
    assert [(call.method, call.path.rsplit("/", 1)[-1]) for call in fake.calls()] == [
        ("POST", "cognitoAuth"),
        ("POST", "authenticators"),
        ("POST", "cognitoAuth"),
        ("POST", "validate"),
    ]
    enrolment = fake.calls()[1]
    assert enrolment.path == f"/v1/users/{user.sub}/authenticators"
    assert enrolment.body == {"verificationMethod": method, contact: value}
    first, second = (call.body["idempotencyKey"] for call in fake.calls() if "/actions/" in call.path)
    assert first != second  # the second track is a new action
    enrolled = [(item["verificationMethod"], item.get(contact)) for item in fake.authenticators(user.sub)]
    assert enrolled == [(method, value)]


@pytest.mark.parametrize(
    "theirs",
    [{"email": "mallory@evil.example"}, {"phone": "+447700900999"}, {"passkey": True}],
    ids=["email", "sms", "passkey"],
)
def test_an_attacker_who_signed_up_the_victims_address_cannot_enrol_their_own_method_with_the_token(
    fake: FakeAuthsignal, theirs: dict[str, object]
) -> None:
    """Authsignal lets a user with no authenticator enrol the first one with the track token.
    Mallory signs up victim@ and starts a sign-in: the token she gets cannot enrol her own
    email, phone or passkey, because the victim's address was enrolled before it was issued."""
    victim = new_user(email="victim@corp.example", verified=False)
    refusals: list[str] = []

    def enrols_her_own(public: dict[str, str]) -> str:
        try:
            fake.enroll_with_token(public["token"], **theirs)
        except KeyError as refused:
            refusals.append(str(refused))
            return public["token"]  # the OTP went to the victim: she has nothing else to answer
        return fake.complete(public["token"])

    assert sign_in(victim, enrols_her_own) is False

    assert len(refusals) == ATTEMPT_LIMIT
    assert [(item["verificationMethod"], item.get("email")) for item in fake.authenticators(victim.sub)] == [
        ("EMAIL_OTP", victim.email)
    ]


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
    """Passkey capture: Mallory starts a sign-in for Ada while Ada uses her passkey. Mallory's public
    challenge parameters cannot complete Ada's passkey sign-in, and Ada still signs in."""
    fake.add_authenticator(email_user.sub)
    mallorys = create_auth_challenge.handler(create_event(email_user))["response"]
    adas = fake.passkey_sign_in(email_user.sub)

    mallorys_token = mallorys["publicChallengeParameters"]["token"]
    verdict = verify_auth_challenge.handler(
        verify_event(email_user, mallorys_token, mallorys["privateChallengeParameters"])
    )
    assert verdict["response"]["answerCorrect"] is False
    assert sign_in(email_user, lambda public: adas) is True


def test_a_sign_in_fails_after_attempt_limit_wrong_answers(fake: FakeAuthsignal, email_user: User) -> None:
    assert sign_in(email_user, lambda public: "token-guessed") is False

    assert len(validations(fake)) == ATTEMPT_LIMIT


def test_a_sign_in_with_an_uncompleted_challenge_fails(fake: FakeAuthsignal, email_user: User) -> None:
    assert sign_in(email_user, lambda public: public["token"]) is False


def test_a_completed_track_token_of_another_sign_in_does_not_sign_this_one_in(
    fake: FakeAuthsignal, email_user: User
) -> None:
    """The fake lets a completed action's track token validate (real behaviour unknown): what
    refuses it in another session is our binding to this session's idempotency key."""
    enrol_own_contact(fake, email_user)
    first = create_auth_challenge.handler(create_event(email_user))["response"]["publicChallengeParameters"]["token"]
    fake.complete(first)

    assert sign_in(email_user, lambda public: first) is False


def test_a_lured_victim_completing_the_challenge_does_not_sign_in_whoever_holds_the_track_token(
    fake: FakeAuthsignal, email_user: User
) -> None:
    """An attacker starts a sign-in for the victim, the victim completes its challenge (lured to
    the pre-built UI's url), and the attacker answers with the track token, every attempt."""
    enrol_own_contact(fake, email_user)

    def victim_completes_attacker_answers_the_track_token(public: dict[str, str]) -> str:
        fake.complete(public["token"])
        return public["token"]

    assert sign_in(email_user, victim_completes_attacker_answers_the_track_token) is False
    assert validations(fake) == []


def test_a_blocked_user_cannot_sign_in(fake: FakeAuthsignal, email_user: User) -> None:
    fake.set_rule("BLOCK")

    assert sign_in(email_user, completes_otp(fake)) is False

    assert validations(fake) == []

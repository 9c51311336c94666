"""Pre sign-up: confirm the user and verify nothing; refuse a sign-up whose one contact attribute
is not the username (a pre-hijack: a victim's email next to the attacker's phone)."""

from __future__ import annotations

from typing import Any

import pytest
from triggers import pre_sign_up
from triggers.pre_sign_up import SignUpRefused

from tests.fakes.authsignal_server import FakeAuthsignal
from tests.lambdas.support import Json, Logs, Secrets, pre_sign_up_event

EMAIL = "grace.hopper@example.com"
PHONE = "+447700900123"
NOTHING_VERIFIED = {"autoConfirmUser": True, "autoVerifyEmail": False, "autoVerifyPhone": False}


def refused(event: Json, logs: Logs) -> tuple[str, str]:
    """Invoke the trigger, require a refusal; the message the caller sees and the logged reason."""
    with pytest.raises(SignUpRefused) as refusal:
        pre_sign_up.handler(event)
    problem = logs.one_problem()
    assert (problem["level"], problem["event"]) == ("WARNING", "sign_up_refused")
    return str(refusal.value), problem["reason"]


def test_pre_sign_up_confirms_an_email_user_and_verifies_nothing(logs: Logs) -> None:
    event = pre_sign_up.handler(pre_sign_up_event(email=EMAIL))

    assert event["response"] == NOTHING_VERIFIED
    assert [line["event"] for line in logs.lines] == ["sign_up_confirmed"]


def test_pre_sign_up_confirms_a_phone_user_and_verifies_nothing() -> None:
    event = pre_sign_up.handler(pre_sign_up_event(phone=PHONE))

    assert event["response"] == NOTHING_VERIFIED


def test_pre_sign_up_refuses_the_victims_email_next_to_the_attackers_phone(logs: Logs) -> None:
    """Pre-hijack: username and email the victim's, phone_number the attacker's."""
    event = pre_sign_up_event(email=EMAIL, phone=PHONE, user_name=EMAIL)

    message, reason = refused(event, logs)

    assert message == "sign-up needs exactly one of email or phone_number, the one used as the username"
    assert reason == "not_one_contact"
    assert event["response"]["autoConfirmUser"] is False


@pytest.mark.parametrize(
    "name",
    [
        "name",
        "nickname",
        "preferred_username",
        "website",
        "picture",
        "profile",
        "email_verified",
        "phone_number_verified",
        "given_name",
        "custom:role",
        "",
    ],
)
def test_pre_sign_up_refuses_any_attribute_besides_the_contact(name: str, logs: Logs) -> None:
    """``SignUp(victim@corp.com, name="IT Support", ...)`` must not seed the profile, and so the
    ID token, of the account the victim later signs into."""
    event = pre_sign_up_event(email=EMAIL, other={name: "IT Support"})

    message, reason = refused(event, logs)

    assert message == "sign-up may carry no attribute but the email or phone_number used as the username"
    assert reason == "unexpected_attribute"
    assert event["response"]["autoConfirmUser"] is False
    logs.assert_free_of("IT Support")


def test_pre_sign_up_lets_through_what_cognito_adds_itself() -> None:
    event = pre_sign_up_event(
        phone=PHONE, other={"sub": "7d8e9f00-1a2b-4c3d-8e4f-5a6b7c8d9e0f", "cognito:user_status": "UNCONFIRMED"}
    )

    assert pre_sign_up.handler(event)["response"] == NOTHING_VERIFIED


def test_pre_sign_up_refuses_both_contacts_whatever_the_user_name(logs: Logs) -> None:
    assert refused(pre_sign_up_event(email=EMAIL, phone=PHONE), logs)[1] == "not_one_contact"


def test_pre_sign_up_refuses_a_sign_up_with_neither_email_nor_phone(logs: Logs) -> None:
    event = pre_sign_up_event()

    assert refused(event, logs)[1] == "not_one_contact"
    assert event["response"]["autoConfirmUser"] is False


@pytest.mark.parametrize(
    ("user_name", "email", "phone"),
    [
        ("+447700900999", EMAIL, None),  # the attacker's phone as username, the victim's email
        ("mallory@example.com", EMAIL, None),
        (EMAIL, None, PHONE),
        ("+447700900999", None, PHONE),
    ],
    ids=["phone_username_email_attribute", "other_email", "email_username_phone_attribute", "other_phone"],
)
def test_pre_sign_up_refuses_a_contact_that_is_not_the_typed_username(
    user_name: str, email: str | None, phone: str | None, logs: Logs
) -> None:
    message, reason = refused(pre_sign_up_event(email=email, phone=phone, user_name=user_name), logs)

    assert (message, reason) == ("the email or phone_number must be the username", "contact_not_username")


@pytest.mark.parametrize(
    ("user_name", "email", "phone"),
    [
        ("attacker", EMAIL, None),
        ("attacker", None, PHONE),
        ("447700900123", None, PHONE),  # not E.164 without its +
        ("+44 7700 900123", None, "+44 7700 900123"),
        ("+0447700900123", None, "+0447700900123"),
        ("a1b2c3d4-e5f6-a7b8-c9d0", EMAIL, None),  # shaped almost like a generated name
    ],
    ids=["word_email", "word_phone", "phone_without_plus", "phone_with_spaces", "phone_leading_zero", "short_uuid"],
)
def test_pre_sign_up_refuses_a_typed_username_that_is_neither_an_email_nor_e164(
    user_name: str, email: str | None, phone: str | None, logs: Logs
) -> None:
    """An emulator sends the name as typed: `attacker` beside the victim's email is not the victim."""
    message, reason = refused(pre_sign_up_event(email=email, phone=phone, user_name=user_name), logs)

    assert (message, reason) == ("the email or phone_number must be the username", "contact_not_username")


def test_pre_sign_up_compares_emails_as_cognito_does_not_with_casefold(logs: Logs) -> None:
    """casefold makes `straße` equal `STRASSE`; Cognito's case-insensitive pool does not."""
    event = pre_sign_up_event(email="strasse@example.com", user_name="STRAẞE@example.com".replace("ẞ", "ß"))

    assert refused(event, logs)[1] == "contact_not_username"


def test_pre_sign_up_accepts_the_name_cognito_generated() -> None:
    generated = "A1B2C3D4-E5F6-47A8-89D0-0123456789AB".lower()

    assert pre_sign_up.handler(pre_sign_up_event(email=EMAIL, user_name=generated))["response"] == NOTHING_VERIFIED


def test_pre_sign_up_compares_the_email_with_the_username_without_case() -> None:
    event = pre_sign_up.handler(pre_sign_up_event(email="Grace.Hopper@Example.COM", user_name=EMAIL))

    assert event["response"] == NOTHING_VERIFIED


def test_pre_sign_up_accepts_the_typed_phone_number_as_username() -> None:
    assert pre_sign_up.handler(pre_sign_up_event(phone=PHONE, user_name=PHONE))["response"] == NOTHING_VERIFIED


def test_pre_sign_up_logs_no_user_name_as_typed(logs: Logs) -> None:
    pre_sign_up.handler(pre_sign_up_event(email=EMAIL, user_name=EMAIL))
    with pytest.raises(SignUpRefused):
        pre_sign_up.handler(pre_sign_up_event(email=EMAIL, user_name="mallory@example.com"))

    logs.assert_free_of(EMAIL, "mallory@example.com", "mallory")


def test_pre_sign_up_takes_an_empty_email_for_none() -> None:
    event = pre_sign_up_event(phone=PHONE)
    event["request"]["userAttributes"]["email"] = ""

    assert pre_sign_up.handler(event)["response"] == NOTHING_VERIFIED


def test_pre_sign_up_answers_with_the_event_cognito_sent() -> None:
    sent = pre_sign_up_event(email=EMAIL)

    returned = pre_sign_up.handler(sent)

    assert returned is sent
    assert returned["triggerSource"] == "PreSignUp_SignUp"


def test_pre_sign_up_needs_neither_authsignal_nor_the_secret(fake: FakeAuthsignal, secrets: Secrets) -> None:
    pre_sign_up.handler(pre_sign_up_event(email=EMAIL))

    assert fake.calls() == []
    assert secrets.reads == 0


def _no_user_attributes(event: dict[str, Any]) -> None:
    del event["request"]["userAttributes"]


def _user_attributes_a_list(event: dict[str, Any]) -> None:
    event["request"]["userAttributes"] = [["email", EMAIL]]


def _email_not_a_string(event: dict[str, Any]) -> None:
    event["request"]["userAttributes"]["email"] = {"value": EMAIL}


def _no_request(event: dict[str, Any]) -> None:
    del event["request"]


@pytest.mark.parametrize(
    "spoil",
    [_no_user_attributes, _user_attributes_a_list, _email_not_a_string, _no_request],
    ids=lambda spoil: spoil.__name__.strip("_"),
)
def test_pre_sign_up_refuses_a_malformed_event(spoil: Any, logs: Logs) -> None:
    event = pre_sign_up_event(email=EMAIL)
    spoil(event)

    with pytest.raises(SignUpRefused):
        pre_sign_up.handler(event)

    assert logs.one_problem()["reason"] == "malformed_event"
    logs.assert_free_of(EMAIL)


@pytest.mark.parametrize("event", [None, [], "event", 7], ids=["none", "list", "string", "int"])
def test_pre_sign_up_refuses_an_event_that_is_not_a_dict(event: Any, logs: Logs) -> None:
    with pytest.raises(SignUpRefused):
        pre_sign_up.handler(event)

    assert logs.one_problem()["reason"] == "malformed_event"

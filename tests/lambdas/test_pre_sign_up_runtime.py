"""Pre sign-up: confirm the user and mark the email or phone they signed up with as verified
(the first sign-in's OTP or passkey proves it); refuse a sign-up with neither."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.authsignal_server import FakeAuthsignal
from tests.lambdas.support import Logs, Secrets, pre_sign_up_event
from triggers import pre_sign_up
from triggers.pre_sign_up import SignUpRefused

EMAIL = "grace.hopper@example.com"
PHONE = "+447700900123"


def test_pre_sign_up_confirms_the_user_and_marks_the_email_verified(logs: Logs) -> None:
    event = pre_sign_up.handler(pre_sign_up_event(email=EMAIL))

    assert event["response"] == {"autoConfirmUser": True, "autoVerifyEmail": True, "autoVerifyPhone": False}
    assert [line["event"] for line in logs.lines] == ["sign_up_confirmed"]


def test_pre_sign_up_confirms_the_user_and_marks_the_phone_verified() -> None:
    event = pre_sign_up.handler(pre_sign_up_event(phone=PHONE))

    assert event["response"] == {"autoConfirmUser": True, "autoVerifyEmail": False, "autoVerifyPhone": True}


def test_pre_sign_up_marks_both_verified_when_both_are_given() -> None:
    event = pre_sign_up.handler(pre_sign_up_event(email=EMAIL, phone=PHONE))

    assert event["response"] == {"autoConfirmUser": True, "autoVerifyEmail": True, "autoVerifyPhone": True}


def test_pre_sign_up_does_not_mark_an_empty_email_verified() -> None:
    event = pre_sign_up_event(phone=PHONE)
    event["request"]["userAttributes"]["email"] = ""

    assert pre_sign_up.handler(event)["response"]["autoVerifyEmail"] is False


def test_pre_sign_up_answers_with_the_event_cognito_sent() -> None:
    sent = pre_sign_up_event(email=EMAIL)

    returned = pre_sign_up.handler(sent)

    assert returned is sent
    assert returned["triggerSource"] == "PreSignUp_SignUp"


def test_pre_sign_up_logs_neither_email_nor_phone(logs: Logs) -> None:
    pre_sign_up.handler(pre_sign_up_event(email=EMAIL, phone=PHONE))

    logs.assert_free_of(EMAIL, PHONE)


def test_pre_sign_up_needs_neither_authsignal_nor_the_secret(fake: FakeAuthsignal, secrets: Secrets) -> None:
    pre_sign_up.handler(pre_sign_up_event(email=EMAIL))

    assert fake.calls() == []
    assert secrets.reads == 0


def test_pre_sign_up_refuses_a_sign_up_with_neither_email_nor_phone(logs: Logs) -> None:
    event = pre_sign_up_event()

    with pytest.raises(SignUpRefused):
        pre_sign_up.handler(event)

    assert event["response"]["autoConfirmUser"] is False
    problem = logs.one_problem()
    assert (problem["level"], problem["event"], problem["reason"]) == ("WARNING", "sign_up_refused", "malformed_event")


def _no_user_attributes(event: dict[str, Any]) -> None:
    del event["request"]["userAttributes"]


def _user_attributes_a_list(event: dict[str, Any]) -> None:
    event["request"]["userAttributes"] = [["email", EMAIL]]


def _email_not_a_string(event: dict[str, Any]) -> None:
    event["request"]["userAttributes"]["email"] = {"value": EMAIL}


def _no_request(event: dict[str, Any]) -> None:
    del event["request"]


@pytest.mark.parametrize(
    "spoil", [_no_user_attributes, _user_attributes_a_list, _email_not_a_string, _no_request],
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

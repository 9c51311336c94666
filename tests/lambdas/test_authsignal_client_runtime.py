"""The shared Authsignal client: the configured timeout applies to every call, and a body
is sent with the length it announces (authsignal 4.1.0 gets neither right on its own)."""

from __future__ import annotations

import time

import pytest
from shared.authsignal_client import authsignal
from triggers import create_auth_challenge

from tests.fakes.authsignal_server import FakeAuthsignal
from tests.lambdas.support import SLOWER_THAN_TIMEOUT, TIMEOUT_SECONDS, TRACK, User, create_event, enrol_own_contact


def test_a_slow_authsignal_call_is_abandoned_after_the_configured_timeout_and_tried_again(
    fake: FakeAuthsignal, email_user: User
) -> None:
    slow = 3.0
    enrol_own_contact(fake, email_user)
    fake.fail("delay", delay=slow, on=TRACK)
    started = time.monotonic()

    event = create_auth_challenge.handler(create_event(email_user))

    assert event["response"]["publicChallengeParameters"]["token"]
    assert time.monotonic() - started < slow  # the slow answer was not waited for
    assert len([call for call in fake.calls() if "/actions/" in call.path]) == 2


def test_a_call_that_stays_slow_is_refused(fake: FakeAuthsignal, email_user: User) -> None:
    fake.fail("delay", delay=SLOWER_THAN_TIMEOUT, times=3)

    with pytest.raises(create_auth_challenge.ChallengeRefused):
        create_auth_challenge.handler(create_event(email_user))

    assert len(fake.calls()) == 3


def test_without_a_configured_timeout_no_call_is_made_and_the_sign_in_is_refused(
    fake: FakeAuthsignal, email_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUTHSIGNAL_TIMEOUT_SECONDS")

    with pytest.raises(create_auth_challenge.ChallengeRefused):
        create_auth_challenge.handler(create_event(email_user))

    assert fake.calls() == []


def test_track_with_an_absent_attribute_sends_the_length_it_announces(fake: FakeAuthsignal) -> None:
    started = time.monotonic()

    result = authsignal().track(
        user_id="u-1", action="cognitoAuth", attributes={"email": "a@example.com", "phoneNumber": None}
    )

    assert result["state"] == "CHALLENGE_REQUIRED"
    assert fake.calls()[-1].body == {"email": "a@example.com"}
    assert time.monotonic() - started < TIMEOUT_SECONDS

"""The shared Authsignal client: the configured timeout applies to every call, and a body
is sent with the length it announces (authsignal 4.1.0 gets neither right on its own)."""

from __future__ import annotations

import time

import pytest

from shared.authsignal_client import authsignal
from tests.fakes.authsignal_server import FakeAuthsignal
from tests.lambdas.support import TIMEOUT_SECONDS, User, create_event
from triggers import create_auth_challenge


def test_a_slow_authsignal_call_gives_up_after_the_configured_timeout(fake: FakeAuthsignal, email_user: User) -> None:
    fake.fail("delay", delay=3.0)
    started = time.monotonic()

    with pytest.raises(create_auth_challenge.ChallengeRefused):
        create_auth_challenge.handler(create_event(email_user))

    assert time.monotonic() - started < TIMEOUT_SECONDS + 0.5


def test_track_with_an_absent_attribute_sends_the_length_it_announces(fake: FakeAuthsignal) -> None:
    started = time.monotonic()

    result = authsignal().track(user_id="u-1", action="cognitoAuth",
                                attributes={"email": "a@example.com", "phoneNumber": None})

    assert result["state"] == "CHALLENGE_REQUIRED"
    assert fake.calls()[-1].body == {"email": "a@example.com"}
    assert time.monotonic() - started < TIMEOUT_SECONDS

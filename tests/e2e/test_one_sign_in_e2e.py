"""A sign-in belongs to the person who proved the contact or the passkey, in the deployed stack:
a validation token signs in once, in the session whose challenge it completed (a passkey token:
in any one session, while fresh); parallel answers with one token sign in exactly once (the
deployed single-use table); and starting a sign-in for someone else captures nothing of theirs."""

from __future__ import annotations

import pytest

from e2e.fake_authsignal import FakeAuthsignalControls
from e2e.signin import PasswordlessClient
from tests.e2e.support import LOCAL, SignedIn, add_passkey, calls_for
from tests.fakes.authsignal_server import now_iso

SESSIONS = 4
PASSKEY_TOKEN_MAX_AGE_SECONDS = LOCAL.passkey_token_max_age_seconds


def test_a_token_accepted_in_one_session_is_refused_in_every_other(
    client: PasswordlessClient, authsignal: FakeAuthsignalControls, email: str
) -> None:
    """Single use, sequential: three sessions, one succeeded validation token."""
    client.sign_up(email)
    first = client.start(email)
    token = authsignal.complete(first.token)
    assert client.signs_in(first, token) is True

    for _ in range(2):
        assert client.signs_in(client.start(email), token) is False


def test_a_token_answered_in_parallel_sessions_signs_in_exactly_once(
    client: PasswordlessClient, authsignal: FakeAuthsignalControls, email: str
) -> None:
    """Single use, parallel: the token of one session's challenge, answered in it and in others at once."""
    client.sign_up(email)
    challenges = [client.start(email) for _ in range(SESSIONS)]
    token = authsignal.complete(challenges[0].token)

    assert sorted(client.answer_in_parallel(challenges, token)) == [False] * (SESSIONS - 1) + [True]


def test_a_passkey_token_answered_in_parallel_sessions_signs_in_exactly_once(
    client: PasswordlessClient, authsignal: FakeAuthsignalControls, signed_in: SignedIn
) -> None:
    """A passkey token fits any session of its user: only the deployed single-use table stops a
    second sign-in with it, and of parallel ones exactly one wins the conditional put."""
    add_passkey(client, authsignal, signed_in)
    token = authsignal.passkey_sign_in(signed_in.sub)
    challenges = [client.start(signed_in.username) for _ in range(SESSIONS)]

    assert sorted(client.answer_in_parallel(challenges, token)) == [False] * (SESSIONS - 1) + [True]
    assert client.signs_in(client.start(signed_in.username), token) is False


def test_a_fresh_passkey_token_signs_in_once(
    client: PasswordlessClient, authsignal: FakeAuthsignalControls, signed_in: SignedIn
) -> None:
    add_passkey(client, authsignal, signed_in)
    token = authsignal.passkey_sign_in(signed_in.sub, state_updated_at=now_iso(-10))

    assert client.signs_in(client.start(signed_in.username), token) is True
    assert client.signs_in(client.start(signed_in.username), token) is False


def test_a_passkey_token_older_than_the_limit_is_refused(
    client: PasswordlessClient, authsignal: FakeAuthsignalControls, signed_in: SignedIn
) -> None:
    add_passkey(client, authsignal, signed_in)
    token = authsignal.passkey_sign_in(signed_in.sub, state_updated_at=now_iso(-(PASSKEY_TOKEN_MAX_AGE_SECONDS + 30)))

    assert client.signs_in(client.start(signed_in.username), token) is False


def test_starting_a_sign_in_for_another_user_captures_nothing_of_their_passkey_ceremony(
    client: PasswordlessClient, authsignal: FakeAuthsignalControls, signed_in: SignedIn
) -> None:
    """Passkey capture: Mallory calls InitiateAuth for Ada while Ada uses her passkey."""
    add_passkey(client, authsignal, signed_in)
    mallorys = client.start(signed_in.username)
    adas_token = authsignal.passkey_sign_in(signed_in.sub)

    assert set(mallorys.parameters) <= {"url", "token", "isEnrolled", "USERNAME"}
    assert adas_token not in mallorys.parameters.values()
    assert client.signs_in(mallorys, mallorys.token) is False  # her own track token proves nothing
    paths = [path for method, path, body in calls_for(authsignal, signed_in.sub)]
    assert not [path for path in paths if "challenge" in path]  # nothing looked up or attributed
    assert client.signs_in(client.start(signed_in.username), adas_token) is True  # Ada, in her own session


@pytest.mark.parametrize("contact", ["email", "phone"])
def test_an_otp_token_of_one_user_does_not_sign_in_another(
    client: PasswordlessClient, authsignal: FakeAuthsignalControls, contact: str, email: str, phone: str
) -> None:
    theirs, mine = (email, f"b.{email}") if contact == "email" else (phone, phone[:-1] + str((int(phone[-1]) + 1) % 10))
    client.sign_up(theirs)
    client.sign_up(mine)
    token = authsignal.complete(client.start(theirs).token)

    assert client.signs_in(client.start(mine), token) is False

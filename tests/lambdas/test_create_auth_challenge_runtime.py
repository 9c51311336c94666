"""Create auth challenge: asks Authsignal (track, with the user's own contact only) what the
sign-in needs, hands the app the token, url and isEnrolled, and keeps the action's idempotency key
private; refuses the sign-in outright on BLOCK, for an unknown user and on every error."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from triggers import create_auth_challenge
from triggers.create_auth_challenge import ChallengeRefused

from tests.fakes.authsignal_server import FakeAuthsignal
from tests.lambdas.support import (
    ENROL,
    TRACK,
    Json,
    Logs,
    Secrets,
    User,
    create_event,
    enrol_own_contact,
    new_user,
    tracked_attributes,
    tracks,
)


def refused(event: Json) -> None:
    """Invoke the trigger and require it to raise, so Cognito ends the sign-in."""
    with pytest.raises(ChallengeRefused):
        create_auth_challenge.handler(event)


def test_create_tracks_cognito_auth_for_the_sub_with_the_email(fake: FakeAuthsignal, email_user: User) -> None:
    enrol_own_contact(fake, email_user)
    create_auth_challenge.handler(create_event(email_user))

    [track] = tracks(fake)
    assert track.path == f"/v1/users/{email_user.sub}/actions/cognitoAuth"
    assert tracked_attributes(track.body) == {"email": email_user.email}
    assert track.authorized


def test_create_tracks_with_the_phone_number_for_an_sms_user(fake: FakeAuthsignal, phone_user: User) -> None:
    enrol_own_contact(fake, phone_user)
    create_auth_challenge.handler(create_event(phone_user))

    [track] = tracks(fake)
    assert track.path == f"/v1/users/{phone_user.sub}/actions/cognitoAuth"
    assert tracked_attributes(track.body) == {"phoneNumber": phone_user.phone}


def test_create_hands_the_app_the_token_url_and_enrolment_as_strings(fake: FakeAuthsignal, email_user: User) -> None:
    enrol_own_contact(fake, email_user)
    event = create_auth_challenge.handler(create_event(email_user))

    public = event["response"]["publicChallengeParameters"]
    assert set(public) == {"url", "token", "isEnrolled"}
    assert all(isinstance(value, str) for value in public.values())
    assert public["isEnrolled"] == "true"
    assert public["url"].startswith(fake.base_url)
    assert public["token"] in fake.issued_tokens()  # what the fake's track issued
    assert event["response"]["challengeMetadata"] == "AUTHSIGNAL"


def test_create_keeps_the_tracked_actions_idempotency_key_private(fake: FakeAuthsignal, email_user: User) -> None:
    event = create_auth_challenge.handler(create_event(email_user))

    tracked = fake.calls()[-1]
    private = event["response"]["privateChallengeParameters"]
    assert set(private) == {"action", "idempotencyKey", "trackTokenDigest"}
    assert private["action"] == "cognitoAuth"
    assert private["idempotencyKey"] in fake.issued_idempotency_keys()
    assert private["idempotencyKey"] == tracked.body["idempotencyKey"]  # ours, answered back by track
    assert private["idempotencyKey"] not in event["response"]["publicChallengeParameters"].values()
    assert tracked.path == f"/v1/users/{email_user.sub}/actions/cognitoAuth"


def test_create_keeps_a_digest_of_the_track_token_it_hands_out_never_the_token(
    fake: FakeAuthsignal, email_user: User
) -> None:
    response = create_auth_challenge.handler(create_event(email_user))["response"]

    token = response["publicChallengeParameters"]["token"]
    assert token not in response["privateChallengeParameters"].values()
    # A JWS: what a verifier reads of it is its payload, so that is what the digest is of.
    payload = token.split(".")[1]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert (
        response["privateChallengeParameters"]["trackTokenDigest"]
        == hashlib.sha256(b"jws-payload:" + decoded).hexdigest()
    )


def test_create_makes_exactly_one_authsignal_call_and_looks_up_nothing(fake: FakeAuthsignal, email_user: User) -> None:
    """Passkey capture: no pending-challenge lookup, so nobody's passkey ceremony is attributed here."""
    enrol_own_contact(fake, email_user)
    create_auth_challenge.handler(create_event(email_user))

    assert [(call.method, call.path) for call in fake.calls()] == [
        ("POST", f"/v1/users/{email_user.sub}/actions/cognitoAuth")
    ]


def test_create_refuses_a_user_with_two_contacts_without_calling_authsignal(fake: FakeAuthsignal, logs: Logs) -> None:
    """An account from before the one-contact rule: which contact is theirs is not known."""
    both = new_user(email="grace@example.com", phone="+447700900123")

    refused(create_event(both))

    assert fake.calls() == []
    assert logs.one_problem()["reason"] == "malformed_event"


def test_create_makes_no_authsignal_call_for_a_user_cognito_did_not_find(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    event = create_event(email_user, user_not_found=True)
    assert event["userName"] == email_user.email  # the name as typed

    refused(event)

    assert fake.calls() == []
    problem = logs.one_problem()
    assert (problem["event"], problem["reason"]) == ("challenge_refused", "user_not_found")
    assert "correlation_id" not in problem


def test_create_says_an_enrolled_user_is_enrolled(fake: FakeAuthsignal, email_user: User) -> None:
    fake.add_authenticator(email_user.sub)

    event = create_auth_challenge.handler(create_event(email_user))

    assert event["response"]["publicChallengeParameters"]["isEnrolled"] == "true"


def test_create_logs_one_info_line_without_token_email_or_secret(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    event = create_auth_challenge.handler(create_event(email_user))

    [line] = logs.lines
    assert (line["level"], line["event"], line["correlation_id"]) == ("INFO", "challenge_created", email_user.sub)
    logs.assert_free_of(event["response"]["publicChallengeParameters"]["token"], email_user.email)


def test_create_logs_no_phone_number(fake: FakeAuthsignal, phone_user: User, logs: Logs) -> None:
    event = create_auth_challenge.handler(create_event(phone_user))

    logs.assert_free_of(event["response"]["publicChallengeParameters"]["token"], phone_user.phone)


# --- refusals ------------------------------------------------------------------------------


def test_create_refuses_a_sign_in_that_authsignal_blocks(fake: FakeAuthsignal, email_user: User, logs: Logs) -> None:
    fake.set_rule("BLOCK", user_id=email_user.sub)
    event = create_event(email_user)

    refused(event)

    [track] = tracks(fake)
    assert track.path == f"/v1/users/{email_user.sub}/actions/cognitoAuth"
    assert event["response"].get("publicChallengeParameters") is None
    problem = logs.one_problem()
    assert (problem["level"], problem["event"], problem["Blocked"]) == ("WARNING", "sign_in_blocked", 1)
    assert problem["idempotency_key"]
    logs.assert_free_of(email_user.email)


def test_create_refuses_when_the_authsignal_call_fails(
    break_authsignal: Callable[..., None], email_user: User, logs: Logs
) -> None:
    break_authsignal(on=TRACK)
    event = create_event(email_user)

    refused(event)

    assert event["response"].get("publicChallengeParameters") is None
    problem = logs.one_problem()
    assert (problem["level"], problem["event"], problem["reason"]) == ("ERROR", "challenge_refused", "authsignal_error")
    logs.assert_free_of(email_user.email)


def test_create_refuses_when_authsignal_rejects_the_secret(
    fake: FakeAuthsignal, secrets: Secrets, email_user: User, logs: Logs
) -> None:
    secrets.set("sk-another-tenant")

    refused(create_event(email_user))

    assert [call.authorized for call in fake.calls()] == [False]
    problem = logs.one_problem()
    assert (problem["reason"], problem["error"]) == ("authsignal_error", "ApiException status 401")
    logs.assert_free_of("sk-another-tenant")


@pytest.mark.parametrize(
    "value",
    ["   ", "PLACEHOLDER", "PLACEHOLDER: set the Authsignal secret key", "  PLACEHOLDER with spaces before"],
    ids=["blank", "placeholder", "placeholder_text", "indented_placeholder"],
)
def test_create_refuses_without_a_usable_secret(
    fake: FakeAuthsignal, secrets: Secrets, value: str, email_user: User, logs: Logs
) -> None:
    secrets.set(value)

    refused(create_event(email_user))

    assert fake.calls() == []
    problem = logs.one_problem()
    assert (problem["level"], problem["reason"]) == ("ERROR", "secret_unavailable")


def test_create_refuses_when_the_secret_has_no_value(
    fake: FakeAuthsignal, monkeypatch: pytest.MonkeyPatch, secrets: Secrets, email_user: User, logs: Logs
) -> None:
    monkeypatch.setenv("AUTHSIGNAL_SECRET_ARN", secrets.admin.create_secret(Name="never-set")["ARN"])

    refused(create_event(email_user))

    assert fake.calls() == []
    assert logs.one_problem()["reason"] == "secret_unavailable"


def test_create_refuses_when_the_secret_arn_is_not_set(
    fake: FakeAuthsignal, monkeypatch: pytest.MonkeyPatch, email_user: User, logs: Logs
) -> None:
    monkeypatch.delenv("AUTHSIGNAL_SECRET_ARN")

    refused(create_event(email_user))

    assert fake.calls() == []
    assert logs.one_problem()["reason"] == "secret_unavailable"


def test_create_refuses_when_the_secret_does_not_exist(
    fake: FakeAuthsignal, monkeypatch: pytest.MonkeyPatch, secrets: Secrets, email_user: User, logs: Logs
) -> None:
    monkeypatch.setenv("AUTHSIGNAL_SECRET_ARN", secrets.arn.replace("authsignal-secret-key", "no-such-secret"))

    refused(create_event(email_user))

    assert fake.calls() == []
    assert logs.one_problem()["reason"] == "secret_unavailable"


def _without_sub(event: dict[str, Any]) -> None:
    del event["request"]["userAttributes"]["sub"]


def _sub_not_a_string(event: dict[str, Any]) -> None:
    event["request"]["userAttributes"]["sub"] = 42


def _empty_sub(event: dict[str, Any]) -> None:
    event["request"]["userAttributes"]["sub"] = ""


def _no_user_attributes(event: dict[str, Any]) -> None:
    del event["request"]["userAttributes"]


def _request_not_a_dict(event: dict[str, Any]) -> None:
    event["request"] = ["userAttributes"]


@pytest.mark.parametrize(
    "spoil",
    [_without_sub, _sub_not_a_string, _empty_sub, _no_user_attributes, _request_not_a_dict],
    ids=lambda spoil: spoil.__name__.strip("_"),
)
def test_create_refuses_a_malformed_event_without_calling_authsignal(
    fake: FakeAuthsignal, spoil: Callable[[dict[str, Any]], None], email_user: User, logs: Logs
) -> None:
    event = create_event(email_user)
    spoil(event)

    refused(event)

    assert fake.calls() == []
    problem = logs.one_problem()
    assert (problem["level"], problem["reason"]) == ("ERROR", "malformed_event")


@pytest.mark.parametrize("event", [None, [], "event", 7], ids=["none", "list", "string", "int"])
def test_create_refuses_an_event_that_is_not_a_dict(fake: FakeAuthsignal, event: Any, logs: Logs) -> None:
    refused(event)

    assert fake.calls() == []
    assert logs.one_problem()["reason"] == "malformed_event"


def test_create_refuses_the_sign_in_when_enrolling_the_own_contact_fails(
    fake: FakeAuthsignal, email_user: User, break_authsignal: Callable[..., None], logs: Logs
) -> None:
    """A first sign-in whose enrolment fails hands out no token: the first track's token could
    enrol someone else's contact."""
    break_authsignal(on=ENROL)

    refused(create_event(email_user))

    assert len(tracks(fake)) <= 1
    assert logs.one_problem()["reason"] == "authsignal_error"


def test_create_refuses_the_sign_in_when_track_still_says_not_enrolled(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    fake.fail("status", status=200, on=ENROL)  # an answer that enrolled nothing

    refused(create_event(email_user))

    assert len(tracks(fake)) == 2
    assert fake.authenticators(email_user.sub) == []
    assert logs.one_problem()["reason"] == "authsignal_error"


def test_create_enrols_nothing_for_a_blocked_user(fake: FakeAuthsignal, email_user: User) -> None:
    fake.set_rule("BLOCK")

    refused(create_event(email_user))

    assert [call.path for call in fake.calls() if call.path.endswith("/authenticators")] == []

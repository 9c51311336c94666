"""The authenticators API behind the JWT authorizer: add a passkey and sign in with it, list and
delete authenticators, and 401 for anything but a valid access token of this pool and client."""

from __future__ import annotations

import pytest

from e2e.fake_authsignal import FakeAuthsignalControls
from e2e.signin import PasswordlessClient, Tokens, http_request
from tests.e2e.support import (
    ADD_AUTHENTICATOR_ACTION,
    LOCAL,
    SIGN_IN_ACTION,
    SignedIn,
    add_passkey,
    calls_for,
    tampered,
)
from tests.fakes.authsignal_server import tracked_attributes

PUBLIC_FIELDS = {"id", "type", "createdAt", "lastUsedAt", "displayName"}
LOCAL_ORIGINS = LOCAL.cors_origins  # dev's, for an app on localhost


def test_an_added_passkey_signs_the_user_in(
    client: PasswordlessClient, authsignal: FakeAuthsignalControls, signed_in: SignedIn
) -> None:
    add_passkey(client, authsignal, signed_in)
    add = [
        body
        for method, path, body in calls_for(authsignal, signed_in.sub)
        if path == f"/v1/users/{signed_in.sub}/actions/{ADD_AUTHENTICATOR_ACTION}"
    ]
    assert [tracked_attributes(body) for body in add] == [{"scope": "add:authenticators"}]

    passkey_token = authsignal.passkey_sign_in(signed_in.sub)  # the app's passkey prompt, first
    challenge = client.start(signed_in.username)
    assert challenge.is_enrolled is True
    tokens = client.answer(challenge, passkey_token)

    assert isinstance(tokens, Tokens)
    assert tokens.access_claims["sub"] == signed_in.sub
    track = [
        body
        for method, path, body in calls_for(authsignal, signed_in.sub)
        if path == f"/v1/users/{signed_in.sub}/actions/{SIGN_IN_ACTION}"
    ][-1]
    assert tracked_attributes(track) == {"email": signed_in.username}  # own contact; nothing looked up or attributed


def test_authenticators_are_listed_without_secrets_and_deleted_but_never_the_last(
    client: PasswordlessClient, authsignal: FakeAuthsignalControls, signed_in: SignedIn
) -> None:
    # A fresh sign-in: its auth_time is within recentAuthMinutes, so adding and deleting are allowed.
    passkey_id = add_passkey(client, authsignal, signed_in)
    backup_id = add_passkey(client, authsignal, signed_in)
    token = signed_in.tokens.access_token

    listed = client.call_api("GET", "/authenticators", token)
    assert listed.status == 200
    by_type = {item["id"]: item["type"] for item in listed.body["authenticators"]}
    [email_id] = [found for found, kind in by_type.items() if kind == "EMAIL_OTP"]  # enrolled by the first sign-in
    assert by_type == {email_id: "EMAIL_OTP", passkey_id: "PASSKEY", backup_id: "PASSKEY"}
    assert all(set(item) == PUBLIC_FIELDS for item in listed.body["authenticators"])
    assert signed_in.username not in str(listed.body)  # no contact details

    deleted = client.call_api("DELETE", f"/authenticators/{passkey_id}", token)
    assert (deleted.status, deleted.body) == (200, {"deleted": passkey_id})
    assert client.call_api("DELETE", f"/authenticators/{passkey_id}", token).status == 404
    assert client.call_api("DELETE", f"/authenticators/{backup_id}", token).status == 200

    last = client.call_api("DELETE", f"/authenticators/{email_id}", token)
    assert last.status == 409
    assert [item["id"] for item in client.call_api("GET", "/authenticators", token).body["authenticators"]] == [
        email_id
    ]


def test_a_user_cannot_delete_another_users_authenticator(
    client: PasswordlessClient, authsignal: FakeAuthsignalControls, signed_in: SignedIn
) -> None:
    other_username = f"mallory.{signed_in.username}"
    client.sign_up(other_username)
    other = client.sign_in(other_username, lambda challenge: authsignal.complete(challenge.token))
    passkey_id = add_passkey(client, authsignal, signed_in)

    answer = client.call_api("DELETE", f"/authenticators/{passkey_id}", other.access_token)

    assert answer.status == 404
    listed = client.call_api("GET", "/authenticators", signed_in.tokens.access_token)
    assert passkey_id in [item["id"] for item in listed.body["authenticators"]]


def test_the_api_answers_401_without_a_token(client: PasswordlessClient) -> None:
    assert client.call_api("GET", "/authenticators", None).status == 401


@pytest.mark.parametrize("claim", ["sub", "exp"])
def test_the_api_answers_401_to_a_tampered_token(client: PasswordlessClient, signed_in: SignedIn, claim: str) -> None:
    claims = signed_in.tokens.access_claims
    forged = tampered(
        signed_in.tokens.access_token,
        **{claim: "00000000-0000-0000-0000-000000000000" if claim == "sub" else claims["exp"] + 86400},
    )

    assert client.call_api("GET", "/authenticators", forged).status == 401


def test_the_api_answers_401_to_an_id_token(client: PasswordlessClient, signed_in: SignedIn) -> None:
    answer = client.call_api("GET", "/authenticators", signed_in.tokens.id_token)

    # The authorizer accepts an ID token (its aud is the client); the function refuses it.
    assert (answer.status, answer.body) == (401, {"message": "unauthorized"})


@pytest.mark.parametrize("origin", LOCAL_ORIGINS)
def test_a_dev_app_on_localhost_may_call_the_api_from_a_browser(client: PasswordlessClient, origin: str) -> None:
    preflight = http_request(
        "OPTIONS",
        client.deployment.api_url.rstrip("/") + "/authenticators",
        {"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"},
    )

    assert preflight.headers.get("access-control-allow-origin") == origin


def test_a_page_on_another_origin_gets_no_cors_permission(client: PasswordlessClient) -> None:
    preflight = http_request(
        "OPTIONS",
        client.deployment.api_url.rstrip("/") + "/authenticators",
        {"Origin": "https://attacker.example", "Access-Control-Request-Method": "POST"},
    )

    assert preflight.headers.get("access-control-allow-origin") in (None, "")

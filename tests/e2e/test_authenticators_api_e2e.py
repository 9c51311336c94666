"""The authenticators API behind the JWT authorizer: add a passkey and sign in with it, list and
delete authenticators, and 401 for anything but a valid access token of this pool and client."""

from __future__ import annotations

import pytest

from e2e.fake_authsignal import FakeAuthsignalControls
from e2e.signin import PasswordlessClient, Tokens
from tests.e2e.support import ADD_AUTHENTICATOR_ACTION, SIGN_IN_ACTION, SignedIn, calls_for, tampered

PUBLIC_FIELDS = {"id", "type", "createdAt", "lastUsedAt", "displayName"}


def _add_passkey(client: PasswordlessClient, authsignal: FakeAuthsignalControls, user: SignedIn) -> str:
    """``POST /authenticators``, then what ``passkey.signUp`` does with the token; the passkey's id."""
    added = client.call_api("POST", "/authenticators", user.tokens.access_token)
    assert added.status == 200
    assert set(added.body) == {"authsignalToken"}
    return authsignal.enrol_passkey(added.body["authsignalToken"])


def test_an_added_passkey_signs_the_user_in(
        client: PasswordlessClient, authsignal: FakeAuthsignalControls, signed_in: SignedIn) -> None:
    _add_passkey(client, authsignal, signed_in)
    add = [body for method, path, body in calls_for(authsignal, signed_in.sub)
           if path == f"/v1/users/{signed_in.sub}/actions/{ADD_AUTHENTICATOR_ACTION}"]
    assert [{key: value for key, value in body.items() if key != "idempotencyKey"} for body in add] == [
        {"scope": "add:authenticators"}]
    assert add[0]["idempotencyKey"], "a track is sent with its idempotencyKey, so a retry is the same action"

    passkey_token = authsignal.passkey_sign_in(signed_in.sub)  # the app's passkey prompt, first
    challenge = client.start(signed_in.username)
    assert challenge.is_enrolled is True
    tokens = client.answer(challenge, passkey_token)

    assert isinstance(tokens, Tokens)
    assert tokens.access_claims["sub"] == signed_in.sub
    track = [body for method, path, body in calls_for(authsignal, signed_in.sub)
             if path == f"/v1/users/{signed_in.sub}/actions/{SIGN_IN_ACTION}"][-1]
    assert track.get("challengeId"), "the create trigger attributes the pending passkey challenge to cognitoAuth"


def test_authenticators_are_listed_without_secrets_and_deleted(
        client: PasswordlessClient, authsignal: FakeAuthsignalControls, signed_in: SignedIn) -> None:
    passkey_id = _add_passkey(client, authsignal, signed_in)
    token = signed_in.tokens.access_token

    listed = client.call_api("GET", "/authenticators", token)
    assert listed.status == 200
    assert [item["id"] for item in listed.body["authenticators"]] == [passkey_id]
    assert set(listed.body["authenticators"][0]) == PUBLIC_FIELDS
    assert listed.body["authenticators"][0]["type"] == "PASSKEY"

    deleted = client.call_api("DELETE", f"/authenticators/{passkey_id}", token)
    assert (deleted.status, deleted.body) == (200, {"deleted": passkey_id})
    assert client.call_api("GET", "/authenticators", token).body == {"authenticators": []}
    assert client.call_api("DELETE", f"/authenticators/{passkey_id}", token).status == 404


def test_a_user_cannot_delete_another_users_authenticator(
        client: PasswordlessClient, authsignal: FakeAuthsignalControls, signed_in: SignedIn) -> None:
    other_username = f"mallory.{signed_in.username}"
    client.sign_up(other_username)
    other = client.sign_in(other_username, lambda challenge: authsignal.complete(challenge.token))
    passkey_id = _add_passkey(client, authsignal, signed_in)

    answer = client.call_api("DELETE", f"/authenticators/{passkey_id}", other.access_token)

    assert answer.status == 404
    listed = client.call_api("GET", "/authenticators", signed_in.tokens.access_token)
    assert [item["id"] for item in listed.body["authenticators"]] == [passkey_id]


def test_the_api_answers_401_without_a_token(client: PasswordlessClient) -> None:
    assert client.call_api("GET", "/authenticators", None).status == 401


@pytest.mark.parametrize("claim", ["sub", "exp"])
def test_the_api_answers_401_to_a_tampered_token(
        client: PasswordlessClient, signed_in: SignedIn, claim: str) -> None:
    claims = signed_in.tokens.access_claims
    forged = tampered(signed_in.tokens.access_token,
                      **{claim: "00000000-0000-0000-0000-000000000000" if claim == "sub" else claims["exp"] + 86400})

    assert client.call_api("GET", "/authenticators", forged).status == 401


def test_the_api_answers_401_to_an_id_token(client: PasswordlessClient, signed_in: SignedIn) -> None:
    answer = client.call_api("GET", "/authenticators", signed_in.tokens.id_token)

    # The authorizer accepts an ID token (its aud is the client); the function refuses it.
    assert (answer.status, answer.body) == (401, {"message": "unauthorized"})

"""Sign up with an email address or a phone number: the user is confirmed at once and nothing is
verified; a sign-up whose one contact is not its username is refused (a pre-hijack),
a contact becomes verified only when an OTP to it succeeds, and it cannot be changed after."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from e2e.fake_authsignal import FakeAuthsignalControls, FakeAuthsignalError
from e2e.sandbox import LocalSandbox
from e2e.signin import Challenge, PasswordlessClient
from tests.e2e.support import SIGN_UP_REFUSED_CODE, new_email, new_phone, raw_sign_up


def _attributes(sandbox: LocalSandbox, username: str) -> tuple[str, dict[str, str]]:
    user = sandbox.aws("cognito-idp").admin_get_user(UserPoolId=sandbox.deployment.user_pool_id, Username=username)
    return user["UserStatus"], {attribute["Name"]: attribute["Value"] for attribute in user["UserAttributes"]}


def test_sign_up_by_email_confirms_the_user_and_verifies_nothing(
    client: PasswordlessClient, sandbox: LocalSandbox, email: str
) -> None:
    signed_up = client.sign_up(email)

    assert signed_up.confirmed
    status, attributes = _attributes(sandbox, email)
    assert status == "CONFIRMED"
    assert attributes["sub"] == signed_up.sub
    assert attributes["email"] == email
    assert attributes.get("email_verified") != "true"
    assert "phone_number" not in attributes


def test_sign_up_by_phone_confirms_the_user_and_verifies_nothing(
    client: PasswordlessClient, sandbox: LocalSandbox, phone: str
) -> None:
    signed_up = client.sign_up(phone)

    assert signed_up.confirmed
    status, attributes = _attributes(sandbox, phone)
    assert status == "CONFIRMED"
    assert attributes["phone_number"] == phone
    assert attributes.get("phone_number_verified") != "true"
    assert "email" not in attributes


def test_the_pre_hijack_fails_at_sign_up_and_the_victim_signs_up_later(
    client: PasswordlessClient, sandbox: LocalSandbox
) -> None:
    """Pre-hijack: the victim's address as username and email, the attacker's phone beside it."""
    victim, attackers_phone = new_email(), new_phone()

    with pytest.raises(ClientError) as refused:
        raw_sign_up(client, victim, email=victim, phone_number=attackers_phone)

    assert refused.value.response["Error"]["Code"] == SIGN_UP_REFUSED_CODE
    assert "exactly one of email or phone_number" in refused.value.response["Error"]["Message"]
    assert client.sign_up(victim).confirmed  # nobody took the address


def test_a_sign_up_that_seeds_profile_attributes_is_refused_and_the_victim_signs_up_later(
    client: PasswordlessClient,
) -> None:
    victim = new_email()

    with pytest.raises(ClientError) as refused:
        raw_sign_up(client, victim, email=victim, name="IT Support", preferred_username="admin")

    # AWS refuses the attributes at the app client (its write attributes); the pre sign-up trigger
    # refuses them wherever a client would let them through.
    error = refused.value.response["Error"]
    assert (error["Code"], "no attribute but" in error["Message"]) == (SIGN_UP_REFUSED_CODE, True) or error[
        "Code"
    ] == "NotAuthorizedException"
    assert client.sign_up(victim).confirmed  # nobody took the address


def test_a_sign_up_whose_contact_is_not_the_username_is_refused(client: PasswordlessClient) -> None:
    victim, attackers_phone = new_email(), new_phone()

    with pytest.raises(ClientError) as refused:
        raw_sign_up(client, attackers_phone, email=victim)

    assert refused.value.response["Error"]["Code"] == SIGN_UP_REFUSED_CODE
    # The emulator copies the typed phone number into phone_number, so two contacts reach the
    # trigger; were only the email there, it would not be the username. Refused either way.
    message = refused.value.response["Error"]["Message"]
    assert "exactly one of email or phone_number" in message or "must be the username" in message


def test_the_email_is_verified_only_once_an_email_otp_succeeded(
    client: PasswordlessClient, sandbox: LocalSandbox, authsignal: FakeAuthsignalControls, email: str
) -> None:
    client.sign_up(email)
    challenge = client.start(email)
    client.answer(challenge, "made-up-answer")  # a wrong answer proves nothing
    assert _attributes(sandbox, email)[1].get("email_verified") != "true"

    client.sign_in(email, lambda challenge: authsignal.complete(challenge.token))

    assert _attributes(sandbox, email)[1]["email_verified"] == "true"


def test_the_phone_number_is_verified_once_an_sms_otp_succeeded(
    client: PasswordlessClient, sandbox: LocalSandbox, authsignal: FakeAuthsignalControls, phone: str
) -> None:
    client.sign_up(phone)

    client.sign_in(phone, lambda challenge: authsignal.complete(challenge.token))

    assert _attributes(sandbox, phone)[1]["phone_number_verified"] == "true"


@pytest.mark.parametrize(
    "theirs",
    [{"email": "mallory@evil.example"}, {"phone": "+447700900999"}, {"passkey": True}],
    ids=["email", "sms", "passkey"],
)
def test_an_attacker_who_signed_up_the_victims_address_cannot_enrol_their_own_method_and_sign_in(
    client: PasswordlessClient, sandbox: LocalSandbox, authsignal: FakeAuthsignalControls, theirs: dict[str, object]
) -> None:
    """Authsignal lets a user with no authenticator enrol the first one with the track token.
    Mallory signs up the victim's address and starts a sign-in: the token she gets cannot enrol
    her own email, phone or passkey (the victim's address was enrolled first), so she cannot sign in."""
    victim = new_email()
    client.sign_up(victim)
    challenge = client.start(victim)

    with pytest.raises(FakeAuthsignalError, match="cannot enrol another authenticator"):
        authsignal.enroll_with_token(challenge.token, **theirs)  # type: ignore[arg-type]

    # All she can answer is the token itself: its OTP went to the victim. Another challenge, no tokens.
    assert isinstance(client.answer(challenge, challenge.token), Challenge)
    assert _attributes(sandbox, victim)[1].get("email_verified") != "true"


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="MiniStack 1.5.33 does not enforce an immutable attribute (Mutable: false) in UpdateUserAttributes; "
    "AWS refuses the change (the infra test asserts the schema)",
)
def test_a_signed_in_user_cannot_change_their_email(
    client: PasswordlessClient, sandbox: LocalSandbox, authsignal: FakeAuthsignalControls, email: str
) -> None:
    client.sign_up(email)
    tokens = client.sign_in(email, lambda challenge: authsignal.complete(challenge.token))

    with pytest.raises(ClientError) as refused:
        client.cognito.update_user_attributes(
            AccessToken=tokens.access_token, UserAttributes=[{"Name": "email", "Value": new_email()}]
        )
        raise AssertionError("UpdateUserAttributes changed the email of a signed-in user")

    assert refused.value.response["Error"]["Code"] in ("InvalidParameterException", "NotAuthorizedException")
    assert _attributes(sandbox, email)[1]["email"] == email

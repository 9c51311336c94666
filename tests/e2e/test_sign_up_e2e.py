"""Sign up with an email address or a phone number: the user is confirmed at once and the
identifier marked verified (the first sign-in's OTP proves it)."""

from __future__ import annotations

from e2e.sandbox import LocalSandbox
from e2e.signin import PasswordlessClient


def _attributes(sandbox: LocalSandbox, username: str) -> tuple[str, dict[str, str]]:
    user = sandbox.aws("cognito-idp").admin_get_user(UserPoolId=sandbox.deployment.user_pool_id, Username=username)
    return user["UserStatus"], {attribute["Name"]: attribute["Value"] for attribute in user["UserAttributes"]}


def test_sign_up_by_email_confirms_the_user_with_the_email_verified(
        client: PasswordlessClient, sandbox: LocalSandbox, email: str) -> None:
    signed_up = client.sign_up(email)

    assert signed_up.confirmed
    status, attributes = _attributes(sandbox, email)
    assert status == "CONFIRMED"
    assert attributes["sub"] == signed_up.sub
    assert attributes["email"] == email
    assert attributes["email_verified"] == "true"
    assert "phone_number" not in attributes


def test_sign_up_by_phone_confirms_the_user_with_the_phone_verified(
        client: PasswordlessClient, sandbox: LocalSandbox, phone: str) -> None:
    signed_up = client.sign_up(phone)

    assert signed_up.confirmed
    status, attributes = _attributes(sandbox, phone)
    assert status == "CONFIRMED"
    assert attributes["sub"] == signed_up.sub
    assert attributes["phone_number"] == phone
    assert attributes["phone_number_verified"] == "true"
    assert "email" not in attributes

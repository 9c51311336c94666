"""What the deployed functions log, read back from the emulator: never the Authsignal secret key,
an Authsignal token, a Cognito token, an email address or a phone number. The emulator sends the
triggers the user name as typed (the email or phone) where AWS sends its generated id: the
correlation id is the ``sub``, so neither shows up. The test drives every kind of decision first
(sign-ups accepted and refused, OTP and passkey sign-ins, wrong and replayed answers, the API)."""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError

from e2e.fake_authsignal import FakeAuthsignalControls
from e2e.sandbox import LocalSandbox
from e2e.signin import PasswordlessClient, SignInError
from tests.e2e.support import SignedIn, new_email, new_phone, raw_sign_up

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
PHONE = re.compile(r"\+\d{8,15}")


def test_the_functions_log_no_secret_token_email_or_phone(
    sandbox: LocalSandbox, client: PasswordlessClient, authsignal: FakeAuthsignalControls, signed_in: SignedIn
) -> None:
    added = client.call_api("POST", "/authenticators", signed_in.tokens.access_token)
    authsignal.enrol_passkey(added.body["authsignalToken"])
    passkey_token = authsignal.passkey_sign_in(signed_in.sub)
    client.answer(client.start(signed_in.username), passkey_token)
    client.answer(client.start(signed_in.username), passkey_token)  # replayed: refused
    challenge = client.start(signed_in.username)
    client.answer(challenge, "made-up-answer")
    phone = new_phone()
    client.sign_up(phone)
    phone_tokens = client.sign_in(phone, lambda started: authsignal.complete(started.token))
    with pytest.raises(ClientError):
        raw_sign_up(client, new_email(), phone_number=new_phone())
    with pytest.raises(SignInError):
        client.start(new_email())  # unknown user

    logs = sandbox.function_logs(last=10_000)

    assert '"level":' in logs, "the functions' structured log lines are there to check"
    assert '"correlation_id":"' + signed_in.sub in logs.replace(" ", "")
    issued = [
        call["body"]["token"]
        for call in authsignal.calls()
        if isinstance(call["body"], dict) and isinstance(call["body"].get("token"), str)
    ]
    for secret in (
        sandbox.authsignal_secret_key,
        challenge.token,
        added.body["authsignalToken"],
        passkey_token,
        *issued,
        signed_in.tokens.access_token,
        signed_in.tokens.id_token,
        signed_in.tokens.refresh_token,
        phone_tokens.access_token,
    ):
        assert secret not in logs
    assert not EMAIL.findall(logs), "a function logged an email address"
    assert not PHONE.findall(logs), "a function logged a phone number"

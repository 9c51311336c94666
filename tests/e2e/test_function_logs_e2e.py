"""What the deployed functions log, read back from the emulator: never the Authsignal secret key,
an Authsignal token or a Cognito token. (Emails and phone numbers are checked by the Lambda
tests: in MiniStack the triggers' ``userName`` is the email or phone the user typed, where on AWS
it is Cognito's generated id, so the correlation id would show them here and not on AWS.)"""

from __future__ import annotations

from e2e.fake_authsignal import FakeAuthsignalControls
from e2e.sandbox import LocalSandbox
from e2e.signin import PasswordlessClient
from tests.e2e.support import SignedIn


def test_the_functions_log_no_secret_and_no_token(
        sandbox: LocalSandbox, client: PasswordlessClient, authsignal: FakeAuthsignalControls,
        signed_in: SignedIn) -> None:
    added = client.call_api("POST", "/authenticators", signed_in.tokens.access_token)
    challenge = client.start(signed_in.username)
    client.answer(challenge, "made-up-answer")

    logs = sandbox.function_logs(last=10_000)

    assert '"level":' in logs, "the functions' structured log lines are there to check"
    for secret in (sandbox.authsignal_secret_key, challenge.token, added.body["authsignalToken"],
                   signed_in.tokens.access_token, signed_in.tokens.id_token, signed_in.tokens.refresh_token):
        assert secret not in logs

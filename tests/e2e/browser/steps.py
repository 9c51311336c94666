"""What a person does in the app, step by step, for the browser tests."""

from __future__ import annotations

import json
from typing import Any

from e2e.fake_authsignal import FakeAuthsignalControls
from tests.e2e.browser.conftest import AppPage


def ask_for_code(app: AppPage, username: str) -> None:
    """Type the email or phone number and ask for a code; the code screen shows."""
    app.page.fill("#username", username)
    app.page.click("#continue")
    app.view("code")


def enter_code(app: AppPage, code: str) -> None:
    app.page.fill("#code", code)
    app.page.click("#verify")
    app.idle()


def sign_in_with_code(app: AppPage, authsignal: FakeAuthsignalControls, username: str, *, shots: bool = False) -> str:
    """Sign up or sign in with a code read from the outbox, as the person reads their mail;
    returns the ``sub`` the signed-in screen shows."""
    ask_for_code(app, username)
    if shots:
        app.shot("code-sent")
    enter_code(app, code_sent_to(authsignal, username))
    app.view("signed-in")
    return str(app.page.inner_text("#sub")).strip()


def code_sent_to(authsignal: FakeAuthsignalControls, to: str) -> str:
    """The last code the outbox holds for ``to``."""
    code = authsignal.last_code(to)
    assert code, f"no code was sent to {to}"
    return code


def add_passkey(app: AppPage) -> None:
    """Add a passkey from the signed-in screen; the virtual authenticator answers the prompt."""
    app.page.click("#add-passkey")
    app.page.locator("#notice").wait_for(state="visible")
    app.page.locator("#authenticators li[data-type=PASSKEY]").wait_for()


def sign_out(app: AppPage) -> None:
    app.page.click("#sign-out")
    app.view("start")
    app.idle()


def cognito_error(kind: str, message: str) -> dict[str, Any]:
    """Cognito's JSON error answer (the AWS JSON 1.1 protocol) for ``route.fulfill``."""
    return {
        "status": 400,
        "content_type": "application/x-amz-json-1.1",
        "headers": {"x-amzn-ErrorType": kind, "Access-Control-Allow-Origin": "*"},
        "body": json.dumps({"__type": kind, "message": message}),
    }

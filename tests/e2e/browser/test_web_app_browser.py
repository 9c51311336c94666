"""The web app's flows as a person uses them, in Chromium, on the sandbox: Cognito in the
emulator, the fake Authsignal's client API for the SDK, real WebAuthn ceremonies."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from e2e.fake_authsignal import FakeAuthsignalControls
from e2e.sandbox import LocalSandbox
from tests.e2e.browser.conftest import STEP_TIMEOUT_MS, AppPage
from tests.e2e.browser.steps import (
    add_passkey,
    ask_for_code,
    code_sent_to,
    cognito_error,
    enter_code,
    sign_in_with_code,
    sign_out,
)
from tests.e2e.support import ATTEMPT_LIMIT, new_email, new_phone

OpenApp = Callable[..., AppPage]

# The sentences of web/src/problems.ts a person sees (a test reads the screen, as they do).
BLOCKED = "This sign-in was refused."
WRONG_CODE = "That code is not right. You have {left} {tries} left."
EXHAUSTED = "That was the last try. Start again to get a new code."
EXPIRED_SESSION = "This sign-in took too long and has expired. Start again."
SERVICE_DOWN = "We cannot reach the sign-in service right now."
API_DOWN = "We cannot reach the server right now."
THROTTLED = "Lots of people are signing in right now."
SIGN_IN_AGAIN = "For your security, sign in again to continue."
LAST_AUTHENTICATOR = "This is your only way to sign in, so it cannot be removed."


def user_attributes(sandbox: LocalSandbox, username: str) -> dict[str, str]:
    user = sandbox.aws("cognito-idp").admin_get_user(UserPoolId=sandbox.deployment.user_pool_id, Username=username)
    return {attribute["Name"]: attribute["Value"] for attribute in user["UserAttributes"]}


def no_stack_trace(text: str) -> bool:
    return not any(mark in text for mark in ("Error:", "Exception", "    at ", "Traceback", "undefined"))


# --- 1. sign up or sign in with a code ---------------------------------------------------------


def test_a_new_user_signs_up_with_an_email_code_and_sees_their_verified_email(
    open_app: OpenApp, authsignal: FakeAuthsignalControls, sandbox: LocalSandbox
) -> None:
    app, email = open_app(), new_email()
    app.shot("sign-in")

    sub = sign_in_with_code(app, authsignal, email, shots=True)
    app.shot("signed-in")

    assert sub == user_attributes(sandbox, email)["sub"]
    assert app.page.inner_text("#verified-label") == "Email verified"
    assert app.page.inner_text("#verified") == "yes"
    assert [message.to for message in authsignal.outbox if message.to == email] == [email]
    assert [
        request.what for request in app.requests if request.what in ("SignUp", "InitiateAuth", "RespondToAuthChallenge")
    ] == ["InitiateAuth", "SignUp", "InitiateAuth", "RespondToAuthChallenge"]


# --- 2. add a passkey, with a step-up when the sign-in is stale -----------------------------------


def test_a_stale_sign_in_is_asked_to_sign_in_again_and_then_the_passkey_is_added(
    open_app: OpenApp, authsignal: FakeAuthsignalControls, sandbox: LocalSandbox
) -> None:
    """A sign-in older than recentAuthMinutes cannot be made in a test's time, so the first
    POST /authenticators gets the API's step-up answer (RFC 9470, as lambdas/api answers it);
    the second, after the new sign-in, goes to the real API."""
    app, email = open_app(), new_email()
    sign_in_with_code(app, authsignal, email)
    answered: list[Any] = []

    def stale_once(route: Any) -> None:
        if route.request.method != "POST" or answered:
            route.continue_()
            return
        answered.append(route.request.url)
        route.fulfill(
            status=401,
            content_type="application/json",
            headers={
                "WWW-Authenticate": 'Bearer error="insufficient_user_authentication", '
                'error_description="A sign-in within the last 10 minutes is required", max_age=600',
                "Access-Control-Allow-Origin": app.page.evaluate("location.origin"),
                "Access-Control-Expose-Headers": "WWW-Authenticate",
            },
            body=json.dumps(
                {
                    "message": "sign in again: adding or removing an authenticator needs a sign-in "
                    "within the last 10 minutes"
                }
            ),
        )

    app.page.route(sandbox.deployment.api_url.rstrip("/") + "/authenticators", stale_once)
    app.page.click("#add-passkey")
    app.view("step-up")
    assert app.error().startswith(SIGN_IN_AGAIN)
    app.shot("sign-in-again")

    app.page.click("#sign-in-again")
    app.view("code")
    enter_code(app, code_sent_to(authsignal, email))
    app.page.locator("#authenticators li[data-type=PASSKEY]").wait_for()

    app.shot("passkey-added")
    assert len(app.credentials()) == 1  # the passkey is in the authenticator, and Authsignal has it:
    assert app.sent(r"^POST /v1/client/user-authenticators/passkey$")
    assert len(app.sent(r"^POST /.*authenticators$")) == 2  # the step-up answer, then the retry


# --- 3. sign in with a passkey, passkey first ------------------------------------------------------


def passkey_first(app: AppPage) -> None:
    """The passkey ceremony ran, and was verified, before Cognito was asked; no code was sent."""
    order = [request.what for request in app.requests]
    verified = order.index("POST /v1/client/verify/passkey")
    assert order.index("POST /v1/client/challenge") < verified  # the cognitoAuth action, from the SDK
    assert order.index("InitiateAuth") > verified
    assert order.index("RespondToAuthChallenge") > order.index("InitiateAuth")
    assert "POST /v1/client/challenge/email-otp" not in order


def test_a_passkey_signs_in_before_cognito_is_asked(open_app: OpenApp, authsignal: FakeAuthsignalControls) -> None:
    app = open_app(autofill=False)
    sub = sign_in_with_code(app, authsignal, new_email())
    add_passkey(app)
    sign_out(app)
    app.requests.clear()

    app.page.click("#passkey-sign-in")
    app.view("signed-in")
    app.shot("signed-in-with-passkey")

    assert app.page.inner_text("#sub") == sub
    passkey_first(app)


def test_passkey_autofill_signs_in_from_the_username_field(
    open_app: OpenApp, authsignal: FakeAuthsignalControls
) -> None:
    """The start screen asks for a passkey with conditional mediation (the username field has
    ``autocomplete="username webauthn"``); the virtual authenticator picks the one it holds as a
    person picks it from the autofill list, and the sign-in completes without a click."""
    app = open_app()
    assert app.page.get_attribute("#username", "autocomplete") == "username webauthn"
    sub = sign_in_with_code(app, authsignal, new_email())
    add_passkey(app)
    app.requests.clear()

    # Signed in again only once the autofill's sign-in reached Cognito: the signed-in screen of
    # before the sign-out may still show for a moment after the click.
    def answers_cognito(request: Any) -> bool:
        return str(request.headers.get("x-amz-target", "")).endswith(".RespondToAuthChallenge")

    with app.page.expect_request(answers_cognito, timeout=STEP_TIMEOUT_MS):
        app.page.click("#sign-out")
    app.view("signed-in")

    assert app.page.inner_text("#sub") == sub
    assert not app.sent("^POST /v1/client/challenge/email-otp$")
    passkey_first(app)


# --- 4. list and remove sign-in methods ------------------------------------------------------------


def test_the_last_sign_in_method_cannot_be_removed_and_a_second_one_can(
    open_app: OpenApp, authsignal: FakeAuthsignalControls
) -> None:
    app = open_app()
    sign_in_with_code(app, authsignal, new_email())
    methods = app.page.locator("#authenticators li")
    methods.first.wait_for()
    assert methods.all_inner_texts()[0].startswith("Code by email")

    methods.first.locator("button").click()
    assert app.error().startswith(LAST_AUTHENTICATOR)
    app.shot("last-method")
    assert methods.count() == 1

    add_passkey(app)
    app.shot("two-methods")
    app.page.locator("#authenticators li[data-type=PASSKEY] button").click()
    app.page.locator("#authenticators li[data-type=PASSKEY]").wait_for(state="detached")
    assert [text.split("\n")[0] for text in methods.all_inner_texts()] == ["Code by email"]


# --- 5. what a person sees when something goes wrong ----------------------------------------------


def test_a_blocked_sign_in_is_a_sentence(
    open_app: OpenApp, authsignal: FakeAuthsignalControls, sandbox: LocalSandbox
) -> None:
    email = new_email()
    sub = sandbox.client().sign_up(email).sub
    authsignal.set_rule("BLOCK", user_id=sub)
    app = open_app()

    app.page.fill("#username", email)
    app.page.click("#continue")

    sentence = app.error()
    app.shot("blocked")
    assert sentence.startswith(BLOCKED) and no_stack_trace(sentence)
    assert app.page.locator("#view-start").is_visible()
    assert not [message for message in authsignal.outbox if message.to == email]


def test_a_wrong_code_says_the_tries_left_and_the_last_one_ends_the_sign_in(
    open_app: OpenApp, authsignal: FakeAuthsignalControls
) -> None:
    app, phone = open_app(), new_phone()
    ask_for_code(app, phone)
    wrong = "".join(str((int(digit) + 1) % 10) for digit in code_sent_to(authsignal, phone))

    sentences = []
    for _ in range(ATTEMPT_LIMIT):
        enter_code(app, wrong)
        sentences.append(app.error())
        if len(sentences) == 1:
            app.shot("wrong-code")

    left = range(ATTEMPT_LIMIT - 1, 0, -1)
    assert sentences == [WRONG_CODE.format(left=n, tries="try" if n == 1 else "tries") for n in left] + [EXHAUSTED]
    app.view("start")
    app.shot("attempts-exhausted")
    assert not app.sent("^RespondToAuthChallenge$")


def test_an_expired_session_is_a_sentence(
    open_app: OpenApp, authsignal: FakeAuthsignalControls, sandbox: LocalSandbox
) -> None:
    """Cognito forgets a session after the client's AuthSessionValidity (3 minutes or more): the
    app's answer carries a session Cognito no longer knows, and the emulator answers as for one."""
    app, email = open_app(), new_email()
    ask_for_code(app, email)

    def forget_session(route: Any) -> None:
        body = json.loads(route.request.post_data or "{}")
        if route.request.headers.get("x-amz-target", "").endswith("RespondToAuthChallenge"):
            body["Session"] = "AYABe" + "x" * 200
        route.continue_(post_data=json.dumps(body))

    app.page.route(sandbox.emulator.endpoint_url.rstrip("/") + "/**", forget_session)
    enter_code(app, code_sent_to(authsignal, email))

    sentence = app.error()
    app.shot("expired-session")
    assert sentence == EXPIRED_SESSION
    app.view("start")


def test_authsignal_out_of_reach_is_a_sentence(open_app: OpenApp, sandbox_state: dict[str, Any]) -> None:
    app = open_app()
    app.page.route(
        sandbox_state["authsignalClientUrl"].rstrip("/") + "/**", lambda route: route.abort("connectionrefused")
    )

    app.page.fill("#username", new_email())
    app.page.click("#continue")

    sentence = app.error()
    app.shot("authsignal-down")
    assert sentence.startswith(SERVICE_DOWN) and no_stack_trace(sentence)


def test_the_api_out_of_reach_is_a_sentence(
    open_app: OpenApp, authsignal: FakeAuthsignalControls, sandbox: LocalSandbox
) -> None:
    app = open_app()
    sign_in_with_code(app, authsignal, new_email())
    app.page.route(sandbox.deployment.api_url.rstrip("/") + "/**", lambda route: route.abort("connectionrefused"))

    app.page.click("#add-passkey")

    sentence = app.error()
    app.shot("api-down")
    assert sentence.startswith(API_DOWN) and no_stack_trace(sentence)
    assert app.page.locator("#view-signed-in").is_visible()


def test_cognito_throttling_is_retried_then_a_sentence(open_app: OpenApp, sandbox: LocalSandbox) -> None:
    """Cognito answers TooManyRequestsException when the account's quota is used up: the AWS
    SDK tries again with backoff, then the app says to wait. The page's clock runs fast, so the
    SDK's waits take no real time."""
    app = open_app()
    app.page.clock.install()

    def throttle(route: Any) -> None:
        if route.request.headers.get("x-amz-target", "").endswith("InitiateAuth"):
            route.fulfill(**cognito_error("TooManyRequestsException", "Rate exceeded"))
        else:
            route.continue_()

    app.page.route(sandbox.emulator.endpoint_url.rstrip("/") + "/**", throttle)
    app.page.fill("#username", new_email())
    app.page.click("#continue")
    for _ in range(100):
        if app.page.locator("#error").is_visible():
            break
        app.page.clock.run_for(500)

    sentence = app.error()
    app.shot("throttled")
    assert sentence.startswith(THROTTLED)
    assert len(app.sent("^InitiateAuth$")) > 1


# --- 6. tokens refreshed when the access token expires; sign out revokes the refresh token --------


def test_an_expired_access_token_is_refreshed_and_sign_out_revokes_the_refresh_token(
    open_app: OpenApp, authsignal: FakeAuthsignalControls, sandbox: LocalSandbox
) -> None:
    """The first GET /authenticators meets the JWT authorizer's answer to an expired access
    token (an hour cannot pass in a test): the app refreshes its tokens and asks again. Sign-out
    then revokes the refresh token, which Cognito refuses from then on."""
    app = open_app()
    expired: list[str] = []

    def expire_once(route: Any) -> None:
        if route.request.method != "GET" or expired:
            route.continue_()
            return
        expired.append(route.request.url)
        route.fulfill(
            status=401,
            content_type="application/json",
            body=json.dumps({"message": "Unauthorized"}),
            headers={
                "WWW-Authenticate": 'Bearer scope="" error="invalid_token" error_description="the token has expired"',
                "Access-Control-Allow-Origin": app.page.evaluate("location.origin"),
                "Access-Control-Expose-Headers": "WWW-Authenticate",
            },
        )

    app.page.route(sandbox.deployment.api_url.rstrip("/") + "/authenticators", expire_once)
    with app.page.expect_response(
        lambda response: response.request.headers.get("x-amz-target", "").endswith("RespondToAuthChallenge")
    ) as answered:
        sign_in_with_code(app, authsignal, new_email())
    refresh_token = answered.value.json()["AuthenticationResult"]["RefreshToken"]
    app.page.locator("#authenticators li").first.wait_for()

    assert expired
    assert [request for request in app.sent("^InitiateAuth$") if "REFRESH_TOKEN_AUTH" in (request.post_data or "")]
    assert len(app.sent(r"^GET /.*authenticators$")) == 2

    sign_out(app)
    app.shot("signed-out")

    assert app.sent("^RevokeToken$")
    with pytest.raises(ClientError) as refused:
        sandbox.aws("cognito-idp").initiate_auth(
            ClientId=sandbox.deployment.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token},
        )
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"


# --- the attacker ---------------------------------------------------------------------------------


def test_a_sign_in_started_for_someone_else_gets_nothing_it_can_use(
    open_app: OpenApp, authsignal: FakeAuthsignalControls, sandbox: LocalSandbox
) -> None:
    """The attacker types the victim's address in their own browser. The code goes to the
    victim's mailbox only; the attacker's browser gets no token for the account; neither the
    challenge token the attacker's browser does hold, nor the victim's own answer from the
    victim's own sign-in (were it to leak), completes the attacker's session."""
    email = new_email()
    victim = open_app()
    sent_before = len(authsignal.outbox)
    sign_in_with_code(victim, authsignal, email)
    attacker = open_app()
    with attacker.page.expect_response(
        lambda response: response.request.headers.get("x-amz-target", "").endswith("InitiateAuth")
    ) as started:
        ask_for_code(attacker, email)
    attacker.shot("attacker-waits-for-a-code")
    challenge = started.value.json()

    sign_out(victim)
    with victim.page.expect_request(
        lambda request: request.headers.get("x-amz-target", "").endswith("RespondToAuthChallenge")
    ) as answered:
        sign_in_with_code(victim, authsignal, email)
    victim_answer = json.loads(answered.value.post_data or "{}")["ChallengeResponses"]["ANSWER"]

    sent = authsignal.outbox[sent_before:]
    assert [message.to for message in sent] == [email] * 3  # the victim's two sign-ins, the attacker's
    assert not attacker.page.locator("#view-signed-in").is_visible()
    session = challenge["Session"]
    for answer in (challenge["ChallengeParameters"]["token"], victim_answer):
        session = refused_answer(sandbox, session, email, answer)


def refused_answer(sandbox: LocalSandbox, session: str, username: str, answer: str) -> str:
    """Answer a session's challenge with ``answer``, which must not sign anyone in; returns the
    session Cognito asks again with (or the same one, when it ended the sign-in)."""
    try:
        result = sandbox.aws("cognito-idp").respond_to_auth_challenge(
            ClientId=sandbox.deployment.client_id,
            ChallengeName="CUSTOM_CHALLENGE",
            Session=session,
            ChallengeResponses={"USERNAME": username, "ANSWER": answer},
        )
    except ClientError as refused:
        assert refused.response["Error"]["Code"] == "NotAuthorizedException"
        return session
    assert "AuthenticationResult" not in result
    return str(result["Session"])

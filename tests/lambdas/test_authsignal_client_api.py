"""The fake Authsignal's client API, driven over HTTP as ``@authsignal/browser`` drives it
(its paths, headers and bodies), with a software authenticator in place of the browser's: OTP
through the outbox, passkeys verified for real, and one state with the server API."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
import requests
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from tests.fakes.authsignal_server import FakeAuthsignal
from tests.fakes.software_authenticator import SoftwareAuthenticator
from tests.lambdas.support import SECRET_KEY

ORIGIN = "http://localhost:5173"
OTHER_ORIGIN = "http://127.0.0.1:5173"


class BrowserSdk:
    """The requests ``@authsignal/browser`` 1.16.0 makes (dist/index.js), one method per call."""

    def __init__(self, fake: FakeAuthsignal, origin: str = ORIGIN, tenant_id: str | None = None) -> None:
        self.url = f"{fake.base_url}/v1/client"
        self.origin = origin
        self.tenant_id = tenant_id or fake.tenant_id

    def post(self, path: str, body: Any = None, token: str | None = None) -> requests.Response:
        headers = {"Content-Type": "application/json", "Origin": self.origin, "Authorization": self._auth(token)}
        data = None if body is None else json.dumps(body)
        return requests.post(self.url + path, data=data, headers=headers, timeout=5)

    def _auth(self, token: str | None) -> str:
        # buildHeaders: token ? `Bearer ${token}` : `Basic ${btoa(encodeURIComponent(tenantId))}`
        return f"Bearer {token}" if token else "Basic " + base64.b64encode(self.tenant_id.encode()).decode()

    def sign_up_passkey(self, token: str, authenticator: SoftwareAuthenticator, username: str) -> dict[str, Any]:
        """``passkey.signUp({token, username})``: registration options, the ceremony, add passkey."""
        options = self.post("/user-authenticators/passkey/registration-options", {"username": username}, token)
        assert options.status_code == 200, options.text
        registration = authenticator.create(options.json()["options"])
        added = self.post(
            "/user-authenticators/passkey",
            {
                "registrationCredential": registration,
                "conditionalCreate": False,
                "challengeId": options.json()["challengeId"],
            },
            token,
        )
        assert added.status_code == 200, added.text
        return as_object(added)

    def sign_in_options(self, action: str = "cognitoAuth") -> dict[str, Any]:
        """``passkey.signIn({action})`` up to the ceremony: challenge, then authentication options."""
        challenge = self.post("/challenge", {"action": action})
        assert challenge.status_code == 200, challenge.text
        options = self.post(
            "/user-authenticators/passkey/authentication-options", {"challengeId": challenge.json()["challengeId"]}
        )
        assert options.status_code == 200, options.text
        return as_object(options)

    def verify_passkey(
        self, options: dict[str, Any], assertion: dict[str, Any], token: str | None = None
    ) -> requests.Response:
        return self.post(
            "/verify/passkey",
            {"authenticationCredential": assertion, "deviceId": "device-1", "challengeId": options["challengeId"]},
            token,
        )


def track(fake: FakeAuthsignal, user_id: str, action: str, **attributes: Any) -> dict[str, Any]:
    answer = requests.post(
        f"{fake.base_url}/v1/users/{user_id}/actions/{action}", json=attributes, auth=(SECRET_KEY, ""), timeout=5
    )
    assert answer.status_code == 200, answer.text
    return as_object(answer)


def validate(fake: FakeAuthsignal, token: str) -> dict[str, Any]:
    return as_object(
        requests.post(f"{fake.base_url}/v1/validate", json={"token": token}, auth=(SECRET_KEY, ""), timeout=5)
    )


def as_object(response: requests.Response) -> dict[str, Any]:
    answer = response.json()
    assert isinstance(answer, dict), answer
    return answer


@pytest.fixture
def sdk(fake: FakeAuthsignal) -> BrowserSdk:
    fake.set_origins([ORIGIN, OTHER_ORIGIN])
    return BrowserSdk(fake)


@pytest.fixture
def authenticator() -> SoftwareAuthenticator:
    return SoftwareAuthenticator(origin=ORIGIN)


def add_passkey(
    fake: FakeAuthsignal, sdk: BrowserSdk, authenticator: SoftwareAuthenticator, user_id: str = "user-1"
) -> dict[str, Any]:
    """What the app does after ``POST /authenticators``: ``passkey.signUp`` with its token."""
    fake.add_authenticator(user_id, verification_method="EMAIL_OTP", email="ada@example.com")
    token = track(fake, user_id, "addAuthenticator", scope="add:authenticators")["token"]
    return sdk.sign_up_passkey(token, authenticator, username="ada@example.com")


# --- OTP ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "contact", "to", "method"),
    [
        ("email-otp", "email", "ada@example.com", "EMAIL_OTP"),
        ("sms", "phoneNumber", "+15550100", "SMS"),
    ],
)
def test_an_otp_goes_to_the_tracked_contact_and_verifying_it_completes_that_action(
    fake: FakeAuthsignal, sdk: BrowserSdk, channel: str, contact: str, to: str, method: str
) -> None:
    tracked = track(fake, "user-1", "cognitoAuth", **{contact: to}, idempotencyKey="key-1")

    challenge = sdk.post(f"/challenge/{channel}", token=tracked["token"])
    code = fake.last_code(to)
    verified = sdk.post(f"/verify/{channel}", {"verificationCode": code}, tracked["token"]).json()

    assert challenge.status_code == 200 and "challengeId" in challenge.json()
    assert [(m.to, m.channel) for m in fake.outbox] == [(to, "email" if channel == "email-otp" else "sms")]
    assert verified["isVerified"] is True and verified["accessToken"] != tracked["token"]
    assert validate(fake, verified["accessToken"]) | {"stateUpdatedAt": None} == {
        "isValid": True,
        "state": "CHALLENGE_SUCCEEDED",
        "stateUpdatedAt": None,
        "userId": "user-1",
        "action": "cognitoAuth",
        "idempotencyKey": "key-1",
        "verificationMethod": method,
    }


def test_a_wrong_code_is_not_verified_and_completes_nothing(fake: FakeAuthsignal, sdk: BrowserSdk) -> None:
    tracked = track(fake, "user-1", "cognitoAuth", email="ada@example.com")
    sdk.post("/challenge/email-otp", token=tracked["token"])
    wrong = "000000" if fake.last_code("ada@example.com") != "000000" else "111111"

    answer = sdk.post("/verify/email-otp", {"verificationCode": wrong}, tracked["token"]).json()

    assert answer["isVerified"] is False and "accessToken" not in answer
    assert validate(fake, tracked["token"])["state"] == "CHALLENGE_REQUIRED"


def test_a_code_goes_to_the_enrolled_contact_when_track_named_none(fake: FakeAuthsignal, sdk: BrowserSdk) -> None:
    fake.add_authenticator("user-1", verification_method="SMS", phone_number="+15550199")
    tracked = track(fake, "user-1", "cognitoAuth")

    sdk.post("/challenge/sms", token=tracked["token"])

    assert [m.to for m in fake.outbox] == ["+15550199"]


def test_a_code_is_verified_only_on_the_channel_and_token_it_was_sent_for(
    fake: FakeAuthsignal, sdk: BrowserSdk
) -> None:
    first = track(fake, "user-1", "cognitoAuth", email="ada@example.com")
    second = track(fake, "user-1", "cognitoAuth", email="ada@example.com")
    sdk.post("/challenge/email-otp", token=first["token"])
    code = fake.last_code("ada@example.com")

    assert sdk.post("/verify/sms", {"verificationCode": code}, first["token"]).status_code == 400
    assert sdk.post("/verify/email-otp", {"verificationCode": code}, second["token"]).status_code == 400


def test_a_blocked_action_sends_no_code(fake: FakeAuthsignal, sdk: BrowserSdk) -> None:
    fake.set_rule("BLOCK")
    tracked = track(fake, "user-1", "cognitoAuth", email="ada@example.com")

    assert sdk.post("/challenge/email-otp", token=tracked["token"]).status_code == 403
    assert fake.outbox == []


def test_the_client_api_refuses_another_tenant_or_an_unknown_token(fake: FakeAuthsignal, sdk: BrowserSdk) -> None:
    other_tenant = BrowserSdk(fake, tenant_id="another-tenant")

    assert other_tenant.post("/challenge", {"action": "cognitoAuth"}).status_code == 401
    assert sdk.post("/challenge/email-otp", token="token-unknown").status_code == 401
    assert sdk.post("/challenge", {"action": "cognitoAuth"}).status_code == 200


def test_the_client_api_answers_the_browsers_cors_preflight(fake: FakeAuthsignal, sdk: BrowserSdk) -> None:
    preflight = requests.options(
        f"{sdk.url}/verify/email-otp",
        timeout=5,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    answer = sdk.post("/challenge", {"action": "cognitoAuth"})

    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert {"authorization", "content-type"} <= {
        h.strip().lower() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")
    }
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_the_outbox_page_lists_codes_newest_first(fake: FakeAuthsignal, sdk: BrowserSdk) -> None:
    for to in ("first@example.com", "second@example.com"):
        sdk.post("/challenge/email-otp", token=track(fake, "user-1", "cognitoAuth", email=to)["token"])

    page = requests.get(f"{fake.base_url}/outbox", timeout=5)

    assert page.headers["Content-Type"].startswith("text/html")
    assert page.text.index("second@example.com") < page.text.index("first@example.com")
    assert (fake.last_code("second@example.com") or "no code") in page.text


# --- passkeys -----------------------------------------------------------------------------


def test_a_passkey_added_in_the_client_api_is_listed_and_signs_in_as_passkey(
    fake: FakeAuthsignal, sdk: BrowserSdk, authenticator: SoftwareAuthenticator
) -> None:
    added = add_passkey(fake, sdk, authenticator)
    options = sdk.sign_in_options()

    verified = sdk.verify_passkey(options, authenticator.get(options["options"])).json()
    listed = requests.get(f"{fake.base_url}/v1/users/user-1/authenticators", auth=(SECRET_KEY, ""), timeout=5).json()

    assert added["isVerified"] is True and added["userId"] == "user-1"
    passkey = next(item for item in listed if item["verificationMethod"] == "PASSKEY")
    assert passkey["userAuthenticatorId"] == added["userAuthenticatorId"]
    assert passkey["webauthnCredential"]["credentialId"] == bytes_to_base64url(authenticator.passkeys[0].credential_id)
    assert verified["isVerified"] is True
    assert (verified["userId"], verified["username"]) == ("user-1", "ada@example.com")
    assert validate(fake, verified["accessToken"]) | {"stateUpdatedAt": None, "idempotencyKey": None} == {
        "isValid": True,
        "state": "CHALLENGE_SUCCEEDED",
        "stateUpdatedAt": None,
        "userId": "user-1",
        "action": "cognitoAuth",
        "idempotencyKey": None,
        "verificationMethod": "PASSKEY",
    }


def test_a_passkey_completes_the_action_whose_token_the_app_used(
    fake: FakeAuthsignal, sdk: BrowserSdk, authenticator: SoftwareAuthenticator
) -> None:
    add_passkey(fake, sdk, authenticator)
    tracked = track(fake, "user-1", "cognitoAuth", email="ada@example.com", idempotencyKey="key-7")
    options = sdk.post("/user-authenticators/passkey/authentication-options", {}, tracked["token"]).json()

    verified = sdk.verify_passkey(options, authenticator.get(options["options"]), tracked["token"]).json()

    credential_id = bytes_to_base64url(authenticator.passkeys[0].credential_id)
    assert [c["id"] for c in options["options"]["allowCredentials"]] == [credential_id]
    assert validate(fake, verified["accessToken"])["idempotencyKey"] == "key-7"


def test_a_sign_in_token_of_an_enrolled_user_cannot_add_a_passkey(fake: FakeAuthsignal, sdk: BrowserSdk) -> None:
    fake.add_authenticator("user-1", verification_method="EMAIL_OTP", email="ada@example.com")
    token = track(fake, "user-1", "cognitoAuth", email="ada@example.com")["token"]

    answer = sdk.post("/user-authenticators/passkey/registration-options", {"username": "ada"}, token)

    assert answer.status_code == 403


def tampered(assertion: dict[str, Any]) -> dict[str, Any]:
    """The assertion with one bit of its signed authenticator data flipped (the sign count's)."""
    changed = copy.deepcopy(assertion)
    data = bytearray(base64url_to_bytes(changed["response"]["authenticatorData"]))
    data[-1] ^= 0x01
    changed["response"]["authenticatorData"] = bytes_to_base64url(bytes(data))
    return changed


@pytest.mark.parametrize(
    ("case", "assertion_from"),
    [
        ("tampered", lambda a, o: tampered(a.get(o))),
        ("wrong origin", lambda a, o: a.get(o, origin="http://evil.example:5173")),
        ("wrong RP ID", lambda a, o: a.get(o, rp_id="evil.example")),
        ("user not verified", lambda a, o: SoftwareAuthenticator(ORIGIN, False, a.passkeys).get(o)),
        ("another challenge", lambda a, o: a.get({**o, "challenge": bytes_to_base64url(b"x" * 32)})),
    ],
)
def test_a_passkey_assertion_that_fails_a_webauthn_check_is_refused(
    fake: FakeAuthsignal, sdk: BrowserSdk, authenticator: SoftwareAuthenticator, case: str, assertion_from: Any
) -> None:
    add_passkey(fake, sdk, authenticator)
    options = sdk.sign_in_options()

    answer = sdk.verify_passkey(options, assertion_from(authenticator, options["options"]))

    assert answer.status_code == 400, case
    assert answer.json()["errorCode"] == "invalid_credential"
    assert "accessToken" not in answer.json()


def test_a_replayed_assertion_is_refused(
    fake: FakeAuthsignal, sdk: BrowserSdk, authenticator: SoftwareAuthenticator
) -> None:
    add_passkey(fake, sdk, authenticator)
    options = sdk.sign_in_options()
    assertion = authenticator.get(options["options"])

    first, replayed = sdk.verify_passkey(options, assertion), sdk.verify_passkey(options, assertion)

    assert first.status_code == 200
    assert replayed.status_code == 400 and "challengeId" in replayed.json()["errorDescription"]


def test_a_sign_count_that_does_not_increase_is_refused(
    fake: FakeAuthsignal, sdk: BrowserSdk, authenticator: SoftwareAuthenticator
) -> None:
    add_passkey(fake, sdk, authenticator)
    first = sdk.sign_in_options()
    assert sdk.verify_passkey(first, authenticator.get(first["options"], sign_count=5)).status_code == 200
    again = sdk.sign_in_options()

    answer = sdk.verify_passkey(again, authenticator.get(again["options"], sign_count=5))

    assert answer.status_code == 400 and "sign count" in answer.json()["errorDescription"]


@pytest.mark.parametrize("case", ["wrong origin", "wrong RP ID", "user not verified"])
def test_a_registration_that_fails_a_webauthn_check_adds_no_passkey(
    fake: FakeAuthsignal, sdk: BrowserSdk, case: str
) -> None:
    fake.add_authenticator("user-1", verification_method="EMAIL_OTP", email="ada@example.com")
    token = track(fake, "user-1", "addAuthenticator", scope="add:authenticators")["token"]
    options = sdk.post("/user-authenticators/passkey/registration-options", {"username": "ada"}, token).json()
    authenticator = SoftwareAuthenticator(ORIGIN, user_verified=case != "user not verified")
    registration = authenticator.create(
        options["options"],
        origin="http://evil.example" if case == "wrong origin" else None,
        rp_id="evil.example" if case == "wrong RP ID" else None,
    )

    answer = sdk.post(
        "/user-authenticators/passkey",
        {"registrationCredential": registration, "challengeId": options["challengeId"]},
        token,
    )

    assert answer.status_code == 400 and answer.json()["errorCode"] == "invalid_credential"
    assert [a["verificationMethod"] for a in fake.authenticators("user-1")] == ["EMAIL_OTP"]


def test_the_rp_id_is_the_host_of_the_asking_origin(fake: FakeAuthsignal) -> None:
    fake.set_origins([ORIGIN, OTHER_ORIGIN])
    token = track(fake, "user-1", "cognitoAuth", email="ada@example.com")["token"]

    options = (
        BrowserSdk(fake, origin=OTHER_ORIGIN)
        .post("/user-authenticators/passkey/registration-options", {"username": "ada"}, token)
        .json()
    )

    assert options["options"]["rp"]["id"] == "127.0.0.1"
    assert options["options"]["authenticatorSelection"]["userVerification"] == "required"


def test_a_removed_passkey_no_longer_signs_in(
    fake: FakeAuthsignal, sdk: BrowserSdk, authenticator: SoftwareAuthenticator
) -> None:
    added = add_passkey(fake, sdk, authenticator)
    requests.delete(
        f"{fake.base_url}/v1/users/user-1/authenticators/{added['userAuthenticatorId']}",
        auth=(SECRET_KEY, ""),
        timeout=5,
    )
    options = sdk.sign_in_options()

    answer = sdk.verify_passkey(options, authenticator.get(options["options"]))

    assert answer.status_code == 400 and "accessToken" not in answer.json()

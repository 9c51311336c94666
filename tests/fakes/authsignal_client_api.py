"""The part of Authsignal's client API that ``@authsignal/browser`` 1.16.0 calls for OTP and
passkeys, served by the fake Authsignal on the same state as its server API. Paths, methods,
headers and bodies are the SDK's own (``dist/index.js``); what the SDK does not show (error
answers, who may call what) is said per endpoint. docs/sandbox.md lists both.

Under ``/v1/client``; ``Authorization`` is ``Bearer <token>`` when the SDK holds a token, else
``Basic base64(encodeURIComponent(tenantId))`` (no colon, no password):
  POST /challenge                          {action}                      -> {challengeId}
  POST /challenge/email-otp, /sms          (Bearer, no body)             -> {challengeId}
  POST /verify/email-otp, /sms             {verificationCode}            -> {isVerified, accessToken?}
  POST /user-authenticators/passkey/registration-options    {username?, authenticatorAttachment?}
                                                                         -> {challengeId, options}
  POST /user-authenticators/passkey        {registrationCredential, challengeId, conditionalCreate}
                                           -> {isVerified, accessToken, userAuthenticatorId, userId, userAuthenticator}
  POST /user-authenticators/passkey/authentication-options  {challengeId?}  -> {challengeId, options}
  POST /verify/passkey                     {authenticationCredential, challengeId, deviceId}
                                           -> {isVerified, accessToken, userId, userAuthenticatorId, username}
  GET  /user-authenticators/passkey?credentialIds=a,b  (Basic)           -> {credentialId, verifiedAt}

What a token may do, never more than the real service could allow: a track token of an action
that is not blocked may run its OTP challenge (sent to the contact it was tracked with, else the
user's enrolled one) and a passkey sign-in of its user; only a token of an ``addAuthenticator``
action with the ``add:authenticators`` scope, or of a user with no authenticator yet, may
register a passkey. The answer of a verified OTP or passkey is a validation token
(``accessToken``) of that action, which the server API's ``validate`` reports with its method.
Lenient where unknown: codes do not expire, wrong codes are not counted, CORS allows any origin
(WebAuthn's origin check is the tenant's origins).
"""

from __future__ import annotations

import base64
import secrets
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from tests.fakes import passkeys
from tests.fakes.outbox import OtpMessage
from tests.fakes.timestamps import now_iso

if TYPE_CHECKING:
    from tests.fakes.authsignal_server import FakeAuthsignal, _Action

ADD_AUTHENTICATORS_SCOPE = "add:authenticators"
# channel -> (the track attribute the code goes to, the authenticator's method, its attribute)
OTP_CHANNELS = {"email-otp": ("email", "EMAIL_OTP", "email"), "sms": ("phoneNumber", "SMS", "phoneNumber")}
OUTBOX_CHANNEL = {"email-otp": "email", "sms": "sms"}


class ClientRefused(Exception):
    """A client API request the real service would refuse: status, errorCode, description."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


def answer(
    fake: FakeAuthsignal,
    method: str,
    parts: list[str],
    query: dict[str, str],
    body: Any,
    authorization: str,
    origin: str | None,
) -> tuple[int, Any]:
    """The status and JSON body of a client API request (``parts`` after ``v1/client``); the
    fake's lock is held."""
    body = body if isinstance(body, dict) else {}
    try:
        return 200, _route(fake, method, parts, query, body, _credentials(fake, authorization), origin)
    except ClientRefused as refused:
        return refused.status, {
            "error": refused.code,
            "errorCode": refused.code,
            "errorDescription": refused.description,
        }
    except passkeys.PasskeyRefused as refused:
        return 400, {"error": "invalid_credential", "errorCode": "invalid_credential", "errorDescription": str(refused)}


def authorized(fake: FakeAuthsignal, authorization: str) -> bool:
    """Whether a client API request carries the tenant's id or a token (which ``answer`` checks)."""
    try:
        _credentials(fake, authorization)
    except ClientRefused:
        return False
    return True


def _credentials(fake: FakeAuthsignal, authorization: str) -> str | None:
    """The Bearer token, or None for the tenant's Basic credentials; anything else is a 401."""
    scheme, _, value = authorization.partition(" ")
    if scheme == "Bearer" and value:
        return value
    if scheme == "Basic":
        try:
            tenant_id = unquote(base64.b64decode(value, validate=True).decode())
        except ValueError:
            tenant_id = None
        if tenant_id == fake.tenant_id:
            return None
    raise ClientRefused(401, "unauthorized", "invalid tenant id or token")


def _route(
    fake: FakeAuthsignal,
    method: str,
    parts: list[str],
    query: dict[str, str],
    body: dict[str, Any],
    token: str | None,
    origin: str | None,
) -> Any:
    match method, parts:
        case "POST", ["challenge"]:
            action = body.get("action")
            if not isinstance(action, str) or not action:
                raise ClientRefused(400, "invalid_request", "action is required")
            rp_id = passkeys.rp_id_for(fake.origins, origin)
            return {"challengeId": passkeys.begin_sign_in(fake._state.passkeys, rp_id=rp_id, action=action)}
        case "POST", ["challenge", ("email-otp" | "sms") as channel]:
            return _send_code(fake, channel, _required(token))
        case "POST", ["verify", ("email-otp" | "sms") as channel]:
            return _verify_code(fake, channel, _required(token), body.get("verificationCode"))
        case "POST", ["user-authenticators", "passkey", "registration-options"]:
            return _registration_options(fake, _required(token), body, origin)
        case "POST", ["user-authenticators", "passkey"]:
            return _add_passkey(fake, _required(token), body)
        case "POST", ["user-authenticators", "passkey", "authentication-options"]:
            return _authentication_options(fake, token, body, origin)
        case "POST", ["verify", "passkey"]:
            return _verify_passkey(fake, token, body)
        case "GET", ["user-authenticators", "passkey"]:
            return _passkey_on_device(fake, query.get("credentialIds", ""))
    raise ClientRefused(404, "not_found", "no such endpoint")


def _required(token: str | None) -> str:
    if token is None:
        raise ClientRefused(401, "unauthorized", "this endpoint needs the token the server's track returned")
    return token


def _tracked(fake: FakeAuthsignal, token: str | None) -> _Action:
    """The not-blocked action of a track token: what may run a challenge."""
    found = fake._state.tracked.get(_required(token))
    if found is None:
        raise ClientRefused(401, "invalid_token", "not a token of this tenant")
    if found.state == "BLOCK":
        raise ClientRefused(403, "action_blocked", "the action was blocked: there is no challenge")
    return found


def _send_code(fake: FakeAuthsignal, channel: str, token: str) -> dict[str, str]:
    """Send a new code for the token's action to its tracked contact, else the user's enrolled one."""
    action = _tracked(fake, token)
    attribute, method, field = OTP_CHANNELS[channel]
    to = action.contact_value if action.contact == attribute else None
    if to is None:
        to = next(
            (
                item[field]
                for item in fake._state.authenticators.get(action.user_id, {}).values()
                if item["verificationMethod"] == method and item.get(field)
            ),
            None,
        )
    if to is None:
        raise ClientRefused(400, "invalid_request", f"the user has no {attribute} to send a code to")
    code = f"{secrets.randbelow(10**6):06d}"
    fake._state.codes[token] = (channel, code)
    fake._state.outbox.append(OtpMessage(to=to, code=code, channel=OUTBOX_CHANNEL[channel], sent_at=now_iso()))
    fake._on_code(fake._state.outbox[-1])
    return {"challengeId": secrets.token_hex(16)}


def _verify_code(fake: FakeAuthsignal, channel: str, token: str, code: Any) -> dict[str, Any]:
    sent = fake._state.codes.get(token)
    if sent is None or sent[0] != channel:
        raise ClientRefused(400, "invalid_request", "no code was sent for this token on this channel")
    if not isinstance(code, str) or not secrets.compare_digest(code, sent[1]):
        return {"isVerified": False, "failureReason": "CODE_INVALID_OR_EXPIRED"}
    return {"isVerified": True, "accessToken": fake._complete(token, OTP_CHANNELS[channel][1])}


def _may_add_passkey(fake: FakeAuthsignal, token: str) -> _Action:
    action = _tracked(fake, token)
    adding = action.action == "addAuthenticator" and action.scope == ADD_AUTHENTICATORS_SCOPE
    if not adding and fake._state.authenticators.get(action.user_id):
        raise ClientRefused(
            403,
            "insufficient_scope",
            "an enrolled user adds a passkey only with a token of the add:authenticators scope",
        )
    return action


def _registration_options(fake: FakeAuthsignal, token: str, body: dict[str, Any], origin: str | None) -> dict[str, Any]:
    action = _may_add_passkey(fake, token)
    username = body.get("username") if isinstance(body.get("username"), str) and body.get("username") else None
    rp_id = passkeys.rp_id_for(fake.origins, origin)
    challenge_id, options = passkeys.registration_options(
        fake._state.passkeys,
        rp_id=rp_id,
        user_id=action.user_id,
        username=username or fake._state.usernames.get(action.user_id),
        token=token,
    )
    if username:
        fake._state.usernames[action.user_id] = username
    return {"challengeId": challenge_id, "options": options}


def _add_passkey(fake: FakeAuthsignal, token: str, body: dict[str, Any]) -> dict[str, Any]:
    action = _may_add_passkey(fake, token)
    credential = passkeys.finish_registration(
        fake._state.passkeys,
        challenge_id=body.get("challengeId"),
        token=token,
        response=body.get("registrationCredential"),
        origins=fake.origins,
        authenticator_id=str(uuid.uuid4()),
        username=fake._state.usernames.get(action.user_id),
    )
    item = fake._add_authenticator(
        action.user_id,
        "PASSKEY",
        "Passkey",
        authenticator_id=credential.authenticator_id,
        credential_id=credential.credential_id,
    )
    return {
        "isVerified": True,
        "accessToken": fake._complete(token, "PASSKEY"),
        "userAuthenticatorId": item["userAuthenticatorId"],
        "userId": action.user_id,
        "userAuthenticator": item,
    }


def _authentication_options(
    fake: FakeAuthsignal, token: str | None, body: dict[str, Any], origin: str | None
) -> dict[str, Any]:
    user_id = _tracked(fake, token).user_id if token is not None else None
    challenge_id = body.get("challengeId") if isinstance(body.get("challengeId"), str) else None
    if challenge_id is None and token is None:
        raise ClientRefused(400, "invalid_request", "challengeId or a token is required")
    challenge_id, options = passkeys.authentication_options(
        fake._state.passkeys,
        rp_id=passkeys.rp_id_for(fake.origins, origin),
        challenge_id=challenge_id,
        token=token,
        user_id=user_id,
    )
    return {"challengeId": challenge_id, "options": options}


def _verify_passkey(fake: FakeAuthsignal, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
    ceremony, credential = passkeys.finish_authentication(
        fake._state.passkeys,
        challenge_id=body.get("challengeId"),
        response=body.get("authenticationCredential"),
        origins=fake.origins,
    )
    if ceremony.token is not None and ceremony.token != token:
        raise ClientRefused(401, "invalid_token", "the challenge was issued for another token")
    item = fake._state.authenticators.get(credential.user_id, {}).get(credential.authenticator_id)
    if item is None:
        raise ClientRefused(400, "invalid_credential", "the passkey was removed")
    item["lastVerifiedAt"] = now_iso()
    if ceremony.token is not None:
        validation_token = fake._complete(ceremony.token, "PASSKEY")
    else:
        validation_token = fake._signed_in(credential.user_id, ceremony.action or "signIn", "PASSKEY")
    answer = {
        "isVerified": True,
        "accessToken": validation_token,
        "userId": credential.user_id,
        "userAuthenticatorId": credential.authenticator_id,
        "username": credential.username,
    }
    return {key: value for key, value in answer.items() if value is not None}


def _passkey_on_device(fake: FakeAuthsignal, credential_ids: str) -> dict[str, str]:
    """What ``passkey.isAvailableOnDevice`` asks: is one of these credentials still registered."""
    for credential_id in credential_ids.split(","):
        credential = fake._state.passkeys.credentials.get(credential_id)
        if credential and credential.authenticator_id in fake._state.authenticators.get(credential.user_id, {}):
            return {"credentialId": credential_id, "verifiedAt": now_iso()}
    raise ClientRefused(404, "not_found", "no such passkey")

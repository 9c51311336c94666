"""The events Cognito and API Gateway send the functions, built as they send them: shared by
the runtime tests (tests/lambdas) and the benchmark (benchmarks/in_process.py). Each is checked
against the shape AWS documents (tests/fixtures/events) by tests/lambdas/test_event_shapes.py."""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import Any

REGION = "eu-west-1"
USER_POOL_ID = f"{REGION}_AbCdEf123"
CLIENT_ID = "4mvq0aebkj2fgu3mhl2ihemh5o"
# An event as it reaches a function: JSON the function reads strictly. The tests hand over
# well-formed and deliberately spoiled events alike, so to a type checker it is any JSON, and a
# handler's answer is typed by the handler (lambdas/shared/event_types.py).
Json = Any


@dataclass(frozen=True)
class User:
    """A user of an email-as-username pool: Cognito's ``userName`` is the ``sub``, a UUID.
    ``verified``: whether an earlier OTP proved the contact (``*_verified`` is "true")."""

    sub: str
    email: str | None = None
    phone: str | None = None
    verified: bool = True

    def attributes(self) -> dict[str, str]:
        attributes = {"sub": self.sub, "cognito:user_status": "CONFIRMED"}
        flag = "true" if self.verified else "false"
        if self.email:
            attributes |= {"email": self.email, "email_verified": flag}
        if self.phone:
            attributes |= {"phone_number": self.phone, "phone_number_verified": flag}
        return attributes

    @property
    def typed(self) -> str:
        """The user name as the person types it: their email or phone number."""
        return self.email or self.phone or self.sub


def new_user(*, email: str | None = None, phone: str | None = None, verified: bool = True) -> User:
    return User(sub=str(uuid.uuid4()), email=email, phone=phone, verified=verified)


def entry(result: bool, name: str = "CUSTOM_CHALLENGE") -> dict[str, Any]:
    """One entry of a Cognito session: a challenge and whether it was answered correctly."""
    return {
        "challengeName": name,
        "challengeResult": result,
        "challengeMetadata": "AUTHSIGNAL" if name == "CUSTOM_CHALLENGE" else None,
    }


def _trigger(source: str, user_name: str, request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "1",
        "region": REGION,
        "userPoolId": USER_POOL_ID,
        "userName": user_name,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": CLIENT_ID},
        "triggerSource": source,
        "request": request,
        "response": response,
    }


def pre_sign_up_event(
    *,
    email: str | None = None,
    phone: str | None = None,
    user_name: str | None = None,
    other: dict[str, str] | None = None,
) -> Json:
    """``SignUp`` with the email or phone as username: no ``sub`` yet, a generated UUID userName
    (``user_name``: what an emulator sends instead, the name as typed); ``other``: any further
    attributes the caller sent."""
    attributes = {key: value for key, value in (("email", email), ("phone_number", phone)) if value} | (other or {})
    return _trigger(
        "PreSignUp_SignUp",
        user_name or str(uuid.uuid4()),
        {"userAttributes": attributes, "validationData": None},
        {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    )


def _known_or_not(user: User, user_not_found: bool) -> tuple[str, dict[str, str]]:
    """``userName`` and ``userAttributes``: for a user Cognito did not find (user-existence errors
    prevented) the name is what was typed, an email or phone number, and there are no attributes."""
    return (user.typed, {}) if user_not_found else (user.sub, user.attributes())


def define_event(user: User, session: list[Any], *, user_not_found: bool = False) -> Json:
    user_name, attributes = _known_or_not(user, user_not_found)
    return _trigger(
        "DefineAuthChallenge_Authentication",
        user_name,
        {"userAttributes": attributes, "session": session, "userNotFound": user_not_found},
        {"challengeName": None, "issueTokens": None, "failAuthentication": None},
    )


def create_event(user: User, session: list[Any] | None = None, *, user_not_found: bool = False) -> Json:
    user_name, attributes = _known_or_not(user, user_not_found)
    return _trigger(
        "CreateAuthChallenge_Authentication",
        user_name,
        {
            "userAttributes": attributes,
            "challengeName": "CUSTOM_CHALLENGE",
            "session": session or [],
            "userNotFound": user_not_found,
        },
        {"publicChallengeParameters": None, "privateChallengeParameters": None, "challengeMetadata": None},
    )


def session_private(idempotency_key: str | None = None, track_token: str | None = None) -> dict[str, str]:
    """The private challenge parameters a create step keeps: the tracked ``idempotency_key`` and
    the digest of the ``track_token`` it handed out (default: a token nobody here knows)."""
    digest = hashlib.sha256((track_token or f"token-{uuid.uuid4().hex}").encode()).hexdigest()
    return {"action": "cognitoAuth", "trackTokenDigest": digest} | (
        {"idempotencyKey": idempotency_key} if idempotency_key else {}
    )


def verify_event(
    user: User,
    answer: Any,
    private: dict[str, str] | None = None,
    *,
    user_pool_id: str = USER_POOL_ID,
    user_name: str | None = None,
) -> Json:
    """``private``: what this session's create step kept (default: a session without a key)."""
    private = dict(private) if private is not None else session_private()
    event = _trigger(
        "VerifyAuthChallengeResponse_Authentication",
        user_name or user.sub,
        {
            "userAttributes": user.attributes(),
            "privateChallengeParameters": private,
            "challengeAnswer": answer,
            "userNotFound": False,
        },
        {"answerCorrect": None},
    )
    event["userPoolId"] = user_pool_id
    return event


def access_claims(user: User, *, auth_time: int | None = None) -> dict[str, str]:
    """An access token's claims as the JWT authorizer passes them (all values strings), of a
    sign-in at ``auth_time`` (default: just now, so routes needing a recent sign-in accept it)."""
    signed_in = int(time.time()) if auth_time is None else auth_time
    return {
        "sub": user.sub,
        "iss": f"https://cognito-idp.{REGION}.amazonaws.com/{USER_POOL_ID}",
        "client_id": CLIENT_ID,
        "origin_jti": str(uuid.uuid4()),
        "event_id": str(uuid.uuid4()),
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": str(signed_in),
        "exp": str(signed_in + 3600),
        "iat": str(signed_in),
        "jti": str(uuid.uuid4()),
        "username": user.sub,
    }


def id_claims(user: User) -> dict[str, str]:
    """An ID token's claims: its ``aud`` is the app client, so the authorizer lets it through."""
    return {
        "sub": user.sub,
        "aud": CLIENT_ID,
        "email_verified": "true",
        "token_use": "id",
        "auth_time": "1735787045",
        "iss": f"https://cognito-idp.{REGION}.amazonaws.com/{USER_POOL_ID}",
        "cognito:username": user.sub,
        "exp": "1735790645",
        "iat": "1735787045",
        "email": user.email or "",
    }


def api_event(
    route: str, claims: dict[str, str] | None, *, path_parameters: dict[str, str] | None = None, body: str | None = None
) -> Json:
    """An HTTP API payload 2.0 event; ``claims=None`` is a route reached without an authorizer."""
    method, path = route.split(" ", 1)
    for name, value in (path_parameters or {}).items():
        path = path.replace("{" + name + "}", value)
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "a1b2c3d4e5",
        "domainName": f"a1b2c3d4e5.execute-api.{REGION}.amazonaws.com",
        "domainPrefix": "a1b2c3d4e5",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.7",
            "userAgent": "okhttp/4.12.0",
        },
        "requestId": "JKJaXmPLvHcESHA=",
        "routeKey": route,
        "stage": "$default",
        "time": "02/Jan/2025:03:04:05 +0000",
        "timeEpoch": 1735787045000,
    }
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route,
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "accept": "application/json",
            "authorization": "Bearer eyJraWQiOi.redacted.sig",
            "host": context["domainName"],
            "user-agent": "okhttp/4.12.0",
        },
        "requestContext": context,
        "isBase64Encoded": False,
    }
    if path_parameters is not None:
        event["pathParameters"] = path_parameters
    if body is not None:
        event["body"] = body
        event["headers"]["content-type"] = "application/json"
    return event

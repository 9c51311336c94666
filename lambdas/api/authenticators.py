"""The authenticators API: a signed-in user gets a token to add a passkey, lists their
authenticators, and removes one of their own.

The user is only ever the ``sub`` of the JWT that API Gateway verified; nothing in the body,
path or query can name another user. Only access tokens are accepted: an ID token passes the
authorizer (its ``aud`` is the client) but is not meant for APIs, so it answers 401.

Adding and removing an authenticator also need a recent sign-in (the token's ``auth_time``):
the JWT authorizer does not check revocation, so a stolen access token stays valid until it
expires, even after GlobalSignOut; it must not be able to enrol the thief's passkey. A stale
token gets RFC 9470's step-up answer. Refreshing tokens keeps ``auth_time``: only a new
sign-in renews it.

Every authenticated request first counts against its user's per-minute limit (api/rate_limit):
429 with ``Retry-After`` beyond it, 503 when it cannot be counted.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from typing import TYPE_CHECKING, Any

from shared import event as read
from shared import init_phase, retry
from shared.authsignal_client import authsignal
from shared.contact_verification import PROVES
from shared.event import MalformedEvent
from shared.log import decision, error_summary
from shared.secret import SecretUnavailable

from api import rate_limit

if TYPE_CHECKING:
    from shared.event_types import HttpApiEvent, HttpApiResponse

ADD_ACTION = "addAuthenticator"
ADD_SCOPE = "add:authenticators"
AUTHENTICATOR_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
RECENT_AUTH_VARIABLE = "RECENT_AUTH_MINUTES"
# The routes that change how the user signs in, and so need a recent sign-in.
STEP_UP_ROUTES = frozenset({"POST /authenticators", "DELETE /authenticators/{authenticatorId}"})
# Cognito's and Lambda's clocks are both AWS's; an auth_time further ahead than this is not
# "recent", it is wrong.
CLOCK_SKEW_SECONDS = 60
# The methods a sign-in accepts (verify_auth_challenge): a passkey, or a code on a contact channel.
SIGNS_IN = frozenset({"PASSKEY", *PROVES})
_EPOCH_SECONDS = re.compile(r"^[0-9]{1,12}$")
# What every request asks of AWS: the key, and its count against the user's limit.
init_phase.prepare(("secretsmanager", "dynamodb"))


class AuthsignalFailure(Exception):
    """Authsignal could not be reached, timed out, refused, or answered something unusable."""


class Misconfigured(Exception):
    """The function's environment is not what the stack sets: a deployment error (500)."""


class ApiError(Exception):
    """An answer other than 2xx, with the message the caller may see."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


class StepUpRequired(ApiError):
    """RFC 9470: the token is valid, but its sign-in is older than ``max_age`` seconds allow."""

    def __init__(self, max_age: int) -> None:
        minutes = max_age // 60
        super().__init__(
            401,
            f"sign in again: adding or removing an authenticator needs a sign-in within the last {minutes} minutes",
            {
                "WWW-Authenticate": 'Bearer error="insufficient_user_authentication", '
                f'error_description="A sign-in within the last {minutes} minutes is required", '
                f"max_age={max_age}"
            },
        )


def handler(event: HttpApiEvent, context: object = None) -> HttpApiResponse:
    retry.start_invocation(context)
    route = read.route_key(event)
    headers = {"Content-Type": "application/json"}
    try:
        user_id, claims = _access_claims(event)
        _count(user_id, route)
        if route in STEP_UP_ROUTES:
            _require_recent_sign_in(claims, route)
        if read.has_body(event):
            raise ApiError(400, "this route takes no request body")
        status, body = _dispatch(str(route), user_id, event)
    except ApiError as problem:
        status, body = problem.status, {"message": str(problem)}
        headers |= problem.headers
    except (SecretUnavailable, Misconfigured) as problem:
        decision("api_error", metric="ApiConfigurationError", level="ERROR", route=route, error=str(problem))
        status, body = 500, {"message": "internal error"}
    except AuthsignalFailure as problem:
        decision("api_error", metric="AuthsignalError", level="ERROR", route=route, status_code=502, error=str(problem))
        status, body = 502, {"message": "authenticator service unavailable"}
    except Exception as problem:  # noqa: BLE001 - a bug of ours: answer 500, say nothing more
        decision(
            "api_error", metric="ApiError", level="ERROR", route=route, status_code=500, error=error_summary(problem)
        )
        status, body = 500, {"message": "internal error"}
    decision("api_response", route=route, status_code=status)
    return {"statusCode": status, "headers": headers, "body": json.dumps(body)}


def _access_claims(event: HttpApiEvent) -> tuple[str, dict[str, object]]:
    """The ``sub`` and the verified claims of an access token, or 401."""
    try:
        claims = read.jwt_claims(event)
    except MalformedEvent:
        raise ApiError(401, "unauthorized") from None
    if claims.get("token_use") != "access":
        raise ApiError(401, "unauthorized")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise ApiError(401, "unauthorized")
    return sub, claims


def _count(user_id: str, route: str | None) -> None:
    """Count this request against the user's limit: 429 beyond it, 503 if it cannot be counted."""
    try:
        rate_limit.count_request(user_id)
    except rate_limit.LimitExceeded as exceeded:
        decision(
            "rate_limited", metric="RateLimited", level="WARNING", correlation_id=user_id, route=route, status_code=429
        )
        raise ApiError(
            429,
            f"too many requests: try again in {exceeded.retry_after} seconds",
            {"Retry-After": str(exceeded.retry_after)},
        ) from None
    except rate_limit.LimitUnavailable as problem:
        decision(
            "api_error",
            metric="RateLimitUnavailable",
            level="ERROR",
            correlation_id=user_id,
            route=route,
            status_code=503,
            error=str(problem),
        )
        raise ApiError(503, "service unavailable: try again shortly") from None


def _require_recent_sign_in(claims: dict[str, object], route: str | None) -> None:
    """401 with RFC 9470's step-up answer unless ``auth_time`` is within the configured window.

    Payload 2.0 hands every claim over as a string; a number is accepted too. Missing,
    unparseable, older than the window or further ahead than the clock skew: not recent.
    """
    max_age = _recent_auth_seconds()
    value = claims.get("auth_time")
    if isinstance(value, int) and not isinstance(value, bool):
        auth_time: int | None = value
    elif isinstance(value, str) and _EPOCH_SECONDS.fullmatch(value):
        auth_time = int(value)
    else:
        auth_time = None
    now = time.time()
    if auth_time is None:
        reason = "missing"
    elif auth_time < now - max_age:
        reason = "stale"
    elif auth_time > now + CLOCK_SKEW_SECONDS:
        reason = "future"
    else:
        return
    decision("step_up_required", metric="StepUpRequired", route=route, status_code=401, reason=reason)
    raise StepUpRequired(max_age)


def _recent_auth_seconds() -> int:
    """The window, from the environment the stack sets (whole minutes, 1-60)."""
    raw = os.environ.get(RECENT_AUTH_VARIABLE, "")
    if not raw.isdigit() or not 1 <= int(raw) <= 60:
        raise Misconfigured(f"{RECENT_AUTH_VARIABLE} must be whole minutes from 1 to 60")
    return int(raw) * 60


def _dispatch(route: str, user_id: str, event: HttpApiEvent) -> tuple[int, Any]:
    if route == "POST /authenticators":
        # Our own idempotencyKey: a retried track (shared.retry) is the same action, not a second.
        attributes = {"scope": ADD_SCOPE, "idempotencyKey": str(uuid.uuid4())}
        result = _call("track", user_id=user_id, action=ADD_ACTION, attributes=attributes)
        token = result.get("token") if isinstance(result, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthsignalFailure("track answered without a token")
        return 200, {"authsignalToken": token}
    if route == "GET /authenticators":
        return 200, {"authenticators": [_public(item) for item in _authenticators(user_id)]}
    if route == "DELETE /authenticators/{authenticatorId}":
        authenticator_id = read.path_parameter(event, "authenticatorId")
        if authenticator_id is None or not AUTHENTICATOR_ID.fullmatch(authenticator_id):
            raise ApiError(400, "malformed authenticator id")
        # Distinct non-empty ids, not list items: a malformed item (no id, or one listed twice)
        # must never make the last real authenticator look like one of two. And what is left must
        # sign in: an authenticator app (TOTP) or the like never does, so it does not count.
        owned = {
            found: item.get("verification_method")
            for item in _authenticators(user_id)
            if isinstance(found := item.get("user_authenticator_id"), str) and found
        }
        if authenticator_id not in owned:
            raise ApiError(404, "authenticator not found")
        if not any(method in SIGNS_IN for found, method in owned.items() if found != authenticator_id):
            raise ApiError(409, "this is your only authenticator: add another one before removing it")
        _call("delete_authenticator", user_id=user_id, user_authenticator_id=authenticator_id)
        decision("authenticator_removed", metric="AuthenticatorRemoved", route=route)
        return 200, {"deleted": authenticator_id}
    raise ApiError(404, "route not found")


def _authenticators(user_id: str) -> list[dict[str, Any]]:
    result = _call("get_authenticators", user_id=user_id)
    if not isinstance(result, list) or not all(isinstance(item, dict) for item in result):
        raise AuthsignalFailure("get-authenticators answered without a list")
    return result


def _call(method: str, **arguments: Any) -> Any:
    """Call the SDK; any failure of the call itself is Authsignal's (502), not ours."""
    client = authsignal()  # SecretUnavailable passes through: a configuration error, 500
    try:
        return getattr(client, method)(**arguments)
    except Exception as problem:  # noqa: BLE001 - HTTP errors, timeouts, non-JSON answers
        raise AuthsignalFailure(error_summary(problem)) from None


def _public(item: dict[str, Any]) -> dict[str, Any]:
    """What the app may show of an authenticator: no credential material, no contact details."""
    credential = item.get("webauthn_credential")
    credential = credential if isinstance(credential, dict) else {}
    mapping = credential.get("aaguid_mapping")
    mapping = mapping if isinstance(mapping, dict) else {}
    return {
        "id": item.get("user_authenticator_id"),
        "type": item.get("verification_method"),
        "createdAt": item.get("created_at"),
        "lastUsedAt": item.get("last_verified_at"),
        "displayName": mapping.get("name") or credential.get("name"),
    }

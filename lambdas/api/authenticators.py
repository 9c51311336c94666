"""The authenticators API: a signed-in user gets a token to add a passkey, lists their
authenticators, and removes one of their own.

The user is only ever the ``sub`` of the JWT that API Gateway verified; nothing in the body,
path or query can name another user. Only access tokens are accepted: an ID token passes the
authorizer (its ``aud`` is the client) but is not meant for APIs, so it answers 401.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from shared import retry
from shared.authsignal_client import authsignal
from shared.log import decision, error_summary
from shared.secret import SecretUnavailable

ADD_ACTION = "addAuthenticator"
ADD_SCOPE = "add:authenticators"
AUTHENTICATOR_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


class AuthsignalFailure(Exception):
    """Authsignal could not be reached, timed out, refused, or answered something unusable."""


class ApiError(Exception):
    """An answer other than 2xx, with the message the caller may see."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    retry.start_invocation(context)
    route = event.get("routeKey") if isinstance(event, dict) else None
    try:
        user_id = _caller(event)
        if event.get("body"):
            raise ApiError(400, "this route takes no request body")
        status, body = _dispatch(str(route), user_id, event)
    except ApiError as problem:
        status, body = problem.status, {"message": str(problem)}
    except SecretUnavailable as problem:
        decision("api_error", metric="ApiConfigurationError", level="ERROR", route=route, error=str(problem))
        status, body = 500, {"message": "internal error"}
    except AuthsignalFailure as problem:
        decision("api_error", metric="AuthsignalError", level="ERROR", route=route, status_code=502, error=str(problem))
        status, body = 502, {"message": "authenticator service unavailable"}
    except Exception as problem:  # noqa: BLE001 - a bug of ours: answer 500, say nothing more
        decision("api_error", metric="ApiError", level="ERROR", route=route, status_code=500,
                 error=error_summary(problem))
        status, body = 500, {"message": "internal error"}
    decision("api_response", route=route, status_code=status)
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def _caller(event: Any) -> str:
    """The verified ``sub`` of an access token, or 401."""
    try:
        claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    except (KeyError, TypeError):
        raise ApiError(401, "unauthorized") from None
    if not isinstance(claims, dict) or claims.get("token_use") != "access":
        raise ApiError(401, "unauthorized")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise ApiError(401, "unauthorized")
    return sub


def _dispatch(route: str, user_id: str, event: dict[str, Any]) -> tuple[int, Any]:
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
        authenticator_id = (event.get("pathParameters") or {}).get("authenticatorId")
        if not isinstance(authenticator_id, str) or not AUTHENTICATOR_ID.fullmatch(authenticator_id):
            raise ApiError(400, "malformed authenticator id")
        if authenticator_id not in {item.get("user_authenticator_id") for item in _authenticators(user_id)}:
            raise ApiError(404, "authenticator not found")
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

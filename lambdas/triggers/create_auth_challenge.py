"""Create auth challenge: asks Authsignal what this sign-in needs and hands the app what it
takes to complete it (``url``, ``token``, ``isEnrolled``).

If the user has a pending passkey challenge (the app ran the passkey prompt first), its id
goes to ``track`` so the passkey sign-in counts for the ``cognitoAuth`` action. A ``BLOCK``
answer, or any error, refuses the sign-in outright: no challenge is handed out at all.
"""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from shared import retry
from shared.authsignal_client import SIGN_IN_ACTION, authsignal, pending_passkey_challenge_id
from shared.event import MalformedEvent, field, optional_str
from shared.log import decision, error_summary
from shared.secret import SecretUnavailable


class ChallengeRefused(Exception):
    """Raised to make Cognito end the sign-in; the message is all the caller sees."""


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    retry.start_invocation(context)
    correlation_id = event.get("userName") if isinstance(event, dict) else None
    try:
        challenge = _challenge(event)
    except _Blocked as blocked:
        decision("sign_in_blocked", metric="Blocked", level="WARNING",
                 correlation_id=correlation_id, idempotency_key=blocked.idempotency_key)
        raise ChallengeRefused("sign-in refused") from None
    except MalformedEvent as problem:
        _refuse(correlation_id, "malformed_event", str(problem))
    except SecretUnavailable as problem:
        _refuse(correlation_id, "secret_unavailable", str(problem))
    except Exception as problem:  # noqa: BLE001 - Authsignal down, slow or odd: fail closed
        _refuse(correlation_id, "authsignal_error", error_summary(problem))

    public, idempotency_key = challenge
    event["response"] = {
        "publicChallengeParameters": public,
        "privateChallengeParameters": {"action": SIGN_IN_ACTION},
        "challengeMetadata": "AUTHSIGNAL",
    }
    decision("challenge_created", metric="ChallengeCreated",
             correlation_id=correlation_id, idempotency_key=idempotency_key)
    return event


class _Blocked(Exception):
    def __init__(self, idempotency_key: str | None) -> None:
        super().__init__("blocked")
        self.idempotency_key = idempotency_key


def _challenge(event: Any) -> tuple[dict[str, str], str | None]:
    """The public challenge parameters (strings only) and the action's idempotency key.

    The key is ours, made once per invocation and sent with ``track``: a retried track
    (shared.retry) is then the same action, never a second one.
    """
    user_id = field(event, "request.userAttributes.sub", str)
    client = authsignal()
    challenge_id = pending_passkey_challenge_id(client, user_id)
    result = client.track(
        user_id=user_id,
        action=SIGN_IN_ACTION,
        attributes={
            "email": optional_str(event, "request.userAttributes.email"),
            "phoneNumber": optional_str(event, "request.userAttributes.phone_number"),
            "challengeId": challenge_id,
            "idempotencyKey": str(uuid.uuid4()),
        },
    )
    if not isinstance(result, dict):
        raise ValueError("track answered without a JSON object")
    idempotency_key = result.get("idempotency_key") if isinstance(result.get("idempotency_key"), str) else None
    if result.get("state") == "BLOCK":
        raise _Blocked(idempotency_key)
    token, url, enrolled = result.get("token"), result.get("url"), result.get("is_enrolled")
    if not (isinstance(token, str) and token and isinstance(url, str) and isinstance(enrolled, bool)):
        raise ValueError("track answered without token, url or isEnrolled")
    return {"url": url, "token": token, "isEnrolled": "true" if enrolled else "false"}, idempotency_key


def _refuse(correlation_id: object, reason: str, error: str) -> NoReturn:
    decision("challenge_refused", metric="AuthsignalError" if reason == "authsignal_error" else "ChallengeRefused",
             level="ERROR", correlation_id=correlation_id, reason=reason, error=error)
    raise ChallengeRefused("sign-in refused") from None


"""Verify auth challenge response: the answer is the Authsignal validation token the app
got by completing the challenge. It is correct only if Authsignal says the token is valid,
its state is ``CHALLENGE_SUCCEEDED``, and it was issued for this user and for ``cognitoAuth``.
Anything else, errors included, is a wrong answer."""

from __future__ import annotations

from typing import Any

from shared import retry
from shared.authsignal_client import SIGN_IN_ACTION, authsignal
from shared.event import MalformedEvent, field
from shared.log import decision, error_summary
from shared.secret import SecretUnavailable

SUCCEEDED = "CHALLENGE_SUCCEEDED"


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    retry.start_invocation(context)
    correlation_id = event.get("userName") if isinstance(event, dict) else None
    error = None
    idempotency_key = None
    try:
        user_id = field(event, "request.userAttributes.sub", str)
        token = field(event, "request.challengeAnswer", str)
        result = authsignal().validate_challenge({"action": SIGN_IN_ACTION, "userId": user_id, "token": token})
        if isinstance(result, dict) and isinstance(result.get("idempotency_key"), str):
            idempotency_key = result["idempotency_key"]
        reason = rejection(result, user_id)
    except MalformedEvent as problem:
        reason, error = "malformed_event", str(problem)
    except SecretUnavailable as problem:
        reason, error = "secret_unavailable", str(problem)
    except Exception as problem:  # noqa: BLE001 - Authsignal down, slow or odd: fail closed
        reason, error = "authsignal_error", error_summary(problem)

    if not isinstance(event, dict):
        event = {}
    event["response"] = {"answerCorrect": reason is None}
    if reason is None:
        decision("answer_accepted", metric="AnswerAccepted",
                 correlation_id=correlation_id, idempotency_key=idempotency_key)
    else:
        decision("answer_rejected", metric="AnswerRejected", level="WARNING",
                 correlation_id=correlation_id, idempotency_key=idempotency_key, reason=reason, error=error)
    return event


def rejection(result: Any, user_id: str) -> str | None:
    """Why Authsignal's validation answer does not sign ``user_id`` in, or None if it does."""
    if not isinstance(result, dict) or result.get("is_valid") is not True:
        return "invalid"
    if result.get("user_id") != user_id:
        return "wrong_user"
    if result.get("action") != SIGN_IN_ACTION:
        return "wrong_action"
    if result.get("state") != SUCCEEDED:
        return "wrong_state"
    return None

"""Verify auth challenge response: the answer is an Authsignal validation token. It signs the
user in only if every condition of the contract holds (docs/security.md):

* it is not the track token this sign-in handed out (refused before any call to Authsignal:
  whoever started the sign-in holds it; shared/session_binding);
* Authsignal says it is valid, ``CHALLENGE_SUCCEEDED``, for this user (``sub``) and ``cognitoAuth``;
* its ``verificationMethod`` is a channel the account has (``EMAIL_OTP`` with an ``email``, or
  ``EMAIL_MAGIC_LINK`` when ``EMAIL_MAGIC_LINK_ENABLED`` is ``true``; ``SMS`` with a
  ``phone_number``) or ``PASSKEY``;
* it belongs to this sign-in: its ``idempotencyKey`` is the one the create trigger tracked for
  this session, or it is a passkey sign-in (``verificationMethod`` ``PASSKEY``, an action no
  create step tracked) that succeeded within ``PASSKEY_TOKEN_MAX_AGE_SECONDS`` (and not in the
  future beyond a small clock skew);
* it was never used before: its ``idempotencyKey`` is claimed once, atomically (shared/single_use),
  after every other check passed.

Then the contact an OTP proved becomes verified (shared/contact_verification). Anything else,
errors included, is a wrong answer with one log line saying why.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared import contact_verification, retry, session_binding, single_use
from shared import event as read
from shared.authsignal_client import SIGN_IN_ACTION, authsignal
from shared.event import MalformedEvent
from shared.log import decision, error_summary
from shared.secret import SecretUnavailable

if TYPE_CHECKING:
    from shared.event_types import VerifyAuthChallengeEvent

SUCCEEDED = "CHALLENGE_SUCCEEDED"
PASSKEY = "PASSKEY"
MAGIC_LINK = "EMAIL_MAGIC_LINK"
MAGIC_LINK_VARIABLE = "EMAIL_MAGIC_LINK_ENABLED"
MAX_AGE_VARIABLE = "PASSKEY_TOKEN_MAX_AGE_SECONDS"
CLOCK_SKEW_SECONDS = 30


def handler(event: VerifyAuthChallengeEvent, context: object = None) -> VerifyAuthChallengeEvent:
    retry.start_invocation(context, keep_seconds=single_use.CLAIM_SECONDS)
    correlation_id = read.user_attribute(event, "sub")
    error = None
    idempotency_key = None
    method = None
    try:
        user_id = read.user_id(event)
        token = read.challenge_answer(event)
        session_key = read.optional_private_parameter(event, "idempotencyKey")
        kept_digest = read.private_parameter(event, session_binding.DIGEST_PARAMETER)
        if not session_binding.is_token_text(token):
            raise _NotAToken()
        if session_binding.is_track_token(token, kept_digest):
            raise _TrackToken()
        result = authsignal().validate_challenge({"action": SIGN_IN_ACTION, "userId": user_id, "token": token})
        if isinstance(result, dict) and isinstance(result.get("idempotency_key"), str):
            idempotency_key = result["idempotency_key"]
        contacts = {name for name in set(contact_verification.PROVES.values()) if read.user_attribute(event, name)}
        reason = rejection(result, user_id, session_key, datetime.now(UTC), contacts)
        if reason is None:
            method = result["verification_method"]  # a str: rejection() checked it
            single_use.claim(result["idempotency_key"])
    except _TrackToken:
        reason = "track_token"
    except _NotAToken:
        reason = "malformed_answer"
    except MalformedEvent as problem:
        reason, error = "malformed_event", str(problem)
    except SecretUnavailable as problem:
        reason, error = "secret_unavailable", str(problem)
    except single_use.AlreadyUsed:
        reason = "already_used"
    except single_use.SingleUseUnavailable as problem:
        reason, error = "single_use_unavailable", str(problem)
    except Exception as problem:  # noqa: BLE001 - Authsignal down, slow or odd: fail closed
        reason, error = "authsignal_error", error_summary(problem)

    if not isinstance(event, dict):
        event = {}
    event["response"] = {"answerCorrect": reason is None}
    if reason is None:
        decision(
            "answer_accepted",
            metric="AnswerAccepted",
            correlation_id=correlation_id,
            idempotency_key=idempotency_key,
            method=method,
        )
        contact_verification.mark_verified(event, method, correlation_id)
    else:
        decision(
            "answer_rejected",
            metric="AnswerRejected",
            level="WARNING",
            correlation_id=correlation_id,
            idempotency_key=idempotency_key,
            reason=reason,
            error=error,
        )
    return event


class _TrackToken(Exception):
    """The answer is the track token this sign-in handed out: no proof of anything."""


class _NotAToken(Exception):
    """The answer holds what no token holds (whitespace, another alphabet): not worth a call."""


def rejection(result: Any, user_id: str, session_key: str | None, now: datetime, contacts: set[str]) -> str | None:
    """Why Authsignal's validation answer does not sign ``user_id`` in to this sign-in (whose
    tracked key is ``session_key``), or None if it does (single use aside).

    ``contacts`` are the account's contact attributes (``email``, ``phone_number``): an OTP or a
    magic link counts only on a channel the account has, so a method enrolled or chosen by
    someone else (another phone, an authenticator app) never signs in; a passkey is the user's own.
    """
    if not isinstance(result, dict) or result.get("is_valid") is not True:
        return "invalid"
    if result.get("user_id") != user_id:
        return "wrong_user"
    if result.get("action") != SIGN_IN_ACTION:
        return "wrong_action"
    if result.get("state") != SUCCEEDED:
        return "wrong_state"
    key = result.get("idempotency_key")
    succeeded_at = _timestamp(result.get("state_updated_at"))
    if not isinstance(key, str) or not key or succeeded_at is None:
        return "incomplete_answer"
    method = result.get("verification_method")
    if not isinstance(method, str) or (method != PASSKEY and contact_verification.PROVES.get(method) not in contacts):
        return "wrong_method"
    if method == MAGIC_LINK and not magic_link_enabled():
        return "magic_link_disabled"
    if session_key is not None and key == session_key:
        return None
    if method != PASSKEY or session_binding.is_tracked_by_us(key):
        return "not_this_sign_in"
    age = (now - succeeded_at).total_seconds()
    if age < -CLOCK_SKEW_SECONDS:
        return "passkey_from_the_future"
    if age > passkey_token_max_age():
        return "passkey_too_old"
    return None


def magic_link_enabled() -> bool:
    """Whether this environment accepts email magic links (off unless set to ``true``): whoever
    holds a magic link's track token can poll for its validation token once the person clicks."""
    return os.environ.get(MAGIC_LINK_VARIABLE) == "true"


def passkey_token_max_age() -> int:
    """How long after it succeeded a passkey sign-in may still sign someone in (seconds). The
    stack always sets it: missing, the answer is refused (no default stands in)."""
    value = int(os.environ[MAX_AGE_VARIABLE])
    if value < 1:
        raise ValueError(f"{MAX_AGE_VARIABLE} must be positive")
    return value


def _timestamp(value: object) -> datetime | None:
    """An ISO 8601 timestamp with a time zone, or None if it is missing or not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None

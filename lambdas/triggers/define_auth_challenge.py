"""Define auth challenge: decides, from the session so far, whether to issue tokens,
ask for another custom challenge, or fail.

Tokens are issued only when every challenge in the session is ``CUSTOM_CHALLENGE`` and the
last one succeeded. It needs neither the Authsignal SDK nor the secret, so it imports
neither: this trigger runs on every step of every sign-in.
"""

from __future__ import annotations

import os

from shared import event as read
from shared.event import MalformedEvent
from shared.log import decision

TYPE_CHECKING = False  # no typing import at run time: see shared/event.py
if TYPE_CHECKING:
    from shared.event_types import DefineAuthChallengeEvent, DefineAuthChallengeResponse

CUSTOM_CHALLENGE = "CUSTOM_CHALLENGE"
ATTEMPT_LIMIT_VARIABLE = "ATTEMPT_LIMIT"


def handler(event: DefineAuthChallengeEvent, context: object = None) -> DefineAuthChallengeEvent:
    correlation_id = read.user_attribute(event, "sub")  # never the user name as typed
    error = None
    try:
        outcome, reason, failures = _decide(event)
    except MalformedEvent as problem:
        outcome, reason, failures, error = "fail", "malformed_event", None, str(problem)
    except Exception as problem:  # noqa: BLE001 - fail closed on anything unforeseen
        outcome, reason, failures, error = "fail", "unexpected_error", None, type(problem).__name__

    response: DefineAuthChallengeResponse = {
        "issueTokens": outcome == "tokens",
        "failAuthentication": outcome == "fail",
    }
    if outcome == "challenge":
        response["challengeName"] = CUSTOM_CHALLENGE
    if not isinstance(event, dict):
        event = {}
    event["response"] = response

    if outcome == "tokens":
        decision("tokens_issued", metric="TokensIssued", correlation_id=correlation_id)
    elif outcome == "challenge":
        decision("challenge_requested", correlation_id=correlation_id, failures=failures)
    elif reason == "attempts_exhausted":
        decision(
            "attempts_exhausted",
            metric="AttemptsExhausted",
            level="WARNING",
            correlation_id=correlation_id,
            failures=failures,
        )
    else:
        decision(
            "authentication_failed",
            metric="AuthenticationFailed",
            level="WARNING",
            correlation_id=correlation_id,
            reason=reason,
            error=error,
        )
    return event


def attempt_limit() -> int:
    """The configured number of wrong answers after which a sign-in fails. The stack always sets
    it: missing, it is a deployment error, and the sign-in fails (no default stands in)."""
    value = int(os.environ[ATTEMPT_LIMIT_VARIABLE])
    if value < 1:
        raise ValueError(f"{ATTEMPT_LIMIT_VARIABLE} must be positive")
    return value


def _decide(event: DefineAuthChallengeEvent) -> tuple[str, str | None, int | None]:
    """``("tokens" | "challenge" | "fail", reason, failures so far)``."""
    if read.user_not_found(event):
        return "fail", "user_not_found", None
    results = []
    for entry in read.session(event):
        if entry["challengeName"] != CUSTOM_CHALLENGE:
            return "fail", "non_custom_challenge", None
        results.append(entry["challengeResult"])
    if results and results[-1]:
        return "tokens", None, None
    failures = results.count(False)
    if failures >= attempt_limit():
        return "fail", "attempts_exhausted", failures
    return "challenge", None, failures

"""When an Authsignal request may be tried again, and whether there is time to.

Authsignal's own Node SDK retries connection errors and 5xx for safe methods; the Python SDK
4.1.0 does not, so one dropped packet would refuse a sign-in. The rules here:

- only a request that is the same action when repeated: a GET, ``POST /validate`` (it reads),
  and a POST whose JSON body carries an ``idempotencyKey`` (``track``: Authsignal answers the
  same action for the same key);
- only after a transient failure: a connection error, a timeout, 429 or 5xx; any other 4xx
  is an answer, never retried;
- at most ``MAX_ATTEMPTS`` attempts, with full-jitter backoff so retries of many functions
  do not arrive together, or, when the answer says how long to wait (``Retry-After``, in
  seconds or as an HTTP date), at least that long: a server that is throttling asked for it;
- only if the attempt can end before the invocation's deadline: the function's remaining
  time (``context.get_remaining_time_in_millis()``) minus ``MARGIN_SECONDS`` to answer
  Cognito, minus what the function still has to do after Authsignal answers (the verify
  trigger's single-use put). Trigger functions time out before Cognito's 5 s, so no retry can
  outlive it.

The deadline is per invocation: each handler calls ``start_invocation(context)`` first.
A transient failure that is not tried again says why (``held_back``): the caller logs it, so
every 429 Authsignal answers is counted once, retried or not.
"""

from __future__ import annotations

import json
import random
import time
from email.utils import parsedate_to_datetime  # loaded already: http.client imports it

MAX_ATTEMPTS = 3
MARGIN_SECONDS = 0.5
BACKOFF_BASE_SECONDS = 0.1
RETRYABLE_STATUSES = frozenset({429}) | frozenset(range(500, 600))

_deadline: float | None = None  # time.monotonic() by which the invocation must be done


def start_invocation(context: object, *, keep_seconds: float = 0.0) -> None:
    """Set this invocation's deadline from the Lambda context (none without one: local use),
    keeping ``keep_seconds`` for the work that follows the Authsignal calls."""
    global _deadline
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    _deadline = time.monotonic() + remaining() / 1000 - MARGIN_SECONDS - keep_seconds if callable(remaining) else None


def fits(seconds: float) -> bool:
    """Whether something taking up to ``seconds`` from now ends before the deadline."""
    return _deadline is None or time.monotonic() + seconds <= _deadline


def backoff(attempt: int) -> float:
    """Seconds to wait before attempt number ``attempt + 1`` (full jitter, doubling)."""
    return random.uniform(0, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))


def wait_before(attempt: int, retry_after: str | None) -> float:
    """Seconds to wait before attempt number ``attempt + 1``: the backoff, or what the server
    asked for in ``Retry-After`` when that is longer."""
    return max(backoff(attempt), asked_to_wait(retry_after) or 0.0)


def asked_to_wait(retry_after: str | None) -> float | None:
    """The seconds a ``Retry-After`` value asks for (RFC 9110: a number of seconds, or an HTTP
    date, from now), or None without a readable one."""
    value = (retry_after or "").strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None  # an HTTP date is always GMT; a date without a zone is not one
    return max(0.0, moment.timestamp() - time.time())


def held_back(idempotent: bool, attempt: int, seconds: float) -> str | None:
    """Why a transient failure of attempt number ``attempt`` is not tried again after waiting
    ``seconds`` (the wait and the next attempt's timeout), or None if it is."""
    if not idempotent:
        return "not repeatable"
    if attempt >= MAX_ATTEMPTS:
        return f"{MAX_ATTEMPTS} attempts made"
    if not fits(seconds):
        return "no time left for the wait and another attempt"
    return None


def is_idempotent(method: str, path: str, body: object) -> bool:
    """Whether sending this request again cannot do anything a second time."""
    if method == "GET":
        return True
    if method != "POST":
        return False
    if path.endswith("/validate"):
        return True
    try:
        data = json.loads(body) if isinstance(body, (str, bytes)) else None
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("idempotencyKey"), str) and bool(data["idempotencyKey"])


def transient_status(status: int) -> str | None:
    """The retry reason for an HTTP status, or None if the status is an answer to keep."""
    if status == 429:
        return "throttled"
    if status in RETRYABLE_STATUSES:
        return "server_error"
    return None


def operation(method: str, path: str) -> str:
    """A name for the call that says which endpoint without any id in its path."""
    if path.endswith("/validate"):
        return "validate"
    if "/actions/" in path:
        return "track"
    if "/authenticators" in path:
        return f"{method.lower()}_authenticators"
    return method.lower()


def reset() -> None:
    """Forget the deadline (tests simulate a new invocation without context with it)."""
    global _deadline
    _deadline = None

"""A per-user limit on the API: at most N requests per minute per ``sub``.

The HTTP API's own throttling is per stage and route, shared by everyone: one signed-in user
could use it all up, and drive Authsignal calls with it. So every authenticated request first
counts itself in a DynamoDB item of its user and minute window, with one atomic ``UpdateItem``
(``ADD`` on the condition that the count is still below the limit): of any number of racing
requests, exactly N pass in a window. The item expires by TTL a minute after its window.

Over the limit: ``LimitExceeded`` with the seconds to the window's end (the caller answers 429
with ``Retry-After``). The counter unreachable, or the function misconfigured: ``LimitUnavailable``
(the caller answers 503: unlimited requests are not let through). The client is the container's
one DynamoDB client (shared/aws).
"""

from __future__ import annotations

import math
import os
import time

from shared import aws

TABLE_VARIABLE = "RATE_LIMIT_TABLE_NAME"
LIMIT_VARIABLE = "API_REQUESTS_PER_MINUTE_PER_USER"
# Must match stacks/expiring_table.py (runtime code and CDK code do not import each other).
KEY_ATTRIBUTE = "key"
EXPIRY_ATTRIBUTE = "expiresAt"
COUNT_ATTRIBUTE = "requests"
WINDOW_SECONDS = 60


class LimitExceeded(Exception):
    """The user made the limit's worth of requests in this window already."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class LimitUnavailable(Exception):
    """The request could not be counted: it is refused rather than let through uncounted."""


def count_request(user_id: str, now: float | None = None) -> None:
    """Count one request of ``user_id`` in the current minute window, or raise."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    window_end = (window + 1) * WINDOW_SECONDS
    limit = _limit()
    try:
        aws.client("dynamodb").update_item(
            TableName=os.environ[TABLE_VARIABLE],
            Key={KEY_ATTRIBUTE: {"S": f"{user_id}#{window}"}},
            UpdateExpression=f"ADD {COUNT_ATTRIBUTE} :one SET {EXPIRY_ATTRIBUTE} = :expires",
            ConditionExpression=f"attribute_not_exists({COUNT_ATTRIBUTE}) OR {COUNT_ATTRIBUTE} < :limit",
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":limit": {"N": str(limit)},
                ":expires": {"N": str(window_end + WINDOW_SECONDS)},
            },
        )
    except Exception as error:  # noqa: BLE001 - every failure but a lost condition is "unavailable"
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        if code == "ConditionalCheckFailedException":
            raise LimitExceeded(max(1, math.ceil(window_end - now))) from None
        raise LimitUnavailable(code or type(error).__name__) from None


def _limit() -> int:
    """The limit the stack sets (a whole number of at least 1)."""
    raw = os.environ.get(LIMIT_VARIABLE, "")
    if not raw.isdigit() or int(raw) < 1:
        raise LimitUnavailable(f"{LIMIT_VARIABLE} must be a whole number of at least 1")
    return int(raw)

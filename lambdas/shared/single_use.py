"""Single use of an answer: an Authsignal ``idempotencyKey`` signs someone in at most once.

The key is written to a DynamoDB table with a conditional put (it must not be there yet), so
of two sign-ins racing with one token exactly one wins. The key is kept for a day (TTL), far
longer than any validation token or sign-in session lives. Only the key is stored, never the
token. The client is the container's one DynamoDB client (shared/aws).
"""

from __future__ import annotations

import os
import time

from shared import aws

TABLE_VARIABLE = "SINGLE_USE_TABLE_NAME"
KEY_ATTRIBUTE = "idempotencyKey"
EXPIRY_ATTRIBUTE = "expiresAt"
KEEP_SECONDS = 24 * 60 * 60
# What the verify trigger keeps of its time for the put after Authsignal answers (shared/retry):
# the put's worst case (connect and read timeouts of its one try).
CLAIM_SECONDS = aws.WORST_CALL_SECONDS


class AlreadyUsed(Exception):
    """The key signed someone in before (or another sign-in with it won the race)."""


class SingleUseUnavailable(Exception):
    """The table could not be written: the answer cannot be proven unused."""


def claim(idempotency_key: str) -> None:
    """Record ``idempotency_key`` as used, or raise: ``AlreadyUsed`` if it was, else
    ``SingleUseUnavailable`` for any other failure (the caller fails closed)."""
    try:
        aws.client("dynamodb").put_item(
            TableName=os.environ[TABLE_VARIABLE],
            Item={KEY_ATTRIBUTE: {"S": idempotency_key}, EXPIRY_ATTRIBUTE: {"N": str(int(time.time()) + KEEP_SECONDS)}},
            ConditionExpression=f"attribute_not_exists({KEY_ATTRIBUTE})",
        )
    except Exception as error:  # noqa: BLE001 - every failure but a lost condition is "unavailable"
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        if code == "ConditionalCheckFailedException":
            raise AlreadyUsed() from None
        raise SingleUseUnavailable(code or type(error).__name__) from None

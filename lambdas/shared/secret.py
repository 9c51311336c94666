"""The Authsignal secret key, read from Secrets Manager once per cold start.

The Secrets Manager client (``shared/aws.py``: botocore, which the runtime ships) is made on
first use, not at module import, so only the first invocation of a container pays for it. Only
a usable value is cached, so a secret set after a failed read is picked up on the next
invocation.
"""

from __future__ import annotations

import os

from shared import aws

SECRET_ARN_VARIABLE = "AUTHSIGNAL_SECRET_ARN"
PLACEHOLDER_PREFIX = "PLACEHOLDER"

_cached: str | None = None


class SecretUnavailable(Exception):
    """The secret is missing, empty or still the placeholder the stack created."""


def authsignal_secret_key() -> str:
    """Return the secret key, reading Secrets Manager only the first time."""
    global _cached
    if _cached is None:
        _cached = _read()
    return _cached


def _read() -> str:
    arn = os.environ.get(SECRET_ARN_VARIABLE)
    if not arn:
        raise SecretUnavailable(f"{SECRET_ARN_VARIABLE} is not set")
    try:
        value = aws.client("secretsmanager").get_secret_value(SecretId=arn).get("SecretString")
    except Exception as error:  # noqa: BLE001 - any failure to read is the same answer: no key
        raise SecretUnavailable(f"cannot read the secret ({type(error).__name__})") from None
    key = value.strip() if isinstance(value, str) else ""
    if not key:
        raise SecretUnavailable("the secret is empty")
    if key.startswith(PLACEHOLDER_PREFIX):
        raise SecretUnavailable("the secret still holds the placeholder; set the Authsignal key")
    return key


def reset_cache() -> None:
    """Forget the cached key (tests simulate a new cold start with it)."""
    global _cached
    _cached = None

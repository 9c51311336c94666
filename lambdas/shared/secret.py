"""The Authsignal secret key, read from Secrets Manager once per cold start, and again when
Authsignal refuses it (the key was rotated: ``reread_authsignal_secret_key``).

boto3 is imported on first use, not at module import: the runtime ships it, and only the
first invocation of a warm container pays for it. Only a usable value is cached, so a
secret set after a failed read is picked up on the next invocation.
"""

from __future__ import annotations

import os

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


def reread_authsignal_secret_key() -> str:
    """Drop the cached key and read the secret again: Authsignal refused the cached one."""
    reset_cache()
    return authsignal_secret_key()


def _read() -> str:
    arn = os.environ.get(SECRET_ARN_VARIABLE)
    if not arn:
        raise SecretUnavailable(f"{SECRET_ARN_VARIABLE} is not set")
    import boto3  # deferred: see module docstring

    try:
        value = boto3.client("secretsmanager").get_secret_value(SecretId=arn).get("SecretString")
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

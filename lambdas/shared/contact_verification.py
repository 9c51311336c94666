"""Verification follows proof: after a correct answer proven by an OTP (or magic link) sent to
the account's email, or an SMS to its phone number, that contact becomes ``*_verified``.

Only when the account has that contact and it is not verified yet (one AdminUpdateUserAttributes
call, on this pool only). A failure is logged as one line and does not fail the sign-in: the
person did prove the contact; the flag will be set on a later sign-in. The client is built on
first use, once per container (shared/aws_client).
"""

from __future__ import annotations

from typing import Any

from shared.aws_client import trigger_client
from shared.event import optional_str
from shared.log import decision, error_summary

# Authsignal verificationMethod -> the Cognito contact it proves
PROVES = {"EMAIL_OTP": "email", "EMAIL_MAGIC_LINK": "email", "SMS": "phone_number"}

_client: Any = None


def mark_verified(event: Any, verification_method: object, correlation_id: str | None) -> str | None:
    """Set the contact proven by ``verification_method`` verified; the attribute set, or None."""
    contact = PROVES.get(verification_method) if isinstance(verification_method, str) else None
    if contact is None or not optional_str(event, f"request.userAttributes.{contact}"):
        return None
    flag = f"{contact}_verified"
    if optional_str(event, f"request.userAttributes.{flag}") == "true":
        return None
    try:
        _cognito().admin_update_user_attributes(
            UserPoolId=event["userPoolId"], Username=event["userName"],
            UserAttributes=[{"Name": flag, "Value": "true"}],
        )
    except Exception as error:  # noqa: BLE001 - logged; the sign-in itself stands
        decision("contact_verification_failed", metric="ContactVerificationFailed", level="WARNING",
                 correlation_id=correlation_id, reason=flag, error=error_summary(error))
        return None
    return flag


def _cognito() -> Any:
    global _client
    if _client is None:
        _client = trigger_client("cognito-idp")
    return _client


def reset_client() -> None:
    """Forget the client (tests simulate a new cold start with it)."""
    global _client
    _client = None

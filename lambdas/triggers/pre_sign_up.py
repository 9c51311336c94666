"""Pre sign-up: confirm the user and mark the email or phone number they signed up with as
verified. Nothing is proven yet: the first sign-in's OTP or passkey proves ownership, and
no sign-in succeeds without it."""

from __future__ import annotations

from shared.event import MalformedEvent, field, optional_str
from shared.log import decision

TYPE_CHECKING = False  # no typing import at run time: see shared/event.py
if TYPE_CHECKING:
    from typing import Any


class SignUpRefused(Exception):
    """Raised to make Cognito refuse the sign-up; the message is all the caller sees."""


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    correlation_id = event.get("userName") if isinstance(event, dict) else None
    try:
        field(event, "request.userAttributes", dict)
        email = optional_str(event, "request.userAttributes.email")
        phone = optional_str(event, "request.userAttributes.phone_number")
        if not email and not phone:
            raise MalformedEvent("neither email nor phone_number in request.userAttributes")
    except MalformedEvent as problem:
        decision("sign_up_refused", metric="SignUpRefused", level="WARNING",
                 correlation_id=correlation_id, reason="malformed_event", error=str(problem))
        raise SignUpRefused("sign-up refused") from None

    event["response"] = {
        "autoConfirmUser": True,
        "autoVerifyEmail": email is not None,
        "autoVerifyPhone": phone is not None,
    }
    decision("sign_up_confirmed", metric="SignUpConfirmed", correlation_id=correlation_id)
    return event

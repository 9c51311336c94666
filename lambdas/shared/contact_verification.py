"""Verification follows proof: after a correct answer proven by an OTP (or magic link) sent to
the account's email, or an SMS to its phone number, that contact becomes ``*_verified``.

Only when the account has that contact and it is not verified yet (one AdminUpdateUserAttributes
call, on this pool only). A failure is logged as one line and does not fail the sign-in: the
person did prove the contact; the flag will be set on a later sign-in. So is a call that could
not end before the invocation's deadline (shared/retry): it is not made, and Cognito gets its
answer in time. A throttled call (``TooManyRequestsException``: the account's user-update rate,
shared by every user pool of the account and Region and not adjustable, is used up) is its own
metric, ``ContactVerificationThrottled``, so a wave of first sign-ins shows as what it is; it is
not retried here, where every retry would spend the same rate. The client is the container's one
Cognito client (shared/aws).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared import aws, retry
from shared import event as read
from shared.log import decision, error_summary

if TYPE_CHECKING:
    from shared.event_types import VerifyAuthChallengeEvent

# Authsignal verificationMethod -> the Cognito contact it proves
PROVES = {"EMAIL_OTP": "email", "EMAIL_MAGIC_LINK": "email", "SMS": "phone_number"}
THROTTLED = "TooManyRequestsException"


def mark_verified(
    event: VerifyAuthChallengeEvent, verification_method: object, correlation_id: str | None
) -> str | None:
    """Set the contact proven by ``verification_method`` verified; the attribute set, or None."""
    contact = PROVES.get(verification_method) if isinstance(verification_method, str) else None
    if contact is None or not read.user_attribute(event, contact):
        return None
    flag = f"{contact}_verified"
    if read.user_attribute(event, flag) == "true":
        return None
    if not retry.fits(aws.WORST_CALL_SECONDS):
        decision(
            "contact_verification_skipped",
            metric="ContactVerificationSkipped",
            level="WARNING",
            correlation_id=correlation_id,
            reason=flag,
            error="no time left before the deadline",
        )
        return None
    try:
        aws.client("cognito-idp").admin_update_user_attributes(
            UserPoolId=event["userPoolId"],
            Username=event["userName"],
            UserAttributes=[{"Name": flag, "Value": "true"}],
        )
    except Exception as error:  # noqa: BLE001 - logged; the sign-in itself stands
        summary = error_summary(error)
        name, metric = (
            ("contact_verification_throttled", "ContactVerificationThrottled")
            if summary == THROTTLED
            else ("contact_verification_failed", "ContactVerificationFailed")
        )
        decision(name, metric=metric, level="WARNING", correlation_id=correlation_id, reason=flag, error=summary)
        return None
    return flag

"""Create auth challenge: asks Authsignal what this sign-in needs and hands the app what it
takes to complete it (``url``, ``token``, ``isEnrolled``).

``track`` gets the user's own contact (the one ``email`` or ``phone_number`` the account signed
up with), so an OTP can only go there. The action's ``idempotencyKey`` is kept in the private
challenge parameters: the verify trigger accepts an answer for this sign-in only if it belongs to
this very action (or is a fresh passkey sign-in). So is a digest of the track token handed out,
never the token: verify refuses the track token itself as an answer (shared/session_binding).
A user Authsignal says is not enrolled gets their own contact enrolled first, so the token handed
out can never enrol another one. Nothing else is looked up or attributed: a challenge this
trigger did not start never counts for this sign-in. A ``BLOCK`` answer, an unknown user, or any
error refuses the sign-in outright: no challenge is handed out at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from shared import event as read
from shared import retry, session_binding
from shared.authsignal_client import SIGN_IN_ACTION, authsignal
from shared.event import MalformedEvent
from shared.log import decision, error_summary
from shared.secret import SecretUnavailable

if TYPE_CHECKING:
    from shared.event_types import CreateAuthChallengeEvent

# Cognito attribute -> Authsignal track attribute
CONTACTS = {"email": "email", "phone_number": "phoneNumber"}


class ChallengeRefused(Exception):
    """Raised to make Cognito end the sign-in; the message is all the caller sees."""


def handler(event: CreateAuthChallengeEvent, context: object = None) -> CreateAuthChallengeEvent:
    retry.start_invocation(context)
    correlation_id = read.user_attribute(event, "sub")
    try:
        challenge = _challenge(event)
    except _Blocked as blocked:
        decision(
            "sign_in_blocked",
            metric="Blocked",
            level="WARNING",
            correlation_id=correlation_id,
            idempotency_key=blocked.idempotency_key,
        )
        raise ChallengeRefused("sign-in refused") from None
    except _UnknownUser:
        decision("challenge_refused", metric="ChallengeRefused", level="WARNING", reason="user_not_found")
        raise ChallengeRefused("sign-in refused") from None
    except MalformedEvent as problem:
        _refuse(correlation_id, "malformed_event", str(problem))
    except SecretUnavailable as problem:
        _refuse(correlation_id, "secret_unavailable", str(problem))
    except Exception as problem:  # noqa: BLE001 - Authsignal down, slow or odd: fail closed
        _refuse(correlation_id, "authsignal_error", error_summary(problem))

    public, idempotency_key = challenge
    event["response"] = {
        "publicChallengeParameters": public,
        "privateChallengeParameters": {
            "action": SIGN_IN_ACTION,
            "idempotencyKey": idempotency_key,
            session_binding.DIGEST_PARAMETER: session_binding.digest(public["token"]),
        },
        "challengeMetadata": "AUTHSIGNAL",
    }
    decision(
        "challenge_created", metric="ChallengeCreated", correlation_id=correlation_id, idempotency_key=idempotency_key
    )
    return event


class _Blocked(Exception):
    def __init__(self, idempotency_key: str | None) -> None:
        super().__init__("blocked")
        self.idempotency_key = idempotency_key


class _UnknownUser(Exception):
    """Cognito did not find the user: there is nobody to ask Authsignal about."""


def own_contact(event: CreateAuthChallengeEvent) -> dict[str, str]:
    """The account's one contact as a ``track`` attribute (``{"email": ...}``)."""
    found = {CONTACTS[name]: value for name in CONTACTS if (value := read.user_attribute(event, name))}
    if len(found) != 1:
        raise MalformedEvent("request.userAttributes must hold exactly one of email or phone_number")
    return found


def _challenge(event: CreateAuthChallengeEvent) -> tuple[dict[str, str], str]:
    """The public challenge parameters (strings only) and the action's idempotency key.

    A user Authsignal says is not enrolled could enrol a method of their own choosing with the
    track token (Authsignal lets a user with no authenticator enrol the first one with it), so
    the token of such an answer is never handed out: the account's own contact is enrolled as a
    verified authenticator first, and a second ``track`` (a new action) gives the challenge.
    """
    if read.user_not_found(event):
        raise _UnknownUser()
    user_id = read.user_id(event)
    contact = own_contact(event)
    public, idempotency_key, enrolled = _track(user_id, contact)
    if enrolled:
        return public, idempotency_key
    _enrol_own_contact(user_id, contact)
    public, idempotency_key, enrolled = _track(user_id, contact)
    if not enrolled:
        raise ValueError("track answered isEnrolled false after enrolling the own contact")
    return public, idempotency_key


def _track(user_id: str, contact: dict[str, str]) -> tuple[dict[str, str], str, bool]:
    """One ``track`` of the sign-in action: public parameters, idempotency key, isEnrolled.

    The key is ours, made once per action and sent with ``track``: a retried track
    (shared.retry) is then the same action, never a second one; it carries our tag
    (shared/session_binding), so verify never takes this action for a passkey sign-in.
    Authsignal answers it back as the action's ``idempotencyKey``, and that answer is what this
    sign-in is bound to.
    """
    attributes = {**contact, "idempotencyKey": session_binding.new_idempotency_key()}
    result = authsignal().track(user_id=user_id, action=SIGN_IN_ACTION, attributes=attributes)
    if not isinstance(result, dict):
        raise ValueError("track answered without a JSON object")
    idempotency_key = result.get("idempotency_key") if isinstance(result.get("idempotency_key"), str) else None
    if result.get("state") == "BLOCK":
        raise _Blocked(idempotency_key)
    token, url, enrolled = result.get("token"), result.get("url"), result.get("is_enrolled")
    if not (isinstance(token, str) and token and isinstance(url, str) and isinstance(enrolled, bool)):
        raise ValueError("track answered without token, url or isEnrolled")
    if not idempotency_key:
        raise ValueError("track answered without idempotencyKey")
    public = {"url": url, "token": token, "isEnrolled": "true" if enrolled else "false"}
    return public, idempotency_key, enrolled


def _enrol_own_contact(user_id: str, contact: dict[str, str]) -> None:
    """Enrol the account's own contact as a verified authenticator (its first one).

    The request carries no idempotency key, so shared.retry never repeats it: a lost answer
    refuses this sign-in, and the next one finds the user enrolled (or enrols the same contact).
    """
    if "email" in contact:
        attributes = {"verificationMethod": "EMAIL_OTP", "email": contact["email"]}
    else:
        attributes = {"verificationMethod": "SMS", "phoneNumber": contact["phoneNumber"]}
    result = authsignal().enroll_verified_authenticator(user_id=user_id, attributes=attributes)
    if not isinstance(result, dict):
        raise ValueError("enroll_verified_authenticator answered without a JSON object")


def _refuse(correlation_id: object, reason: str, error: str) -> NoReturn:
    decision(
        "challenge_refused",
        metric="AuthsignalError" if reason == "authsignal_error" else "ChallengeRefused",
        level="ERROR",
        correlation_id=correlation_id,
        reason=reason,
        error=error,
    )
    raise ChallengeRefused("sign-in refused") from None

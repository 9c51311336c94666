"""Pre sign-up: confirm the user, verify nothing.

A sign-up carries exactly one contact attribute, ``email`` or ``phone_number``, and it is the
username the person signs in with (compared as Cognito compares usernames: an email address
without regard to case); a typed username (an emulator sends it) must be an email or an E.164
number. Anything else is refused: a second contact would let someone sign up
with another person's address and prove only their own phone (a pre-hijack). Nothing is marked
verified here: ``email_verified`` / ``phone_number_verified`` become true only when an OTP on
that channel succeeds (the verify trigger).

No other attribute is accepted either (the app client's write attributes already say so): a
sign-up of someone else's address must not seed the profile they later sign into, such as a
``name`` of "IT Support" or a ``website``, in the ID token the app trusts. What Cognito itself
adds (``sub``, ``cognito:`` names, which no caller can write) passes.
"""

from __future__ import annotations

from shared import event as read
from shared.event import MalformedEvent
from shared.log import decision

TYPE_CHECKING = False  # no typing import at run time: see shared/event.py
if TYPE_CHECKING:
    from typing import NoReturn

    from shared.event_types import PreSignUpEvent

CONTACT_ATTRIBUTES = ("email", "phone_number")
ONE_CONTACT = "sign-up needs exactly one of email or phone_number, the one used as the username"
NOT_THE_USERNAME = "the email or phone_number must be the username"
ONLY_CONTACTS = "sign-up may carry no attribute but the email or phone_number used as the username"
COGNITO_SET = ("sub",)  # and every name with the ``cognito:`` prefix


class SignUpRefused(Exception):
    """Raised to make Cognito refuse the sign-up; the message is all the caller sees."""


def handler(event: PreSignUpEvent, context: object = None) -> PreSignUpEvent:
    # No sub exists yet and the user name may be the address as typed: nothing identifies the
    # person in these log lines, on purpose.
    try:
        attributes = read.user_attributes(event)
        if any(not is_allowed(name) for name in attributes):
            _refuse("unexpected_attribute", ONLY_CONTACTS)
        contacts = {name: attributes[name] for name in CONTACT_ATTRIBUTES if attributes.get(name) not in (None, "")}
        if len(contacts) != 1:
            _refuse("not_one_contact", ONE_CONTACT)
        [(name, value)] = contacts.items()
        if not isinstance(value, str):
            raise MalformedEvent(f"request.userAttributes.{name} is not str")
        if not is_the_username(name, value, event.get("userName")):
            _refuse("contact_not_username", NOT_THE_USERNAME)
    except MalformedEvent as problem:
        decision(
            "sign_up_refused", metric="SignUpRefused", level="WARNING", reason="malformed_event", error=str(problem)
        )
        raise SignUpRefused("sign-up refused") from None

    event["response"] = {"autoConfirmUser": True, "autoVerifyEmail": False, "autoVerifyPhone": False}
    decision("sign_up_confirmed", metric="SignUpConfirmed")
    return event


def is_allowed(name: object) -> bool:
    """Whether a sign-up may carry attribute ``name``: a contact, or one Cognito sets itself."""
    return isinstance(name, str) and (name in CONTACT_ATTRIBUTES or name in COGNITO_SET or name.startswith("cognito:"))


def is_the_username(name: str, value: str, user_name: object) -> bool:
    """Whether contact ``name`` = ``value`` is the username, as Cognito compares them.

    With email and phone number as username attributes, AWS sends a user name it generated (a
    UUID: Cognito itself took the contact from what was typed); an emulator may send the typed
    name, which must then be an email or an E.164 number and be this very contact. Emails
    compare as Cognito's case-insensitive pool does (``lower``, not ``casefold``: ``straße`` is
    not ``STRASSE`` to Cognito), phone numbers exactly.
    """
    if not isinstance(user_name, str) or not user_name:
        return False
    if is_generated(user_name):
        return True
    if name == "email":
        return "@" in user_name and user_name.lower() == value.lower()
    return is_e164(user_name) and user_name == value


def is_generated(user_name: str) -> bool:
    """Whether ``user_name`` is shaped like the UUID Cognito generates (8-4-4-4-12 hex digits)."""
    groups = user_name.split("-")
    return [len(group) for group in groups] == [8, 4, 4, 4, 12] and all(
        group.isascii() and all(digit in "0123456789abcdefABCDEF" for digit in group) for group in groups
    )


def is_e164(number: str) -> bool:
    """Whether ``number`` is E.164: ``+``, a non-zero digit, at most 15 digits in all."""
    digits = number[1:]
    return (
        number.startswith("+") and digits.isascii() and digits.isdigit() and 2 <= len(digits) <= 15 and digits[0] != "0"
    )


def _refuse(reason: str, message: str) -> NoReturn:
    decision("sign_up_refused", metric="SignUpRefused", level="WARNING", reason=reason)
    raise SignUpRefused(message)

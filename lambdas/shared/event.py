"""Reading events strictly: a field that is missing or of the wrong type is a malformed event,
and a malformed event is refused, never guessed at.

One reader per field the functions use, named after it (``user_id``, ``session``,
``jwt_claims``), so a handler reads like its contract and never digs by hand. The events' types
(shared/event_types.py) exist for type checkers only; what arrives is checked here.
"""

from __future__ import annotations

# typing.TYPE_CHECKING without importing typing: ~3 ms of the define and pre sign-up triggers'
# cold start (benchmarks/RESULTS.md). Annotations are never evaluated here (``from __future__
# import annotations``), so only type checkers need these names.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import TypeVar

    from shared.event_types import ChallengeResult, CognitoEvent, HttpApiEvent, SignInEvent, VerifyAuthChallengeEvent

    T = TypeVar("T")


class MalformedEvent(Exception):
    """The event lacks a field the contract requires, or has it with the wrong type."""


def trigger_source(event: CognitoEvent) -> str | None:
    """Which trigger Cognito invoked (``DefineAuthChallenge_Authentication``), if the event says."""
    return _optional_text(event, "triggerSource")


def user_attributes(event: CognitoEvent) -> dict[str, object]:
    """``request.userAttributes``: a map (its values are checked where they are read)."""
    return _value(_request(event), "userAttributes", dict, "request.userAttributes")


def user_id(event: CognitoEvent) -> str:
    """The user's ``sub``, Authsignal's user id: required."""
    return _value(user_attributes(event), "sub", str, "request.userAttributes.sub")


def user_attribute(event: CognitoEvent, name: str) -> str | None:
    """User attribute ``name`` if it is a non-empty string, else None (also for a malformed
    event: the caller that needs it reads it with a reader that refuses)."""
    return _optional_text(event, "request", "userAttributes", name)


def user_not_found(event: SignInEvent) -> bool:
    """Whether Cognito found no such user (``userNotFound``; absent means found)."""
    found = _request(event).get("userNotFound", False)
    if not isinstance(found, bool):
        raise MalformedEvent("request.userNotFound is not bool")
    return found


def session(event: SignInEvent) -> Iterator[ChallengeResult]:
    """The challenges of this sign-in so far, in order, each checked as it is reached."""
    entries: list[object] = _value(_request(event), "session", list, "request.session")
    for index, entry in enumerate(entries):
        where = f"request.session[{index}]"
        if not isinstance(entry, dict):
            raise MalformedEvent(f"{where} is not dict")
        yield {
            "challengeName": _value(entry, "challengeName", str, f"{where}.challengeName"),
            "challengeResult": _value(entry, "challengeResult", bool, f"{where}.challengeResult"),
        }


def challenge_answer(event: VerifyAuthChallengeEvent) -> str:
    """What the app sent as the answer: required."""
    return _value(_request(event), "challengeAnswer", str, "request.challengeAnswer")


def private_parameter(event: VerifyAuthChallengeEvent, name: str) -> str:
    """What the create step kept under ``name`` for this sign-in: required."""
    parameters = _value(_request(event), "privateChallengeParameters", dict, "request.privateChallengeParameters")
    return _value(parameters, name, str, f"request.privateChallengeParameters.{name}")


def optional_private_parameter(event: VerifyAuthChallengeEvent, name: str) -> str | None:
    """What the create step kept under ``name``, if it is a non-empty string."""
    return _optional_text(event, "request", "privateChallengeParameters", name)


def route_key(event: HttpApiEvent) -> str | None:
    """The route the request matched (``GET /authenticators``), if the event names one."""
    return _optional_text(event, "routeKey")


def jwt_claims(event: HttpApiEvent) -> dict[str, object]:
    """The claims the JWT authorizer verified; a route reached without one has none (malformed)."""
    context = _value(event, "requestContext", dict, "requestContext")
    authorizer = _value(context, "authorizer", dict, "requestContext.authorizer")
    jwt = _value(authorizer, "jwt", dict, "requestContext.authorizer.jwt")
    return _value(jwt, "claims", dict, "requestContext.authorizer.jwt.claims")


def has_body(event: HttpApiEvent) -> bool:
    """Whether the request carries a body: anything but an absent, null or empty one."""
    return isinstance(event, dict) and bool(event.get("body"))


def path_parameter(event: HttpApiEvent, name: str) -> str | None:
    """Path parameter ``name`` (``authenticatorId``) if the route has it as a non-empty string."""
    return _optional_text(event, "pathParameters", name)


def _request(event: CognitoEvent) -> dict[str, object]:
    return _value(event, "request", dict, "request")


def _optional_text(container: object, *keys: str) -> str | None:
    """The non-empty string under ``keys``, or None for anything else: for what may be absent."""
    value = container
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) and value else None


def _value(container: object, key: str, kind: type[T], where: str) -> T:
    """``container[key]``, which must be a ``kind``; ``where`` names it in the error.

    A bool is not an int here, nor an int a bool; strings must also be non-empty: an empty
    ``sub`` or answer is as useless as none.
    """
    if not isinstance(container, dict) or key not in container:
        raise MalformedEvent(f"missing {where}")
    value = container[key]
    if not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool):
        raise MalformedEvent(f"{where} is not {kind.__name__}")
    if value == "":
        raise MalformedEvent(f"{where} is empty")
    return value

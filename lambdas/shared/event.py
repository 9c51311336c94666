"""Reading Cognito trigger events strictly: a field that is missing or of the wrong type is
a malformed event, and a malformed event is refused, never guessed at."""

from __future__ import annotations

# typing.TYPE_CHECKING without importing typing: ~3 ms of the define and pre sign-up triggers'
# cold start (benchmarks/RESULTS.md). Annotations are never evaluated here (``from __future__
# import annotations``), so only type checkers need these names.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")


class MalformedEvent(Exception):
    """The event lacks a field the contract requires, or has it with the wrong type."""


def field(event: Any, path: str, kind: type[T]) -> T:
    """The value at dotted ``path`` (``request.userAttributes.sub``), which must be ``kind``.

    Strings must also be non-empty: an empty ``sub`` or answer is as useless as none.
    """
    value: Any = event
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            raise MalformedEvent(f"missing {path}")
        value = value[key]
    if isinstance(value, str) and not value:
        raise MalformedEvent(f"{path} is empty")
    if not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool):
        raise MalformedEvent(f"{path} is not {kind.__name__}")
    return value


def optional_str(event: Any, path: str) -> str | None:
    """The string at ``path`` if it is present and non-empty, else None."""
    try:
        return field(event, path, str)
    except MalformedEvent:
        return None

"""One function for Cognito's three custom-auth triggers: define, create and verify.

A sign-in calls define, create, verify and define again within seconds. As three functions, a
sign-in that finds nothing warm pays three cold starts, two of them with the Authsignal SDK,
botocore and a secret read; as one, it pays one, and the verify lands on the container its
create warmed. Each trigger keeps its own module; this one only routes by ``triggerSource``
and names the trigger in every log line and metric (``shared/log.py``).

Define's route imports nothing heavy: the SDK, botocore and the secret are loaded by the first
create or verify (their modules import the SDK) and kept by the container. A ``triggerSource``
that is not one of the three is refused: Cognito ends the sign-in.
"""

from __future__ import annotations

import importlib

from shared.event import optional_str
from shared.log import decision, serving

TYPE_CHECKING = False  # no typing import at run time: see shared/event.py
if TYPE_CHECKING:
    from typing import Any

# triggerSource -> (the trigger's name in logs and metrics, its module)
ROUTES: dict[str, tuple[str, str]] = {
    "DefineAuthChallenge_Authentication": ("DefineAuthChallenge", "triggers.define_auth_challenge"),
    "CreateAuthChallenge_Authentication": ("CreateAuthChallenge", "triggers.create_auth_challenge"),
    "VerifyAuthChallengeResponse_Authentication": ("VerifyAuthChallenge", "triggers.verify_auth_challenge"),
}


class UnknownTrigger(Exception):
    """Raised to make Cognito end the sign-in; the message is all the caller sees."""


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    source = event.get("triggerSource") if isinstance(event, dict) else None
    route = ROUTES.get(source) if isinstance(source, str) else None
    if route is None:
        serving(None)
        decision("trigger_refused", metric="TriggerRefused", level="ERROR",
                 correlation_id=optional_str(event, "request.userAttributes.sub"),  # never the typed name
                 reason="unknown_trigger_source")
        raise UnknownTrigger("sign-in refused")
    name, module = route
    serving(name)
    answered: dict[str, Any] = importlib.import_module(module).handler(event, context)
    return answered

"""One function for Cognito's three custom-auth triggers: define, create and verify.

A sign-in calls define, create, verify and define again within seconds. As three functions, a
sign-in that finds nothing warm pays three cold starts, two of them with the Authsignal SDK,
botocore and a secret read; as one, it pays one, and the verify lands on the container its
create warmed. Each trigger keeps its own module; this one only routes by ``triggerSource``
and names the trigger in every log line and metric (``shared/log.py``).

Every route is loaded at import, in Lambda's init (``shared/init_phase.py``): the three trigger
modules with the Authsignal SDK, botocore, the clients of every sign-in (Secrets Manager, and
DynamoDB for the single use of an answer) and the key. A sign-in's first invocation is always
define, and the create and verify that follow land on the same container, so leaving the SDK to
the first create would only move its cost into an invocation, where it runs at a fraction of a
vCPU. The Cognito client is made only by an account's first OTP sign-in, which needs it. A
``triggerSource`` that is not one of the three is refused: Cognito ends the sign-in.
"""

from __future__ import annotations

from shared import event as read
from shared import init_phase
from shared.log import decision, serving

from triggers import create_auth_challenge, define_auth_challenge, verify_auth_challenge

TYPE_CHECKING = False  # no typing import at run time: see shared/event.py
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from shared.event_types import SignInEvent

    Handler = Callable[[Any, object], SignInEvent]

# triggerSource -> (the trigger's name in logs and metrics, its handler)
ROUTES: dict[str, tuple[str, Handler]] = {
    "DefineAuthChallenge_Authentication": ("DefineAuthChallenge", define_auth_challenge.handler),
    "CreateAuthChallenge_Authentication": ("CreateAuthChallenge", create_auth_challenge.handler),
    "VerifyAuthChallengeResponse_Authentication": ("VerifyAuthChallenge", verify_auth_challenge.handler),
}
# What every sign-in asks of AWS: the key, and the single use of its answer.
init_phase.prepare(("secretsmanager", "dynamodb"))


class UnknownTrigger(Exception):
    """Raised to make Cognito end the sign-in; the message is all the caller sees."""


def handler(event: SignInEvent, context: object = None) -> SignInEvent:
    source = read.trigger_source(event)
    route = ROUTES.get(source) if source is not None else None
    if route is None:
        serving(None)
        decision(
            "trigger_refused",
            metric="TriggerRefused",
            level="ERROR",
            correlation_id=read.user_attribute(event, "sub"),  # never the typed name
            reason="unknown_trigger_source",
        )
        raise UnknownTrigger("sign-in refused")
    name, trigger = route
    serving(name)
    answered: SignInEvent = trigger(event, context)
    return answered

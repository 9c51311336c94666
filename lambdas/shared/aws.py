"""AWS clients for the functions: one botocore session per container, one client per service,
each made on its first use (in Lambda's init for those every sign-in needs: shared/init_phase.py)
and kept for every later invocation.

Why botocore and not boto3: ``import boto3`` also imports s3transfer (and with it
``multiprocessing.managers``) and the resource layer, which nothing here uses (15-20 ms of a
first invocation); boto3's clients are botocore's clients. Why one session: the session loads
botocore's data (endpoints, partitions, the list of services) once, so every client after the
first costs only its own service model (12 ms for DynamoDB, 25 ms for Cognito, against 60-90 ms
for the first). benchmarks/RESULTS.md has the figures.

A module that needs AWS calls ``aws.client("secretsmanager")`` (or ``"dynamodb"``,
``"cognito-idp"``): never ``boto3.client()`` nor a session of its own, so the container keeps
one session and the benchmark sees every client the function makes. Region, credentials and
endpoint come from the function's environment, as for any AWS SDK. Every client fails fast:
botocore's defaults wait 60 s per try, and Cognito waits 5 s for a trigger. One try only: a second
try would not know the invocation's deadline (shared/retry.py keeps one), and a repeated
conditional put whose first answer was lost would refuse the rightful user anyway.
"""

from __future__ import annotations

TYPE_CHECKING = False  # no typing import at run time: see shared/event.py
if TYPE_CHECKING:
    from botocore.client import BaseClient
    from botocore.session import Session

CONNECT_TIMEOUT_SECONDS = 0.5
READ_TIMEOUT_SECONDS = 1.0
ATTEMPTS = 1
# The longest one call can take: what a caller must have left of the invocation before making it.
WORST_CALL_SECONDS = ATTEMPTS * (CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS)

_session: Session | None = None
_clients: dict[str, BaseClient] = {}


def session() -> Session:
    """The container's botocore session, made (and botocore imported) on first use."""
    global _session
    if _session is None:
        import botocore.session  # deferred: pre sign-up never pays for it

        _session = botocore.session.get_session()
    return _session


def client(service: str) -> BaseClient:
    """The container's client of ``service`` (a botocore service name), made once."""
    made = _clients.get(service)
    if made is None:
        from botocore.config import Config  # botocore.client has imported it already

        config = Config(
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
            retries={"total_max_attempts": ATTEMPTS, "mode": "standard"},
        )
        made = _clients[service] = session().create_client(service, config=config)
    return made


def services() -> list[str]:
    """The services this container has made clients of (the benchmark reports them)."""
    return sorted(_clients)


def reset_clients() -> None:
    """Forget the clients, and with them their connections (before a SnapStart snapshot; tests
    simulate a new cold start with it). The session stays: it holds no connection, tests count
    calls with hooks on it, and making one again would only slow every test down."""
    _clients.clear()

"""Lambda's init phase: the work every sign-in needs, done while the function's module is imported.

An on-demand function's init runs with a full vCPU (for up to 10 s); its invocations get
memory / 1,769 MB of one, 0.29 vCPU at 512 MB. The Authsignal SDK, botocore, the botocore session,
the clients every sign-in uses and the secret read are about 200 ms of CPU: done in a first
invocation at 512 MB they take about 3.5 times as long as here. docs/performance.md has the model.

Nothing here may stop a container from starting: a failed init is retried by Lambda on the next
request and tells the person nothing. What fails is logged in one line and left undone; the first
invocation tries it again on its own path (the clients and the key are made on first use, and
only a usable key is cached), and fails the sign-in closed if it fails again.

Under SnapStart the init runs once per published version and its memory is copied into every
container: the hooks registered here drop what must not be shared or outlive a snapshot (the
key, the Authsignal client and its connections, the AWS clients' connections) and reseed the
random numbers, then read the key again after each restore.
"""

from __future__ import annotations

import functools
import gc
import random

# The imports and clients below allocate objects that live as long as the container; collecting
# while they are made spends init CPU (about a tenth of it, benchmarks/RESULTS.md) to find
# nothing. ``prepare`` freezes them and turns the collector back on.
gc.disable()

from shared import authsignal_client, aws, secret  # noqa: E402 - after the collector is paused
from shared.log import decision, error_summary  # noqa: E402

TYPE_CHECKING = False  # no typing import at run time: see shared/event.py
if TYPE_CHECKING:
    from collections.abc import Callable

# The services whose clients init made: made again after a restore.
_services: tuple[str, ...] = ()


def prepare(services: tuple[str, ...]) -> None:
    """Make the AWS clients of ``services``, read the key and build the Authsignal client; then
    freeze every object made so far, so the collector never walks them again during a sign-in,
    and turn the collector back on."""
    global _services
    _services = services
    _make_clients_and_read_key()
    _register_snapshot_hooks()
    gc.freeze()
    gc.enable()


def before_snapshot() -> None:
    """Forget the key and the Authsignal client (a snapshot is stored and copied), and the AWS
    clients with their open connections (a restored container must not reuse another's socket).
    The botocore session stays: it holds no connection, and keeps the service models loaded."""
    authsignal_client.reset_client()
    secret.reset_cache()
    aws.reset_clients()


def after_restore() -> None:
    """Give this copy of the snapshot its own random numbers, its own clients and its own key."""
    random.seed()
    _make_clients_and_read_key()


def _make_clients_and_read_key() -> None:
    for service in _services:
        _attempt("aws_client", functools.partial(aws.client, service))
    _attempt("authsignal_client", authsignal_client.authsignal)


def _attempt(step: str, work: Callable[[], object]) -> None:
    try:
        work()
    except Exception as problem:  # noqa: BLE001 - left for the first invocation, which fails closed
        decision("init_incomplete", level="WARNING", reason=step, error=error_summary(problem))


def _register_snapshot_hooks() -> None:
    """Register the hooks with the library Lambda's Python runtimes ship for SnapStart; without it
    (outside Lambda) there is no snapshot to prepare for."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)

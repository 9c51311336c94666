"""Lambda's CPU as a model, applied to what the cold sign-in replay measured on this machine.

The model (docs/performance.md has its sources):

* an on-demand function's init runs with a full vCPU, whatever its memory;
* an invocation gets memory / 1,769 MB of one vCPU, and a single-threaded runtime no more than one
  vCPU however large the function: its CPU time stretches by ``1769 / memory`` below 1,769 MB and
  not at all above;
* time spent waiting (on Authsignal, on AWS, on Cognito) is the same at every size.

So a container's modelled time is its init CPU and the init's network waits as measured, plus each
invocation's CPU time divided by its CPU share, plus its waits (wall less CPU: on a loaded machine
this also counts waiting for a core, alike for every design measured in the same rounds). Billing
is per invocation, by the millisecond, at the function's memory; the cost figures add an assumed
round trip to the real Authsignal for each call (the local fake answers in a millisecond or two;
the real service cannot).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

ONE_VCPU_MB = 1769
MEMORY_SIZES_MB = (512, 1024, 1769, 3008)
# Lambda's prices for arm64 in us-east-1 (aws.amazon.com/lambda/pricing): the first tier.
PRICE_PER_GB_SECOND_USD = 0.0000133334
PRICE_PER_REQUEST_USD = 0.20 / 1_000_000
# Assumed, not measured: one call to the hosted Authsignal API from a Lambda, TLS connection kept.
AUTHSIGNAL_ROUND_TRIP_MS = 100.0


@dataclass(frozen=True)
class Invocation:
    cpu_ms: float
    wall_ms: float
    authsignal_calls: int = 0

    @property
    def wait_ms(self) -> float:
        """Time not on the CPU: waiting on the network (and, on a loaded machine, for a core)."""
        return max(0.0, self.wall_ms - self.cpu_ms)


@dataclass
class ContainerCost:
    """One function container of a replay: its init and invocations as measured, and the memory
    its function is deployed with."""

    name: str
    memory_mb: int
    init_cpu_ms: float
    init_network_ms: float  # the init's sockets blocked: its waits on AWS, not on a core of this machine
    invocations: list[Invocation] = field(default_factory=list)


def cpu_share(memory_mb: int) -> float:
    """The share of one vCPU an invocation gets, as a single-threaded runtime can use it."""
    return min(1.0, memory_mb / ONE_VCPU_MB)


def invocation_ms(invocation: Invocation, memory_mb: int, extra_wait_ms: float = 0.0, *, waits: bool = True) -> float:
    return invocation.cpu_ms / cpu_share(memory_mb) + (invocation.wait_ms + extra_wait_ms if waits else 0.0)


def cold_ms(containers: Iterable[ContainerCost], memory_mb: int | None = None, *, waits: bool = True) -> float:
    """A cold sign-in on Lambda: every container's init at a full vCPU, its invocations at its
    share. ``memory_mb`` replaces each container's own memory (the table's sizes); without
    ``waits``, the CPU alone."""
    return sum(
        container.init_cpu_ms
        + (container.init_network_ms if waits else 0.0)
        + sum(invocation_ms(call, memory_mb or container.memory_mb, waits=waits) for call in container.invocations)
        for container in containers
    )


def warm_ms(containers: Iterable[ContainerCost], memory_mb: int | None = None) -> float:
    """A sign-in that finds its containers warm: the invocations alone."""
    return sum(
        invocation_ms(call, memory_mb or container.memory_mb)
        for container in containers
        for call in container.invocations
    )


def cost_per_million_usd(containers: Iterable[ContainerCost], memory_mb: int | None = None) -> float:
    """What a million warm sign-ins cost: each invocation billed by the millisecond (rounded up) at
    its function's memory, waiting on the real Authsignal included, plus the requests."""
    total = 0.0
    for container in containers:
        memory = memory_mb or container.memory_mb
        for call in container.invocations:
            billed_ms = math.ceil(invocation_ms(call, memory, call.authsignal_calls * AUTHSIGNAL_ROUND_TRIP_MS))
            total += memory / 1024 * billed_ms / 1000 * PRICE_PER_GB_SECOND_USD + PRICE_PER_REQUEST_USD
    return total * 1_000_000

"""One JSON line per decision, which is also a CloudWatch metric (Embedded Metric Format).

Why not Powertools Logger/Metrics: importing them costs more than the whole cold-import
budget of a trigger (benchmarks/RESULTS.md); this module is the few lines of that
contract the product needs, with the standard library only.

Only the fields named in ``_ALLOWED_FIELDS`` can reach a log line, so a secret, token,
OTP, email or phone number cannot be logged by accident: callers pass identifiers
(the user's ``sub``, Authsignal's idempotency key), reasons and error types.
"""

from __future__ import annotations

import json
import os
import sys
import time

NAMESPACE_VARIABLE = "METRICS_NAMESPACE"
ENVIRONMENT_VARIABLE = "ENVIRONMENT_NAME"

# The trigger this invocation serves, when one function serves several (triggers/custom_auth.py
# sets it before every invocation): the function's name alone no longer says which trigger spoke.
_trigger: str | None = None

_ALLOWED_FIELDS = frozenset(
    {
        "correlation_id",
        "idempotency_key",
        "reason",
        "error",
        "status_code",
        "failures",
        "attempt_limit",
        "route",
        "state",
        "method",
        "attempt",
        "operation",
    }
)


def serving(trigger: str | None) -> None:
    """Name the trigger that every following line (and metric) of this invocation belongs to."""
    global _trigger
    _trigger = trigger


def decision(event: str, *, metric: str | None = None, level: str = "INFO", **fields: object) -> None:
    """Write one structured line for ``event``; count it as ``metric`` when given.

    ``reason`` (when given with a metric) becomes a second dimension, so rejected answers
    can be graphed by why they were rejected; the trigger being served becomes another, so
    each trigger's decisions can be graphed apart.
    """
    unknown = set(fields) - _ALLOWED_FIELDS
    if unknown:
        raise ValueError(f"log fields not allowed: {sorted(unknown)}")
    line: dict[str, object] = {
        "level": level,
        "event": event,
        "function": os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local"),
        "environment": os.environ.get(ENVIRONMENT_VARIABLE, "local"),
    }
    if _trigger:
        line["trigger"] = _trigger
    line.update({key: value for key, value in fields.items() if value is not None})
    if metric:
        line.update(_embedded_metric(metric, fields.get("reason")))
    sys.stdout.write(json.dumps(line, separators=(",", ":"), default=str) + "\n")


def _embedded_metric(metric: str, reason: object) -> dict[str, object]:
    """The EMF envelope that makes CloudWatch count ``metric`` from this log line."""
    dimension_sets = [["Environment"]]
    values: dict[str, object] = {"Environment": os.environ.get(ENVIRONMENT_VARIABLE, "local"), metric: 1}
    if reason:
        dimension_sets.append(["Environment", "Reason"])
        values["Reason"] = reason
    if _trigger:
        dimension_sets.append(["Environment", "Trigger"])
        values["Trigger"] = _trigger
    return {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": os.environ.get(NAMESPACE_VARIABLE, "PasswordlessAuth"),
                    "Dimensions": dimension_sets,
                    "Metrics": [{"Name": metric, "Unit": "Count"}],
                }
            ],
        },
        **values,
    }


def error_summary(problem: BaseException) -> str:
    """An error's type and HTTP status, never its text: the text may echo a request."""
    status = getattr(problem, "status_code", None)
    return type(problem).__name__ + (f" status {status}" if status else "")

"""Timestamps as Authsignal writes them, shared by the fake's server and client APIs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def now_iso(offset_seconds: float = 0.0) -> str:
    """An ISO 8601 UTC timestamp as Authsignal writes them (``2025-01-02T03:04:05.678Z``)."""
    moment = datetime.now(UTC) + timedelta(seconds=offset_seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

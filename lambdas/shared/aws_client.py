"""boto3 clients for the triggers, with timeouts that fit Cognito's 5-second limit (botocore's
defaults wait 60 s per try). boto3 is imported on first use: only the path that calls AWS pays
for it, once per container."""

from __future__ import annotations

from typing import Any

CONNECT_TIMEOUT_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 1.0
ATTEMPTS = 2


def trigger_client(service: str) -> Any:
    """A new client of ``service`` in the function's region, failing fast."""
    import boto3
    from botocore.config import Config

    return boto3.client(service, config=Config(connect_timeout=CONNECT_TIMEOUT_SECONDS,
                                               read_timeout=READ_TIMEOUT_SECONDS,
                                               retries={"total_max_attempts": ATTEMPTS, "mode": "standard"}))

"""The reference point for cold starts: a handler written the common way, with boto3,
Powertools (Logger, Metrics) and the Authsignal SDK imported and set up at module level.

Never deployed: the benchmark puts it into a copy of the SDK bundle and imports it from there,
with boto3 and Powertools from the virtual environment (the Lambda runtime ships boto3).
"""

from typing import Any

import boto3  # noqa: F401 - imported at module level is the point
from authsignal.client import AuthsignalClient  # noqa: F401
from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="reference")
metrics = Metrics(namespace="Reference", service="reference")


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    return event

"""The table that makes every sign-in answer single use: the verify trigger puts each accepted
Authsignal ``idempotencyKey`` into it, on the condition that it is not there yet."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.expiring_table import ExpiringTable

# Must match lambdas/shared/single_use.py (runtime code and CDK code do not import each other).
KEY_ATTRIBUTE = "idempotencyKey"


class SingleUseTable(ExpiringTable):
    """Accepted keys, kept a day (stacks/expiring_table.py)."""

    def __init__(self, scope: Construct, id_: str) -> None:
        super().__init__(scope, id_, key_attribute=KEY_ATTRIBUTE)

    def allow_claiming(self, role: iam.IRole) -> None:
        """``dynamodb:PutItem`` on this table alone: the only call single use makes."""
        self.allow(role, "dynamodb:PutItem")

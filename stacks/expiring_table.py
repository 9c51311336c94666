"""A DynamoDB table of short-lived items: one string key, items deleted by TTL once expired.

On demand, encrypted with the AWS managed key. It holds nothing worth keeping once expired (no
point-in-time recovery, see stacks/nag.py), so it is deleted with the stack in every environment.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

EXPIRY_ATTRIBUTE = "expiresAt"


class ExpiringTable(Construct):
    """The table (``self.table``), keyed by ``key_attribute``, expiring by ``expiresAt``."""

    def __init__(self, scope: Construct, id_: str, *, key_attribute: str) -> None:
        super().__init__(scope, id_)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=key_attribute, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            time_to_live_attribute=EXPIRY_ATTRIBUTE,
            removal_policy=RemovalPolicy.DESTROY,
        )

    def allow(self, role: iam.IRole, action: str) -> None:
        """``action`` (one DynamoDB action) on this table alone, for ``role``."""
        role.add_to_principal_policy(iam.PolicyStatement(actions=[action], resources=[self.table.table_arn]))

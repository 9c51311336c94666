"""The table that makes every sign-in answer single use: the verify trigger puts each accepted
Authsignal ``idempotencyKey`` into it, on the condition that it is not there yet."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

# Must match lambdas/shared/single_use.py (runtime code and CDK code do not import each other).
KEY_ATTRIBUTE = "idempotencyKey"
EXPIRY_ATTRIBUTE = "expiresAt"


class SingleUseTable(Construct):
    """On demand, encrypted with the AWS managed key, items expiring by TTL.

    It holds nothing worth keeping once expired (no point-in-time recovery, see stacks/nag.py),
    so it is deleted with the stack in every environment.
    """

    def __init__(self, scope: Construct, id_: str) -> None:
        super().__init__(scope, id_)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=KEY_ATTRIBUTE, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            time_to_live_attribute=EXPIRY_ATTRIBUTE,
            removal_policy=RemovalPolicy.DESTROY,
        )

    def allow_claiming(self, role: iam.IRole) -> None:
        """``dynamodb:PutItem`` on this table alone: the only call single use makes."""
        role.add_to_principal_policy(iam.PolicyStatement(actions=["dynamodb:PutItem"],
                                                         resources=[self.table.table_arn]))

"""One Lambda function as this product deploys every one: Python on arm64 from a local bundle,
its own log group with the environment's retention, and its own role that can write to that
log group and do nothing else until a construct grants it more."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from stacks.bundling import ARCHITECTURE, RUNTIME, lambda_code


class PythonLambda(Construct):
    """A function, its log group and its least-privilege role."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        handler: str,
        description: str,
        with_dependencies: bool,
        timeout: Duration,
        environment: dict[str, str],
        log_retention_days: int,
        removal_policy: RemovalPolicy,
        memory_size: int = 512,
        reserved_concurrency: int | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self.log_group = retained_log_group(self, "Logs", log_retention_days, removal_policy)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs {handler}: writes its own log group only",
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler,
            code=lambda_code(with_dependencies),
            timeout=timeout,
            memory_size=memory_size,
            environment=environment,
            log_group=self.log_group,
            role=self.role,
            reserved_concurrent_executions=reserved_concurrency,
        )

    def allow_reading(self, secret: secretsmanager.ISecret) -> None:
        """``secretsmanager:GetSecretValue`` on ``secret`` alone: unlike ``grant_read``, no
        ``DescribeSecret``, which the function never calls."""
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[secret.secret_arn])
        )


def retained_log_group(scope: Construct, id_: str, days: int, removal_policy: RemovalPolicy) -> logs.LogGroup:
    """A log group keeping events exactly ``days`` (a value config has already validated)."""
    log_group = logs.LogGroup(scope, id_, removal_policy=removal_policy)
    cfn = log_group.node.default_child
    assert isinstance(cfn, logs.CfnLogGroup)
    cfn.retention_in_days = days
    return log_group

"""One Lambda function as this product deploys every one: Python on arm64 from a local bundle,
its own log group with the environment's retention, and its own role that can write to that
log group and do nothing else until a construct grants it more.

With SnapStart or provisioned concurrency, callers invoke the alias ``live`` of the latest
published version (``target``): Lambda applies both to published versions only, never to
``$LATEST``. docs/performance.md says what each costs."""

from __future__ import annotations

from aws_cdk import Annotations, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from stacks.bundling import ARCHITECTURE, RUNTIME, lambda_code

LIVE_ALIAS = "live"


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
        memory_size: int,
        reserved_concurrency: int | None = None,
        snap_start: bool = False,
        provisioned_concurrency: int = 0,
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
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if snap_start else None,
            # A replaced version is deleted, not kept: SnapStart bills the cache of every active
            # version, and nothing invokes an old one.
            current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.DESTROY),
        )
        # What Cognito and API Gateway invoke: the function, or the alias of its published version.
        self.target: lambda_.IFunction = self.function
        if snap_start or provisioned_concurrency:
            self.target = lambda_.Alias(
                self,
                "Live",
                alias_name=LIVE_ALIAS,
                version=self.function.current_version,
                provisioned_concurrent_executions=provisioned_concurrency or None,
            )
        if snap_start:  # the alias publishes the version SnapStart needs
            Annotations.of(self.function).acknowledge_warning(
                "@aws-cdk/aws-lambda:snapStartRequirePublish", "published: the alias live names its version"
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

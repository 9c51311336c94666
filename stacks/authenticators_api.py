"""The authenticators API: an HTTP API whose every route needs a Cognito JWT from this
environment's pool and app client, fronting one Lambda that talks to Authsignal."""

from __future__ import annotations

from collections.abc import Sequence

import jsii
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from stacks.expiring_table import ExpiringTable
from stacks.lambda_function import PythonLambda, retained_log_group

AUTHSIGNAL_TIMEOUT_SECONDS = "3"
FUNCTION_TIMEOUT = Duration.seconds(10)
# Must match lambdas/api/rate_limit.py (runtime code and CDK code do not import each other).
RATE_LIMIT_KEY_ATTRIBUTE = "key"

# One JSON object per request, without the Authorization header or any body.
ACCESS_LOG_FORMAT = apigateway.AccessLogFormat.custom(
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","time":"$context.requestTime",'
    '"routeKey":"$context.routeKey","status":"$context.status","latencyMs":"$context.responseLatency",'
    '"integrationStatus":"$context.integrationStatus","authorizerError":"$context.authorizer.error",'
    '"errorMessage":"$context.error.message"}'
)


class AuthenticatorsApi(Construct):
    """The HTTP API, its JWT authorizer, stage (throttling, access logs) and routes."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        environment_name: str,
        user_pool: cognito.IUserPool,
        client: cognito.IUserPoolClient,
        secret: secretsmanager.ISecret,
        authsignal_url: str,
        runtime_environment: dict[str, str],
        removal_policy: RemovalPolicy,
        log_retention_days: int,
        memory_mb: int,
        recent_auth_minutes: int,
        requests_per_minute_per_user: int,
        cors_origins: Sequence[str],
        throttling_rate_limit: int,
        throttling_burst_limit: int,
        snap_start: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        # Requests per user and minute window (lambdas/api/rate_limit.py): one UpdateItem a request.
        self.rate_limit = ExpiringTable(self, "RateLimit", key_attribute=RATE_LIMIT_KEY_ATTRIBUTE)
        self.handler = PythonLambda(
            self,
            "Handler",
            handler="api.authenticators.handler",
            description="Adds, lists and removes the signed-in user's Authsignal authenticators",
            with_dependencies=True,
            timeout=FUNCTION_TIMEOUT,
            environment={
                **runtime_environment,
                "AUTHSIGNAL_SECRET_ARN": secret.secret_arn,
                "AUTHSIGNAL_URL": authsignal_url,
                "AUTHSIGNAL_TIMEOUT_SECONDS": AUTHSIGNAL_TIMEOUT_SECONDS,
                "RECENT_AUTH_MINUTES": str(recent_auth_minutes),
                "RATE_LIMIT_TABLE_NAME": self.rate_limit.table.table_name,
                "API_REQUESTS_PER_MINUTE_PER_USER": str(requests_per_minute_per_user),
            },
            log_retention_days=log_retention_days,
            removal_policy=removal_policy,
            memory_size=memory_mb,
            snap_start=snap_start,
        )
        self.handler.allow_reading(secret)
        self.rate_limit.allow(self.handler.role, "dynamodb:UpdateItem")

        self.authorizer = authorizers.HttpUserPoolAuthorizer(
            "CognitoAuthorizer",
            user_pool,
            user_pool_clients=[client],
            identity_source=["$request.header.Authorization"],
        )
        self.http_api = apigwv2.HttpApi(
            self,
            "HttpApi",
            api_name=f"{environment_name}-passwordless-authenticators",
            description="Passkey and authenticator management for signed-in users",
            create_default_stage=False,
            default_authorizer=self.authorizer,
            cors_preflight=apigwv2.CorsPreflightOptions(
                allow_origins=list(cors_origins),
                allow_methods=[apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.POST, apigwv2.CorsHttpMethod.DELETE],
                allow_headers=["Authorization", "Content-Type"],
                # the step-up answer (RFC 9470) of a stale sign-in carries max_age in this header, and
                # a 429 of the per-user limit says when to come back in Retry-After
                expose_headers=["WWW-Authenticate", "Retry-After"],
                max_age=Duration.hours(1),
            ),
        )
        self.access_logs = retained_log_group(self, "AccessLogs", log_retention_days, removal_policy)
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=throttling_rate_limit, burst_limit=throttling_burst_limit),
            access_log_settings=_AccessLogs(self.access_logs),
        )
        integration = integrations.HttpLambdaIntegration(
            "AuthenticatorsIntegration",
            self.handler.target,
            payload_format_version=apigwv2.PayloadFormatVersion.VERSION_2_0,
        )
        self.http_api.add_routes(
            path="/authenticators", methods=[apigwv2.HttpMethod.GET, apigwv2.HttpMethod.POST], integration=integration
        )
        self.http_api.add_routes(
            path="/authenticators/{authenticatorId}", methods=[apigwv2.HttpMethod.DELETE], integration=integration
        )

    @property
    def url(self) -> str:
        """The API's base URL (the $default stage)."""
        return self.http_api.api_endpoint + "/"


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogs:
    """Access logs of the stage: to ``log_group``, in ``ACCESS_LOG_FORMAT``."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return ACCESS_LOG_FORMAT

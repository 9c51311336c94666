"""The stack of one environment: it composes the secret, the user pool with its triggers and
the authenticators API, and says what a client needs to find them (the outputs)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Annotations, CfnOutput, Environment, RemovalPolicy, Stack
from constructs import Construct

from stacks.authenticators_api import AuthenticatorsApi
from stacks.authsignal_secret import authsignal_secret
from stacks.config import EnvironmentConfig, config_warnings, stack_name
from stacks.monitoring import Monitoring
from stacks.nag import acknowledge_findings
from stacks.sign_in_protection import SignInProtection
from stacks.user_pool import PasswordlessUserPool

METRICS_NAMESPACE = "PasswordlessAuth"


class PasswordlessStack(Stack):
    """Everything one environment deploys, as one top-level stack named ``stack_name(env)``.

    Top level, not inside a ``Stage``: the CDK CLI's plain ``cdk diff``, ``cdk deploy`` and
    ``--all`` select only top-level stacks, so a Stage's stack would be silently skipped.
    """

    def __init__(self, scope: Construct, *, config: EnvironmentConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            stack_name(config.name),
            env=Environment(account=config.account, region=config.region),
            description=f"Passwordless sign-in and passkeys for Cognito with Authsignal ({config.name})",
            termination_protection=config.production,
            **kwargs,
        )
        for key, message in config_warnings(config):
            Annotations.of(self).add_warning_v2(f"passwordless:config:{key}", message)
        removal_policy = RemovalPolicy.RETAIN if config.production else RemovalPolicy.DESTROY
        runtime_environment = {"ENVIRONMENT_NAME": config.name, "METRICS_NAMESPACE": METRICS_NAMESPACE}

        self.secret = authsignal_secret(
            self, "AuthsignalSecret", existing_arn=config.authsignal_secret_arn, removal_policy=removal_policy
        )
        self.auth = PasswordlessUserPool(
            self,
            "Auth",
            secret=self.secret,
            authsignal_url=config.authsignal_url,
            runtime_environment=runtime_environment,
            removal_policy=removal_policy,
            log_retention_days=config.log_retention_days,
            memory_mb=config.lambda_memory_mb,
            attempt_limit=config.attempt_limit,
            passkey_token_max_age_seconds=config.passkey_token_max_age_seconds,
            email_magic_link_enabled=config.email_magic_link_enabled,
            access_token_validity_minutes=config.access_token_validity_minutes,
            id_token_validity_minutes=config.id_token_validity_minutes,
            refresh_token_validity_days=config.refresh_token_validity_days,
            deletion_protection=config.production,
            trigger_reserved_concurrency=config.trigger_reserved_concurrency,
            snap_start=config.snap_start,
            provisioned_concurrency=config.provisioned_concurrency,
        )
        self.api = AuthenticatorsApi(
            self,
            "Api",
            environment_name=config.name,
            user_pool=self.auth.user_pool,
            client=self.auth.client,
            secret=self.secret,
            authsignal_url=config.authsignal_url,
            runtime_environment=runtime_environment,
            removal_policy=removal_policy,
            log_retention_days=config.log_retention_days,
            memory_mb=config.lambda_memory_mb["api"],
            recent_auth_minutes=config.recent_auth_minutes,
            requests_per_minute_per_user=config.api_requests_per_minute_per_user,
            cors_origins=config.cors_origins,
            throttling_rate_limit=config.api_throttling_rate_limit,
            throttling_burst_limit=config.api_throttling_burst_limit,
            snap_start=config.snap_start,
        )

        self.sign_in_protection: SignInProtection | None = None
        if config.sign_in_requests_per_5_minutes_per_ip:
            self.sign_in_protection = SignInProtection(
                self,
                "SignInProtection",
                environment_name=config.name,
                user_pool=self.auth.user_pool,
                requests_per_5_minutes_per_ip=config.sign_in_requests_per_5_minutes_per_ip,
            )

        if config.alarms_enabled:
            self.monitoring = Monitoring(
                self,
                "Monitoring",
                environment_name=config.name,
                namespace=METRICS_NAMESPACE,
                functions={**self.auth.triggers, "AuthenticatorsApi": self.api.handler},
                http_api=self.api.http_api,
                alarm_email=config.alarm_email,
                user_pool=self.auth.user_pool,
                user_pool_client=self.auth.client,
                cognito_quotas_rps=config.cognito_quotas_rps,
                sign_in_protection=self.sign_in_protection,
            )
            CfnOutput(self, "AlarmTopicArn", value=self.monitoring.topic.topic_arn)

        CfnOutput(self, "UserPoolId", value=self.auth.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=self.auth.client.user_pool_client_id)
        CfnOutput(self, "Region", value=self.region)
        CfnOutput(self, "AuthsignalSecretArn", value=self.secret.secret_arn)
        CfnOutput(self, "ApiUrl", value=self.api.url)
        # What a client app needs besides the above (ops/web_config.py reads them): public
        # settings only, never the secret.
        CfnOutput(
            self,
            "AttemptLimit",
            value=str(config.attempt_limit),
            description="wrong answers after which a sign-in fails",
        )
        CfnOutput(
            self,
            "AuthsignalClientUrl",
            value=config.authsignal_client_url,
            description="the Authsignal client API base URL (@authsignal/browser baseUrl)",
        )
        if config.authsignal_tenant_id:
            CfnOutput(
                self,
                "AuthsignalTenantId",
                value=config.authsignal_tenant_id,
                description="the Authsignal tenant id (public)",
            )
        acknowledge_findings(self)

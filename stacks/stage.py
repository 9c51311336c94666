"""One environment as one CDK Stage, so dev, staging and prod are built by the same code."""

from __future__ import annotations

from aws_cdk import Environment, Stage
from constructs import Construct

from stacks.config import EnvironmentConfig
from stacks.passwordless_stack import PasswordlessStack


class PasswordlessStage(Stage):
    """The stacks of one environment; its id is the environment's name (``dev-Passwordless``)."""

    def __init__(self, scope: Construct, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, config.name, env=Environment(account=config.account, region=config.region))
        self.stack = PasswordlessStack(
            self, "Passwordless", config=config,
            description=f"Passwordless sign-in and passkeys for Cognito with Authsignal ({config.name})",
            termination_protection=config.production,
        )

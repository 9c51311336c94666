"""The Authsignal secret API key's home in Secrets Manager.

The stack creates the secret with a placeholder (the Lambdas refuse to use it, failing every
sign-in closed until the real key is set with scripts/set-authsignal-secret), or uses an
existing secret named by ARN in the environment's config. The key itself is never in a
template, an environment variable or a log: Lambdas get the ARN and read it at run time.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy, SecretValue
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

# Never change this text: CloudFormation would write it over the real key on the next deploy.
PLACEHOLDER = "PLACEHOLDER: set the Authsignal secret key with scripts/set-authsignal-secret"


def authsignal_secret(
    scope: Construct, id_: str, *, existing_arn: str | None, removal_policy: RemovalPolicy
) -> secretsmanager.ISecret:
    """The secret the Lambdas read the Authsignal key from."""
    if existing_arn:
        return secretsmanager.Secret.from_secret_complete_arn(scope, id_, existing_arn)
    return secretsmanager.Secret(
        scope,
        id_,
        description="Authsignal secret API key for the Cognito passwordless triggers and API",
        secret_string_value=SecretValue.unsafe_plain_text(PLACEHOLDER),
        removal_policy=removal_policy,
    )

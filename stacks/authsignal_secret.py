"""The Authsignal secret API key's home in Secrets Manager.

The stack creates the secret, or uses an existing one named by ARN in the environment's
config. A created secret's value is never in a template: CloudFormation generates it
(``GenerateSecretString``, applied only when the secret is created), as JSON holding
``NOT_SET_MARKER``, which the Lambdas recognise as "not set yet" and refuse, failing every
sign-in closed until the real key is set with scripts/set-authsignal-secret. A stack update
therefore never writes over the key an operator set; a literal ``SecretString`` would, on
any change to it. The key itself is never in a template, an environment variable or a log:
Lambdas get the ARN and read it at run time.
"""

from __future__ import annotations

import json

from aws_cdk import RemovalPolicy
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

# The runtime's twin is lambdas/shared/secret.py (runtime code never imports CDK code, nor the
# reverse); tests/infra/test_secret_infrastructure.py checks that the two agree.
NOT_SET_MARKER = "authsignalSecretKeyNotSet"
# Never change the generator: CloudFormation generates a new value, over the real key, when
# GenerateSecretString changes.
NOT_SET_GENERATOR = secretsmanager.SecretStringGenerator(
    secret_string_template=json.dumps(
        {NOT_SET_MARKER: "set the Authsignal secret key with scripts/set-authsignal-secret"}
    ),
    generate_string_key="filler",
    exclude_punctuation=True,
    password_length=16,
)


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
        generate_secret_string=NOT_SET_GENERATOR,
        removal_policy=removal_policy,
    )

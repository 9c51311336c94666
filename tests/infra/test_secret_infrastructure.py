"""The Authsignal secret: created with a placeholder, or an existing one named in config."""

from stacks.authsignal_secret import PLACEHOLDER
from tests.infra.conftest import EXISTING_SECRET_ARN, resources


def test_stack_creates_the_secret_with_the_placeholder_the_lambdas_refuse(templates):
    (secret,) = resources(templates["dev"], "AWS::SecretsManager::Secret").values()
    assert secret["Properties"]["SecretString"] == PLACEHOLDER
    assert PLACEHOLDER.startswith("PLACEHOLDER")  # the prefix shared/secret.py refuses


def test_an_existing_secret_in_config_is_used_and_none_is_created(templates):
    template = templates["byosecret"]
    assert resources(template, "AWS::SecretsManager::Secret") == {}
    values = [props["Properties"]["Environment"]["Variables"].get("AUTHSIGNAL_SECRET_ARN")
              for props in resources(template, "AWS::Lambda::Function").values()]
    assert values.count(EXISTING_SECRET_ARN) == 2  # the custom-auth function and the API
    statements = [statement for policy in resources(template, "AWS::IAM::Policy").values()
                  for statement in policy["Properties"]["PolicyDocument"]["Statement"]
                  if "secretsmanager:GetSecretValue" in statement["Action"]]
    assert statements and all(statement["Resource"] == EXISTING_SECRET_ARN for statement in statements)

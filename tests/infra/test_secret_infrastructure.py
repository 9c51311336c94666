"""The Authsignal secret: created with a value CloudFormation generates (never in a template) and
the Lambdas refuse, or an existing one named in config."""

import importlib
import json

import pytest

from stacks.authsignal_secret import NOT_SET_MARKER
from tests.infra.conftest import EXISTING_SECRET_ARN, resources

ENVIRONMENTS = ["dev", "staging", "prod", "byosecret"]


def runtime_secret_module():
    """lambdas/shared/secret.py, imported as the runtime does: from the bundle root, which
    ``tests.lambdas`` puts on sys.path (secret.py imports ``shared.aws``)."""
    importlib.import_module("tests.lambdas")
    return importlib.import_module("shared.secret")


def holders_of_secret_string(node, path="$"):
    """Every path in ``node`` at which a ``SecretString`` key sits."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "SecretString":
                found.append(f"{path}.{key}")
            found += holders_of_secret_string(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += holders_of_secret_string(value, f"{path}[{index}]")
    return found


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_no_template_holds_a_secret_string_anywhere(templates, environment):
    # A SecretString in a template is written over the live key whenever it changes.
    assert holders_of_secret_string(templates[environment]) == []


def test_the_secret_value_is_generated_by_cloudformation_as_json_with_the_not_set_marker(templates):
    (secret,) = resources(templates["prod"], "AWS::SecretsManager::Secret").values()
    generator = secret["Properties"]["GenerateSecretString"]
    assert set(secret["Properties"]) == {"Description", "GenerateSecretString"}
    assert NOT_SET_MARKER in json.loads(generator["SecretStringTemplate"])
    assert generator["GenerateStringKey"] not in json.loads(generator["SecretStringTemplate"])


def test_the_lambdas_recognise_the_generated_value_as_not_set(templates):
    (secret,) = resources(templates["dev"], "AWS::SecretsManager::Secret").values()
    generator = secret["Properties"]["GenerateSecretString"]
    # What CloudFormation stores: the template with the generated string added under its key.
    value = json.dumps({**json.loads(generator["SecretStringTemplate"]), generator["GenerateStringKey"]: "x7Qm2Lp9"})
    runtime = runtime_secret_module()
    assert runtime.NOT_SET_MARKER == NOT_SET_MARKER  # the two sides' twins agree
    assert runtime.is_not_set(value)


def test_an_existing_secret_in_config_is_used_and_none_is_created(templates):
    template = templates["byosecret"]
    assert resources(template, "AWS::SecretsManager::Secret") == {}
    values = [
        props["Properties"]["Environment"]["Variables"].get("AUTHSIGNAL_SECRET_ARN")
        for props in resources(template, "AWS::Lambda::Function").values()
    ]
    assert values.count(EXISTING_SECRET_ARN) == 2  # the custom-auth function and the API
    statements = [
        statement
        for policy in resources(template, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "secretsmanager:GetSecretValue" in statement["Action"]
    ]
    assert statements and all(statement["Resource"] == EXISTING_SECRET_ARN for statement in statements)


# Any change here makes CloudFormation generate a new value over the live key (and a new logical
# id makes it a new, empty secret): both are outages in production. Change them only on purpose.
PINNED_SECRET_LOGICAL_ID = "AuthsignalSecret2D04A141"
PINNED_GENERATOR = {
    "ExcludePunctuation": True,
    "GenerateStringKey": "filler",
    "PasswordLength": 16,
    "SecretStringTemplate": json.dumps(
        {NOT_SET_MARKER: "set the Authsignal secret key with scripts/set-authsignal-secret"}
    ),
}


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_the_secret_and_its_generator_never_change_so_no_deploy_overwrites_the_key(templates, environment):
    secrets = resources(templates[environment], "AWS::SecretsManager::Secret")
    assert list(secrets) == [PINNED_SECRET_LOGICAL_ID]
    assert secrets[PINNED_SECRET_LOGICAL_ID]["Properties"]["GenerateSecretString"] == PINNED_GENERATOR

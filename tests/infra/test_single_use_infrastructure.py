"""The triggers' security controls as synthesized: the single-use table and its one grant, the
custom-auth function's grant (verify's) on this pool alone without a dependency cycle, contacts
that cannot be changed after sign-up, the passkey token age from config, and every trigger IAM
statement naming its one resource."""

import pytest

from tests.infra.conftest import functions_by_handler, resources

# the one function behind define, create and verify: verify is what writes and marks contacts
CUSTOM_AUTH = "triggers.custom_auth.handler"


def _statements(template):
    """``(policy logical id, role logical ids, statement)`` of every IAM policy."""
    for logical_id, policy in resources(template, "AWS::IAM::Policy").items():
        roles = [role["Ref"] for role in policy["Properties"]["Roles"]]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            yield logical_id, roles, {**statement, "Action": actions}


def _one(mapping):
    (value,) = mapping.values()
    return value


def single_use_table(template):
    """The logical id and resource of the table keyed by ``idempotencyKey``."""
    tables = resources(template, "AWS::DynamoDB::Table").items()
    [found] = [
        (logical_id, table)
        for logical_id, table in tables
        if table["Properties"]["KeySchema"][0]["AttributeName"] == "idempotencyKey"
    ]
    return found


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_the_single_use_table_is_on_demand_encrypted_and_expires_its_items(templates, environment):
    _, table = single_use_table(templates[environment])
    assert table["Properties"] == {
        "AttributeDefinitions": [{"AttributeName": "idempotencyKey", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "idempotencyKey", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
        "SSESpecification": {"SSEEnabled": True},
        "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": True},
    }
    assert table["DeletionPolicy"] == "Delete"  # expiring keys: nothing to keep, in any environment


def test_only_the_custom_auth_function_may_write_the_table_and_only_put_items(templates):
    template = templates["dev"]
    table_id, _ = single_use_table(template)
    custom_auth_role = functions_by_handler(template)[CUSTOM_AUTH][1]["Properties"]["Role"]["Fn::GetAtt"][0]
    grants = [
        (roles, statement)
        for _, roles, statement in _statements(template)
        if statement["Resource"] == {"Fn::GetAtt": [table_id, "Arn"]}
    ]
    assert grants == [
        (
            [custom_auth_role],
            {"Action": ["dynamodb:PutItem"], "Effect": "Allow", "Resource": {"Fn::GetAtt": [table_id, "Arn"]}},
        )
    ]


def test_the_custom_auth_function_gets_the_table_name_and_the_passkey_token_age(templates, configs):
    for environment in ("dev", "prod"):
        template = templates[environment]
        variables = functions_by_handler(template)[CUSTOM_AUTH][1]["Properties"]["Environment"]["Variables"]
        assert variables["SINGLE_USE_TABLE_NAME"] == {"Ref": single_use_table(template)[0]}
        assert variables["PASSKEY_TOKEN_MAX_AGE_SECONDS"] == str(configs[environment].passkey_token_max_age_seconds)


def test_the_custom_auth_function_may_mark_contacts_verified_in_this_pool_only(templates):
    template = templates["dev"]
    (pool_id,) = resources(template, "AWS::Cognito::UserPool")
    _, custom_auth = functions_by_handler(template)[CUSTOM_AUTH]
    custom_auth_role = custom_auth["Properties"]["Role"]["Fn::GetAtt"][0]
    grants = [
        (policy, roles, statement)
        for policy, roles, statement in _statements(template)
        if any(action.startswith("cognito-idp:") for action in statement["Action"])
    ]

    [(policy, roles, statement)] = grants
    assert roles == [custom_auth_role]
    assert statement == {
        "Action": ["cognito-idp:AdminUpdateUserAttributes"],
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [pool_id, "Arn"]},
    }
    # no cycle: the pool needs the function (trigger), the policy needs the pool, the function not the policy
    assert policy not in custom_auth.get("DependsOn", [])
    assert template["Resources"][policy].get("DependsOn", []) == []


def test_every_trigger_statement_names_its_one_resource(templates):
    template = templates["dev"]
    trigger_roles = {
        props["Properties"]["Role"]["Fn::GetAtt"][0]
        for handler, (_, props) in functions_by_handler(template).items()
        if handler.startswith("triggers.")
    }
    statements = [statement for _, roles, statement in _statements(template) if set(roles) & trigger_roles]
    assert statements
    for statement in statements:
        assert isinstance(statement["Resource"], dict), statement  # a Ref or GetAtt, never "*" or a list
    assert {action for statement in statements for action in statement["Action"]} == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "secretsmanager:GetSecretValue",
        "dynamodb:PutItem",
        "cognito-idp:AdminUpdateUserAttributes",
    }


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_email_and_phone_number_cannot_change_after_sign_up(templates, environment):
    pool = _one(resources(templates[environment], "AWS::Cognito::UserPool"))
    schema = {attribute["Name"]: attribute for attribute in pool["Properties"]["Schema"]}
    assert schema["email"]["Mutable"] is False
    assert schema["phone_number"]["Mutable"] is False


def test_nothing_verifies_a_contact_at_sign_up(templates):
    pool = _one(resources(templates["dev"], "AWS::Cognito::UserPool"))
    assert pool["Properties"].get("AutoVerifiedAttributes", []) == []

"""The user pool and app client, as deployed per environment."""

import json

import pytest
from aws_cdk.assertions import Match

from stacks.config import PRODUCTION_TOKEN_VALIDITY_MAX_MINUTES, stack_name
from tests.infra.conftest import resources


def test_user_pool_signs_users_in_by_email_or_phone_with_self_sign_up(template):
    template("dev").has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "UsernameAttributes": ["email", "phone_number"],
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False},
            "UserPoolTier": "ESSENTIALS",
            "MfaConfiguration": "OFF",
            "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "admin_only", "Priority": 1}]},
            "UsernameConfiguration": {"CaseSensitive": False},
        },
    )


def test_user_pool_wires_pre_sign_up_to_its_function_and_the_custom_auth_triggers_to_one_function(templates):
    template = templates["dev"]
    (pool,) = resources(template, "AWS::Cognito::UserPool").values()
    wired = {name: value["Fn::GetAtt"][0] for name, value in pool["Properties"]["LambdaConfig"].items()}
    assert set(wired) == {"PreSignUp", "DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse"}
    functions = resources(template, "AWS::Lambda::Function")
    handlers = {name: functions[logical_id]["Properties"]["Handler"] for name, logical_id in wired.items()}
    assert handlers == {
        "PreSignUp": "triggers.pre_sign_up.handler",
        "DefineAuthChallenge": "triggers.custom_auth.handler",
        "CreateAuthChallenge": "triggers.custom_auth.handler",
        "VerifyAuthChallengeResponse": "triggers.custom_auth.handler",
    }
    # one function, so a sign-in that finds nothing warm starts one container, not three
    assert (
        len({wired[name] for name in ("DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse")})
        == 1
    )
    assert len(functions) == 3  # pre sign-up, custom auth, the API


def test_user_pool_has_no_sms_role_because_authsignal_sends_every_otp(templates):
    assert not [logical_id for logical_id in templates["dev"]["Resources"] if "smsRole" in logical_id]
    (pool,) = resources(templates["dev"], "AWS::Cognito::UserPool").values()
    assert "SmsConfiguration" not in pool["Properties"]


def test_app_client_allows_only_custom_auth_and_refresh_without_secret(template):
    template("dev").has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {
            "ExplicitAuthFlows": ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "GenerateSecret": False,
            "PreventUserExistenceErrors": "ENABLED",
            "EnableTokenRevocation": True,
            "AllowedOAuthFlowsUserPoolClient": False,
        },
    )


PROFILE_ATTRIBUTES = {
    "name",
    "nickname",
    "preferred_username",
    "website",
    "picture",
    "profile",
    "given_name",
    "family_name",
    "middle_name",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "address",
}


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_app_client_writes_only_the_contact_attributes_the_pool_signs_in_with(templates, environment):
    (pool,) = resources(templates[environment], "AWS::Cognito::UserPool").values()
    (client,) = resources(templates[environment], "AWS::Cognito::UserPoolClient").values()

    written = set(client["Properties"]["WriteAttributes"])  # absent: every attribute is writable
    assert written == set(pool["Properties"]["UsernameAttributes"])
    assert not written & PROFILE_ATTRIBUTES
    assert not any(name.endswith("_verified") for name in written)


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_app_client_does_not_rotate_refresh_tokens_so_a_refresh_never_renews_auth_time(templates, environment):
    # With refresh-token rotation, Cognito has re-issued auth_time on refresh: a stolen refresh
    # token would then pass the API's recent-sign-in check (lambdas/api/authenticators.py).
    (client,) = resources(templates[environment], "AWS::Cognito::UserPoolClient").values()
    assert "RefreshTokenRotation" not in client["Properties"]


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_app_client_token_validity_comes_from_config(templates, configs, environment):
    (client,) = resources(templates[environment], "AWS::Cognito::UserPoolClient").values()
    config = configs[environment]
    properties = client["Properties"]
    assert properties["AccessTokenValidity"] == config.access_token_validity_minutes
    assert properties["IdTokenValidity"] == config.id_token_validity_minutes
    assert properties["RefreshTokenValidity"] == config.refresh_token_validity_days * 24 * 60
    assert properties["TokenValidityUnits"] == {
        "AccessToken": "minutes",
        "IdToken": "minutes",
        "RefreshToken": "minutes",
    }


def test_production_retains_the_user_pool_and_secret_and_protects_the_pool(template):
    prod = template("prod")
    prod.has_resource(
        "AWS::Cognito::UserPool",
        {
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": Match.object_like({"DeletionProtection": "ACTIVE"}),
        },
    )
    prod.has_resource("AWS::SecretsManager::Secret", {"DeletionPolicy": "Retain"})


def test_development_deletes_the_user_pool_and_secret_on_teardown(template):
    dev = template("dev")
    dev.has_resource(
        "AWS::Cognito::UserPool",
        {"DeletionPolicy": "Delete", "Properties": Match.object_like({"DeletionProtection": "INACTIVE"})},
    )
    dev.has_resource("AWS::SecretsManager::Secret", {"DeletionPolicy": "Delete"})


def test_stack_outputs_name_what_a_client_needs(templates):
    assert set(templates["dev"]["Outputs"]) >= {
        "UserPoolId",
        "UserPoolClientId",
        "Region",
        "AuthsignalSecretArn",
        "ApiUrl",
        "AttemptLimit",
        "AuthsignalClientUrl",
    }


@pytest.mark.parametrize("environment", ["dev", "prod", "byosecret"])
def test_the_web_app_outputs_carry_the_environment_settings(templates, configs, environment):
    outputs, config = templates[environment]["Outputs"], configs[environment]
    assert outputs["AttemptLimit"]["Value"] == str(config.attempt_limit)
    assert outputs["AuthsignalClientUrl"]["Value"] == config.authsignal_client_url
    if config.authsignal_tenant_id:
        assert outputs["AuthsignalTenantId"]["Value"] == config.authsignal_tenant_id
    else:
        assert "AuthsignalTenantId" not in outputs


def test_an_environment_with_a_tenant_id_exports_it(templates, configs):
    assert templates["byosecret"]["Outputs"]["AuthsignalTenantId"]["Value"] == configs["byosecret"].authsignal_tenant_id


def test_each_environments_tokens_last_as_long_as_its_config_says(templates, configs):
    for name, config in configs.items():
        (client,) = resources(templates[name], "AWS::Cognito::UserPoolClient").values()
        properties = client["Properties"]
        assert (
            properties["AccessTokenValidity"],
            properties["IdTokenValidity"],
            properties["RefreshTokenValidity"],
        ) == (
            config.access_token_validity_minutes,
            config.id_token_validity_minutes,
            config.refresh_token_validity_days * 24 * 60,
        ), name
        assert properties["TokenValidityUnits"] == {
            "AccessToken": "minutes",
            "IdToken": "minutes",
            "RefreshToken": "minutes",
        }, name


def test_production_tokens_expire_within_the_promised_minutes(templates, configs):
    production = [name for name, config in configs.items() if config.production]
    assert production, "cdk.json has a production environment"
    for name in production:
        (client,) = resources(templates[name], "AWS::Cognito::UserPoolClient").values()
        properties = client["Properties"]
        assert (
            max(properties["AccessTokenValidity"], properties["IdTokenValidity"])
            <= PRODUCTION_TOKEN_VALIDITY_MAX_MINUTES
        ), name


def test_the_password_nobody_types_must_still_be_strong(templates, configs):
    # Users never type one (the app sends a random one at sign-up); were passwords ever enabled,
    # a weak one could not be guessed.
    for name in configs:
        (pool,) = resources(templates[name], "AWS::Cognito::UserPool").values()
        policy = pool["Properties"]["Policies"]["PasswordPolicy"]
        assert policy["MinimumLength"] >= 16, name
        assert all(
            policy[key] for key in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols")
        ), name


def test_a_sign_in_session_expires_within_cognitos_shortest_useful_window(templates, configs):
    # The session between InitiateAuth and the answer: 3 minutes is Cognito's least, 15 its most.
    for name in configs:
        (client,) = resources(templates[name], "AWS::Cognito::UserPoolClient").values()
        assert 3 <= client["Properties"]["AuthSessionValidity"] <= 5, name


def test_only_production_stacks_are_protected_from_deletion(synthesized):
    artifacts = json.loads((synthesized.directory / "manifest.json").read_text())["artifacts"]
    for name, config in synthesized.configs.items():
        assert artifacts[stack_name(name)]["properties"].get("terminationProtection", False) is config.production, name

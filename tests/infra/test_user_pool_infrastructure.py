"""The user pool and app client, as deployed per environment."""

import pytest
from aws_cdk.assertions import Match

from tests.infra.conftest import resources


def test_user_pool_signs_users_in_by_email_or_phone_with_self_sign_up(template):
    template("dev").has_resource_properties("AWS::Cognito::UserPool", {
        "UsernameAttributes": ["email", "phone_number"],
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False},
        "UserPoolTier": "ESSENTIALS",
        "MfaConfiguration": "OFF",
        "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "admin_only", "Priority": 1}]},
        "UsernameConfiguration": {"CaseSensitive": False},
    })


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
    assert len({wired[name] for name in ("DefineAuthChallenge", "CreateAuthChallenge",
                                         "VerifyAuthChallengeResponse")}) == 1
    assert len(functions) == 3  # pre sign-up, custom auth, the API


def test_user_pool_has_no_sms_role_because_authsignal_sends_every_otp(templates):
    assert not [logical_id for logical_id in templates["dev"]["Resources"] if "smsRole" in logical_id]
    (pool,) = resources(templates["dev"], "AWS::Cognito::UserPool").values()
    assert "SmsConfiguration" not in pool["Properties"]


def test_app_client_allows_only_custom_auth_and_refresh_without_secret(template):
    template("dev").has_resource_properties("AWS::Cognito::UserPoolClient", {
        "ExplicitAuthFlows": ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "GenerateSecret": False,
        "PreventUserExistenceErrors": "ENABLED",
        "EnableTokenRevocation": True,
        "AllowedOAuthFlowsUserPoolClient": False,
    })


PROFILE_ATTRIBUTES = {"name", "nickname", "preferred_username", "website", "picture", "profile", "given_name",
                      "family_name", "middle_name", "gender", "birthdate", "zoneinfo", "locale", "address"}


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
    assert properties["TokenValidityUnits"] == {"AccessToken": "minutes", "IdToken": "minutes",
                                                "RefreshToken": "minutes"}


def test_production_retains_the_user_pool_and_secret_and_protects_the_pool(template):
    prod = template("prod")
    prod.has_resource("AWS::Cognito::UserPool", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                                                 "Properties": Match.object_like({"DeletionProtection": "ACTIVE"})})
    prod.has_resource("AWS::SecretsManager::Secret", {"DeletionPolicy": "Retain"})


def test_development_deletes_the_user_pool_and_secret_on_teardown(template):
    dev = template("dev")
    dev.has_resource("AWS::Cognito::UserPool", {"DeletionPolicy": "Delete",
                                                "Properties": Match.object_like({"DeletionProtection": "INACTIVE"})})
    dev.has_resource("AWS::SecretsManager::Secret", {"DeletionPolicy": "Delete"})


def test_stack_outputs_name_what_a_client_needs(templates):
    assert set(templates["dev"]["Outputs"]) >= {"UserPoolId", "UserPoolClientId", "Region", "AuthsignalSecretArn",
                                                "ApiUrl", "AttemptLimit", "AuthsignalClientUrl"}


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



def test_production_access_and_id_tokens_last_15_minutes(templates):
    (client,) = resources(templates["prod"], "AWS::Cognito::UserPoolClient").values()
    properties = client["Properties"]
    assert (properties["AccessTokenValidity"], properties["IdTokenValidity"]) == (15, 15)
    assert properties["TokenValidityUnits"]["AccessToken"] == "minutes"

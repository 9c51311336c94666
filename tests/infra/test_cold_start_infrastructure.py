"""Memory, SnapStart and provisioned concurrency, as an environment's config sets them: each
function gets its own memory size; with SnapStart, Cognito and API Gateway invoke the alias of a
published version, and only the alias; provisioned concurrency sits on that alias."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

from stacks.config import EnvironmentConfig
from stacks.lambda_function import LIVE_ALIAS, PythonLambda
from tests.infra.conftest import functions_by_handler, resources

Templates = dict[str, dict[str, Any]]
Configs = dict[str, EnvironmentConfig]

# handler -> the function's name in lambdaMemoryMb
MEMORY_KEYS = {
    "triggers.custom_auth.handler": "customAuth",
    "api.authenticators.handler": "api",
    "triggers.pre_sign_up.handler": "preSignUp",
}
SNAPSTART_HANDLERS = {"triggers.custom_auth.handler", "api.authenticators.handler"}
CUSTOM_AUTH_TRIGGERS = ("DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse")


def _aliases(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Alias logical id -> its properties."""
    return {logical_id: alias["Properties"] for logical_id, alias in resources(template, "AWS::Lambda::Alias").items()}


def _alias_of(template: dict[str, Any], function_id: str) -> str:
    (alias,) = [
        logical_id for logical_id, alias in _aliases(template).items() if alias["FunctionName"] == {"Ref": function_id}
    ]
    return alias


def test_each_function_gets_the_memory_its_environment_sets(templates: Templates, configs: Configs) -> None:
    for name in configs:  # every environment, the SnapStart variant's own sizes among them
        sizes = {
            handler: function["Properties"]["MemorySize"]
            for handler, (_, function) in functions_by_handler(templates[name]).items()
        }

        assert sizes == {handler: configs[name].lambda_memory_mb[key] for handler, key in MEMORY_KEYS.items()}


def test_without_snapstart_cognito_invokes_the_functions_themselves(templates: Templates, configs: Configs) -> None:
    template = templates["dev"]
    assert not configs["dev"].snap_start and not configs["dev"].provisioned_concurrency

    assert _aliases(template) == {}
    assert all("SnapStart" not in function["Properties"] for _, function in functions_by_handler(template).values())


def test_snapstart_is_on_for_the_sdk_functions_and_off_for_pre_sign_up(templates: Templates) -> None:
    for handler, (_, function) in functions_by_handler(templates["snapstart"]).items():
        expected = {"ApplyOn": "PublishedVersions"} if handler in SNAPSTART_HANDLERS else None

        assert function["Properties"].get("SnapStart") == expected, handler


def test_with_snapstart_the_sign_in_triggers_name_the_live_alias_of_a_published_version(templates: Templates) -> None:
    template = templates["snapstart"]
    function_id, _ = functions_by_handler(template)["triggers.custom_auth.handler"]
    alias_id = _alias_of(template, function_id)
    alias = _aliases(template)[alias_id]
    (pool,) = resources(template, "AWS::Cognito::UserPool").values()

    assert alias["Name"] == LIVE_ALIAS
    version_id = alias["FunctionVersion"]["Fn::GetAtt"][0]
    assert template["Resources"][version_id]["Type"] == "AWS::Lambda::Version"
    assert all(pool["Properties"]["LambdaConfig"][trigger] == {"Ref": alias_id} for trigger in CUSTOM_AUTH_TRIGGERS)


def test_with_snapstart_cognito_may_invoke_the_alias_and_nothing_else_of_custom_auth(templates: Templates) -> None:
    template = templates["snapstart"]
    function_id, _ = functions_by_handler(template)["triggers.custom_auth.handler"]
    alias_id = _alias_of(template, function_id)
    (pool_id,) = resources(template, "AWS::Cognito::UserPool")
    granted = [
        permission["Properties"]
        for permission in resources(template, "AWS::Lambda::Permission").values()
        if permission["Properties"]["Principal"] == "cognito-idp.amazonaws.com"
        and permission["Properties"]["FunctionName"]
        in ({"Ref": alias_id}, {"Ref": function_id}, {"Fn::GetAtt": [function_id, "Arn"]})
    ]

    assert len(granted) == len(CUSTOM_AUTH_TRIGGERS)
    assert all(permission["FunctionName"] == {"Ref": alias_id} for permission in granted)
    assert all(permission["SourceArn"] == {"Fn::GetAtt": [pool_id, "Arn"]} for permission in granted)


def test_with_snapstart_the_api_integrates_and_permits_the_alias(templates: Templates) -> None:
    template = templates["snapstart"]
    function_id, _ = functions_by_handler(template)["api.authenticators.handler"]
    alias_id = _alias_of(template, function_id)
    (integration,) = resources(template, "AWS::ApiGatewayV2::Integration").values()
    permissions = [
        permission["Properties"]
        for permission in resources(template, "AWS::Lambda::Permission").values()
        if permission["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]

    assert integration["Properties"]["IntegrationUri"] == {"Ref": alias_id}
    assert permissions and all(permission["FunctionName"] == {"Ref": alias_id} for permission in permissions)


def test_replaced_versions_are_deleted_so_snapstart_caches_only_the_live_one(templates: Templates) -> None:
    versions = resources(templates["snapstart"], "AWS::Lambda::Version").values()

    assert versions and all(version.get("DeletionPolicy") == "Delete" for version in versions)


def _one_function(**options: Any) -> Mapping[str, Any]:
    """The smallest stack that shows a function's alias: one PythonLambda."""
    stack = cdk.Stack(cdk.App())
    PythonLambda(
        stack,
        "Fn",
        handler="triggers.pre_sign_up.handler",
        description="d",
        with_dependencies=False,
        timeout=cdk.Duration.seconds(3),
        environment={},
        log_retention_days=1,
        removal_policy=cdk.RemovalPolicy.DESTROY,
        memory_size=512,
        **options,
    )
    return dict(Template.from_stack(stack).to_json())


def test_provisioned_concurrency_sits_on_the_live_alias_without_snapstart() -> None:
    template = _one_function(provisioned_concurrency=3)
    (alias,) = _aliases(template).values()
    (function,) = resources(template, "AWS::Lambda::Function").values()

    assert alias["Name"] == LIVE_ALIAS
    assert alias["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 3}
    assert "SnapStart" not in function["Properties"]

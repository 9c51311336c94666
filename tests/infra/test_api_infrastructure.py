"""The authenticators HTTP API: JWT authorizer on every route, throttling, access logs, CORS."""

import pytest

from tests.infra.conftest import resources

ROUTES = {"GET /authenticators", "POST /authenticators", "DELETE /authenticators/{authenticatorId}"}


def only(template_json, kind):
    (resource,) = resources(template_json, kind).items()
    return resource


def test_authorizer_trusts_only_this_environments_pool_and_app_client(templates):
    template = templates["dev"]
    pool_id, _ = only(template, "AWS::Cognito::UserPool")
    client_id, _ = only(template, "AWS::Cognito::UserPoolClient")
    _, authorizer = only(template, "AWS::ApiGatewayV2::Authorizer")
    properties = authorizer["Properties"]
    assert properties["AuthorizerType"] == "JWT"
    assert properties["IdentitySource"] == ["$request.header.Authorization"]
    assert properties["JwtConfiguration"]["Audience"] == [{"Ref": client_id}]
    assert properties["JwtConfiguration"]["Issuer"] == {
        "Fn::Join": ["", ["https://cognito-idp.", {"Ref": "AWS::Region"}, ".amazonaws.com/", {"Ref": pool_id}]]
    }


def test_every_route_requires_the_jwt_authorizer_and_nothing_else_is_routed(templates):
    template = templates["dev"]
    authorizer_id, _ = only(template, "AWS::ApiGatewayV2::Authorizer")
    routes = {
        route["Properties"]["RouteKey"]: route["Properties"]
        for route in resources(template, "AWS::ApiGatewayV2::Route").values()
    }
    assert set(routes) == ROUTES
    for properties in routes.values():
        assert properties["AuthorizationType"] == "JWT"
        assert properties["AuthorizerId"] == {"Ref": authorizer_id}


def test_routes_reach_the_api_function_with_payload_format_2(templates):
    template = templates["dev"]
    _, integration = only(template, "AWS::ApiGatewayV2::Integration")
    function_id = integration["Properties"]["IntegrationUri"]["Fn::GetAtt"][0]
    assert template["Resources"][function_id]["Properties"]["Handler"] == "api.authenticators.handler"
    assert integration["Properties"]["PayloadFormatVersion"] == "2.0"


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_stage_throttling_and_access_log_retention_come_from_config(templates, configs, environment):
    template = templates[environment]
    config = configs[environment]
    _, stage = only(template, "AWS::ApiGatewayV2::Stage")
    properties = stage["Properties"]
    assert properties["StageName"] == "$default"
    assert properties["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": config.api_throttling_rate_limit,
        "ThrottlingBurstLimit": config.api_throttling_burst_limit,
    }
    log_group_id = properties["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    assert template["Resources"][log_group_id]["Properties"]["RetentionInDays"] == config.log_retention_days
    assert "Authorization" not in properties["AccessLogSettings"]["Format"]


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_cors_allows_the_configured_origins_and_only_the_routes_methods(templates, configs, environment):
    _, api = only(templates[environment], "AWS::ApiGatewayV2::Api")
    cors = api["Properties"]["CorsConfiguration"]
    assert cors["AllowOrigins"] == list(configs[environment].cors_origins)
    assert sorted(cors["AllowMethods"]) == ["DELETE", "GET", "POST"]
    assert cors["AllowHeaders"] == ["Authorization", "Content-Type"]
    # a browser app must be able to read the RFC 9470 step-up answer (max_age) of a stale sign-in,
    # and when to come back after a 429 of the per-user limit
    assert sorted(cors["ExposeHeaders"]) == ["Retry-After", "WWW-Authenticate"]


def test_production_allows_no_wildcard_origin(templates):
    _, api = only(templates["prod"], "AWS::ApiGatewayV2::Api")
    assert "*" not in api["Properties"]["CorsConfiguration"]["AllowOrigins"]


def test_api_url_is_an_output(templates):
    api_id, _ = only(templates["dev"], "AWS::ApiGatewayV2::Api")
    assert templates["dev"]["Outputs"]["ApiUrl"]["Value"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [api_id, "ApiEndpoint"]}, "/"]]
    }


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_the_api_function_gets_the_recent_sign_in_window_from_config(templates, configs, environment):
    _, integration = only(templates[environment], "AWS::ApiGatewayV2::Integration")
    function_id = integration["Properties"]["IntegrationUri"]["Fn::GetAtt"][0]
    variables = templates[environment]["Resources"][function_id]["Properties"]["Environment"]["Variables"]
    assert variables["RECENT_AUTH_MINUTES"] == str(configs[environment].recent_auth_minutes)


def _api_function(template_json):
    """The logical id and properties of the API's function."""
    _, integration = only(template_json, "AWS::ApiGatewayV2::Integration")
    function_id = integration["Properties"]["IntegrationUri"]["Fn::GetAtt"][0]
    return function_id, template_json["Resources"][function_id]["Properties"]


def _rate_limit_table(template_json):
    [found] = [
        (logical_id, table)
        for logical_id, table in resources(template_json, "AWS::DynamoDB::Table").items()
        if table["Properties"]["KeySchema"] == [{"AttributeName": "key", "KeyType": "HASH"}]
    ]
    return found


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_the_api_function_counts_requests_per_user_in_its_table_with_the_configured_limit(
    templates, configs, environment
):
    table_id, table = _rate_limit_table(templates[environment])
    _, function = _api_function(templates[environment])

    variables = function["Environment"]["Variables"]
    assert variables["RATE_LIMIT_TABLE_NAME"] == {"Ref": table_id}
    assert variables["API_REQUESTS_PER_MINUTE_PER_USER"] == str(configs[environment].api_requests_per_minute_per_user)
    assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert table["Properties"]["SSESpecification"] == {"SSEEnabled": True}


def test_the_api_function_may_only_update_items_of_its_counter_table_and_nothing_else_may_touch_it(templates):
    template = templates["dev"]
    table_id, _ = _rate_limit_table(template)
    _, function = _api_function(template)
    api_role = function["Role"]["Fn::GetAtt"][0]
    grants = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        roles = [role["Ref"] for role in policy["Properties"]["Roles"]]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(action.startswith("dynamodb:") for action in actions) and api_role in roles:
                grants.append((actions, statement["Resource"]))
            if statement["Resource"] == {"Fn::GetAtt": [table_id, "Arn"]}:
                assert roles == [api_role]

    assert grants == [(["dynamodb:UpdateItem"], {"Fn::GetAtt": [table_id, "Arn"]})]

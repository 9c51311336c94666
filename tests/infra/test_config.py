"""Configuration errors stop synth with one line naming the key and what it allows."""

import shutil
import subprocess

import pytest
from aws_cdk.cx_api import SynthesisMessageLevel

from stacks.config import (
    DEFAULT_AUTHSIGNAL_CLIENT_URL,
    EXAMPLE_ACCOUNT,
    PRODUCTION_TOKEN_VALIDITY_MAX_MINUTES,
    ConfigError,
    config_warnings,
    parse_environment,
    refuse_near_misses,
    select_environment,
    stack_name,
)
from tests.infra.conftest import CONTEXT, ROOT, run_app

# Environments built here, not read from cdk.json: a team's edits to cdk.json never change what
# these tests mean (only test_every_environment_in_cdk_json_is_valid reads the file's).
VALID = {"authsignalUrl": "https://api.authsignal.com/v1", "corsOrigins": ["http://localhost:3000"]}
PROD = {
    **VALID,
    "production": True,
    "account": "210987654321",
    "region": "eu-west-1",
    "corsOrigins": ["https://app.acme.io"],
    "alarmsEnabled": True,
}
LOCAL = {
    **VALID,
    "localEmulator": True,
    "account": "000000000000",
    "region": "us-east-1",
    "authsignalUrl": "http://127.0.0.1:4001/v1",
}
ENVIRONMENTS = {"dev": VALID, "staging": VALID, "prod": PROD, "local": LOCAL}


def with_setting(key, value):
    return {**VALID, key: value}


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("account", "12345", "a 12-digit AWS account id"),
        ("account", 123456789012, "a 12-digit AWS account id"),
        ("region", "Europe", "an AWS region like eu-west-1"),
        ("authsignalUrl", "http://api.authsignal.com/v1", "an https:// URL"),
        ("authsignalUrl", "api.authsignal.com", "an https:// URL"),
        ("authsignalUrl", "http://127.0.0.1:28461/v1", "an https:// URL"),
        ("authsignalUrl", "http://localhost/v1", "an https:// URL"),
        ("localEmulator", "yes", "true or false"),
        ("attemptLimit", 0, "a whole number from 1 to 10"),
        ("attemptLimit", -2, "a whole number from 1 to 10"),
        ("attemptLimit", "3", "a whole number from 1 to 10"),
        ("attemptLimit", True, "a whole number from 1 to 10"),
        ("accessTokenValidityMinutes", 0, "a whole number from 5 to 1440"),
        ("idTokenValidityMinutes", -60, "a whole number from 5 to 1440"),
        ("refreshTokenValidityDays", 0, "a whole number from 1 to 3650"),
        ("logRetentionDays", 8, "must be one of 1, 3, 5, 7"),
        ("production", "yes", "true or false"),
        ("corsOrigins", [], "a non-empty list of origins"),
        ("corsOrigins", ["ftp://x"], "an origin like https://app.example.com"),
        ("authsignalSecretArn", "authsignal", "the full ARN of a Secrets Manager secret"),
        ("apiThrottlingRateLimit", 0, "a whole number from 1 to 10000"),
        ("alarmEmail", "not-an-email", "an email address"),
        ("recentAuthMinutes", 0, "a whole number from 1 to 60"),
        ("recentAuthMinutes", 61, "a whole number from 1 to 60"),
        ("recentAuthMinutes", "10", "a whole number from 1 to 60"),
        ("signInRequestsPer5MinutesPerIp", 9, "a whole number from 10 to 2000000000"),
        ("signInRequestsPer5MinutesPerIp", True, "a whole number from 10 to 2000000000"),
        ("triggerReservedConcurrency", 0, "a whole number from 1 to 1000"),
        ("passkeyTokenMaxAgeSeconds", 29, "a whole number from 30 to 900"),
        ("passkeyTokenMaxAgeSeconds", 901, "a whole number from 30 to 900"),
        ("passkeyTokenMaxAgeSeconds", "300", "a whole number from 30 to 900"),
        ("cognitoUserAuthenticationRps", 0, "a whole number from 1 to 100000"),
        ("cognitoUserCreationRps", 50.5, "a whole number from 1 to 100000"),
        ("cognitoUserUpdateRps", "25", "a whole number from 1 to 100000"),
        ("authsignalTenantId", "tenant id", "an Authsignal tenant id (letters, digits and dashes"),
        ("authsignalTenantId", "-leading-dash", "an Authsignal tenant id (letters, digits and dashes"),
        ("authsignalTenantId", 42, "an Authsignal tenant id (letters, digits and dashes"),
        ("authsignalClientUrl", "http://api.authsignal.com/v1", "an https:// URL"),
        ("authsignalClientUrl", "http://127.0.0.1:28461/v1", "an https:// URL"),
        ("emailMagicLinkEnabled", "true", "true or false"),
        ("emailMagicLinkEnabled", 1, "true or false"),
        ("apiRequestsPerMinutePerUser", 0, "a whole number from 1 to 10000"),
        ("apiRequestsPerMinutePerUser", "60", "a whole number from 1 to 10000"),
        ("apiRequestsPerMinutePerUser", 60.5, "a whole number from 1 to 10000"),
    ],
)
def test_a_bad_value_names_the_key_and_what_is_allowed(key, value, allowed):
    with pytest.raises(ConfigError) as error:
        parse_environment("dev", with_setting(key, value))
    assert f"environments.dev.{key}" in str(error.value)
    assert allowed in str(error.value)


def test_the_passkey_token_age_limit_defaults_to_five_minutes():
    assert parse_environment("dev", VALID).passkey_token_max_age_seconds == 300
    assert parse_environment("dev", with_setting("passkeyTokenMaxAgeSeconds", 120)).passkey_token_max_age_seconds == 120


def test_email_magic_links_are_off_unless_an_environment_turns_them_on():
    assert (
        parse_environment(
            "dev", {key: value for key, value in VALID.items() if key != "emailMagicLinkEnabled"}
        ).email_magic_link_enabled
        is False
    )
    assert parse_environment("dev", with_setting("emailMagicLinkEnabled", True)).email_magic_link_enabled is True


def test_the_per_user_api_limit_is_on_without_a_setting_and_takes_the_configured_value():
    default = parse_environment(
        "dev", {key: value for key, value in VALID.items() if key != "apiRequestsPerMinutePerUser"}
    ).api_requests_per_minute_per_user
    assert default >= 1
    configured = parse_environment("dev", with_setting("apiRequestsPerMinutePerUser", 7))
    assert configured.api_requests_per_minute_per_user == 7


def test_the_cognito_quotas_default_to_aws_defaults_per_category():
    config = parse_environment("dev", {key: value for key, value in VALID.items() if not key.startswith("cognito")})

    assert config.cognito_quotas_rps == {"UserAuthentication": 120, "UserCreation": 50, "UserUpdate": 25}


def test_a_cognito_quota_set_in_config_is_the_one_its_category_gets():
    config = parse_environment("dev", with_setting("cognitoUserAuthenticationRps", 400))

    assert config.cognito_quotas_rps["UserAuthentication"] == 400


def test_an_unknown_key_is_refused_with_the_allowed_keys():
    refused = r"environments.dev.attemptLimt is not a known setting; allowed: .*attemptLimit"
    with pytest.raises(ConfigError, match=refused):
        parse_environment("dev", with_setting("attemptLimt", 3))


def test_a_missing_required_key_is_named():
    settings = dict(VALID)
    del settings["authsignalUrl"]
    with pytest.raises(ConfigError, match=r"environments.dev.authsignalUrl is required"):
        parse_environment("dev", settings)


def test_production_refuses_a_wildcard_cors_origin():
    with pytest.raises(ConfigError, match=r"environments.prod.corsOrigins .* not \*"):
        parse_environment("prod", {**PROD, "corsOrigins": ["*"]})


def test_an_unknown_environment_lists_the_known_ones():
    context = {"environments": ENVIRONMENTS, "env": "qa"}
    with pytest.raises(ConfigError, match=r"env must be one of dev, staging, prod, local, got 'qa'"):
        select_environment(context.get)


def test_the_default_environment_is_dev_and_needs_no_account():
    config = select_environment({"environments": ENVIRONMENTS}.get)
    assert (config.name, config.account, config.region) == ("dev", None, None)


def test_every_environment_in_cdk_json_is_valid():
    for name, raw in CONTEXT["environments"].items():
        assert parse_environment(name, raw).name == name


def test_synth_with_a_bad_setting_prints_one_line_and_no_stack_trace(tmp_path):
    context = {"environments": {"dev": with_setting("attemptLimit", 0)}}
    result = run_app(context, tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "cdk.json: environments.dev.attemptLimit must be a whole number from 1 to 10, got 0"
    ]


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:28461/v1", "http://localhost:8080/v1", "http://127.0.0.1", "https://api.authsignal.com/v1"],
)
def test_a_local_emulator_environment_may_call_authsignal_over_http_on_loopback(url):
    assert parse_environment("local", {**LOCAL, "authsignalUrl": url}).authsignal_url == url


@pytest.mark.parametrize("url", ["http://127.0.0.1:28461/v1", "https://eu.api.authsignal.com/v1"])
def test_a_local_emulator_environment_may_point_the_app_at_a_client_api_on_loopback(url):
    assert parse_environment("local", {**LOCAL, "authsignalClientUrl": url}).authsignal_client_url == url


def test_a_local_emulator_environment_refuses_a_plain_http_client_api_beyond_loopback():
    with pytest.raises(
        ConfigError,
        match=r"environments.local.authsignalClientUrl must be an https:// URL, or "
        r"http://127.0.0.1\[:port\]",
    ):
        parse_environment("local", {**LOCAL, "authsignalClientUrl": "http://10.0.0.8/v1"})


def test_the_web_app_settings_default_to_no_tenant_and_the_client_sdk_default_url():
    config = parse_environment(
        "dev", {key: value for key, value in VALID.items() if key not in ("authsignalTenantId", "authsignalClientUrl")}
    )
    assert config.authsignal_tenant_id is None
    assert config.authsignal_client_url == DEFAULT_AUTHSIGNAL_CLIENT_URL


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.8:28461/v1",
        "http://api.authsignal.com/v1",
        "http://127.0.0.1.example.com/v1",
        "http://localhost.example.com/v1",
        "http://127.0.0.1@example.com/v1",
        "http://[::1]:28461/v1",
        "ftp://127.0.0.1/v1",
    ],
)
def test_a_local_emulator_environment_refuses_plain_http_beyond_loopback(url):
    with pytest.raises(
        ConfigError,
        match=r"environments.local.authsignalUrl must be an https:// URL, or "
        r"http://127.0.0.1\[:port\] or http://localhost\[:port\]",
    ):
        parse_environment("local", {**LOCAL, "authsignalUrl": url})


@pytest.mark.parametrize("account", [None, "123456789012"])
def test_a_local_emulator_environment_deploys_only_to_the_emulator_account(account):
    with pytest.raises(ConfigError, match=r"environments.local.account must be 000000000000"):
        parse_environment("local", {**LOCAL, "account": account})


def test_a_local_emulator_environment_is_never_production():
    with pytest.raises(ConfigError, match=r"environments.local.production must be false with localEmulator"):
        parse_environment("local", {**LOCAL, "production": True, "corsOrigins": ["https://app.example.com"]})


def test_the_authsignal_url_given_with_c_points_a_local_environment_elsewhere():
    context = {"environments": ENVIRONMENTS, "env": "local", "authsignalUrl": "http://127.0.0.1:4001/v1"}
    assert select_environment(context.get).authsignal_url == "http://127.0.0.1:4001/v1"


def test_the_authsignal_url_given_with_c_is_checked_like_cdk_json():
    context = {"environments": ENVIRONMENTS, "env": "local", "authsignalUrl": "http://example.com/v1"}
    with pytest.raises(ConfigError, match=r"environments.local.authsignalUrl must be an https:// URL, or"):
        select_environment(context.get)


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_the_authsignal_url_given_with_c_is_refused_for_a_real_environment(environment):
    context = {"environments": ENVIRONMENTS, "env": environment, "authsignalUrl": "https://api.authsignal.com/v1"}
    with pytest.raises(
        ConfigError,
        match=r"authsignalUrl may be given with -c only for an environment with "
        r"localEmulator: true",
    ):
        select_environment(context.get)


def test_the_app_origin_given_with_c_adds_the_sandbox_app_to_a_local_environments_cors_origins():
    environments = {"emulated": {**LOCAL, "corsOrigins": ["http://localhost:3000"]}}
    context = {"environments": environments, "env": "emulated", "appOrigin": "http://localhost:41234"}
    assert select_environment(context.get).cors_origins == ("http://localhost:3000", "http://localhost:41234")


@pytest.mark.parametrize(
    "origin",
    ["http://127.0.0.1:41234", "https://localhost:41234", "http://localhost:41234/", "*", "http://evil.example"],
)
def test_the_app_origin_given_with_c_is_a_localhost_origin(origin):
    context = {"environments": {"emulated": LOCAL}, "env": "emulated", "appOrigin": origin}
    with pytest.raises(ConfigError, match=r"^appOrigin must be an origin like http://localhost:5173, got"):
        select_environment(context.get)


def test_the_app_origin_given_with_c_is_refused_for_a_real_environment():
    context = {"environments": {"real": VALID}, "env": "real", "appOrigin": "http://localhost:41234"}
    with pytest.raises(
        ConfigError,
        match=r"^appOrigin may be given with -c only for an environment with "
        r"localEmulator: true; set environments.real.corsOrigins in cdk.json",
    ):
        select_environment(context.get)


def test_recent_auth_defaults_to_10_minutes_and_sign_in_protection_to_none():
    settings = {
        key: value
        for key, value in VALID.items()
        if key not in {"recentAuthMinutes", "signInRequestsPer5MinutesPerIp", "triggerReservedConcurrency"}
    }
    config = parse_environment("dev", settings)
    assert (
        config.recent_auth_minutes,
        config.sign_in_requests_per_5_minutes_per_ip,
        config.trigger_reserved_concurrency,
    ) == (10, None, None)


def test_production_tokens_default_to_15_minutes_and_other_environments_to_60():
    # The API's JWT authorizer does not check revocation: a production token must not outlive 15 minutes.
    bare = {
        key: value for key, value in PROD.items() if key not in {"accessTokenValidityMinutes", "idTokenValidityMinutes"}
    }
    production = parse_environment("prod", bare)
    other = parse_environment("staging", {**bare, "production": False})
    assert (production.access_token_validity_minutes, production.id_token_validity_minutes) == (15, 15)
    assert (other.access_token_validity_minutes, other.id_token_validity_minutes) == (60, 60)
    assert production.refresh_token_validity_days == other.refresh_token_validity_days


@pytest.mark.parametrize("key", ["accessTokenValidityMinutes", "idTokenValidityMinutes"])
def test_production_refuses_tokens_that_outlive_the_promised_minutes(key):
    limit = PRODUCTION_TOKEN_VALIDITY_MAX_MINUTES
    assert parse_environment("prod", {**PROD, key: limit}).production
    with pytest.raises(
        ConfigError,
        match=rf"^environments.prod.{key} must be at most {limit} in production "
        rf"\(a token cannot be revoked before it expires\), got {limit + 1}$",
    ):
        parse_environment("prod", {**PROD, key: limit + 1})
    assert not parse_environment("staging", {**VALID, key: limit + 1}).production


def test_an_explicit_token_validity_wins_over_the_production_default():
    config = parse_environment("prod", {**PROD, "accessTokenValidityMinutes": 5})
    assert config.access_token_validity_minutes == 5


# --- where an environment deploys -------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("account", "environments.prod.account is required in production: the 12-digit AWS account id"),
        ("region", "environments.prod.region is required"),
    ],
)
def test_production_names_its_account_and_region(missing, message):
    settings = {key: value for key, value in PROD.items() if key != missing}
    with pytest.raises(ConfigError) as error:
        parse_environment("prod", settings)
    assert str(error.value).startswith(message)


def test_an_account_without_a_region_is_refused():
    with pytest.raises(ConfigError, match=r"^environments.dev.region is required when account is set"):
        parse_environment("dev", with_setting("account", "210987654321"))


def test_a_non_production_environment_without_account_and_region_is_environment_agnostic():
    config = parse_environment("staging", VALID)
    assert (config.account, config.region) == (None, None)


def test_production_with_the_example_account_synthesizes_until_yours_is_set():
    config = parse_environment("prod", {**PROD, "account": EXAMPLE_ACCOUNT})
    assert config.account == EXAMPLE_ACCOUNT


# --- warnings: allowed, but surely not meant -----------------------------------------------------


def warnings_of(synthesized, name):
    """The warnings synth attached to an environment's stack, as ``{id: message}``."""
    artifact = synthesized.assembly.get_stack_by_name(stack_name(name))
    return {
        message.entry.data.split(" [ack: ")[1].rstrip("]"): message.entry.data.split(" [ack: ")[0]
        for message in artifact.messages
        if message.level == SynthesisMessageLevel.WARNING
    }


def test_example_values_left_in_production_are_warnings_naming_the_key():
    config = parse_environment(
        "prod",
        {
            **PROD,
            "account": EXAMPLE_ACCOUNT,
            "corsOrigins": ["https://app.example.com"],
            "alarmEmail": "platform-alerts@example.com",
        },
    )
    assert config_warnings(config) == [
        ("account", "environments.prod.account is the example account 123456789012: set your production account id"),
        (
            "corsOrigins",
            "environments.prod.corsOrigins holds the example origin https://app.example.com: set your app's origins",
        ),
        (
            "alarmEmail",
            "environments.prod.alarmEmail is the example address platform-alerts@example.com: "
            "set an address someone reads",
        ),
    ]


def test_magic_links_turned_on_in_production_are_a_warning_and_elsewhere_not():
    """A strict synth (as the deploy workflow runs it) stops on it: the cost is in docs/security.md."""
    production = parse_environment("prod", {**PROD, "alarmEmail": "oncall@acme.io", "emailMagicLinkEnabled": True})
    staging = parse_environment("staging", {**PROD, "production": False, "emailMagicLinkEnabled": True})

    assert [key for key, _ in config_warnings(production)] == ["emailMagicLinkEnabled"]
    assert config_warnings(staging) == []


def test_example_values_outside_production_are_not_warned_about():
    config = parse_environment(
        "staging", {**PROD, "production": False, "account": EXAMPLE_ACCOUNT, "corsOrigins": ["https://app.example.com"]}
    )
    assert config_warnings(config) == []


def test_synth_attaches_each_environments_warnings_naming_the_key(synthesized):
    for name, config in synthesized.configs.items():
        expected = {f"passwordless:config:{key}": message for key, message in config_warnings(config)}
        assert warnings_of(synthesized, name) == expected, name


def test_real_values_in_production_give_no_warning():
    config = parse_environment("prod", {**PROD, "alarmEmail": "oncall@acme.io"})
    assert config_warnings(config) == []


def test_an_alarm_email_with_alarms_off_is_a_warning_it_has_no_effect():
    config = parse_environment("dev", {**VALID, "alarmsEnabled": False, "alarmEmail": "oncall@acme.io"})
    assert config_warnings(config) == [
        ("alarmEmail", "environments.dev.alarmEmail has no effect: alarmsEnabled is false")
    ]


# --- the environment selector's near misses -------------------------------------------------------


@pytest.mark.parametrize("key", ["enviroment", "environment", "Env", "ENV", "evn", "envName"])
def test_a_near_miss_of_env_is_refused_with_the_right_spelling(key):
    with pytest.raises(ConfigError, match=rf"^-c {key}=prod is not a setting: select the environment with -c env=prod"):
        refuse_near_misses({"environments": {}, key: "prod"})


@pytest.mark.parametrize(
    "key",
    [
        "env",
        "ci",
        "environments",
        "@aws-cdk/core:checkSecretUsage",
        "aws:cdk:enable-path-metadata",
        "aws:cdk:bundling-stacks",
        "cdk-feature-x",
        "acknowledged-issue-numbers",
        "availability-zones:account=123456789012:region=eu-west-1",
    ],
)
def test_the_app_and_cdk_own_context_keys_pass(key):
    refuse_near_misses({key: "x"})


def test_synth_with_a_mistyped_env_key_stops_instead_of_building_dev(tmp_path):
    context = {"environments": ENVIRONMENTS, "enviroment": "prod"}
    result = run_app(context, tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "-c enviroment=prod is not a setting: select the environment with -c env=prod "
        "(known top-level keys: env, environments, ci)"
    ]
    assert not list(tmp_path.iterdir())


# --- cdk.json that is not JSON ------------------------------------------------------------------


def test_invalid_json_in_cdk_json_is_named_by_line_and_column_before_the_cdk_cli_runs(tmp_path):
    """The CDK CLI itself would say only "Unexpected token" and no line; scripts/synth (through
    scripts/setup) stops first, at the mistake."""
    for copied in ("scripts", "stacks"):  # nothing installed: the check comes before any install
        shutil.copytree(ROOT / copied, tmp_path / copied, ignore=shutil.ignore_patterns("__pycache__"))
    text = (ROOT / "cdk.json").read_text()
    broken = text.replace('"app":', '"app"', 1)  # every cdk.json has its app command
    (tmp_path / "cdk.json").write_text(broken)
    line = text[: text.index('"app":')].count("\n") + 1

    result = subprocess.run(
        [str(tmp_path / "scripts" / "synth")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(f"cdk.json: line {line} column ")
    assert "delimiter" in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cdk.json", "scripts", "stacks"]

"""Configuration errors stop synth with one line naming the key and what it allows."""

import json
import os
import subprocess
import sys

import pytest

from stacks.config import ConfigError, parse_environment, select_environment
from tests.infra.conftest import CONTEXT, ROOT

VALID = CONTEXT["environments"]["dev"]


def with_setting(key, value):
    return {**VALID, key: value}


@pytest.mark.parametrize(("key", "value", "allowed"), [
    ("account", "12345", "a 12-digit AWS account id"),
    ("account", 123456789012, "a 12-digit AWS account id"),
    ("region", "Europe", "an AWS region like eu-west-1"),
    ("authsignalUrl", "http://api.authsignal.com/v1", "an https:// URL"),
    ("authsignalUrl", "api.authsignal.com", "an https:// URL"),
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
    ("passkeyTokenMaxAgeSeconds", 29, "a whole number from 30 to 900"),
    ("passkeyTokenMaxAgeSeconds", 901, "a whole number from 30 to 900"),
    ("passkeyTokenMaxAgeSeconds", "300", "a whole number from 30 to 900"),
])
def test_a_bad_value_names_the_key_and_what_is_allowed(key, value, allowed):
    with pytest.raises(ConfigError) as error:
        parse_environment("dev", with_setting(key, value))
    assert f"environments.dev.{key}" in str(error.value)
    assert allowed in str(error.value)


def test_the_passkey_token_age_limit_defaults_to_five_minutes():
    assert parse_environment("dev", VALID).passkey_token_max_age_seconds == 300
    assert parse_environment("dev", with_setting("passkeyTokenMaxAgeSeconds", 120)).passkey_token_max_age_seconds == 120


def test_an_unknown_key_is_refused_with_the_allowed_keys():
    with pytest.raises(ConfigError, match=r"environments.dev.attemptLimt is not a known setting; allowed: .*attemptLimit"):
        parse_environment("dev", with_setting("attemptLimt", 3))


def test_a_missing_required_key_is_named():
    settings = dict(VALID)
    del settings["authsignalUrl"]
    with pytest.raises(ConfigError, match=r"environments.dev.authsignalUrl is required"):
        parse_environment("dev", settings)


def test_production_refuses_a_wildcard_cors_origin():
    with pytest.raises(ConfigError, match=r"environments.prod.corsOrigins .* not \*"):
        parse_environment("prod", {**CONTEXT["environments"]["prod"], "corsOrigins": ["*"]})


def test_an_unknown_environment_lists_the_known_ones():
    context = {"environments": CONTEXT["environments"], "env": "qa"}
    with pytest.raises(ConfigError, match=r"env must be one of dev, staging, prod, got 'qa'"):
        select_environment(context.get)


def test_the_default_environment_is_dev_and_needs_no_account():
    config = select_environment({"environments": CONTEXT["environments"]}.get)
    assert (config.name, config.account, config.region) == ("dev", None, None)


def test_every_environment_in_cdk_json_is_valid():
    for name, raw in CONTEXT["environments"].items():
        assert parse_environment(name, raw).name == name


def test_synth_with_a_bad_setting_prints_one_line_and_no_stack_trace(tmp_path):
    context = {"environments": {"dev": with_setting("attemptLimit", 0)}}
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(tmp_path),
             "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"},
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "cdk.json: environments.dev.attemptLimit must be a whole number from 1 to 10, got 0"]

"""Configuration errors stop synth with one line naming the key and what it allows."""

import json
import os
import subprocess
import sys

import pytest

from stacks.config import ConfigError, parse_environment, select_environment
from tests.infra.conftest import CONTEXT, ROOT

VALID = CONTEXT["environments"]["dev"]
LOCAL = CONTEXT["environments"]["local"]


def with_setting(key, value):
    return {**VALID, key: value}


@pytest.mark.parametrize(("key", "value", "allowed"), [
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
])
def test_a_bad_value_names_the_key_and_what_is_allowed(key, value, allowed):
    with pytest.raises(ConfigError) as error:
        parse_environment("dev", with_setting(key, value))
    assert f"environments.dev.{key}" in str(error.value)
    assert allowed in str(error.value)


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
    with pytest.raises(ConfigError, match=r"env must be one of dev, staging, prod, local, got 'qa'"):
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


@pytest.mark.parametrize("url", ["http://127.0.0.1:28461/v1", "http://localhost:8080/v1", "http://127.0.0.1",
                                 "https://api.authsignal.com/v1"])
def test_a_local_emulator_environment_may_call_authsignal_over_http_on_loopback(url):
    assert parse_environment("local", {**LOCAL, "authsignalUrl": url}).authsignal_url == url


@pytest.mark.parametrize("url", ["http://10.0.0.8:28461/v1", "http://api.authsignal.com/v1",
                                 "http://127.0.0.1.example.com/v1", "http://localhost.example.com/v1",
                                 "http://127.0.0.1@example.com/v1", "http://[::1]:28461/v1", "ftp://127.0.0.1/v1"])
def test_a_local_emulator_environment_refuses_plain_http_beyond_loopback(url):
    with pytest.raises(ConfigError, match=r"environments.local.authsignalUrl must be an https:// URL, or "
                                          r"http://127.0.0.1\[:port\] or http://localhost\[:port\]"):
        parse_environment("local", {**LOCAL, "authsignalUrl": url})


@pytest.mark.parametrize("account", [None, "123456789012"])
def test_a_local_emulator_environment_deploys_only_to_the_emulator_account(account):
    with pytest.raises(ConfigError, match=r"environments.local.account must be 000000000000"):
        parse_environment("local", {**LOCAL, "account": account})


def test_a_local_emulator_environment_is_never_production():
    with pytest.raises(ConfigError, match=r"environments.local.production must be false with localEmulator"):
        parse_environment("local", {**LOCAL, "production": True, "corsOrigins": ["https://app.example.com"]})


def test_the_authsignal_url_given_with_c_points_a_local_environment_elsewhere():
    context = {"environments": CONTEXT["environments"], "env": "local", "authsignalUrl": "http://127.0.0.1:4001/v1"}
    assert select_environment(context.get).authsignal_url == "http://127.0.0.1:4001/v1"


def test_the_authsignal_url_given_with_c_is_checked_like_cdk_json():
    context = {"environments": CONTEXT["environments"], "env": "local", "authsignalUrl": "http://example.com/v1"}
    with pytest.raises(ConfigError, match=r"environments.local.authsignalUrl must be an https:// URL, or"):
        select_environment(context.get)


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_the_authsignal_url_given_with_c_is_refused_for_a_real_environment(environment):
    context = {"environments": CONTEXT["environments"], "env": environment,
               "authsignalUrl": "https://api.authsignal.com/v1"}
    with pytest.raises(ConfigError, match=r"authsignalUrl may be given with -c only for an environment with "
                                          r"localEmulator: true"):
        select_environment(context.get)

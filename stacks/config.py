"""Per-environment configuration from ``cdk.json``, typed and validated in one place.

A mistake in ``cdk.json`` must stop synth with one line naming the key and what it allows,
never with a stack trace or, worse, a template built from a guess.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

ENVIRONMENTS_KEY = "environments"
SELECTOR_KEY = "env"
DEFAULT_ENVIRONMENT = "dev"
# ``-c authsignalUrl=URL`` replaces a local emulator environment's URL, checked by the same rules:
# the end-to-end tests point it at a fake on a free port without a second synth.
AUTHSIGNAL_URL_OVERRIDE_KEY = "authsignalUrl"
# ``-c appOrigin=http://localhost:PORT`` adds the local sandbox's web app (served on a port chosen
# at start) to a local emulator environment's CORS origins: no port is pinned in cdk.json.
APP_ORIGIN_OVERRIDE_KEY = "appOrigin"

# The values CloudWatch Logs accepts for a log group's retention.
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~/-]*)?$")
# A local emulator's Lambdas run on this machine and reach a local fake over plain http: loopback only.
_LOCAL_URL = re.compile(r"^(https://[A-Za-z0-9.-]+|http://(127\.0\.0\.1|localhost))(:\d+)?(/[A-Za-z0-9._~/-]*)?$")
# The account id local AWS emulators (MiniStack, LocalStack) answer with; no real account has it.
EMULATOR_ACCOUNT = "000000000000"
_ORIGIN = re.compile(r"^(\*|https://[A-Za-z0-9.-]+(:\d+)?|http://localhost(:\d+)?)$")
_SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Authsignal's tenant ids are UUIDs; any id of letters, digits and dashes is accepted.
_TENANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
# The client API @authsignal/browser calls when given no baseUrl (its DEFAULT_BASE_URL).
DEFAULT_AUTHSIGNAL_CLIENT_URL = "https://api.authsignal.com/v1"


def stack_name(environment: str) -> str:
    """The CloudFormation stack of ``environment`` (``dev-Passwordless``): the one name the CLI,
    the workflows and the scripts address an environment by."""
    return f"{environment}-Passwordless"


class ConfigError(Exception):
    """A configuration mistake, worded for the person who edits ``cdk.json``."""


@dataclass(frozen=True)
class EnvironmentConfig:
    """One environment's settings; every field is valid once constructed."""

    name: str
    account: str | None
    region: str | None
    authsignal_url: str
    authsignal_secret_arn: str | None
    attempt_limit: int
    access_token_validity_minutes: int
    id_token_validity_minutes: int
    refresh_token_validity_days: int
    log_retention_days: int
    production: bool
    api_throttling_rate_limit: int
    api_throttling_burst_limit: int
    cors_origins: tuple[str, ...]
    alarms_enabled: bool
    alarm_email: str | None
    local_emulator: bool
    recent_auth_minutes: int
    sign_in_requests_per_5_minutes_per_ip: int | None
    trigger_reserved_concurrency: int | None
    passkey_token_max_age_seconds: int
    cognito_user_authentication_rps: int
    cognito_user_creation_rps: int
    cognito_user_update_rps: int
    authsignal_tenant_id: str | None
    authsignal_client_url: str
    email_magic_link_enabled: bool
    api_requests_per_minute_per_user: int
    # Lambda's CPU and cold starts (docs/performance.md)
    lambda_memory_mb: dict[str, int]
    snap_start: bool
    provisioned_concurrency: int

    @property
    def cognito_quotas_rps(self) -> dict[str, int]:
        """Cognito's request-rate quota per API category, in requests per second: what the
        account's user pools in this Region share (docs/capacity.md), as the alarms read it."""
        return {
            "UserAuthentication": self.cognito_user_authentication_rps,
            "UserCreation": self.cognito_user_creation_rps,
            "UserUpdate": self.cognito_user_update_rps,
        }


def _integer(low: int, high: int) -> Callable[[str, Any], int]:
    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"{key} must be a whole number from {low} to {high}, got {value!r}")
        return value

    return check


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false, got {value!r}")
    return value


def _pattern(regex: re.Pattern[str], allowed: str) -> Callable[[str, Any], str]:
    def check(key: str, value: Any) -> str:
        if not isinstance(value, str) or not regex.fullmatch(value):
            raise ConfigError(f"{key} must be {allowed}, got {value!r}")
        return value

    return check


def _retention(key: str, value: Any) -> int:
    if isinstance(value, bool) or value not in LOG_RETENTION_DAYS:
        raise ConfigError(f"{key} must be one of {', '.join(map(str, LOG_RETENTION_DAYS))}, got {value!r}")
    return int(value)


def _origins(key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{key} must be a non-empty list of origins (https://host[:port] or *), got {value!r}")
    check = _pattern(_ORIGIN, "an origin like https://app.example.com (or * outside production)")
    return tuple(check(f"{key}[{index}]", origin) for index, origin in enumerate(value))


# Memory (MB) per function: the defaults are the sizes docs/performance.md's model chose. Lambda
# allows 128 to 10,240 MB; below 512 MB an invocation gets under 0.29 of a vCPU and the triggers'
# work no longer fits the timeouts they were chosen for (stacks/user_pool.py).
LAMBDA_MEMORY_DEFAULTS_MB = {"customAuth": 1024, "api": 1024, "preSignUp": 512}
LAMBDA_MEMORY_RANGE_MB = (512, 10_240)


def _memory(key: str, value: Any) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{key} must be an object of memory sizes in MB by function "
            f"({', '.join(LAMBDA_MEMORY_DEFAULTS_MB)}), got {value!r}"
        )
    unknown = sorted(set(value) - set(LAMBDA_MEMORY_DEFAULTS_MB))
    if unknown:
        raise ConfigError(f"{key}.{unknown[0]} is not a function; allowed: {', '.join(LAMBDA_MEMORY_DEFAULTS_MB)}")
    check = _integer(*LAMBDA_MEMORY_RANGE_MB)
    return {
        function: check(f"{key}.{function}", value[function]) if function in value else default
        for function, default in LAMBDA_MEMORY_DEFAULTS_MB.items()
    }


# key in cdk.json -> (field name, check, default; a default of ... means required)
_FIELDS: dict[str, tuple[str, Callable[[str, Any], Any], Any]] = {
    "account": ("account", _pattern(_ACCOUNT, "a 12-digit AWS account id"), None),
    "region": ("region", _pattern(_REGION, "an AWS region like eu-west-1"), None),
    # Read first: it decides which Authsignal URLs are allowed.
    "localEmulator": ("local_emulator", _boolean, False),
    "authsignalUrl": (
        "authsignal_url",
        _pattern(_HTTPS_URL, "an https:// URL like https://api.authsignal.com/v1"),
        ...,
    ),
    "authsignalSecretArn": (
        "authsignal_secret_arn",
        _pattern(_SECRET_ARN, "the full ARN of a Secrets Manager secret"),
        None,
    ),
    "attemptLimit": ("attempt_limit", _integer(1, 10), 3),
    "accessTokenValidityMinutes": ("access_token_validity_minutes", _integer(5, 1440), 60),
    "idTokenValidityMinutes": ("id_token_validity_minutes", _integer(5, 1440), 60),
    "refreshTokenValidityDays": ("refresh_token_validity_days", _integer(1, 3650), 30),
    "logRetentionDays": ("log_retention_days", _retention, 30),
    "production": ("production", _boolean, False),
    "apiThrottlingRateLimit": ("api_throttling_rate_limit", _integer(1, 10000), 50),
    "apiThrottlingBurstLimit": ("api_throttling_burst_limit", _integer(1, 5000), 100),
    "corsOrigins": ("cors_origins", _origins, ...),
    "alarmsEnabled": ("alarms_enabled", _boolean, False),
    "alarmEmail": ("alarm_email", _pattern(_EMAIL, "an email address"), None),
    "recentAuthMinutes": ("recent_auth_minutes", _integer(1, 60), 10),
    "signInRequestsPer5MinutesPerIp": ("sign_in_requests_per_5_minutes_per_ip", _integer(10, 2_000_000_000), None),
    "triggerReservedConcurrency": ("trigger_reserved_concurrency", _integer(1, 1000), None),
    "passkeyTokenMaxAgeSeconds": ("passkey_token_max_age_seconds", _integer(30, 900), 300),
    # The account's Cognito quotas (requests per second, per category; AWS's defaults): set yours
    # from the Service Quotas console after an increase, so the usage alarms warn at 80 % of it.
    "cognitoUserAuthenticationRps": ("cognito_user_authentication_rps", _integer(1, 100_000), 120),
    "cognitoUserCreationRps": ("cognito_user_creation_rps", _integer(1, 100_000), 50),
    "cognitoUserUpdateRps": ("cognito_user_update_rps", _integer(1, 100_000), 25),
    # What the web app's Authsignal client SDK needs: public settings, exported as stack outputs.
    "authsignalTenantId": (
        "authsignal_tenant_id",
        _pattern(_TENANT_ID, "an Authsignal tenant id (letters, digits and dashes, like a UUID)"),
        None,
    ),
    "authsignalClientUrl": (
        "authsignal_client_url",
        _pattern(_HTTPS_URL, "an https:// URL like https://api.authsignal.com/v1"),
        DEFAULT_AUTHSIGNAL_CLIENT_URL,
    ),
    # Off unless turned on: whoever holds a magic link's track token (whoever started the sign-in)
    # can poll for its validation token once the person clicks the link (docs/security.md).
    "emailMagicLinkEnabled": ("email_magic_link_enabled", _boolean, False),
    # Every signed-in user's share of the API (the stage's throttling is everyone's): on in every
    # environment, 429 with Retry-After beyond it (docs/security.md).
    "apiRequestsPerMinutePerUser": ("api_requests_per_minute_per_user", _integer(1, 10_000), 60),
    # Lambda's CPU and cold starts (docs/performance.md): memory per function, SnapStart on the
    # custom-auth and API functions, and provisioned concurrency for the custom-auth function.
    "lambdaMemoryMb": ("lambda_memory_mb", _memory, LAMBDA_MEMORY_DEFAULTS_MB),
    "snapStart": ("snap_start", _boolean, False),
    "provisionedConcurrency": ("provisioned_concurrency", _integer(0, 1000), 0),
}
# The settings an environment may have, and those it must: what the README's configuration table lists.
SETTINGS = tuple(_FIELDS)
REQUIRED_SETTINGS = tuple(key for key, (_, _, default) in _FIELDS.items() if default is ...)
# With ``"localEmulator": true`` an environment deploys into a local emulator only (account
# 000000000000, checked below), so its Lambdas may call a fake Authsignal over plain http on loopback.
_LOCAL_AUTHSIGNAL_URL = _pattern(
    _LOCAL_URL, "an https:// URL, or http://127.0.0.1[:port] or http://localhost[:port] (localEmulator only)"
)
_LOCAL_URL_KEYS = frozenset({"authsignalUrl", "authsignalClientUrl"})
_LOCAL_APP_ORIGIN = _pattern(re.compile(r"^http://localhost(:\d+)?$"), "an origin like http://localhost:5173")

# A promise of the product, which synth enforces whatever cdk.json says: the API's JWT authorizer
# does not check revocation, so a token taken from a production user stays usable until it
# expires; in production, access and ID tokens expire within 15 minutes (the default there too).
PRODUCTION_TOKEN_VALIDITY_MAX_MINUTES = 15
_PRODUCTION_TOKEN_KEYS = ("accessTokenValidityMinutes", "idTokenValidityMinutes")
_PRODUCTION_DEFAULTS: dict[str, Any] = dict.fromkeys(_PRODUCTION_TOKEN_KEYS, PRODUCTION_TOKEN_VALIDITY_MAX_MINUTES)


def parse_environment(name: str, raw: Any) -> EnvironmentConfig:
    """Validate one environment's entry and build its typed configuration."""
    prefix = f"{ENVIRONMENTS_KEY}.{name}"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{prefix} must be an object of settings, got {raw!r}")
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise ConfigError(f"{prefix}.{unknown[0]} is not a known setting; allowed: {', '.join(_FIELDS)}")
    values: dict[str, Any] = {"name": name}
    for key, (attribute, check, default) in _FIELDS.items():
        if key in _LOCAL_URL_KEYS and values["local_emulator"]:
            check = _LOCAL_AUTHSIGNAL_URL
        if raw.get("production") is True:
            default = _PRODUCTION_DEFAULTS.get(key, default)
        if key in raw and raw[key] is not None:
            values[attribute] = check(f"{prefix}.{key}", raw[key])
        elif default is ...:
            raise ConfigError(f"{prefix}.{key} is required")
        else:
            values[attribute] = default
    config = EnvironmentConfig(**values)
    if config.production:
        _check_production_promises(prefix, config)
    if config.local_emulator and config.account != EMULATOR_ACCOUNT:
        raise ConfigError(
            f"{prefix}.account must be {EMULATOR_ACCOUNT} (the emulator's) with localEmulator: true, "
            f"so it can never deploy to a real account; got {config.account!r}"
        )
    if config.local_emulator and config.production:
        raise ConfigError(f"{prefix}.production must be false with localEmulator: true")
    _check_placement(prefix, config)
    _check_cold_starts(prefix, config)
    return config


def _check_production_promises(prefix: str, config: EnvironmentConfig) -> None:
    """What every production environment guarantees, whatever else a team changes: exact CORS
    origins, and tokens short-lived enough that one taken from a user is soon useless."""
    if "*" in config.cors_origins:
        raise ConfigError(f"{prefix}.corsOrigins must list exact origins in production, not *")
    minutes = dict(
        zip(
            _PRODUCTION_TOKEN_KEYS,
            (config.access_token_validity_minutes, config.id_token_validity_minutes),
            strict=True,
        )
    )
    for key, value in minutes.items():
        if value > PRODUCTION_TOKEN_VALIDITY_MAX_MINUTES:
            raise ConfigError(
                f"{prefix}.{key} must be at most {PRODUCTION_TOKEN_VALIDITY_MAX_MINUTES} in production "
                f"(a token cannot be revoked before it expires), got {value}"
            )


def _check_cold_starts(prefix: str, config: EnvironmentConfig) -> None:
    """Lambda refuses SnapStart and provisioned concurrency on one version, and provisioned
    concurrency above the function's reserved concurrency."""
    if config.snap_start and config.provisioned_concurrency:
        raise ConfigError(
            f"{prefix}.provisionedConcurrency must be 0 when snapStart is true: Lambda does not "
            f"combine them on one version"
        )
    reserved = config.trigger_reserved_concurrency
    if reserved is not None and config.provisioned_concurrency > reserved:
        raise ConfigError(
            f"{prefix}.provisionedConcurrency must be at most triggerReservedConcurrency ({reserved}), "
            f"got {config.provisioned_concurrency}"
        )


def _check_placement(prefix: str, config: EnvironmentConfig) -> None:
    """Where an environment deploys: a production environment names its account and region, so
    it never lands wherever the deployer's credentials happen to point; an account never comes
    without its region. Without both, an environment is environment-agnostic and deploys to the
    account and region of the CDK CLI's current credentials."""
    if config.account and not config.region:
        raise ConfigError(f"{prefix}.region is required when account is set: an AWS region like eu-west-1")
    if config.production and not config.account:
        raise ConfigError(f"{prefix}.account is required in production: the 12-digit AWS account id it deploys to")
    if config.production and not config.region:
        raise ConfigError(f"{prefix}.region is required in production: an AWS region like eu-west-1")


EXAMPLE_ACCOUNT = "123456789012"  # AWS's documentation account: what cdk.json ships for prod
_EXAMPLE_DOMAIN = re.compile(r"(^|[.@/])example\.(com|org|net)(:\d+)?$")


def config_warnings(config: EnvironmentConfig) -> list[tuple[str, str]]:
    """``(key, message)`` for each setting that is allowed but surely not meant: an example value
    left in a production environment, or a setting that has no effect. Synth shows them as
    warnings (``cdk synth --strict``, as the deploy workflow runs it, fails on them)."""
    prefix = f"{ENVIRONMENTS_KEY}.{config.name}"
    warnings = []
    if config.production:
        if config.account == EXAMPLE_ACCOUNT:
            warnings.append(
                (
                    "account",
                    f"{prefix}.account is the example account {EXAMPLE_ACCOUNT}: set your production account id",
                )
            )
        examples = [origin for origin in config.cors_origins if _EXAMPLE_DOMAIN.search(origin)]
        if examples:
            warnings.append(
                ("corsOrigins", f"{prefix}.corsOrigins holds the example origin {examples[0]}: set your app's origins")
            )
        if config.alarm_email and _EXAMPLE_DOMAIN.search(config.alarm_email):
            warnings.append(
                (
                    "alarmEmail",
                    f"{prefix}.alarmEmail is the example address {config.alarm_email}: set an address someone reads",
                )
            )
        if config.email_magic_link_enabled:
            warnings.append(
                (
                    "emailMagicLinkEnabled",
                    f"{prefix}.emailMagicLinkEnabled is true: whoever starts a "
                    "sign-in can poll for its token once the link is clicked",
                )
            )
    if config.alarm_email and not config.alarms_enabled:
        warnings.append(("alarmEmail", f"{prefix}.alarmEmail has no effect: alarmsEnabled is false"))
    return warnings


# Top-level context keys this app reads (or lets pass: another app in this repository's
# cdk.json, e.g. the CI roles stack, reads ``ci``). CDK's own keys contain ``:`` or ``/``.
KNOWN_CONTEXT_KEYS = (SELECTOR_KEY, ENVIRONMENTS_KEY, "ci")


def refuse_near_misses(context: Mapping[str, Any], also_known: tuple[str, ...] = ()) -> None:
    """Refuse a top-level context key that looks like a mistyped ``env`` (``-c enviroment=prod``,
    ``-c Env=prod``): without this, synth would silently build the default environment.
    ``also_known``: the keys other parts of the app read (the CI roles stack's)."""
    for key, value in context.items():
        cdk_own = any(mark in key for mark in ":/@") or key.startswith("cdk-")
        if key in KNOWN_CONTEXT_KEYS or key in also_known or cdk_own:
            continue
        lowered = key.lower()
        near_env = difflib.SequenceMatcher(None, lowered, SELECTOR_KEY).ratio() >= 0.6
        near_environment = difflib.SequenceMatcher(None, lowered, "environment").ratio() >= 0.75
        if near_env or near_environment or lowered.startswith(SELECTOR_KEY):
            raise ConfigError(
                f"-c {key}={value} is not a setting: select the environment with "
                f"-c {SELECTOR_KEY}={value} (known top-level keys: {', '.join(KNOWN_CONTEXT_KEYS)})"
            )


def select_environment(context: Callable[[str], Any]) -> EnvironmentConfig:
    """The environment named by ``-c env=NAME`` (default ``dev``), from the app's context."""
    environments = context(ENVIRONMENTS_KEY)
    if not isinstance(environments, Mapping) or not environments:
        raise ConfigError(f"{ENVIRONMENTS_KEY} must be an object with one entry per environment in cdk.json")
    name = context(SELECTOR_KEY) or DEFAULT_ENVIRONMENT
    if not isinstance(name, str) or name not in environments:
        raise ConfigError(f"{SELECTOR_KEY} must be one of {', '.join(environments)}, got {name!r}")
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,20}", name):
        raise ConfigError(f"{SELECTOR_KEY} must be lower-case letters, digits and dashes, got {name!r}")
    config = parse_environment(name, environments[name])
    overrides = {
        key: value
        for key in (AUTHSIGNAL_URL_OVERRIDE_KEY, APP_ORIGIN_OVERRIDE_KEY)
        if (value := context(key)) is not None
    }
    if not overrides:
        return config
    if not config.local_emulator:
        key = next(iter(overrides))
        setting = "corsOrigins" if key == APP_ORIGIN_OVERRIDE_KEY else key
        raise ConfigError(
            f"{key} may be given with -c only for an environment with "
            f"localEmulator: true; set environments.{name}.{setting} in cdk.json instead"
        )
    raw = dict(environments[name])
    if AUTHSIGNAL_URL_OVERRIDE_KEY in overrides:
        raw["authsignalUrl"] = overrides[AUTHSIGNAL_URL_OVERRIDE_KEY]
    if APP_ORIGIN_OVERRIDE_KEY in overrides:
        origin = _LOCAL_APP_ORIGIN(APP_ORIGIN_OVERRIDE_KEY, overrides[APP_ORIGIN_OVERRIDE_KEY])
        raw["corsOrigins"] = [*(raw.get("corsOrigins") or []), origin]
    return parse_environment(name, raw)

"""Every Lambda: runtime, architecture, timeouts inside Cognito's limit, logs and privileges."""

import importlib
import re

import pytest

from tests.infra.conftest import ROOT, functions_by_handler, resources

SDK_HANDLERS = {"triggers.custom_auth.handler", "api.authenticators.handler"}
COGNITO_TRIGGER_LIMIT_SECONDS = 5


def functions(template_json):
    """Each function's logical id and properties, by handler."""
    return {
        handler: (logical_id, resource["Properties"])
        for handler, (logical_id, resource) in functions_by_handler(template_json).items()
    }


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_every_function_runs_python_3_13_on_arm64(templates, environment):
    for _, properties in functions(templates[environment]).values():
        assert properties["Runtime"] == "python3.13"
        assert properties["Architectures"] == ["arm64"]


def test_triggers_end_before_cognito_gives_up_and_authsignal_calls_end_before_the_trigger(templates, aws_worst_call):
    for handler, (_, properties) in functions(templates["dev"]).items():
        if not handler.startswith("triggers."):
            continue
        assert properties["Timeout"] < COGNITO_TRIGGER_LIMIT_SECONDS
        variables = properties["Environment"]["Variables"]
        if handler in SDK_HANDLERS:
            # create in a cold container: one try of the secret read, then one Authsignal call (track)
            assert aws_worst_call + float(variables["AUTHSIGNAL_TIMEOUT_SECONDS"]) < properties["Timeout"]


@pytest.fixture(scope="module")
def aws_worst_call() -> float:
    """The longest one call of the functions' AWS clients can take, read from a real client as
    lambdas/shared/aws.py makes it: its connect and read timeouts, times its tries (retry
    backoff not counted)."""
    aws = importlib.import_module("lambdas.shared.aws")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
        config = aws.client("dynamodb").meta.config
    aws.reset_clients()
    return float(config.retries["total_max_attempts"] * (config.connect_timeout + config.read_timeout))


def test_every_call_of_create_and_verify_ends_before_the_trigger_even_when_every_try_times_out(
    templates, aws_worst_call
):
    _, properties = functions(templates["dev"])["triggers.custom_auth.handler"]
    authsignal = float(properties["Environment"]["Variables"]["AUTHSIGNAL_TIMEOUT_SECONDS"])
    aws = importlib.import_module("lambdas.shared.aws")
    retry = importlib.import_module("lambdas.shared.retry")
    every_try = aws_worst_call
    assert every_try <= aws.WORST_CALL_SECONDS  # what single_use keeps and contact_verification checks
    deadline = properties["Timeout"] - retry.MARGIN_SECONDS  # no Authsignal attempt starts past it
    # create, cold: the secret read (its one try, not deadline-bound), then a first track attempt
    assert every_try + authsignal <= deadline
    # verify: validate attempts end by the deadline less the put's worst case, which then still fits;
    # the contact update is made only when it too fits before that deadline (runtime test)
    assert authsignal + every_try <= deadline


def test_only_the_sdk_functions_get_the_secret_arn_and_url(templates, configs):
    secret_ref = {"Ref": next(iter(resources(templates["dev"], "AWS::SecretsManager::Secret")))}
    for handler, (_, properties) in functions(templates["dev"]).items():
        variables = properties["Environment"]["Variables"]
        if handler in SDK_HANDLERS:
            assert variables["AUTHSIGNAL_SECRET_ARN"] == secret_ref
            assert variables["AUTHSIGNAL_URL"] == configs["dev"].authsignal_url
        else:
            assert "AUTHSIGNAL_SECRET_ARN" not in variables


def test_define_trigger_gets_the_configured_attempt_limit(templates, configs):
    _, properties = functions(templates["prod"])["triggers.custom_auth.handler"]
    assert properties["Environment"]["Variables"]["ATTEMPT_LIMIT"] == str(configs["prod"].attempt_limit)


def test_verify_accepts_email_magic_links_only_where_the_config_turns_them_on(templates, configs):
    seen = set()
    for name, config in configs.items():
        _, properties = functions(templates[name])["triggers.custom_auth.handler"]
        setting = properties["Environment"]["Variables"]["EMAIL_MAGIC_LINK_ENABLED"]
        assert setting == ("true" if config.email_magic_link_enabled else "false")
        seen.add(setting)
    assert seen == {"true", "false"}  # the synth holds an environment of each kind


def test_secret_read_is_granted_to_the_sdk_functions_alone_and_on_that_secret_alone(templates):
    template = templates["dev"]
    secret_ref = {"Ref": next(iter(resources(template, "AWS::SecretsManager::Secret")))}
    roles_by_function = {
        handler: properties["Role"]["Fn::GetAtt"][0] for handler, (_, properties) in functions(template).items()
    }
    readers = {}
    for policy in resources(template, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(action.startswith("secretsmanager:") for action in actions):
                assert actions == ["secretsmanager:GetSecretValue"]
                assert statement["Resource"] == secret_ref
                for role in policy["Properties"]["Roles"]:
                    readers[role["Ref"]] = True
    assert {handler for handler, role in roles_by_function.items() if role in readers} == SDK_HANDLERS


def runtime_variables() -> dict[str, set[str]]:
    """Every environment variable each function gets, named by the constants its runtime code
    reads them with (``*_VARIABLE`` in lambdas/): the one definition of each name."""
    importlib.import_module("tests.lambdas")  # the bundle root on sys.path, as the runtime imports
    client, log, secret, single_use = (
        importlib.import_module(f"shared.{name}") for name in ("authsignal_client", "log", "secret", "single_use")
    )
    define, verify = (
        importlib.import_module(f"triggers.{name}") for name in ("define_auth_challenge", "verify_auth_challenge")
    )
    api, rate_limit = (importlib.import_module(f"api.{name}") for name in ("authenticators", "rate_limit"))
    labels = {log.ENVIRONMENT_VARIABLE, log.NAMESPACE_VARIABLE}
    authsignal = {secret.SECRET_ARN_VARIABLE, client.URL_VARIABLE, client.TIMEOUT_VARIABLE}
    return {
        "triggers.pre_sign_up.handler": labels,
        "triggers.custom_auth.handler": labels
        | authsignal
        | {
            define.ATTEMPT_LIMIT_VARIABLE,
            single_use.TABLE_VARIABLE,
            verify.MAX_AGE_VARIABLE,
            verify.MAGIC_LINK_VARIABLE,
        },
        "api.authenticators.handler": labels
        | authsignal
        | {api.RECENT_AUTH_VARIABLE, rate_limit.TABLE_VARIABLE, rate_limit.LIMIT_VARIABLE},
    }


def test_each_function_gets_exactly_the_variables_its_code_reads(templates, configs):
    """An exact allowlist: a secret value cannot reach a function under any name, and a name the
    stack spells differently from the runtime shows here, not as a sign-in that fails."""
    expected = runtime_variables()
    for environment in configs:
        got = {
            handler: set(properties["Environment"]["Variables"])
            for handler, (_, properties) in functions(templates[environment]).items()
        }
        assert got == expected, environment


def test_every_variable_the_runtime_reads_is_given_to_a_function():
    read = set().union(*runtime_variables().values())
    for path in sorted((ROOT / "lambdas").rglob("*.py")):
        names = set(re.findall(r'^[A-Z_]+_VARIABLE = "([A-Z0-9_]+)"$', path.read_text(), re.MULTILINE))
        assert names <= read, f"{path.relative_to(ROOT)} reads {sorted(names - read)}: give it to its function"


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_every_function_logs_to_its_own_group_kept_as_long_as_config_says(templates, configs, environment):
    template = templates[environment]
    groups = resources(template, "AWS::Logs::LogGroup")
    for _, properties in functions(template).values():
        group_id = properties["LoggingConfig"]["LogGroup"]["Ref"]
        assert groups[group_id]["Properties"]["RetentionInDays"] == configs[environment].log_retention_days

"""Lambda's init phase (shared/init_phase.py): what every sign-in needs is made before the first
invocation, a failure there leaves the container up and the sign-in failing closed, and the
SnapStart hooks leave no key, client or random state shared between restored copies."""

from __future__ import annotations

import functools
import gc
import json
import os
import random
import subprocess
import sys
import sysconfig
from typing import Any

import pytest
import snapshot_restore_py
from shared import authsignal_client, aws, init_phase, secret
from triggers import custom_auth

from tests.events import User
from tests.fakes.authsignal_server import FakeAuthsignal
from tests.lambdas.support import SECRET_KEY, Logs, Secrets, completes_otp, enrol_own_contact, sign_in

SERVICES = ("secretsmanager", "dynamodb")
LAMBDAS = os.path.join(os.path.dirname(custom_auth.__file__), os.pardir)


def test_init_makes_the_clients_and_reads_the_key_so_a_sign_in_reads_nothing_more(
    fake: FakeAuthsignal, secrets: Secrets, email_user: User
) -> None:
    init_phase.prepare(SERVICES)
    assert secrets.reads == 1 and aws.services() == sorted(SERVICES)
    made = authsignal_client.authsignal()
    enrol_own_contact(fake, email_user)

    assert sign_in(email_user, completes_otp(fake), handler=custom_auth.handler) is True

    assert secrets.reads == 1
    assert authsignal_client.authsignal() is made
    assert aws.services() == sorted(SERVICES)


def test_init_freezes_what_it_made_out_of_the_collectors_reach_and_then_collects_again(secrets: Secrets) -> None:
    gc.unfreeze()
    gc.disable()  # as importing init_phase leaves it
    init_phase.prepare(SERVICES)

    assert gc.get_freeze_count() > 0
    assert gc.isenabled()


def test_a_failed_read_in_init_is_one_line_and_the_sign_in_then_fails_closed(
    fake: FakeAuthsignal, secrets: Secrets, email_user: User, logs: Logs
) -> None:
    secrets.set("PLACEHOLDER")
    init_phase.prepare(SERVICES)  # does not raise

    assert [(line["event"], line["reason"]) for line in logs.lines] == [("init_incomplete", "authsignal_client")]
    assert sign_in(email_user, completes_otp(fake), handler=custom_auth.handler) is False
    assert "secret_unavailable" in [line.get("reason") for line in logs.lines[1:]]
    assert fake.calls() == []


def test_a_key_set_after_a_failed_read_in_init_is_used_by_the_next_sign_in(
    fake: FakeAuthsignal, secrets: Secrets, email_user: User
) -> None:
    secrets.set("PLACEHOLDER")
    init_phase.prepare(SERVICES)
    secrets.set(SECRET_KEY)
    enrol_own_contact(fake, email_user)

    assert sign_in(email_user, completes_otp(fake), handler=custom_auth.handler) is True


def test_before_a_snapshot_the_key_and_every_client_are_dropped(secrets: Secrets) -> None:
    init_phase.prepare(SERVICES)

    init_phase.before_snapshot()

    assert secret._cached is None and authsignal_client._client is None
    assert aws.services() == []


def test_after_a_restore_the_key_is_read_again_and_the_clients_made_again(secrets: Secrets) -> None:
    init_phase.prepare(SERVICES)
    init_phase.before_snapshot()

    init_phase.after_restore()

    assert secrets.reads == 2
    assert authsignal_client._client is not None
    assert aws.services() == sorted(SERVICES)


def test_after_a_restore_each_copy_draws_its_own_random_numbers(secrets: Secrets) -> None:
    random.seed(7)
    snapshot_state = random.getstate()

    init_phase.after_restore()

    assert random.getstate() != snapshot_state


def test_the_hooks_are_registered_with_lambdas_snapstart_library() -> None:
    registered_before = [hook for hook, _, _ in snapshot_restore_py.get_before_snapshot()]
    registered_after = [hook for hook, _, _ in snapshot_restore_py.get_after_restore()]

    assert init_phase.before_snapshot in registered_before
    assert init_phase.after_restore in registered_after


@functools.cache
def _fresh_container(module: str) -> dict[str, Any]:
    """What a fresh interpreter holds after importing a function's handler ``module``, as Lambda's init does: the
    bundle root first on sys.path, then the packages the runtime ships (botocore). AWS answers
    nothing here (a closed port): the init's secret read fails. Its top-level packages, the AWS
    clients it made, and its log lines."""
    path = [os.path.abspath(LAMBDAS), sysconfig.get_paths()["purelib"]]
    code = (
        f"import sys, json; sys.path[0:0] = {path!r}\n"
        f"import {module}\n"
        "from shared import aws\n"
        "print(json.dumps({'modules': sorted({name.split('.')[0] for name in sys.modules}),"
        " 'services': aws.services()}), file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={
            "PATH": os.environ.get("PATH", ""),
            "AUTHSIGNAL_URL": "http://127.0.0.1:9/v1",
            "ATTEMPT_LIMIT": "3",
            "AUTHSIGNAL_TIMEOUT_SECONDS": "0.5",
            "AUTHSIGNAL_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        },
    )
    report: dict[str, Any] = json.loads(result.stderr.strip().splitlines()[-1])
    return report | {"lines": [json.loads(line) for line in result.stdout.splitlines()]}


@pytest.mark.parametrize(
    ("module", "services"),
    [("triggers.custom_auth", ["dynamodb", "secretsmanager"]), ("api.authenticators", ["dynamodb", "secretsmanager"])],
)
def test_init_loads_the_sdk_and_the_aws_sdk_but_not_boto3(module: str, services: list[str]) -> None:
    container = _fresh_container(module)

    assert {"authsignal", "requests", "botocore"} <= set(container["modules"])
    assert "boto3" not in container["modules"] and "s3transfer" not in container["modules"]
    assert container["services"] == services


def test_a_secret_read_that_fails_in_init_leaves_the_container_up_with_one_log_line() -> None:
    container = _fresh_container("triggers.custom_auth")  # check=True: the import did not raise

    assert [(line["event"], line["reason"], line["error"]) for line in container["lines"]] == [
        ("init_incomplete", "authsignal_client", "SecretUnavailable")
    ]

"""Fixtures for the Lambda runtime tests: the fake Authsignal server, moto's Secrets Manager
with the secret, the functions' environment, a fresh cold start per test, users and the
functions' log lines. The event builders are plain functions in ``support.py``.

The handlers run in this process, as the Lambda runtime runs them: imported from the bundle
root (``lambdas/``, put on sys.path by this package's ``__init__``), configured only through
environment variables.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from shared import authsignal_client, retry
from shared import aws as functions_aws

from tests.fakes.authsignal_server import FakeAuthsignal
from tests.lambdas.support import (
    API_REQUESTS_PER_MINUTE_PER_USER,
    ATTEMPT_LIMIT,
    AUTHSIGNAL_FAULTS,
    PASSKEY_TOKEN_MAX_AGE_SECONDS,
    RATE_LIMIT_TABLE,
    RECENT_AUTH_MINUTES,
    REGION,
    SECRET_KEY,
    SINGLE_USE_TABLE,
    TIMEOUT_SECONDS,
    Logs,
    Secrets,
    User,
    cold_start,
    create_tables,
    new_user,
)

# --- the fake Authsignal server and the secret ---------------------------------------------


@pytest.fixture(scope="session")
def authsignal_server() -> Iterator[FakeAuthsignal]:
    fake = FakeAuthsignal(SECRET_KEY).start()
    yield fake
    fake.stop()


@pytest.fixture
def fake(authsignal_server: FakeAuthsignal) -> FakeAuthsignal:
    """The fake server, with no rules, actions, authenticators, faults or calls of earlier tests
    (``environment`` resets it before every test)."""
    return authsignal_server


@pytest.fixture(scope="session")
def aws() -> Iterator[Aws]:
    """Dummy credentials, and a hook on the functions' botocore session (``shared/aws.py``) that
    counts GetSecretValue calls. Built once: a new session costs ~50 ms."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
        }.items():
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER"):
            patch.delenv(name, raising=False)
        state = Aws()
        functions_aws.session().register("before-call.secrets-manager.GetSecretValue", state.count)
        yield state


class Aws:
    """What outlives a test: an admin client of a session other than the functions' one."""

    def __init__(self) -> None:
        admin_session = boto3.session.Session(region_name=REGION)
        self.admin = admin_session.client("secretsmanager")  # reads not counted
        self.admin_dynamodb = admin_session.client("dynamodb")
        self.current: Secrets | None = None

    def count(self, **_: Any) -> None:
        if self.current is not None:
            self.current.reads += 1


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch, authsignal_server: FakeAuthsignal, aws: Aws) -> Iterator[Secrets]:
    """The functions' environment, as the stack sets it, the secret in moto's Secrets Manager,
    the single-use and rate-limit tables in moto's DynamoDB, a fake Authsignal that remembers nothing, and a new
    cold start for every test."""
    authsignal_server.reset()
    for name, value in {
        "AUTHSIGNAL_URL": authsignal_server.base_url + "/v1",
        "AUTHSIGNAL_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
        "ATTEMPT_LIMIT": str(ATTEMPT_LIMIT),
        "RECENT_AUTH_MINUTES": str(RECENT_AUTH_MINUTES),
        "ENVIRONMENT_NAME": "test",
        "SINGLE_USE_TABLE_NAME": SINGLE_USE_TABLE,
        "PASSKEY_TOKEN_MAX_AGE_SECONDS": str(PASSKEY_TOKEN_MAX_AGE_SECONDS),
        "RATE_LIMIT_TABLE_NAME": RATE_LIMIT_TABLE,
        "API_REQUESTS_PER_MINUTE_PER_USER": str(API_REQUESTS_PER_MINUTE_PER_USER),
    }.items():
        monkeypatch.setenv(name, value)
    # Retries wait a few ms here, not ~0.1 s: the tests prove how often and when, not how long.
    monkeypatch.setattr(retry, "BACKOFF_BASE_SECONDS", 0.005)
    with mock_aws():  # fresh, empty backends for every test
        arn = aws.admin.create_secret(Name="authsignal-secret-key", SecretString=SECRET_KEY)["ARN"]
        create_tables(aws.admin_dynamodb)
        monkeypatch.setenv("AUTHSIGNAL_SECRET_ARN", arn)
        aws.current = Secrets(arn=arn, admin=aws.admin)
        cold_start()
        yield aws.current
        cold_start()
        aws.current = None


@pytest.fixture
def magic_links_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """An environment that turned email magic links on (``emailMagicLinkEnabled``)."""
    monkeypatch.setenv("EMAIL_MAGIC_LINK_ENABLED", "true")


@pytest.fixture
def secrets(environment: Secrets) -> Secrets:
    return environment


def closed_port_url() -> str:
    """An Authsignal URL on which nothing listens: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture(params=list(AUTHSIGNAL_FAULTS))
def break_authsignal(
    request: pytest.FixtureRequest, fake: FakeAuthsignal, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., None]:
    """Each way Authsignal fails, in turn; call it (with ``on``, a regex of "METHOD /path", to
    pick one endpoint) before invoking the function.

    One attempt per call here: these tests prove that a failed call refuses, and retrying a
    timeout three times would only make them slower (test_reliability_runtime.py proves the
    retries)."""

    def apply(on: str | None = None) -> None:
        monkeypatch.setattr(retry, "MAX_ATTEMPTS", 1)
        fault = AUTHSIGNAL_FAULTS[request.param]
        if fault is None:
            monkeypatch.setenv("AUTHSIGNAL_URL", closed_port_url())
            authsignal_client.reset_client()  # the URL is read once per cold start
        else:
            fake.fail(**fault, times=5, on=on)

    return apply


@pytest.fixture(autouse=True)
def logs(capsys: pytest.CaptureFixture[str], authsignal_server: FakeAuthsignal) -> Iterator[Logs]:
    """The functions' log lines; after every test, on every path, they must hold no secret key,
    no token the fake issued, no email address and no phone number."""
    captured = Logs(capsys)
    yield captured
    captured.assert_free_of(*authsignal_server.issued_tokens())
    captured.assert_free_of_contact_details()


@pytest.fixture
def email_user() -> User:
    return new_user(email=f"ada.{uuid.uuid4().hex[:8]}@example.com")


@pytest.fixture
def phone_user() -> User:
    return new_user(phone="+4477009" + str(uuid.uuid4().int)[:5])


@pytest.fixture
def other_user() -> User:
    return new_user(email=f"mallory.{uuid.uuid4().hex[:8]}@example.com")

"""What the runtime tests share besides fixtures: constants, users, the events Cognito and
API Gateway send, and a reader of the functions' log lines."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from shared import authsignal_client, aws, log, retry, secret, single_use
from triggers import create_auth_challenge, define_auth_challenge, verify_auth_challenge

from tests.events import (  # noqa: F401 - the runtime tests import the event builders from here
    CLIENT_ID,
    REGION,
    USER_POOL_ID,
    Json,
    User,
    access_claims,
    api_event,
    create_event,
    define_event,
    entry,
    id_claims,
    new_user,
    pre_sign_up_event,
    session_private,
    verify_event,
)
from tests.fakes.authsignal_server import (
    Call,
    FakeAuthsignal,
    tracked_attributes,  # noqa: F401 - as the event builders
)

SECRET_KEY = "sk-test-7f3a9c1e5b2d48f6a0c4e8b1d3f5a7c9"  # distinctive, so a leak check can find it
ATTEMPT_LIMIT = 3
RECENT_AUTH_MINUTES = 10
SINGLE_USE_TABLE = "single-use-answers"
RATE_LIMIT_TABLE = "api-requests-per-user"
API_REQUESTS_PER_MINUTE_PER_USER = 30  # more than any one test makes, unless it sets its own
PASSKEY_TOKEN_MAX_AGE_SECONDS = 300
TIMEOUT_SECONDS = 0.3
SLOWER_THAN_TIMEOUT = 0.6

# The Authsignal requests the functions make, as ``FakeAuthsignal.fail(on=...)`` patterns.
TRACK = r"^POST /v1/users/[^/]+/actions/cognitoAuth$"
VALIDATE = r"^POST /v1/validate$"
ENROL = r"^POST /v1/users/[^/]+/authenticators$"


def tracks(fake: FakeAuthsignal) -> list[Call]:
    return [call for call in fake.calls() if call.method == "POST" and "/actions/" in call.path]


def validations(fake: FakeAuthsignal) -> list[Call]:
    return [call for call in fake.calls() if call.path == "/v1/validate"]


@dataclass(frozen=True)
class LambdaContext:
    """The part of the Lambda context the functions read: how much time is left."""

    remaining_seconds: float

    def get_remaining_time_in_millis(self) -> int:
        return int(self.remaining_seconds * 1000)


# An invocation of verify with less time left than one validate attempt plus the put it keeps
# time for: validate cannot start.
NO_TIME_TO_VERIFY = LambdaContext(retry.MARGIN_SECONDS + single_use.CLAIM_SECONDS + TIMEOUT_SECONDS / 2)

# Every way Authsignal can fail a call, as ``FakeAuthsignal.fail`` arguments; None is "nothing
# listens on the configured URL" (connection refused).
AUTHSIGNAL_FAULTS: dict[str, dict[str, Any] | None] = {
    "4xx": {"kind": "status", "status": 400},
    "5xx": {"kind": "status", "status": 503},
    "timeout": {"kind": "delay", "delay": SLOWER_THAN_TIMEOUT},
    "connection_refused": None,
    "connection_closed": {"kind": "close"},
    "non_json_body": {"kind": "bad_json"},
    "non_json_content_type": {"kind": "content_type"},
}


@dataclass
class Secrets:
    """moto's Secrets Manager holding the Authsignal secret, and how often the functions read it."""

    arn: str
    admin: Any  # a client of its own session: its calls are not counted as the functions' reads
    reads: int = 0

    def set(self, value: str) -> None:
        self.admin.put_secret_value(SecretId=self.arn, SecretString=value)


def enrol_own_contact(fake: Any, user: User) -> None:
    """Enrol the user's own contact in the fake, as their first sign-in left it (create enrols
    it then): later sign-ins make one ``track`` only."""
    if user.email:
        fake.add_authenticator(user.sub, verification_method="EMAIL_OTP", email=user.email)
    else:
        fake.add_authenticator(user.sub, verification_method="SMS", phone_number=user.phone)


def cold_start() -> None:
    """Forget what a warm container keeps: the secret, the SDK client, the AWS clients, the last
    deadline and the last trigger served (a test calling a trigger module directly is not served
    by the custom-auth function)."""
    secret.reset_cache()
    authsignal_client.reset_client()
    aws.reset_clients()
    retry.reset()
    log.serving(None)


def create_tables(dynamodb: Any) -> None:
    """The tables the stack creates, in moto: single use (key ``idempotencyKey``) and the API's
    per-user limit (key ``key``)."""
    for name, key in ((SINGLE_USE_TABLE, "idempotencyKey"), (RATE_LIMIT_TABLE, "key")):
        dynamodb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        )


# --- the functions' logs ---------------------------------------------------------------------


class Logs:
    """The functions' stdout, which must be JSON lines only (one per decision)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self._text = ""

    @property
    def text(self) -> str:
        self._text += self._capsys.readouterr().out
        return self._text

    @property
    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def problems(self) -> list[dict[str, Any]]:
        return [line for line in self.lines if line["level"] in ("WARNING", "ERROR")]

    def one_problem(self) -> dict[str, Any]:
        """The single WARNING/ERROR line an error path must write, with a reason to read."""
        problems = self.problems()
        assert len(problems) == 1, f"expected exactly one WARNING/ERROR line, got {problems}"
        return problems[0]

    def assert_free_of(self, *values: str | None) -> None:
        """No line carries the secret key, nor any of ``values`` (tokens, emails, phones)."""
        text = self.text
        for value in (SECRET_KEY, *values):
            if value:
                assert value not in text, f"a log line leaks {value!r}"

    def assert_free_of_contact_details(self) -> None:
        """No line carries anything shaped like an email address or an E.164 phone number."""
        text = self.text
        assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text), "a log line leaks an email address"
        assert not re.search(r"\+\d{8,15}", text), "a log line leaks a phone number"


Answer = Callable[[dict[str, str]], str]  # what the app answers, given the public challenge parameters
Handler = Callable[[Json], Any]  # a function's handler: takes an event, answers it


def sign_in(user: User, answer: Answer, *, handler: Handler | None = None) -> bool:
    """Run the CUSTOM_AUTH loop as Cognito does; True if Cognito would issue tokens. ``handler``
    serves every trigger when given (the custom-auth function), else each trigger's own module."""
    define, create, verify = (
        (handler,) * 3
        if handler
        else (define_auth_challenge.handler, create_auth_challenge.handler, verify_auth_challenge.handler)
    )
    session: list[dict[str, object]] = []
    while True:
        decision = define(define_event(user, session))["response"]
        if decision["issueTokens"]:
            return True
        if decision["failAuthentication"]:
            return False
        try:
            created = create(create_event(user, session))["response"]
        except create_auth_challenge.ChallengeRefused:
            return False  # Cognito ends the sign-in with an error
        # Cognito hands verify the private parameters create set for this session
        event = verify_event(user, answer(created["publicChallengeParameters"]), created["privateChallengeParameters"])
        session.append(entry(verify(event)["response"]["answerCorrect"]))


def completes_otp(fake: FakeAuthsignal) -> Answer:
    """The app shows Authsignal's UI at ``url``, the user enters the OTP, the app answers the token."""

    def answer(public: dict[str, str]) -> str:
        return fake.complete(public["token"])

    return answer

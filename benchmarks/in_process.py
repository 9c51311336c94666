"""Round trips and warm overhead, with the real handlers in this process (as the runtime runs
them: imported from the bundle root, configured only by environment variables, each trigger
served by its deployed function's handler), the fake Authsignal server on loopback and moto's
Secrets Manager.

Round trips are counted where they arrive: the fake records every ``/v1`` request, and botocore
hooks count ``GetSecretValue`` and the single-use table's ``PutItem`` (moto's DynamoDB). Every
flow must also succeed (tokens issued, token handed out), or its count would mean nothing.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.functions import FUNCTIONS, HANDLERS, INVOKED, SDK_FUNCTIONS
from benchmarks.report import Figure
from tests.events import (
    REGION,
    User,
    access_claims,
    api_event,
    create_event,
    define_event,
    pre_sign_up_event,
    verify_event,
)

SOURCE = Path(__file__).resolve().parents[1] / "lambdas"
SECRET_KEY = "sk-benchmark-0123456789abcdef"
TIMEOUT_SECONDS = "1.2"  # as deployed (stacks/user_pool.py)
WARM_BUDGET_MS = 2.0

Handler = Callable[[Any], Any]


def _user(kind: str) -> User:
    """A new user who signs in by email or by SMS."""
    sub = str(uuid.uuid4())
    return User(sub, email=f"{sub[:8]}@example.com") if kind == "email" else User(sub, phone="+447700900123")


def _pre_sign_up_event(user: User) -> dict[str, Any]:
    return pre_sign_up_event(email=user.email, phone=user.phone)


def add_passkey_event(user: User) -> dict[str, Any]:
    return api_event("POST /authenticators", access_claims(user))


# --- the harness -------------------------------------------------------------------------------


class Harness:
    """What Cognito and API Gateway invoke (``handlers``, by the names of ``HANDLERS``: each is
    its deployed function's handler), the fake, and moto's Secrets Manager and DynamoDB with
    call counters on the functions' botocore session."""

    def __init__(self, fake: Any, handlers: dict[str, Handler], counted: dict[str, list[object]], aws: Any) -> None:
        self.fake = fake
        self.handlers = handlers
        self._counted = counted
        self._aws = aws

    def secret_reads(self) -> int:
        return len(self._counted["GetSecretValue"])

    def dynamodb_writes(self) -> int:
        return len(self._counted["PutItem"])

    def cold_start(self) -> None:
        """Forget what a warm container keeps: the secret and the SDK client."""
        from tests.lambdas.support import cold_start  # after the handlers' bundle root is on sys.path

        cold_start()

    @contextlib.contextmanager
    def without_aws(self) -> Iterator[None]:
        """moto off: it routes every ``requests`` call through its own mock, which would be timed
        too. Warm invocations need no AWS call; one that tried would fail."""
        self._aws.stop()
        try:
            yield
        finally:
            self._aws.start(reset=False)

    @contextlib.contextmanager
    def single_use_in_memory(self) -> Iterator[None]:
        """The verify trigger's single-use put answered in this process while moto is off: a warm
        invocation measures the handler, not DynamoDB's network time (which is AWS's). A
        ``before-call`` answer on the container's DynamoDB client stops botocore before it sends."""
        from shared import aws as functions_aws

        events = functions_aws.client("dynamodb").meta.events
        event = "before-call.dynamodb.PutItem"

        def answered(**_: Any) -> tuple[None, dict[str, Any]]:
            return None, {}

        events.register(event, answered)
        try:
            yield
        finally:
            events.unregister(event, answered)

    def sign_in(self, user: User, answer: Callable[[dict[str, str]], str]) -> bool:
        """Cognito's CUSTOM_AUTH loop: define, create, (the app answers), verify, define, ..."""
        define, create, verify = (
            self.handlers[name] for name in ("define_auth_challenge", "create_auth_challenge", "verify_auth_challenge")
        )
        session: list[dict[str, Any]] = []
        for _ in range(10):
            decision = define(define_event(user, session))["response"]
            if decision["issueTokens"] or decision["failAuthentication"]:
                return bool(decision["issueTokens"])
            created = create(create_event(user, session))["response"]
            correct = verify(
                verify_event(user, answer(created["publicChallengeParameters"]), created["privateChallengeParameters"])
            )["response"]["answerCorrect"]
            session.append(
                {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": correct, "challengeMetadata": "AUTHSIGNAL"}
            )
        return False

    def otp(self, public: dict[str, str]) -> str:
        """The user enters the OTP in Authsignal's UI; the app answers the validation token."""
        return self.fake.complete(public["token"])


@contextlib.contextmanager
def harness() -> Iterator[Harness]:
    import boto3
    from moto import mock_aws

    from tests.fakes.authsignal_server import FakeAuthsignal
    from tests.lambdas.support import RATE_LIMIT_TABLE, SINGLE_USE_TABLE, create_tables

    fake = FakeAuthsignal(SECRET_KEY).start()
    saved = dict(os.environ)
    os.environ.update(
        {
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "benchmark",
            "AWS_SECRET_ACCESS_KEY": "benchmark",
            "AWS_SESSION_TOKEN": "benchmark",
            "AUTHSIGNAL_URL": fake.base_url + "/v1",
            "AUTHSIGNAL_TIMEOUT_SECONDS": TIMEOUT_SECONDS,
            "ATTEMPT_LIMIT": "3",
            "RECENT_AUTH_MINUTES": "10",
            "ENVIRONMENT_NAME": "benchmark",
            "SINGLE_USE_TABLE_NAME": SINGLE_USE_TABLE,
            "PASSKEY_TOKEN_MAX_AGE_SECONDS": "300",
            # the benchmark's one user makes many API calls a minute: its limit must never answer 429
            "RATE_LIMIT_TABLE_NAME": RATE_LIMIT_TABLE,
            "API_REQUESTS_PER_MINUTE_PER_USER": "10000",
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    sys.path.insert(0, str(SOURCE))
    aws = mock_aws()
    aws.start()
    counted: dict[str, list[object]] = {"GetSecretValue": [], "PutItem": []}

    try:
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
            admin = boto3.session.Session(region_name=REGION)
            os.environ["AUTHSIGNAL_SECRET_ARN"] = admin.client("secretsmanager").create_secret(
                Name="authsignal", SecretString=SECRET_KEY
            )["ARN"]
            create_tables(admin.client("dynamodb"))
            from shared import aws as functions_aws  # the session every function's client comes from

            for service, operation in (("secrets-manager", "GetSecretValue"), ("dynamodb", "PutItem")):
                functions_aws.session().register(
                    f"before-call.{service}.{operation}", lambda _calls=counted[operation], **_: _calls.append(None)
                )
            handlers = {
                name: importlib.import_module(FUNCTIONS[HANDLERS[name].function].module).handler for name in INVOKED
            }
            yield Harness(fake, handlers, counted, aws)
    finally:
        aws.stop()
        fake.stop()
        sys.path.remove(str(SOURCE))
        os.environ.clear()
        os.environ.update(saved)


# --- round trips ------------------------------------------------------------------------------


def round_trips(h: Harness, warm_invocations: int) -> list[Figure]:
    """Authsignal calls and DynamoDB writes per flow, and Secrets Manager reads per cold start of
    each SDK function."""
    figures = []
    flows: list[tuple[str, str, int, int | None, Callable[[], object]]] = [
        ("email_otp_sign_in", "round trips: email OTP sign-in", 2, 1, lambda: _otp_sign_in(h, "email")),
        ("sms_otp_sign_in", "round trips: SMS OTP sign-in", 2, 1, lambda: _otp_sign_in(h, "phone")),
        (
            "first_sign_in",
            "round trips: an account's first sign-in (email OTP)",
            4,
            1,
            lambda: _otp_sign_in(h, "email", first=True),
        ),
        ("passkey_sign_in", "round trips: passkey sign-in", 2, 1, lambda: _passkey_sign_in(h)),
        ("add_passkey", "round trips: add passkey", 1, None, lambda: _add_passkey(h)),
    ]
    for key, label, budget, writes, flow in flows:
        h.fake.reset()
        writes_before = h.dynamodb_writes()
        flow()
        calls = h.fake.calls()
        endpoints = ", ".join(f"{call.method} {_endpoint(call.path)}" for call in calls)
        figures.append(
            Figure(f"round_trips.{key}.authsignal_calls", label, len(calls), "calls", budget, "==", note=endpoints)
        )
        if writes is not None:
            figures.append(
                Figure(
                    f"round_trips.{key}.dynamodb_writes",
                    label.replace("round trips:", "DynamoDB writes:"),
                    h.dynamodb_writes() - writes_before,
                    "writes",
                    writes,
                    "==",
                    note="the single-use put of the answer's idempotency key",
                )
            )
    for name in SDK_FUNCTIONS:
        h.fake.reset()
        handler, event = _prepared(h, "create_auth_challenge" if name == "custom_auth" else name)
        h.cold_start()
        before = h.secret_reads()
        for _ in range(1 + warm_invocations):
            handler(event())
        figures.append(
            Figure(
                f"round_trips.{name}.secret_reads_per_cold_start",
                f"round trips: {name} secret reads / cold start",
                h.secret_reads() - before,
                "reads",
                1,
                "==",
                note=f"1 cold + {warm_invocations} warm invocations" + (" of create" if name == "custom_auth" else ""),
            )
        )
    return figures


def _endpoint(path: str) -> str:
    parts = path.split("/")
    return "/".join("{id}" if len(part) >= 32 else part for part in parts)


def _otp_sign_in(h: Harness, kind: str, *, first: bool = False) -> None:
    """An OTP sign-in of an account that signed in before (its own contact enrolled), or its
    first one (create enrols the contact, then tracks again: 2 more calls)."""
    h.cold_start()
    user = _user(kind)
    if not first:
        _enrolled(h, user)
    if not h.sign_in(user, h.otp):
        raise RuntimeError(f"the {kind} OTP sign-in did not issue tokens")


def _enrolled(h: Harness, user: User) -> None:
    """The user's own contact enrolled, as their first sign-in left it (a test control of the
    fake: no ``/v1`` call is counted)."""
    from tests.lambdas.support import enrol_own_contact  # after the handlers' bundle root is on sys.path

    if not h.fake.authenticators(user.sub):
        enrol_own_contact(h.fake, user)


def _passkey_sign_in(h: Harness) -> None:
    h.cold_start()
    user = _user("email")
    h.fake.add_authenticator(user.sub)
    # the app runs passkey.signIn(action: "cognitoAuth") first (client-side), then InitiateAuth
    token = h.fake.passkey_sign_in(user.sub)
    if not h.sign_in(user, lambda public: token):
        raise RuntimeError("the passkey sign-in did not issue tokens")


def _add_passkey(h: Harness) -> None:
    h.cold_start()
    response = h.handlers["authenticators"](add_passkey_event(_user("email")))
    if response["statusCode"] != 200:
        raise RuntimeError(f"POST /authenticators answered {response['statusCode']}")


# --- warm overhead ----------------------------------------------------------------------------


def _prepared(h: Harness, name: str) -> tuple[Handler, Callable[[], dict[str, Any]]]:
    """``name``'s handler and a maker of events for its usual successful path."""
    user = _user("email")
    handler = h.handlers[name]
    if name == "pre_sign_up":
        return handler, lambda: _pre_sign_up_event(user)
    if name == "define_auth_challenge":
        return handler, lambda: define_event(user, [])
    if name == "create_auth_challenge":  # a returning user (the fake forgets them between blocks)

        def returning_users_event() -> dict[str, Any]:
            _enrolled(h, user)
            return create_event(user, [])

        return handler, returning_users_event
    if name == "verify_auth_challenge":
        _enrolled(h, user)
        created = h.handlers["create_auth_challenge"](create_event(user, []))["response"]
        token = h.otp(created["publicChallengeParameters"])
        key = created["privateChallengeParameters"]
        return handler, lambda: verify_event(user, token, key)
    if name == "authenticators":
        return handler, lambda: add_passkey_event(user)
    raise KeyError(name)


def warm_overhead(h: Harness, invocations: int) -> list[Figure]:
    """p50 and p99 of each handler's warm invocations (events made outside the clock), beside a
    bare request to the fake for scale. Handlers and the bare request take turns in blocks, so
    the machine's noise hits them alike; each handler has had its cold invocation first."""
    import requests

    prepared = {name: _prepared(h, name) for name in INVOKED}
    for handler, event in prepared.values():
        handler(event())  # cold: secret, client, connection; under moto
    session = requests.Session()
    session.auth = (SECRET_KEY, "")
    url = f"{h.fake.base_url}/v1/users/u/authenticators"
    prepared["loopback_request"] = (lambda _: session.get(url, timeout=5).json(), dict)
    times: dict[str, list[float]] = {name: [] for name in prepared}
    calls: dict[str, int] = dict.fromkeys(prepared, 0)
    blocks = min(10, invocations)
    with h.without_aws(), h.single_use_in_memory(), session:
        for block in range(blocks):
            for name, (handler, event) in prepared.items():
                h.fake.reset()
                times[name] += _timed(handler, event, invocations // blocks + (block < invocations % blocks))
                calls[name] += len(h.fake.calls())
    loopback = statistics.median(times.pop("loopback_request"))
    figures = []
    for name, samples in times.items():
        per_invocation = calls[name] / invocations
        p50 = statistics.median(samples)
        figures += [
            Figure(
                f"warm.{name}.p50_ms",
                f"warm: {name} p50",
                round(p50, 3),
                "ms",
                WARM_BUDGET_MS,
                note=f"{invocations} invocations, {per_invocation:g} Authsignal calls each",
            ),
            Figure(f"warm.{name}.p99_ms", f"warm: {name} p99", round(_percentile(samples, 99), 3), "ms"),
        ]
        if HANDLERS[name].imports_sdk:
            figures.append(
                Figure(
                    f"warm.{name}.own_p50_ms",
                    f"warm: {name} p50 less its bare requests",
                    round(p50 - per_invocation * loopback, 3),
                    "ms",
                    note="p50 minus its Authsignal calls x the bare request's p50",
                )
            )
    figures.append(
        Figure(
            "warm.loopback_request.p50_ms",
            "warm: one bare request to the fake, p50",
            round(loopback, 3),
            "ms",
            note="requests.Session GET on loopback, fake's own time included: the floor of each call",
        )
    )
    return figures


def _timed(handler: Handler, event: Callable[[], Any], invocations: int) -> list[float]:
    times = []
    for _ in range(invocations):
        argument = event()
        start = time.perf_counter_ns()
        handler(argument)
        times.append((time.perf_counter_ns() - start) / 1e6)
    return times


def _percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]

"""Faults and load on the local stack: does sign-in survive Authsignal's bad minutes, an
unreachable DynamoDB and concurrent users, and how long does it take?

    scripts/chaos [--sign-ins 200] [--users 50] [--concurrency 10] [--fault-rate 0.3]
                  [--scenario transient --scenario outage ...] [--json chaos-results.json]

Builds the local sandbox (``cdk synth`` of dev, MiniStack, the fake Authsignal; see
``e2e/sandbox.py``), runs each scenario with real Cognito calls through the deployed triggers,
prints a table and writes the figures as JSON. Latencies are the emulator's on this machine
(MiniStack runs each Lambda as a local process), not AWS's: compare them with each other.

Scenarios (each says what it requires and whether it held):
  transient   a share of Authsignal requests fail (503, reset after handling, slower than the
              function's timeout): >= 99 % of sign-ins succeed, with the app trying a refused
              InitiateAuth once more, as a "try again" button does (returning users: each
              person's first sign-in, which enrols their contact, runs before the faults)
  outage      Authsignal answers nothing useful: every sign-in refused, no tokens, every
              trigger invocation over in < 5 s (InitiateAuth adds the emulator's overhead)
  dynamodb    DynamoDB unreachable for the functions whose environment names the single-use
              table: every sign-in refused, never accepted
  concurrent  sign-ins of distinct users at once: all succeed, every token's sub is the
              signer's; then one passkey token answered in parallel sessions at the same
              moment: exactly one winner
  throttling  a wave of sign-ins of users whose email Cognito has not marked verified yet (as a
              first sign-in whose contact update was throttled leaves them), with a share of the
              verify function's Cognito admin calls throttled (TooManyRequestsException, from a
              proxy in front of the emulator) and the same share of Authsignal requests answered
              429 with Retry-After: >= 99 % signed in with the app trying once more, every token
              the signer's, a throttled contact update never refuses a sign-in, and a later
              sign-in verifies every email the wave left unverified
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from e2e.emulator import HOST, free_port
from e2e.fake_authsignal import FakeAuthsignalControls
from e2e.signin import Challenge, PasswordlessClient, SignInError, Tokens
from e2e.throttling_proxy import ThrottlingProxy
from tests.fakes.authsignal_server import TRANSIENT_KINDS  # what an unwell Authsignal does, by default

SCENARIOS = ("transient", "outage", "dynamodb", "concurrent", "throttling")
SLOW_ANSWER_SECONDS = 1.5  # longer than the triggers' Authsignal timeout (stacks/user_pool.py)
COGNITO_BUDGET_SECONDS = 5.0
REQUIRED_SUCCESS = 0.99
ATTEMPT_LIMIT = 3  # wrong answers Cognito allows before it fails the sign-in (cdk.json dev)
RETRY_AFTER_SECONDS = "1"  # what the throttling Authsignal asks for: fits create's deadline, not verify's
# The AWS SDKs read a service's own endpoint before AWS_ENDPOINT_URL (botocore: the service id, upper case).
COGNITO_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"
DYNAMODB_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_DYNAMODB"


@dataclass
class SignIn:
    """One user's sign-in as the app sees it."""

    signed_in: bool
    right_sub: bool  # the tokens (if any) are the signer's own
    first_try: bool  # signed in without the app trying again
    seconds: float  # from the first InitiateAuth to tokens or refusal
    initiate_seconds: list[float] = field(default_factory=list)  # each InitiateAuth
    refused_with: str | None = None


@dataclass
class Result:
    """One scenario's figures and verdict."""

    scenario: str
    requirement: str
    sign_ins: int = 0
    signed_in: int = 0
    first_try: int = 0
    refused: int = 0
    wrong_sub: int = 0
    p50_seconds: float | None = None
    p95_seconds: float | None = None
    max_initiate_seconds: float | None = None
    max_trigger_seconds: float | None = None  # the slowest function invocation (its REPORT line)
    held: bool = False
    details: dict[str, Any] = field(default_factory=dict)

    def add(self, runs: list[SignIn]) -> None:
        self.sign_ins += len(runs)
        self.signed_in += sum(run.signed_in for run in runs)
        self.first_try += sum(run.first_try for run in runs)
        self.refused += sum(not run.signed_in for run in runs)
        self.wrong_sub += sum(run.signed_in and not run.right_sub for run in runs)
        seconds = sorted(run.seconds for run in runs)
        if seconds:
            self.p50_seconds = round(statistics.median(seconds), 3)
            self.p95_seconds = round(seconds[min(len(seconds) - 1, int(0.95 * len(seconds)))], 3)
        initiates = [value for run in runs for value in run.initiate_seconds]
        if initiates:
            self.max_initiate_seconds = round(max(initiates), 3)
        refusals: dict[str, int] = {}
        for run in runs:
            if run.refused_with:
                refusals[run.refused_with] = refusals.get(run.refused_with, 0) + 1
        if refusals:
            self.details["refusals"] = refusals

    def add_functions(self, seen: FunctionsSeen) -> None:
        """What the functions themselves did meanwhile: durations, retries, refusal reasons."""
        self.max_trigger_seconds = round(max(seen.durations.values(), default=0.0), 3) or None
        if seen.retries:
            self.details["retries"] = seen.retries
        if seen.not_retried:
            self.details["not_retried"] = seen.not_retried
        if seen.problems:
            self.details["function_problems"] = seen.problems


@dataclass
class FunctionsSeen:
    """The functions' own log lines over a scenario: longest invocation per function, retries by
    reason, transient failures not retried by reason and why, and problem lines by event, reason
    and error."""

    durations: dict[str, float] = field(default_factory=dict)
    retries: dict[str, int] = field(default_factory=dict)
    not_retried: dict[str, int] = field(default_factory=dict)  # by reason and why not
    problems: dict[str, int] = field(default_factory=dict)


@dataclass
class User:
    username: str
    sub: str


class Chaos:
    """The scenarios, against one deployed stack (a ``LocalSandbox``'s parts)."""

    def __init__(
        self,
        client: PasswordlessClient,
        authsignal: FakeAuthsignalControls,
        aws: Callable[[str], Any],
        resources: dict[str, tuple[str, str]],
    ) -> None:
        """``resources``: the stack's, logical id -> (type, physical id), as the deploy read them."""
        self.client = client
        self.authsignal = authsignal
        self.aws = aws
        self.resources = resources
        self._warmed = 0  # how many sign-ins at once the emulator has run already
        self._people: list[User] = []

    # --- the scenarios -------------------------------------------------------------------

    def transient(
        self,
        sign_ins: int,
        *,
        concurrency: int = 1,
        rate: float = 0.3,
        seed: int | None = None,
        kinds: list[str] | None = None,
        users: int | None = None,
    ) -> Result:
        kinds = kinds or list(TRANSIENT_KINDS)
        result = Result(
            "transient",
            f">= {REQUIRED_SUCCESS:.0%} signed in with {rate:.0%} of Authsignal "
            f"requests failing ({', '.join(kinds)}); every token the signer's",
        )
        people = self.sign_up(users or min(sign_ins, 50), concurrency)
        self.first_sign_ins(people, concurrency)
        since = _now_ms()
        with self._faults(
            lambda: self.authsignal.set_fault_rate(rate, kinds, delay=SLOW_ANSWER_SECONDS, seed=seed),
            lambda: self.authsignal.set_fault_rate(0),
        ):
            runs = self._run(people, sign_ins, concurrency, app_retries=1)
            result.details["faults_injected"] = self.authsignal.fault_counts()
        result.add(runs)
        result.add_functions(self.functions_seen(since))
        result.held = result.signed_in >= REQUIRED_SUCCESS * result.sign_ins and result.wrong_sub == 0
        return result

    def outage(self, sign_ins: int, *, concurrency: int = 1, kinds: list[str] | None = None) -> Result:
        kinds = kinds or list(TRANSIENT_KINDS)
        result = Result(
            "outage",
            f"Authsignal down ({', '.join(kinds)}): every sign-in refused, no tokens, "
            f"every trigger invocation over in < {COGNITO_BUDGET_SECONDS:.0f} s (Cognito's "
            "limit; InitiateAuth adds the emulator's own overhead)",
        )
        people = self.sign_up(min(sign_ins, 10), concurrency)
        self.warm_up(people, concurrency)
        since = _now_ms()
        with self._faults(
            lambda: self.authsignal.outage(True, kinds, delay=SLOW_ANSWER_SECONDS),
            lambda: self.authsignal.outage(False),
        ):
            runs = self._run(people, sign_ins, concurrency, app_retries=0)
        result.add(runs)
        result.add_functions(self.functions_seen(since))
        result.held = (
            result.signed_in == 0
            and result.refused == result.sign_ins
            and (result.max_trigger_seconds or 0) < COGNITO_BUDGET_SECONDS
        )
        return result

    def dynamodb(self, sign_ins: int, *, concurrency: int = 1) -> Result:
        result = Result(
            "dynamodb",
            "DynamoDB unreachable for the functions whose environment names the "
            "single-use table: every sign-in refused, never accepted",
        )
        functions = self._functions_using(self.single_use_table())
        result.details["functions"] = sorted(functions)
        people = self.sign_up(min(sign_ins, 10), concurrency)
        self.warm_up(people, concurrency)
        since = _now_ms()
        with self._faults(
            lambda: self._point_at(functions, DYNAMODB_ENDPOINT_VARIABLE, _closed_port_url()),
            lambda: self._point_at(functions, DYNAMODB_ENDPOINT_VARIABLE, None),
        ):
            runs = self._run(people, sign_ins, concurrency, app_retries=0)
        result.add(runs)
        result.add_functions(self.functions_seen(since))
        result.held = result.signed_in == 0 and result.refused == result.sign_ins
        return result

    def concurrent(self, sign_ins: int, users: int, concurrency: int, *, racers: int = 10) -> Result:
        result = Result(
            "concurrent",
            f"{sign_ins} sign-ins of {users} users at concurrency {concurrency}: all "
            f"succeed, every token the signer's; one passkey token in {racers} "
            "parallel sessions: exactly one winner",
        )
        people = self.sign_up(users, concurrency)
        self.warm_up(people, concurrency)
        since = _now_ms()
        runs = self._run(people, sign_ins, concurrency, app_retries=0)
        result.add(runs)
        result.add_functions(self.functions_seen(since))
        result.held = result.signed_in == result.sign_ins and result.wrong_sub == 0
        if racers:
            [racer] = self.sign_up(1, fresh=True)  # the race's user: nobody else's sign-ins use its token
            winners = self.race(racer, racers)
            result.details["race"] = {"sessions": racers, "winners": winners}
            result.held = result.held and winners == 1
        return result

    def throttling(
        self,
        sign_ins: int,
        *,
        concurrency: int = 1,
        rate: float = 0.3,
        seed: int | None = None,
        users: int | None = None,
        retry_after: str | None = RETRY_AFTER_SECONDS,
        authsignal_rate: float | None = None,
    ) -> Result:
        """Cognito and Authsignal both throttling, over users whose email is not verified yet.

        The verify function (the one whose environment names the single-use table) gets a proxy
        as its Cognito endpoint, which throttles ``rate`` of its admin calls; the fake answers
        ``authsignal_rate`` (default: ``rate``) of Authsignal requests 429 (with ``Retry-After:
        retry_after``). The wave's users
        are enrolled in Authsignal (their own email) and unverified in Cognito, so each sign-in
        tries the contact update until one passes. Afterwards, with the faults off, each user
        still unverified signs in once more: that one must verify them."""
        authsignal_rate = rate if authsignal_rate is None else authsignal_rate
        result = Result(
            "throttling",
            f">= {REQUIRED_SUCCESS:.0%} signed in with {rate:.0%} of the verify function's "
            f"Cognito admin calls throttled and {authsignal_rate:.0%} of Authsignal requests "
            f"answered 429 (Retry-After {retry_after} s); every token the signer's; no "
            "sign-in refused for a throttled contact update; a later sign-in verifies every "
            "email left unverified",
        )
        people = self.sign_up(users or min(sign_ins, 50), concurrency, fresh=True)
        for person in people:
            self.authsignal.add_email(person.sub, person.username)
        functions = self._functions_using(self.single_use_table())
        with ThrottlingProxy(self.aws("cognito-idp").meta.endpoint_url) as proxy:
            self._point_at(functions, COGNITO_ENDPOINT_VARIABLE, proxy.url)
            try:
                if concurrency > 1:  # a worker per concurrent invocation, started with the new endpoint
                    self._run(self.sign_up(concurrency, concurrency), concurrency, concurrency, app_retries=1)
                since = _now_ms()
                with self._faults(
                    lambda: self._throttle(proxy, rate, authsignal_rate, seed, retry_after),
                    lambda: self._throttle(proxy, 0, 0, None, None),
                ):
                    runs = self._run(people, sign_ins, concurrency, app_retries=1)
                    result.details["authsignal_429s"] = self.authsignal.fault_counts().get("status", 0)
                    result.details["cognito_admin_calls"] = proxy.counts()
            finally:
                self._point_at(functions, COGNITO_ENDPOINT_VARIABLE, None)
        result.add(runs)
        result.add_functions(self.functions_seen(since))
        left = [person for person in people if not self.email_verified(person)]
        self._run(left, len(left), concurrency, app_retries=1)
        verified_later = sum(self.email_verified(person) for person in left)
        result.details["emails"] = {
            "users": len(people),
            "unverified_after_the_wave": len(left),
            "verified_by_a_later_sign_in": verified_later,
        }
        refusals = [
            key
            for key in result.details.get("function_problems", {})
            if key.startswith(("answer_rejected", "challenge_refused"))
        ]
        result.held = (
            result.signed_in >= REQUIRED_SUCCESS * result.sign_ins
            and result.wrong_sub == 0
            and verified_later == len(left)
            and all(key.endswith("status 429") for key in refusals)
        )
        return result

    def _throttle(
        self, proxy: ThrottlingProxy, rate: float, authsignal_rate: float, seed: int | None, retry_after: str | None
    ) -> None:
        """Throttle ``rate`` of the admin calls through ``proxy``, ``authsignal_rate`` of the
        Authsignal requests."""
        proxy.set_rate(rate, seed)
        self.authsignal.set_fault_rate(authsignal_rate, ["status"], status=429, seed=seed, retry_after=retry_after)

    def email_verified(self, user: User) -> bool:
        """Whether Cognito (the emulator, asked directly) says the user's email is verified."""
        found = self.aws("cognito-idp").admin_get_user(UserPoolId=self.user_pool(), Username=user.username)
        return {item["Name"]: item["Value"] for item in found["UserAttributes"]}.get("email_verified") == "true"

    def race(self, user: User, sessions: int) -> int:
        """``passkey.signIn`` once, then its token answered in ``sessions`` sign-ins of the user
        started beforehand, all at the same moment: how many got tokens."""
        self.authsignal.add_passkey(user.sub)
        token = self.authsignal.passkey_sign_in(user.sub)
        challenges = [self.client.start(user.username) for _ in range(sessions)]
        return sum(self.client.answer_in_parallel(challenges, token))

    # --- sign-ups and sign-ins -----------------------------------------------------------

    def sign_up(self, count: int, concurrency: int = 1, *, fresh: bool = False) -> list[User]:
        """``count`` users (by email), signed up while Authsignal is well; scenarios share them
        (a sign-in changes nothing about a user), so only the missing ones are signed up.
        ``fresh``: new users of the caller's own, shared with nobody."""
        run = f"{time.time_ns():x}"[-8:]

        def one(index: int) -> User:
            username = f"chaos.{run}.{index}@example.com"
            return User(username, self.client.sign_up(username).sub)

        if fresh:
            with ThreadPoolExecutor(max(1, concurrency)) as pool:
                return list(pool.map(one, range(count)))
        missing = count - len(self._people)
        if missing > 0:
            with ThreadPoolExecutor(max(1, concurrency)) as pool:
                self._people += pool.map(one, range(missing))
        return self._people[:count]

    def sign_in(self, user: User, app_retries: int) -> SignIn:
        """The app's sign-in: InitiateAuth, the user completes each challenge Cognito gives, and a
        refused InitiateAuth is tried again ``app_retries`` times."""
        started = time.monotonic()
        run = SignIn(signed_in=False, right_sub=False, first_try=False, seconds=0.0)
        for app_attempt in range(1 + app_retries):
            try:
                tokens = self._one_sign_in(user, run)
            except SignInError as refused:
                run.refused_with = f"{refused.step}: {refused.code}"
                continue
            run.signed_in, run.first_try, run.refused_with = True, app_attempt == 0, None
            run.right_sub = tokens.access_claims.get("sub") == user.sub == tokens.id_claims.get("sub")
            break
        run.seconds = time.monotonic() - started
        return run

    def _one_sign_in(self, user: User, run: SignIn) -> Tokens:
        started = time.monotonic()
        try:
            challenge: Challenge | Tokens = self.client.start(user.username)
        finally:
            run.initiate_seconds.append(time.monotonic() - started)
        for _ in range(ATTEMPT_LIMIT):
            assert isinstance(challenge, Challenge)
            challenge = self.client.answer(challenge, self.authsignal.complete(challenge.token))
            if isinstance(challenge, Tokens):
                return challenge
        raise SignInError("RespondToAuthChallenge", "AnswerRejected", "every answer was rejected")

    def warm_up(self, people: list[User], concurrency: int) -> None:
        """Sign-ins at ``concurrency`` once before any are measured, so the emulator has started
        a worker process per concurrent invocation: on AWS, cold starts of concurrent invocations
        run on separate hosts; here ten at once would share this machine's cores and measure it."""
        if concurrency > self._warmed:
            self._warmed = concurrency
            self._run(people, concurrency, concurrency, app_retries=1)

    def first_sign_ins(self, people: list[User], concurrency: int) -> None:
        """Each person's first sign-in, before any fault: it enrols their own contact in
        Authsignal (two more calls, the enrolment never retried: a lost answer refuses that
        sign-in), so the scenario then measures what most sign-ins are, a returning user's.
        Run at ``concurrency``, it also warms up a worker per concurrent invocation."""
        self._run(people, len(people), concurrency, app_retries=1)
        self._warmed = max(self._warmed, concurrency)

    def _run(self, people: list[User], sign_ins: int, concurrency: int, app_retries: int) -> list[SignIn]:
        with ThreadPoolExecutor(max(1, concurrency)) as pool:
            return list(pool.map(lambda index: self.sign_in(people[index % len(people)], app_retries), range(sign_ins)))

    # --- the stack -----------------------------------------------------------------------

    def functions_seen(self, since_ms: int) -> FunctionsSeen:
        """Read the stack's function logs since ``since_ms`` (they hold no secret or token)."""
        logs, seen = self.aws("logs"), FunctionsSeen()
        for logical_id, physical_id in self._resources("AWS::Logs::LogGroup"):
            pages = logs.get_paginator("filter_log_events").paginate(logGroupName=physical_id, startTime=since_ms)
            for event in (event for page in pages for event in page.get("events", [])):
                self._note(seen, logical_id, event["message"])
        return seen

    @staticmethod
    def _note(seen: FunctionsSeen, function: str, message: str) -> None:
        report = _REPORT.search(message)
        if report:
            seen.durations[function] = max(seen.durations.get(function, 0.0), float(report.group(1)) / 1000)
            return
        try:
            line = json.loads(message)
        except ValueError:
            return
        if not isinstance(line, dict):
            return
        if line.get("event") == "authsignal_retry":
            seen.retries[str(line.get("reason"))] = seen.retries.get(str(line.get("reason")), 0) + 1
        elif line.get("event") == "authsignal_not_retried":
            key = f"{line.get('reason')}: {line.get('error')}"
            seen.not_retried[key] = seen.not_retried.get(key, 0) + 1
        elif line.get("level") in ("WARNING", "ERROR"):
            key = " ".join(str(line[name]) for name in ("event", "reason", "error") if line.get(name))
            seen.problems[key] = seen.problems.get(key, 0) + 1

    def _resources(self, kind: str) -> list[tuple[str, str]]:
        """The stack's resources of type ``kind``: (logical id, physical id)."""
        return [
            (logical_id, physical_id) for logical_id, (type_, physical_id) in self.resources.items() if type_ == kind
        ]

    def user_pool(self) -> str:
        """The id of the stack's one user pool."""
        [pool] = [physical_id for _, physical_id in self._resources("AWS::Cognito::UserPool")]
        return pool

    def single_use_table(self) -> str:
        """The physical name of the single-use table (the API's rate-limit table is the other one)."""
        [table] = [
            physical_id
            for logical_id, physical_id in self._resources("AWS::DynamoDB::Table")
            if "SingleUse" in logical_id
        ]
        return table

    def _functions_using(self, table: str) -> dict[str, dict[str, str]]:
        """The stack's functions whose environment names ``table``, with that environment."""
        lambdas = self.aws("lambda")
        found = {}
        for _, name in self._resources("AWS::Lambda::Function"):
            configuration = lambdas.get_function_configuration(FunctionName=name)
            variables = configuration.get("Environment", {}).get("Variables", {})
            if any(table in value for value in variables.values()):
                found[name] = variables
        return found

    def _point_at(self, functions: dict[str, dict[str, str]], variable: str, endpoint: str | None) -> None:
        """Send these functions' calls of one service to ``endpoint``, by the service's endpoint
        ``variable`` (None: back to normal)."""
        lambdas = self.aws("lambda")
        for name, variables in functions.items():
            changed = dict(variables)
            if endpoint:
                changed[variable] = endpoint
            lambdas.update_function_configuration(FunctionName=name, Environment={"Variables": changed})
            lambdas.get_waiter("function_updated_v2").wait(
                FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 300}
            )

    @contextmanager
    def _faults(self, start: Callable[[], None], stop: Callable[[], None]) -> Iterator[None]:
        start()
        try:
            yield
        finally:
            stop()


_REPORT = re.compile(r"^REPORT RequestId: \S+\s+Duration: ([\d.]+) ms")


def _now_ms() -> int:
    """Now, as log event timestamps count (the emulator runs on this machine's clock)."""
    return int(time.time() * 1000)


def _closed_port_url() -> str:
    return f"http://{HOST}:{free_port()}"


# --- the report ------------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    """The results as a plain-text table, one row per scenario."""
    header = [
        "scenario",
        "sign-ins",
        "signed in",
        "1st try",
        "refused",
        "wrong sub",
        "p50 s",
        "p95 s",
        "max InitiateAuth s",
        "max trigger s",
        "verdict",
    ]
    rows = [header]
    for result in results:
        rows.append(
            [
                result.scenario,
                str(result.sign_ins),
                str(result.signed_in),
                str(result.first_try),
                str(result.refused),
                str(result.wrong_sub),
                _seconds(result.p50_seconds),
                _seconds(result.p95_seconds),
                _seconds(result.max_initiate_seconds),
                _seconds(result.max_trigger_seconds),
                "held" if result.held else "NOT HELD",
            ]
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header) - 1)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    for result in results:
        lines.append(
            f"{result.scenario}: {result.requirement}" + (f"; {json.dumps(result.details)}" if result.details else "")
        )
    lines.append(
        "Latencies are the local emulator's (MiniStack on this machine), not AWS's; 'max trigger' is the "
        "longest function invocation (its REPORT line), InitiateAuth adds the emulator's own overhead."
    )
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/chaos",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sign-ins",
        type=int,
        default=200,
        help="sign-ins per scenario (default %(default)s; the outage and DynamoDB scenarios run a tenth)",
    )
    parser.add_argument(
        "--users", type=int, default=50, help="distinct users signing in concurrently (default %(default)s)"
    )
    parser.add_argument("--concurrency", type=int, default=10, help="sign-ins at once (default %(default)s)")
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.3,
        help="share of Authsignal requests failing in "
        "'transient', and of Authsignal requests and "
        "Cognito admin calls throttled in 'throttling' "
        "(default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=None, help="make the fake's faults repeatable")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help="run only these (repeatable)")
    parser.add_argument(
        "--json", type=Path, default=Path("chaos-results.json"), help="where to write the figures (default %(default)s)"
    )
    parser.add_argument(
        "--cdk-out",
        type=Path,
        help="deploy this cloud assembly (a synth of -c env=local "
        "-c authsignalUrl=http://127.0.0.1:PORT/v1) instead of synthesizing the local environment",
    )
    options = parser.parse_args(argv)

    from e2e.sandbox import local_sandbox  # pulls in the CDK app and the CLI deployer: only when running

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        results = _run_scenarios(options, local_sandbox, say)
    except Exception as error:  # noqa: BLE001 - the sandbox's or a scenario's failure, said in one line
        print(f"chaos failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    load = [round(value, 1) for value in os.getloadavg()]
    print(table(results))
    print(
        f"Load average of this machine at the end (1, 5, 15 min): {load}, on {os.cpu_count()} CPUs: the "
        "emulator's latencies and the deadline's refusals grow with it."
    )
    options.json.write_text(
        json.dumps(
            {
                "note": "latencies are the local emulator's (MiniStack), not AWS's",
                "machine": {"cpus": os.cpu_count(), "load_average_at_end": load},
                "settings": {
                    "sign_ins": options.sign_ins,
                    "users": options.users,
                    "concurrency": options.concurrency,
                    "fault_rate": options.fault_rate,
                    "seed": options.seed,
                },
                "results": [asdict(result) for result in results],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {options.json}")
    return 0 if all(result.held for result in results) else 1


def _ports(cdk_out: Path | None) -> Any:
    """Free ports, but the fake's where a given assembly's functions call Authsignal."""
    from e2e.sandbox import SandboxPorts, assembly_authsignal_port

    return SandboxPorts.choose(authsignal=assembly_authsignal_port(cdk_out) if cdk_out else None)


def _run_scenarios(options: argparse.Namespace, local_sandbox: Any, say: Callable[[str], None]) -> list[Result]:
    results: list[Result] = []
    with (
        tempfile.TemporaryDirectory(prefix="passwordless-chaos-") as scratch,
        local_sandbox(
            Path(scratch),
            ports=_ports(options.cdk_out),
            assembly=(lambda: options.cdk_out) if options.cdk_out else None,
            say=say,
        ) as sandbox,
    ):
        chaos = Chaos(sandbox.client(), sandbox.authsignal, sandbox.aws, sandbox.stack.resources)
        tenth = max(1, options.sign_ins // 10)
        runs: dict[str, Callable[[], Result]] = {
            "transient": lambda: chaos.transient(
                options.sign_ins,
                concurrency=options.concurrency,
                rate=options.fault_rate,
                seed=options.seed,
                users=options.users,
            ),
            "outage": lambda: chaos.outage(tenth, concurrency=options.concurrency),
            "dynamodb": lambda: chaos.dynamodb(tenth, concurrency=options.concurrency),
            "concurrent": lambda: chaos.concurrent(options.sign_ins, options.users, options.concurrency),
            "throttling": lambda: chaos.throttling(
                options.sign_ins,
                concurrency=options.concurrency,
                rate=options.fault_rate,
                seed=options.seed,
                users=options.users,
            ),
        }
        for name in options.scenario or SCENARIOS:
            say(f"scenario {name}…")
            results.append(runs[name]())
    return results


if __name__ == "__main__":
    sys.exit(main())

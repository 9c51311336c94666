"""``cold sign-in``: the time our code spends on one sign-in when every function it touches starts
cold, replayed through fresh processes laid out as the template lays out functions.

One process per function container (``benchmarks/container.py``: the function's asset first on
``sys.path``, as ``/var/task``, then the packages the runtime ships), started when Cognito first
invokes that function and kept for the rest of the sign-in, as Lambda keeps a container; each
gets the invocations Cognito sends its function, in Cognito's order: define, create, (the app
completes the challenge), verify, define. A sign-in's figure is the sum, over its containers, of
spawn to ``ready`` (interpreter start and the handler's import: Lambda's init) and of every
invocation (event written to response read). The app's own steps and the benchmark's look-ups
are outside the clock. The account is a returning one, as its first sign-in left it: its email
enrolled in Authsignal and marked verified in Cognito. An account's very first sign-in also enrols
its own contact (two more Authsignal calls, which the in-process round trips count as a figure of
their own) and marks the email verified (a Cognito client and one admin call, counted here from an
untimed first sign-in).

Layouts: ``template`` reads the synthesized dev template (the user pool's ``LambdaConfig``: which
function serves which trigger, with its handler, asset and environment); ``split`` is the layout
before issue 11 (define, create and verify as three functions) with today's code, kept to compare
in the same run; ``before`` (``--before-ref REF``) is that layout with the Lambda code of a git
commit (the bundles' dependencies, that commit's ``lambdas/`` sources, compiled the same way).

Around them, on 127.0.0.1 and each in its own process: the fake Authsignal
(``tests/fakes/authsignal_server.py``) and moto in server mode (``benchmarks/aws_server.py``),
which the containers reach through ``AUTHSIGNAL_URL`` and ``AWS_ENDPOINT_URL``. The template's
environment is resolved against moto: the secret, and any table or user pool the functions are
given, are created there from the template's own properties, so a function that needs more AWS
than today's is replayed without changing this file. Both count what they are asked, per
invocation: Authsignal calls, DynamoDB writes, Secrets Manager reads, Cognito admin calls.

References in the same rounds: one SDK container (the ``split`` layout's create: init and its
first invocation), and a process that only imports authsignal and makes the AWS clients the
deployed custom-auth function made in a returning account's sign-in (its containers report them).
And the parts of a first create
after import, each timed in its own fresh process, as ``shared/aws.py`` makes clients and as
``boto3.client`` did before.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.build import asset_directory_name, synth
from benchmarks.report import Figure
from stacks.bundling import bundle_directory, compile_bytecode
from stacks.config import stack_name
from tests.events import REGION, User, create_event, define_event, verify_event

ROOT = Path(__file__).resolve().parents[1]
CONTAINER = Path(__file__).with_name("container.py")
TRIGGERS = {"DefineAuthChallenge": "define", "CreateAuthChallenge": "create", "VerifyAuthChallengeResponse": "verify"}
# The layout before issue 11: one function per trigger; define's bundle without the SDK.
SPLIT = {"define": (False, "triggers.define_auth_challenge"), "create": (True, "triggers.create_auth_challenge"),
         "verify": (True, "triggers.verify_auth_challenge")}
LAYOUTS = {"template": "one custom-auth function (as deployed)", "split": "three functions, today's code",
           "before": "three functions, code of --before-ref"}
LAYOUT_KEYS = {"template": "one_function", "split": "three_functions", "before": "before"}
FLOWS = {"otp": "email OTP", "passkey": "passkey"}
RATIO_BUDGET = 1.15
OVER_SDK_AND_CLIENTS_BUDGET_MS = 40.0
AUTHSIGNAL_CALLS_BUDGET = 2
# Clients the sign-in ownership change (issue 9) gives verify: their cost is measured either way.
MORE_SERVICES = ("dynamodb", "cognito-idp")
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "benchmark", "AWS_SECRET_ACCESS_KEY": "benchmark", "AWS_SESSION_TOKEN": "benchmark"}


@dataclass(frozen=True)
class Container:
    """A function as the template deploys it: what a container of it loads and is given."""

    name: str
    asset: Path
    module: str
    environment: dict[str, Any]


# --- the template ------------------------------------------------------------------------------


def template_layout(cdk_out: Path) -> tuple[dict[str, Any], dict[str, Container]]:
    """The dev template and, per custom-auth trigger, the container that serves it."""
    template = json.loads((cdk_out / f"{stack_name('dev')}.template.json").read_text())
    (pool,) = [resource for resource in template["Resources"].values() if resource["Type"] == "AWS::Cognito::UserPool"]
    layout = {}
    for trigger, kind in TRIGGERS.items():
        logical_id = pool["Properties"]["LambdaConfig"][trigger]["Fn::GetAtt"][0]
        properties = template["Resources"][logical_id]["Properties"]
        layout[kind] = Container(logical_id, cdk_out / asset_directory_name(properties),
                                 properties["Handler"].removesuffix(".handler"),
                                 properties["Environment"]["Variables"])
    return template, layout


def _today(sdk: bool) -> Path:
    """Today's bundle for a function of the old layout: the SDK bundle for all three (today's
    plain bundle holds pre sign-up's modules only; define imports nothing of the SDK's, so its
    cold start is the same from either)."""
    return bundle_directory(True)


def split_layout(template_layout_: dict[str, Container], assets: Callable[[bool], Path] = _today,
                 prefix: str = "split") -> dict[str, Container]:
    """Three functions, each given the custom-auth function's environment."""
    environment = template_layout_["create"].environment
    return {kind: Container(f"{prefix}-{kind}", assets(sdk), module, environment)
            for kind, (sdk, module) in SPLIT.items()}


@contextlib.contextmanager
def _assets_of(ref: str, python: str) -> Iterator[Callable[[bool], Path]]:
    """Today's bundles with the ``lambdas/`` sources of commit ``ref`` instead of today's."""
    with tempfile.TemporaryDirectory(prefix="benchmark-before-") as work:
        sources = Path(work) / "sources"
        sources.mkdir()
        archive = subprocess.run(["git", "archive", ref, "lambdas"], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(sources)], input=archive.stdout, check=True)
        assets = {}
        for sdk in (True, False):
            asset = assets[sdk] = Path(work) / ("sdk" if sdk else "plain")
            shutil.copytree(bundle_directory(sdk), asset)
            for package in ("triggers", "shared", "api"):
                shutil.rmtree(asset / package, ignore_errors=True)
                shutil.copytree(sources / "lambdas" / package, asset / package)
            compile_bytecode(python, asset)
        yield assets.__getitem__


@contextlib.contextmanager
def _fake_of(ref: str, secret_key: str) -> Iterator[Any]:
    """The fake Authsignal of commit ``ref`` (server and controls), on loopback: the controls of
    ``ref`` keep the protocol its code was written against (before issue 9 a track token was its
    own validation token, and the fake served the pending-challenge look-up)."""
    with tempfile.TemporaryDirectory(prefix="benchmark-before-fake-") as work:
        paths = ["tests/fakes/authsignal_server.py", "e2e/fake_authsignal.py"]
        archive = subprocess.run(["git", "archive", ref, *paths], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", work], input=archive.stdout, check=True)
        with _server([python_for_servers(), str(Path(work) / paths[0]), "--secret", secret_key]) as (url, _):
            spec = importlib.util.spec_from_file_location("before_fake_authsignal", Path(work) / paths[1])
            assert spec and spec.loader
            controls = sys.modules[spec.name] = importlib.util.module_from_spec(spec)  # dataclasses look it up
            try:
                spec.loader.exec_module(controls)  # its imports (e2e.emulator: HOST, ROOT, free_port) are today's
                yield controls.FakeAuthsignalControls(url)
            finally:
                sys.modules.pop(spec.name, None)


# --- the loopback services ---------------------------------------------------------------------


class Aws:
    """moto in server mode, holding what the template's functions are given."""

    def __init__(self, url: str, template: dict[str, Any], secret_key: str) -> None:
        import boto3

        self.url = url
        self._template = template
        self._secret_key = secret_key
        session = boto3.session.Session(region_name=REGION, aws_access_key_id="admin", aws_secret_access_key="admin")
        self._secrets = session.client("secretsmanager", endpoint_url=url)
        self._dynamodb = session.client("dynamodb", endpoint_url=url)
        self.idp = session.client("cognito-idp", endpoint_url=url)
        pool = self.idp.create_user_pool(PoolName="cold-sign-in", UsernameAttributes=["email", "phone_number"])
        self.pool_id, self._pool_arn = pool["UserPool"]["Id"], pool["UserPool"]["Arn"]
        self._made: dict[str, tuple[str, str]] = {}  # logical id -> (Ref, Arn)

    def calls(self) -> list[str]:
        with urllib.request.urlopen(f"{self.url}/__calls", timeout=5) as response:
            return json.loads(response.read())

    def environment(self, container: Container) -> dict[str, str]:
        return {name: self._resolve(value) for name, value in container.environment.items()}

    def _resolve(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and "Ref" in value:
            return self._resource(value["Ref"])[0]
        if isinstance(value, dict) and "Fn::GetAtt" in value and value["Fn::GetAtt"][1] == "Arn":
            return self._resource(value["Fn::GetAtt"][0])[1]
        raise RuntimeError(f"cold sign-in: cannot resolve {value!r} in a function's environment: teach "
                           "benchmarks/cold_sign_in.py's Aws to make it in moto")

    def _resource(self, logical_id: str) -> tuple[str, str]:
        if logical_id not in self._made:
            resource = self._template["Resources"][logical_id]
            kind, properties = resource["Type"], resource.get("Properties", {})
            if kind == "AWS::SecretsManager::Secret":
                arn = self._secrets.create_secret(Name=logical_id, SecretString=self._secret_key)["ARN"]
                self._made[logical_id] = (arn, arn)
            elif kind == "AWS::DynamoDB::Table":
                table = self._dynamodb.create_table(
                    TableName=logical_id, KeySchema=properties["KeySchema"], BillingMode="PAY_PER_REQUEST",
                    AttributeDefinitions=properties["AttributeDefinitions"])["TableDescription"]
                ttl = properties.get("TimeToLiveSpecification")
                if ttl:
                    self._dynamodb.update_time_to_live(TableName=logical_id, TimeToLiveSpecification=ttl)
                self._made[logical_id] = (table["TableName"], table["TableArn"])
            elif kind == "AWS::Cognito::UserPool":
                self._made[logical_id] = (self.pool_id, self._pool_arn)
            else:
                raise RuntimeError(f"cold sign-in: a function is given a {kind} ({logical_id}): teach "
                                   "benchmarks/cold_sign_in.py's Aws to make it in moto")
        return self._made[logical_id]

    def new_account(self, *, email_verified: bool = False) -> str:
        """A confirmed user of the pool, signed up by email; its Cognito user name. Its email is
        verified once an email OTP sign-in succeeded (``email_verified``: as if one had)."""
        email = f"cold-{uuid.uuid4().hex[:12]}@example.com"
        attributes = [{"Name": "email", "Value": email}]
        if email_verified:
            attributes.append({"Name": "email_verified", "Value": "true"})
        created = self.idp.admin_create_user(UserPoolId=self.pool_id, Username=email, MessageAction="SUPPRESS",
                                             UserAttributes=attributes)
        return created["User"]["Username"]

    def attributes(self, username: str) -> dict[str, str]:
        """The user's attributes as Cognito hands them to a trigger, read afresh."""
        user = self.idp.admin_get_user(UserPoolId=self.pool_id, Username=username)
        attributes = {item["Name"]: item["Value"] for item in user["UserAttributes"]}
        return attributes | {"cognito:user_status": "CONFIRMED"}


@contextlib.contextmanager
def _server(command: list[str], environment: dict[str, str] | None = None) -> Iterator[tuple[str, Any]]:
    """A child process that prints its base URL on its first line, then serves."""
    process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, env=environment)
    try:
        url = process.stdout.readline().strip() if process.stdout else ""
        if not url.startswith("http://"):
            raise RuntimeError(f"cold sign-in: {' '.join(command[1:3])} did not start")
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- one replay --------------------------------------------------------------------------------


@dataclass
class Replay:
    """The containers of one layout, started as Cognito first reaches each, and what they cost."""

    python: str
    layout: dict[str, Container]
    environment: Callable[[Container], dict[str, str]]
    aws: Aws
    spent_ms: dict[str, float] = field(default_factory=dict)  # by container
    operations: list[str] = field(default_factory=list)  # AWS operations made inside invocations
    services: set[str] = field(default_factory=set)
    _running: dict[str, subprocess.Popen[str]] = field(default_factory=dict)

    def invoke(self, kind: str, event: dict[str, Any]) -> Any:
        container = self.layout[kind]
        process = self._running.get(container.name)
        environment = self.environment(container) if process is None else {}  # outside the clock
        before = len(self.aws.calls())
        if process is None:
            start = time.perf_counter_ns()
            process = self._start(container, environment)
            self._read(process)
            self.spent_ms[container.name] = (time.perf_counter_ns() - start) / 1e6
            self._running[container.name] = process
        assert process.stdin is not None
        start = time.perf_counter_ns()
        process.stdin.write(json.dumps(event) + "\n")
        process.stdin.flush()
        answer = self._read(process)
        self.spent_ms[container.name] += (time.perf_counter_ns() - start) / 1e6
        self.operations += self.aws.calls()[before:]
        if "error" in answer:
            raise RuntimeError(f"cold sign-in: {kind} ({container.module}) raised {answer['error']}")
        return answer["response"]

    def _start(self, container: Container, environment: dict[str, str]) -> subprocess.Popen[str]:
        path = os.pathsep.join([str(container.asset), sysconfig.get_paths()["purelib"]])
        return subprocess.Popen([self.python, "-S", "-B", "-P", str(CONTAINER), path, container.module],
                                cwd=tempfile.gettempdir(),
                                env={**environment, "AWS_LAMBDA_FUNCTION_NAME": container.name}, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)

    @staticmethod
    def _read(process: subprocess.Popen[str]) -> Any:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("cold sign-in: a container exited (run it by hand: benchmarks/container.py)")
        return json.loads(line)

    def close(self) -> None:
        for process in self._running.values():
            assert process.stdin is not None
            process.stdin.write("\n")
            process.stdin.flush()
            self.services |= set(self._read(process)["services"])
            process.wait(timeout=10)
        self._running.clear()


def sign_in(replay: Replay, aws: Aws, username: str, answer: Callable[[dict[str, str]], str]) -> None:
    """Cognito's CUSTOM_AUTH loop through the replay's containers; it must end with tokens."""
    session: list[dict[str, Any]] = []
    for _ in range(5):
        decision = replay.invoke("define", _event(define_event, aws, username, session=session))["response"]
        if decision["issueTokens"]:
            return
        if decision["failAuthentication"]:
            break
        created = replay.invoke("create", _event(create_event, aws, username, session=session))["response"]
        token = answer(created["publicChallengeParameters"])
        verify = _event(verify_event, aws, username, answer=token)
        verify["request"]["privateChallengeParameters"] = created["privateChallengeParameters"]
        correct = replay.invoke("verify", verify)["response"]["answerCorrect"]
        session.append({"challengeName": "CUSTOM_CHALLENGE", "challengeResult": correct,
                        "challengeMetadata": created.get("challengeMetadata")})
    raise RuntimeError("cold sign-in: the sign-in did not issue tokens")


def _event(builder: Callable[..., dict[str, Any]], aws: Aws, username: str, **arguments: Any) -> dict[str, Any]:
    """Cognito's event for this pool's user, with the attributes Cognito holds for it now."""
    attributes = aws.attributes(username)
    event = builder(User(attributes["sub"]), *arguments.values())
    event |= {"userName": username, "userPoolId": aws.pool_id}
    event["request"]["userAttributes"] = attributes
    return event


# --- the measurement ---------------------------------------------------------------------------


@dataclass
class Run:
    """One replay's cost (ms), the SDK container's cost in it, and what it asked for."""

    total_ms: float
    sdk_container_ms: float | None
    authsignal_calls: int
    operations: list[str]
    services: set[str]

    @property
    def admin_calls(self) -> int:
        return sum(1 for operation in self.operations if _is_admin(operation))


class Bench:
    def __init__(self, python: str, fakes: dict[str, Any], aws: Aws, layouts: dict[str, dict[str, Container]],
                 base: dict[str, str]):
        """``fakes``: the fake Authsignal's controls each layout's containers talk to; ``base``:
        the environment every container gets besides its function's (region, endpoint, ...)."""
        self.python, self.fakes, self.aws, self.layouts, self.base = python, fakes, aws, layouts, base

    def environment(self, container: Container, layout: str) -> dict[str, str]:
        """What a container of ``layout`` is given: its function's environment, resolved against
        moto, the base, and the URL of that layout's fake Authsignal."""
        return {**self.aws.environment(container), **self.base, "AUTHSIGNAL_URL": self.fakes[layout].api_url}

    def replay(self, layout: str, flow: str, *, first: bool = False) -> Run:
        """One sign-in of a returning account, or (``first``) of an account's very first (OTP only)."""
        fake = self.fakes[layout]
        username = self.aws.new_account(email_verified=not first)
        sub = self.aws.attributes(username)["sub"]
        if flow == "passkey":
            fake._control("add_authenticator", user_id=sub)
            token = fake.passkey_sign_in(sub)  # passkey.signIn(action: "cognitoAuth"), before InitiateAuth

            def answer(public: dict[str, str]) -> str:
                return token
        else:
            if layout != "before" and not first:  # a returning account: its first sign-in enrolled its email
                fake._control("add_authenticator", user_id=sub, verification_method="EMAIL_OTP",
                                   email=self.aws.attributes(username)["email"])

            def answer(public: dict[str, str]) -> str:
                return fake.complete(public["token"])  # the user enters the OTP
        replay = Replay(self.python, self.layouts[layout], lambda container: self.environment(container, layout),
                        self.aws)
        calls_before = len(fake.calls())
        try:
            sign_in(replay, self.aws, username, answer)
            total = sum(replay.spent_ms.values())
            sdk = replay.spent_ms.get("split-create", replay.spent_ms.get("before-create"))
            authsignal_calls = len(fake.calls()) - calls_before
        finally:
            replay.close()
        return Run(total, sdk, authsignal_calls, list(replay.operations), replay.services)

    def timed_process(self, code: str, container: Container) -> dict[str, Any]:
        """A fresh process on ``container``'s asset and environment; its JSON result, and its
        wall time from spawn to exit (``wall_ms``)."""
        path = [str(container.asset), sysconfig.get_paths()["purelib"]]
        script = f"import sys; sys.path[0:0] = {path!r}\n{code}"
        environment = {**self.environment(container, "template"), "AWS_LAMBDA_FUNCTION_NAME": container.name}
        start = time.perf_counter_ns()
        result = subprocess.run([self.python, "-S", "-B", "-c", script], cwd=tempfile.gettempdir(),
                                env=environment, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        wall = (time.perf_counter_ns() - start) / 1e6
        if result.returncode != 0:
            raise RuntimeError(f"cold sign-in: a reference process failed: {result.stderr[-2000:]}")
        return {**json.loads(result.stderr.strip().splitlines()[-1]), "wall_ms": wall}


def _is_admin(operation: str) -> bool:
    return operation.startswith("AWSCognitoIdentityProviderService.Admin")


# Each part of a first create after import, as the function does it (shared/aws.py), in order.
PARTS_CODE = """
import json, os, time
marks = [("start", time.perf_counter_ns())]
def mark(name): marks.append((name, time.perf_counter_ns()))
import triggers.create_auth_challenge as create; mark("import_create")
import botocore.session; mark("import_botocore")
from shared import authsignal_client, aws, secret
aws.session(); mark("session")
aws.client("secretsmanager"); mark("secretsmanager_client")
secret.authsignal_secret_key(); mark("secret_read")
authsignal_client.authsignal(); mark("authsignal_client")
sys.stdout = open(os.devnull, "w")
create.handler(json.loads(EVENT)); mark("create_calls")
for service in SERVICES: aws.client(service); mark(service.replace("-", "_") + "_client")
print(json.dumps({name: (t - marks[i][1]) / 1e6 for i, (name, t) in enumerate(marks[1:])}), file=sys.stderr)
os._exit(0)
"""
# The same, as shared/secret.py did it before: boto3.client.
BOTO3_PARTS_CODE = """
import json, os, time
marks = [("start", time.perf_counter_ns())]
def mark(name): marks.append((name, time.perf_counter_ns()))
import triggers.create_auth_challenge; mark("import_create")
import boto3; mark("import_boto3")
client = boto3.client("secretsmanager"); mark("session_and_secretsmanager_client")
client.get_secret_value(SecretId=os.environ["AUTHSIGNAL_SECRET_ARN"]); mark("secret_read")
for service in SERVICES: boto3.client(service); mark(service.replace("-", "_") + "_client")
print(json.dumps({name: (t - marks[i][1]) / 1e6 for i, (name, t) in enumerate(marks[1:])}), file=sys.stderr)
os._exit(0)
"""
PART_LABELS = {
    "import_create": "import the create module (authsignal SDK)",
    "import_botocore": "import botocore.session",
    "import_boto3": "import boto3",
    "session": "botocore session",
    "secretsmanager_client": "Secrets Manager client",
    "session_and_secretsmanager_client": "boto3 default session + Secrets Manager client",
    "secret_read": "secret read (GetSecretValue)",
    "authsignal_client": "Authsignal SDK client",
    "create_calls": "the create itself (its Authsignal calls)",
    "dynamodb_client": "a DynamoDB client after it",
    "cognito_idp_client": "a Cognito (cognito-idp) client after it",
}
SDK_AND_CLIENTS_CODE = """
import json, os
import authsignal.client
from shared import aws
for service in SERVICES: aws.client(service)
print(json.dumps({}), file=sys.stderr)
os._exit(0)
"""


def measure(python: str, runs: int, cdk_out: Path | None, before_ref: str | None = None) -> list[Figure]:
    """The cold sign-in figures, medians of ``runs`` rounds (a new shuffled order each round)."""
    with contextlib.ExitStack() as stack:
        if cdk_out is None:
            cdk_out = stack.enter_context(_synthesized_dev())
        template, deployed = template_layout(cdk_out)
        layouts = {"template": deployed, "split": split_layout(deployed)}
        if before_ref:
            layouts["before"] = split_layout(deployed, stack.enter_context(_assets_of(before_ref, python)), "before")
        secret_key = "sk-cold-sign-in-" + uuid.uuid4().hex
        fake_url, _ = stack.enter_context(_server(
            [python_for_servers(), "-m", "tests.fakes.authsignal_server", "--secret", secret_key]))
        aws_url, _ = stack.enter_context(_server([python_for_servers(), "-m", "benchmarks.aws_server"],
                                                 {**os.environ, **CREDENTIALS, "AWS_DEFAULT_REGION": REGION}))
        from e2e.fake_authsignal import FakeAuthsignalControls

        fakes = dict.fromkeys(layouts, FakeAuthsignalControls(fake_url))
        if before_ref:  # that commit's code against that commit's fake: the fake changed with the code
            fakes["before"] = stack.enter_context(_fake_of(before_ref, secret_key))
        aws = Aws(aws_url, template, secret_key)
        base = {**CREDENTIALS, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION, "AWS_ENDPOINT_URL": aws_url,
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
        bench = Bench(python, fakes, aws, layouts, base)
        return _rounds(bench, runs, deployed["create"])


def python_for_servers() -> str:
    return sys.executable  # the virtual environment's: moto and the fake are dev dependencies


@contextlib.contextmanager
def _synthesized_dev() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="benchmark-cold-sign-in-") as out:
        synth("dev", Path(out))
        yield Path(out)


def _rounds(bench: Bench, runs: int, custom_auth: Container) -> list[Figure]:
    # untimed first: an account's very first sign-in (what it asks of Cognito), then a returning
    # one (page cache), which finds the AWS clients the deployed function makes on a sign-in
    first = bench.replay("template", "otp", first=True)
    services_list = sorted(bench.replay("template", "otp").services)

    def event() -> str:
        username = bench.aws.new_account()
        return json.dumps(_event(create_event, bench.aws, username))

    references = {
        "parts": lambda: bench.timed_process(f"EVENT = {event()!r}\nSERVICES = {list(MORE_SERVICES)!r}\n"
                                             + PARTS_CODE, custom_auth),
        "boto3_parts": lambda: bench.timed_process(f"SERVICES = {list(MORE_SERVICES)!r}\n" + BOTO3_PARTS_CODE,
                                                   custom_auth),
        "sdk_and_clients": lambda: bench.timed_process(f"SERVICES = {services_list!r}\n" + SDK_AND_CLIENTS_CODE,
                                                       custom_auth),
    }
    items = [(layout, flow) for layout in bench.layouts for flow in FLOWS] + [(name, None) for name in references]
    results: dict[tuple[str, str | None], list[Any]] = {item: [] for item in items}
    order = random.Random(11)
    for _ in range(runs):
        order.shuffle(items)
        for layout, flow in items:
            results[(layout, flow)].append(bench.replay(layout, flow) if flow else references[layout]())
    return _figures(results, runs, services_list, bench.layouts, first)


def _figures(results: dict[tuple[str, str | None], list[Any]], runs: int, services: list[str],
             layouts: dict[str, Any], first: Run) -> list[Figure]:
    note = f"median of {runs} rounds"
    sdk_container = [run.sdk_container_ms for run in results[("split", "otp")]]
    sdk_and_clients = [result["wall_ms"] for result in results[("sdk_and_clients", None)]]
    figures = [
        Figure("cold_sign_in.sdk_container_ms",
               "cold: one SDK container (create as its own function: init + 1st invocation)",
               round(statistics.median(sdk_container), 1), "ms", note=note + ", from the three-function replays"),
        Figure("cold_sign_in.sdk_and_clients_ms",
               f"cold: import authsignal + AWS clients ({', '.join(services) or 'none'})",
               round(statistics.median(sdk_and_clients), 1), "ms",
               note=note + "; a fresh process, spawn to exit, no call made"),
        Figure("cold_sign_in.before_sdk_container_ms", "cold: one SDK container, code of --before-ref",
               round(statistics.median(run.sdk_container_ms for run in results[("before", "otp")]), 1)
               if "before" in layouts else None, "ms", note=note if "before" in layouts else "no --before-ref"),
    ]
    for flow, flow_label in FLOWS.items():
        one, three = results[("template", flow)], results[("split", flow)]
        figures += [
            Figure(f"cold_sign_in.{flow}.{LAYOUT_KEYS[layout]}_ms", f"cold sign-in: {flow_label}, {label}",
                   round(statistics.median(run.total_ms for run in results[(layout, flow)]), 1)
                   if layout in layouts else None, "ms",
                   note=note + "; every container's init and invocations" if layout in layouts else "no --before-ref")
            for layout, label in LAYOUTS.items()
        ]
        figures += [
            Figure(f"cold_sign_in.{flow}.ratio_to_sdk_container", f"cold sign-in: {flow_label} / one SDK container",
                   round(statistics.median(run.total_ms / sdk for run, sdk in zip(one, sdk_container, strict=True)),
                         2), "x", RATIO_BUDGET, note="median of same-round ratios"),
            Figure(f"cold_sign_in.{flow}.over_sdk_and_clients_ms",
                   f"cold sign-in: {flow_label} over import authsignal + AWS clients",
                   round(statistics.median(run.total_ms - base for run, base in zip(one, sdk_and_clients,
                                                                                     strict=True)), 1),
                   "ms", OVER_SDK_AND_CLIENTS_BUDGET_MS, note="median of same-round differences"),
            Figure(f"cold_sign_in.{flow}.ratio_three_to_one", f"cold sign-in: {flow_label}, three functions / one",
                   round(statistics.median(b.total_ms / a.total_ms for a, b in zip(one, three, strict=True)), 2),
                   "x", note="median of same-round ratios"),
            Figure(f"cold_sign_in.{flow}.authsignal_calls", f"cold sign-in: {flow_label}, Authsignal calls",
                   one[-1].authsignal_calls, "calls", AUTHSIGNAL_CALLS_BUDGET, "=="),
            Figure(f"cold_sign_in.{flow}.dynamodb_writes", f"cold sign-in: {flow_label}, DynamoDB writes",
                   sum(1 for op in one[-1].operations if op.startswith("DynamoDB_") and op.endswith(WRITES)),
                   "calls", 1, "==", note="single use of the answer (issue 9)"),
            Figure(f"cold_sign_in.{flow}.secret_reads", f"cold sign-in: {flow_label}, secret reads (one container)",
                   sum(1 for op in one[-1].operations if op == "secretsmanager.GetSecretValue"), "reads", 1, "=="),
        ]
    figures += [
        Figure("cold_sign_in.otp.cognito_admin_calls_first",
               "cold sign-in: email OTP, Cognito admin calls (an account's first sign-in)", first.admin_calls,
               "calls", note="marking the email verified; an untimed replay"),
        Figure("cold_sign_in.otp.cognito_admin_calls_after_first",
               "cold sign-in: email OTP, Cognito admin calls (returning account)",
               results[("template", "otp")][-1].admin_calls, "calls", 0, "=="),
    ]
    for key, label in (("parts", "shared/aws.py"), ("boto3_parts", "before: boto3.client")):
        parts = results[(key, None)]
        for name in parts[0]:
            if name == "wall_ms":
                continue
            figures.append(Figure(f"cold_sign_in.first_create.{key}.{name}_ms", f"1st create ({label}): "
                                  f"{PART_LABELS[name]}", round(statistics.median(p[name] for p in parts), 1), "ms",
                                  note=note + "; in a fresh process, one part after the other"))
    return figures

"""``cold sign-in``: one sign-in when every function it touches starts cold, replayed through
fresh processes laid out as the template lays out functions, side by side with a Node reference of
Authsignal's published design, and modelled as Lambda's CPU would run both.

One process per function container (``benchmarks/container.py``: the function's asset first on
``sys.path``, as ``/var/task``, then the packages the runtime ships), started when Cognito first
invokes that function and kept for the rest of the sign-in, as Lambda keeps a container; each
gets the invocations Cognito sends its function, in Cognito's order: define, create, (the app
completes the challenge), verify, define. The template (the synthesized dev stack: the user
pool's ``LambdaConfig``) says which function serves which trigger, with its handler, asset,
environment and memory. A sign-in's local figure is the sum, over its containers, of spawn to
``ready`` (interpreter start and the handler's import: Lambda's init) and of every invocation
(event written to response read). Each container also reports its CPU time, for its init and for
each invocation; ``benchmarks/lambda_model.py`` turns them into the modelled Lambda figures.

The Node reference (``benchmarks/node-reference``): three functions, define, create and verify,
each an esbuild bundle with ``@authsignal/node`` (and verify the AWS SDK v3 Cognito client, made
at init), the key in an environment variable, 1,024 MB; its containers
(``node-reference/container.mjs``) speak the same protocol and get the same events, from the same
fake, in the same shuffled rounds.

With a CPU quota (cgroup v1 ``cpu.cfs_quota_us`` or v2 ``cpu.max``, as root), OTP sign-ins are also
replayed with each container moved, once its init is done, into a group allowed memory / 1,769 of
one CPU: Lambda's invocations, measured rather than modelled.

The account is a returning one, as its first sign-in left it: its email enrolled in Authsignal and
marked verified in Cognito. An untimed replay of an account's very first sign-in counts the
Cognito admin call that marks its email verified. After each timed sign-in, a second account signs
in on the same, now warm, containers: the warm figures of the model.

Around them, on 127.0.0.1 and each in its own process: the fake Authsignal
(``tests/fakes/authsignal_server.py``) and moto in server mode (``benchmarks/aws_server.py``),
which the containers reach through ``AUTHSIGNAL_URL`` and ``AWS_ENDPOINT_URL``. The template's
environment is resolved against moto: the secret, and any table or user pool the functions are
given, are created there from the template's own properties. Both count what they are asked, per
invocation: Authsignal calls, DynamoDB writes, Secrets Manager reads, Cognito admin calls.

References in the same rounds: a process that only imports authsignal and makes the AWS clients
the deployed custom-auth function made in a returning account's sign-in, and the parts of the
custom-auth function's init, each timed in a fresh process, one after the other.
"""

from __future__ import annotations

import contextlib
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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import lambda_model
from benchmarks.build import asset_directory_name, synth
from benchmarks.lambda_model import ContainerCost, Invocation
from benchmarks.report import Figure
from stacks.config import stack_name
from tests.events import REGION, User, create_event, define_event, verify_event

ROOT = Path(__file__).resolve().parents[1]
CONTAINER = Path(__file__).with_name("container.py")
NODE_REFERENCE = Path(__file__).with_name("node-reference")
TRIGGERS = {"DefineAuthChallenge": "define", "CreateAuthChallenge": "create", "VerifyAuthChallengeResponse": "verify"}
NODE_MEMORY_MB = 1024  # what Authsignal's published Lambdas default to
FLOWS = {"otp": "email OTP", "passkey": "passkey"}
LAYOUTS = {"ours": "ours", "node": "Node reference"}
MODELLED_RATIO_BUDGET = 0.8
LOCAL_RATIO_BUDGET = 1.0
OVER_SDK_AND_CLIENTS_BUDGET_MS = 40.0
AUTHSIGNAL_CALLS_BUDGET = 2
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "benchmark", "AWS_SECRET_ACCESS_KEY": "benchmark", "AWS_SESSION_TOKEN": "benchmark"}


@dataclass(frozen=True)
class Container:
    """A function as deployed: what a container of it loads, is given, and its memory."""

    name: str
    asset: Path  # the bundle directory (Python) or the bundle file (Node)
    module: str  # the handler module (Python); empty for Node
    environment: dict[str, Any]
    memory_mb: int
    runtime: str = "python"


# --- the layouts -------------------------------------------------------------------------------


def template_layout(cdk_out: Path) -> tuple[dict[str, Any], dict[str, Container]]:
    """The dev template and, per custom-auth trigger, the container that serves it."""
    template = json.loads((cdk_out / f"{stack_name('dev')}.template.json").read_text())
    (pool,) = [resource for resource in template["Resources"].values() if resource["Type"] == "AWS::Cognito::UserPool"]
    layout = {}
    for trigger, kind in TRIGGERS.items():
        logical_id = _function_id(template, pool["Properties"]["LambdaConfig"][trigger])
        properties = template["Resources"][logical_id]["Properties"]
        layout[kind] = Container(
            logical_id,
            cdk_out / asset_directory_name(properties),
            properties["Handler"].removesuffix(".handler"),
            properties["Environment"]["Variables"],
            properties["MemorySize"],
        )
    return template, layout


def _function_id(template: dict[str, Any], target: dict[str, Any]) -> str:
    """The function a trigger names: directly (``Fn::GetAtt``), or through its alias (``Ref``)."""
    if "Fn::GetAtt" in target:
        return str(target["Fn::GetAtt"][0])
    return str(template["Resources"][target["Ref"]]["Properties"]["FunctionName"]["Ref"])


def node_layout(secret_key: str) -> dict[str, Container]:
    """The Node reference's three functions, each its own bundle, the key in the environment."""
    return {
        kind: Container(
            f"node-{kind}",
            NODE_REFERENCE / "dist" / f"{kind}.js",
            "",
            {"AUTHSIGNAL_SECRET": secret_key},
            NODE_MEMORY_MB,
            "node",
        )
        for kind in TRIGGERS.values()
    }


def build_node_reference() -> None:
    """``node build.mjs``: the three esbuild bundles (scripts/setup has installed the packages)."""
    if not (NODE_REFERENCE / "node_modules").is_dir():
        raise RuntimeError("cold sign-in: benchmarks/node-reference has no node_modules: run scripts/setup")
    subprocess.run([_node(), "build.mjs"], cwd=NODE_REFERENCE, check=True, capture_output=True)


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("cold sign-in: no node on PATH for the Node reference")
    return node


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
            calls: list[str] = json.loads(response.read())
            return calls

    def environment(self, container: Container) -> dict[str, str]:
        return {name: self._resolve(value) for name, value in container.environment.items()}

    def _resolve(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and "Ref" in value:
            return self._resource(value["Ref"])[0]
        if isinstance(value, dict) and "Fn::GetAtt" in value and value["Fn::GetAtt"][1] == "Arn":
            return self._resource(value["Fn::GetAtt"][0])[1]
        raise RuntimeError(
            f"cold sign-in: cannot resolve {value!r} in a function's environment: teach "
            "benchmarks/cold_sign_in.py's Aws to make it in moto"
        )

    def _resource(self, logical_id: str) -> tuple[str, str]:
        if logical_id not in self._made:
            resource = self._template["Resources"][logical_id]
            kind, properties = resource["Type"], resource.get("Properties", {})
            if kind == "AWS::SecretsManager::Secret":
                arn = self._secrets.create_secret(Name=logical_id, SecretString=self._secret_key)["ARN"]
                self._made[logical_id] = (arn, arn)
            elif kind == "AWS::DynamoDB::Table":
                table = self._dynamodb.create_table(
                    TableName=logical_id,
                    KeySchema=properties["KeySchema"],
                    BillingMode="PAY_PER_REQUEST",
                    AttributeDefinitions=properties["AttributeDefinitions"],
                )["TableDescription"]
                ttl = properties.get("TimeToLiveSpecification")
                if ttl:
                    self._dynamodb.update_time_to_live(TableName=logical_id, TimeToLiveSpecification=ttl)
                self._made[logical_id] = (table["TableName"], table["TableArn"])
            elif kind == "AWS::Cognito::UserPool":
                self._made[logical_id] = (self.pool_id, self._pool_arn)
            else:
                raise RuntimeError(
                    f"cold sign-in: a function is given a {kind} ({logical_id}): teach "
                    "benchmarks/cold_sign_in.py's Aws to make it in moto"
                )
        return self._made[logical_id]

    def new_account(self, *, email_verified: bool = False) -> str:
        """A confirmed user of the pool, signed up by email; its Cognito user name. Its email is
        verified once an email OTP sign-in succeeded (``email_verified``: as if one had)."""
        email = f"cold-{uuid.uuid4().hex[:12]}@example.com"
        attributes = [{"Name": "email", "Value": email}]
        if email_verified:
            attributes.append({"Name": "email_verified", "Value": "true"})
        created = self.idp.admin_create_user(
            UserPoolId=self.pool_id, Username=email, MessageAction="SUPPRESS", UserAttributes=attributes
        )
        return str(created["User"]["Username"])

    def attributes(self, username: str) -> dict[str, str]:
        """The user's attributes as Cognito hands them to a trigger, read afresh."""
        user = self.idp.admin_get_user(UserPoolId=self.pool_id, Username=username)
        attributes = {item["Name"]: item["Value"] for item in user["UserAttributes"]}
        return attributes | {"cognito:user_status": "CONFIRMED"}


@contextlib.contextmanager
def _server(command: list[str], environment: dict[str, str] | None = None) -> Iterator[tuple[str, Any]]:
    """A child process that prints its base URL on its first line, then serves."""
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=environment,
    )
    try:
        url = process.stdout.readline().strip() if process.stdout else ""
        if not url.startswith("http://"):
            raise RuntimeError(f"cold sign-in: {' '.join(command[1:3])} did not start")
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=10)


class CpuQuota:
    """Groups of the CPU controller, one per memory size, each allowed memory / 1,769 of one CPU:
    a container moved into one after its init runs its invocations as Lambda would."""

    V1 = Path("/sys/fs/cgroup/cpu")
    V2 = Path("/sys/fs/cgroup")
    PERIOD_US = 100_000

    def __init__(self) -> None:
        self._groups: dict[int, Path] = {}

    @classmethod
    def usable(cls) -> bool:
        if (cls.V1 / "cpu.cfs_quota_us").exists():
            return os.access(cls.V1 / "cgroup.procs", os.W_OK)
        controllers = cls.V2 / "cgroup.controllers"
        return controllers.exists() and "cpu" in controllers.read_text().split() and os.access(cls.V2, os.W_OK)

    def enter(self, pid: int, memory_mb: int) -> None:
        group = self._groups.get(memory_mb)
        if group is None:
            quota = round(self.PERIOD_US * memory_mb / lambda_model.ONE_VCPU_MB)
            v1 = (self.V1 / "cpu.cfs_quota_us").exists()
            group = (self.V1 if v1 else self.V2) / f"passwordless-benchmark-{os.getpid()}-{memory_mb}"
            group.mkdir(exist_ok=True)
            if v1:
                (group / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
                (group / "cpu.cfs_quota_us").write_text(str(quota))
            else:
                (group / "cpu.max").write_text(f"{quota} {self.PERIOD_US}")
            self._groups[memory_mb] = group
        (group / "cgroup.procs").write_text(str(pid))

    def close(self) -> None:
        for group in self._groups.values():
            with contextlib.suppress(OSError):
                group.rmdir()
        self._groups.clear()


# --- one replay --------------------------------------------------------------------------------


@dataclass
class Replay:
    """The containers of one layout, started as Cognito first reaches each, and what they cost."""

    python: str
    layout: dict[str, Container]
    environment: Callable[[Container], dict[str, str]]
    aws: Aws
    authsignal_calls: Callable[[], int]
    quota: CpuQuota | None = None
    spent_ms: dict[str, float] = field(default_factory=dict)  # wall, by container
    costs: dict[str, ContainerCost] = field(default_factory=dict)  # CPU and waits, by container
    operations: list[str] = field(default_factory=list)  # AWS operations made inside invocations
    services: set[str] = field(default_factory=set)
    counting: bool = True
    _running: dict[str, subprocess.Popen[str]] = field(default_factory=dict)

    def invoke(self, kind: str, event: dict[str, Any]) -> Any:
        container = self.layout[kind]
        process = self._running.get(container.name)
        environment = self.environment(container) if process is None else {}  # outside the clock
        before, calls_before = len(self.aws.calls()), self.authsignal_calls()
        if process is None:
            start = time.perf_counter_ns()
            process = self._start(container, environment)
            ready = self._read(process)
            self.spent_ms[container.name] = (time.perf_counter_ns() - start) / 1e6
            self.costs[container.name] = ContainerCost(
                container.name, container.memory_mb, ready["cpu_ms"], ready["network_ms"]
            )
            self._running[container.name] = process
            if self.quota:
                self.quota.enter(process.pid, container.memory_mb)
        assert process.stdin is not None
        start = time.perf_counter_ns()
        process.stdin.write(json.dumps(event) + "\n")
        process.stdin.flush()
        answer = self._read(process)
        self.spent_ms[container.name] += (time.perf_counter_ns() - start) / 1e6
        if self.counting:
            self.operations += self.aws.calls()[before:]
        self.costs[container.name].invocations.append(
            Invocation(answer["cpu_ms"], answer["wall_ms"], self.authsignal_calls() - calls_before)
        )
        if "error" in answer:
            raise RuntimeError(f"cold sign-in: {kind} ({container.name}) raised {answer['error']}")
        return answer["response"]

    def warm(self) -> list[ContainerCost]:
        """The costs so far (a cold sign-in); from now on, each container's invocations only, and
        no AWS operation is counted."""
        cold = list(self.costs.values())
        self.counting = False
        self.costs = {name: ContainerCost(name, cost.memory_mb, 0.0, 0.0) for name, cost in self.costs.items()}
        return cold

    def _start(self, container: Container, environment: dict[str, str]) -> subprocess.Popen[str]:
        if container.runtime == "node":
            command = [_node(), str(NODE_REFERENCE / "container.mjs"), str(container.asset)]
        else:
            path = os.pathsep.join([str(container.asset), sysconfig.get_paths()["purelib"]])
            command = [self.python, "-S", "-B", "-P", str(CONTAINER), path, container.module]
        return subprocess.Popen(
            command,
            cwd=tempfile.gettempdir(),
            env={**environment, "AWS_LAMBDA_FUNCTION_NAME": container.name},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )

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
        session.append(
            {
                "challengeName": "CUSTOM_CHALLENGE",
                "challengeResult": correct,
                "challengeMetadata": created.get("challengeMetadata"),
            }
        )
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
    """One replay: its local cost (ms), its containers' costs cold and warm, and what it asked for."""

    total_ms: float
    cold: list[ContainerCost]
    warm: list[ContainerCost]
    authsignal_calls: int
    operations: list[str]
    services: set[str]

    @property
    def admin_calls(self) -> int:
        return sum(1 for operation in self.operations if _is_admin(operation))


class Bench:
    def __init__(
        self,
        python: str,
        fake: Any,
        aws: Aws,
        layouts: dict[str, dict[str, Container]],
        base: dict[str, str],
        quota: CpuQuota | None,
    ):
        """``fake``: the fake Authsignal's controls; ``base``: the environment every container gets
        besides its function's (region, endpoint, ...); ``quota``: CPU groups, when usable."""
        self.python, self.fake, self.aws, self.layouts, self.base = python, fake, aws, layouts, base
        self.quota = quota

    def environment(self, container: Container) -> dict[str, str]:
        """What a container is given: its function's environment, resolved against moto, the
        base, and the fake Authsignal's URL."""
        return {**self.aws.environment(container), **self.base, "AUTHSIGNAL_URL": self.fake.api_url}

    def replay(self, layout: str, flow: str, *, first: bool = False, quota: bool = False) -> Run:
        """One sign-in of a returning account (or, ``first``, an account's very first: OTP only),
        then, unless under ``quota``, a second account's on the same warm containers."""
        replay = Replay(
            self.python,
            self.layouts[layout],
            self.environment,
            self.aws,
            lambda: len(self.fake.calls()),
            self.quota if quota else None,
        )
        calls_before = len(self.fake.calls())
        try:
            self._sign_in(replay, flow, first)
            total = sum(replay.spent_ms.values())
            authsignal_calls = len(self.fake.calls()) - calls_before
            cold = replay.warm()
            if not (first or quota):
                self._sign_in(replay, flow, False)
        finally:
            replay.close()
        return Run(total, cold, list(replay.costs.values()), authsignal_calls, list(replay.operations), replay.services)

    def _sign_in(self, replay: Replay, flow: str, first: bool) -> None:
        fake = self.fake
        username = self.aws.new_account(email_verified=not first)
        sub = self.aws.attributes(username)["sub"]
        if flow == "passkey":
            fake._control("add_authenticator", user_id=sub)
            token = fake.passkey_sign_in(sub)  # passkey.signIn(action: "cognitoAuth"), before InitiateAuth

            def answer(public: dict[str, str]) -> str:
                return str(token)
        else:
            if not first:  # a returning account: its first sign-in enrolled its email
                fake._control(
                    "add_authenticator",
                    user_id=sub,
                    verification_method="EMAIL_OTP",
                    email=self.aws.attributes(username)["email"],
                )

            def answer(public: dict[str, str]) -> str:
                return str(fake.complete(public["token"]))  # the user enters the OTP

        sign_in(replay, self.aws, username, answer)

    def timed_process(self, code: str, container: Container) -> dict[str, Any]:
        """A fresh process on ``container``'s asset and environment; its JSON result, and its
        wall time from spawn to exit (``wall_ms``)."""
        path = [str(container.asset), sysconfig.get_paths()["purelib"]]
        script = f"import sys; sys.path[0:0] = {path!r}\n{code}"
        environment = {**self.environment(container), "AWS_LAMBDA_FUNCTION_NAME": container.name}
        start = time.perf_counter_ns()
        result = subprocess.run(
            [self.python, "-S", "-B", "-c", script],
            cwd=tempfile.gettempdir(),
            env=environment,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
        wall = (time.perf_counter_ns() - start) / 1e6
        if result.returncode != 0:
            raise RuntimeError(f"cold sign-in: a reference process failed: {result.stderr[-2000:]}")
        return {**json.loads(result.stderr.strip().splitlines()[-1]), "wall_ms": wall}


def _is_admin(operation: str) -> bool:
    return operation.startswith("AWSCognitoIdentityProviderService.Admin")


# Each part of the custom-auth function's init (shared/init_phase.py), in order, in a fresh process.
PARTS_CODE = """
import json, os, time
marks = [("start", time.perf_counter_ns())]
def mark(name): marks.append((name, time.perf_counter_ns()))
import triggers.create_auth_challenge, triggers.verify_auth_challenge; mark("import_triggers")
import botocore.session; mark("import_botocore")
from shared import authsignal_client, aws, secret
aws.session(); mark("session")
aws.client("secretsmanager"); mark("secretsmanager_client")
aws.client("dynamodb"); mark("dynamodb_client")
secret.authsignal_secret_key(); mark("secret_read")
authsignal_client.authsignal(); mark("authsignal_client")
print(json.dumps({name: (t - marks[i][1]) / 1e6 for i, (name, t) in enumerate(marks[1:])}), file=sys.stderr)
os._exit(0)
"""
PART_LABELS = {
    "import_triggers": "import the create and verify modules (authsignal SDK)",
    "import_botocore": "import botocore.session",
    "session": "botocore session",
    "secretsmanager_client": "Secrets Manager client",
    "dynamodb_client": "DynamoDB client",
    "secret_read": "secret read (GetSecretValue)",
    "authsignal_client": "Authsignal SDK client",
}
SDK_AND_CLIENTS_CODE = """
import json, os
import authsignal.client
from shared import aws
for service in SERVICES: aws.client(service)
print(json.dumps({}), file=sys.stderr)
os._exit(0)
"""


def measure(python: str, runs: int, cdk_out: Path | None, *, quota: bool = True, warm_up: bool = True) -> list[Figure]:
    """The cold sign-in figures, medians of ``runs`` rounds (a new shuffled order each round);
    ``quota``: also replay OTP sign-ins under CPU quotas, when this machine allows it;
    ``warm_up``: replay a returning sign-in of each layout untimed first (``--quick`` does not)."""
    build_node_reference()
    with contextlib.ExitStack() as stack:
        if cdk_out is None:
            cdk_out = stack.enter_context(_synthesized_dev())
        template, deployed = template_layout(cdk_out)
        secret_key = "sk-cold-sign-in-" + uuid.uuid4().hex
        layouts = {"ours": deployed, "node": node_layout(secret_key)}
        fake_url, _ = stack.enter_context(
            _server([python_for_servers(), "-m", "tests.fakes.authsignal_server", "--secret", secret_key])
        )
        aws_url, _ = stack.enter_context(
            _server(
                [python_for_servers(), "-m", "benchmarks.aws_server"],
                {**os.environ, **CREDENTIALS, "AWS_DEFAULT_REGION": REGION},
            )
        )
        from e2e.fake_authsignal import FakeAuthsignalControls

        aws = Aws(aws_url, template, secret_key)
        base = {
            **CREDENTIALS,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": aws_url,
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        cpu_quota = CpuQuota() if quota and CpuQuota.usable() else None
        if cpu_quota:
            stack.callback(cpu_quota.close)
        bench = Bench(python, FakeAuthsignalControls(fake_url), aws, layouts, base, cpu_quota)
        return _rounds(bench, runs, deployed["create"], warm_up=warm_up)


def python_for_servers() -> str:
    return sys.executable  # the virtual environment's: moto and the fake are dev dependencies


@contextlib.contextmanager
def _synthesized_dev() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="benchmark-cold-sign-in-") as out:
        synth("dev", Path(out))
        yield Path(out)


Item = tuple[str, str | None, bool]  # (layout or reference, flow, under quota)


def _rounds(bench: Bench, runs: int, custom_auth: Container, *, warm_up: bool) -> list[Figure]:
    # untimed first: an account's very first sign-in (what it asks of Cognito), then a returning
    # one (page cache), which finds the AWS clients the deployed function makes on a sign-in
    first = bench.replay("ours", "otp", first=True)
    if warm_up:
        bench.replay("node", "otp")
    services_list = sorted((bench.replay("ours", "otp") if warm_up else first).services)

    references = {
        "parts": lambda: bench.timed_process(PARTS_CODE, custom_auth),
        "sdk_and_clients": lambda: bench.timed_process(
            f"SERVICES = {services_list!r}\n" + SDK_AND_CLIENTS_CODE, custom_auth
        ),
    }
    items: list[Item] = [(layout, flow, False) for layout in bench.layouts for flow in FLOWS]
    items += [(name, None, False) for name in references]
    if bench.quota:
        items += [(layout, "otp", True) for layout in bench.layouts]
    results: dict[Item, list[Any]] = {item: [] for item in items}
    order = random.Random(11)
    for _ in range(runs):
        order.shuffle(items)
        for item in items:
            layout, flow, quota = item
            results[item].append(bench.replay(layout, flow, quota=quota) if flow else references[layout]())
    return _figures(results, runs, services_list, first, custom_auth.memory_mb, quota=bench.quota is not None)


def _median(values: Iterable[float]) -> float:
    return round(float(statistics.median(values)), 1)


def _ratio(values: Iterable[float]) -> float:
    return round(float(statistics.median(values)), 2)


def _figures(
    results: dict[Item, list[Any]], runs: int, services: list[str], first: Run, memory_mb: int, *, quota: bool
) -> list[Figure]:
    note = f"median of {runs} rounds"
    model = lambda_model
    sdk_and_clients = [result["wall_ms"] for result in results[("sdk_and_clients", None, False)]]
    figures = [
        Figure(
            "cold_sign_in.sdk_and_clients_ms",
            f"cold: import authsignal + AWS clients ({', '.join(services) or 'none'})",
            _median(sdk_and_clients),
            "ms",
            note=note + "; a fresh process, spawn to exit, no call made",
        ),
    ]
    for flow, flow_label in FLOWS.items():
        ours, node = results[("ours", flow, False)], results[("node", flow, False)]
        label = f"cold sign-in: {flow_label}"
        for layout, runs_of in (("ours", ours), ("node", node)):
            name = LAYOUTS[layout]
            figures += [
                Figure(
                    f"cold_sign_in.{flow}.{layout}_ms",
                    f"{label}, {name}, this machine",
                    _median(run.total_ms for run in runs_of),
                    "ms",
                    note=note + "; every container's init and invocations, wall time",
                ),
                Figure(
                    f"cold_sign_in.{flow}.{layout}_init_cpu_ms",
                    f"{label}, {name}, init CPU",
                    _median(sum(c.init_cpu_ms for c in run.cold) for run in runs_of),
                    "ms",
                    note=note,
                ),
                Figure(
                    f"cold_sign_in.{flow}.{layout}_invocation_cpu_ms",
                    f"{label}, {name}, invocation CPU",
                    _median(sum(i.cpu_ms for c in run.cold for i in c.invocations) for run in runs_of),
                    "ms",
                    note=note,
                ),
                Figure(
                    f"cold_sign_in.{flow}.{layout}_wait_ms",
                    f"{label}, {name}, waits (init and invocations)",
                    _median(
                        sum(c.init_network_ms + sum(i.wait_ms for i in c.invocations) for c in run.cold)
                        for run in runs_of
                    ),
                    "ms",
                    note=note + "; the init's sockets, and each invocation's wall less CPU",
                ),
                Figure(
                    f"cold_sign_in.{flow}.{layout}_modelled_ms",
                    f"{label}, {name}, modelled on Lambda at {run_memory(runs_of[0])} MB",
                    _median(model.cold_ms(run.cold) for run in runs_of),
                    "ms",
                    note=note + "; init CPU at 1 vCPU + invocation CPU x 1769 / memory + waits",
                ),
            ]
        figures += [
            Figure(
                f"cold_sign_in.{flow}.local_ratio_to_node",
                f"{label}, ours / Node reference, this machine",
                _ratio(a.total_ms / b.total_ms for a, b in zip(ours, node, strict=True)),
                "x",
                LOCAL_RATIO_BUDGET,
                note="median of same-round ratios",
            ),
            Figure(
                f"cold_sign_in.{flow}.modelled_ratio_to_node",
                f"{label}, ours at {memory_mb} MB / Node reference at {NODE_MEMORY_MB} MB, modelled on Lambda",
                _ratio(model.cold_ms(a.cold) / model.cold_ms(b.cold) for a, b in zip(ours, node, strict=True)),
                "x",
                MODELLED_RATIO_BUDGET,
                note="median of same-round ratios",
            ),
            Figure(
                f"cold_sign_in.{flow}.modelled_cpu_ratio_to_node",
                f"{label}, ours / Node reference, modelled on Lambda without the waits",
                _ratio(
                    model.cold_ms(a.cold, waits=False) / model.cold_ms(b.cold, waits=False)
                    for a, b in zip(ours, node, strict=True)
                ),
                "x",
                note="median of same-round ratios; CPU alone, which this machine's load does not inflate",
            ),
            Figure(
                f"cold_sign_in.{flow}.over_sdk_and_clients_ms",
                f"{label} over import authsignal + AWS clients",
                _median(run.total_ms - base for run, base in zip(ours, sdk_and_clients, strict=True)),
                "ms",
                OVER_SDK_AND_CLIENTS_BUDGET_MS,
                note="median of same-round differences",
            ),
            Figure(
                f"cold_sign_in.{flow}.authsignal_calls",
                f"{label}, Authsignal calls",
                ours[-1].authsignal_calls,
                "calls",
                AUTHSIGNAL_CALLS_BUDGET,
                "==",
            ),
            Figure(
                f"cold_sign_in.{flow}.node_authsignal_calls",
                f"{label}, Node reference, Authsignal calls",
                node[-1].authsignal_calls,
                "calls",
            ),
            Figure(
                f"cold_sign_in.{flow}.dynamodb_writes",
                f"{label}, DynamoDB writes",
                sum(1 for op in ours[-1].operations if op.startswith("DynamoDB_") and op.endswith(WRITES)),
                "calls",
                1,
                "==",
                note="single use of the answer",
            ),
            Figure(
                f"cold_sign_in.{flow}.secret_reads",
                f"{label}, secret reads (one container)",
                sum(1 for op in ours[-1].operations if op == "secretsmanager.GetSecretValue"),
                "reads",
                1,
                "==",
            ),
        ]
    figures += [
        Figure(
            "cold_sign_in.otp.cognito_admin_calls_first",
            "cold sign-in: email OTP, Cognito admin calls (an account's first sign-in)",
            first.admin_calls,
            "calls",
            note="marking the email verified; an untimed replay",
        ),
        Figure(
            "cold_sign_in.otp.cognito_admin_calls_after_first",
            "cold sign-in: email OTP, Cognito admin calls (returning account)",
            results[("ours", "otp", False)][-1].admin_calls,
            "calls",
            0,
            "==",
        ),
    ]
    figures += _quota_figures(results, note, memory_mb, quota)
    parts = results[("parts", None, False)]
    figures += [
        Figure(
            f"cold_sign_in.init_parts.{name}_ms",
            f"init of custom auth: {PART_LABELS[name]}",
            _median(part[name] for part in parts),
            "ms",
            note=note + "; in a fresh process, one part after the other",
        )
        for name in PART_LABELS
    ]
    return figures + _model_table(results[("ours", "otp", False)], results[("node", "otp", False)], note)


def run_memory(run: Run) -> int:
    """The memory the replay's functions are deployed with (the custom-auth function's, or the
    Node reference's)."""
    return max(container.memory_mb for container in run.cold)


def _quota_figures(results: dict[Item, list[Any]], note: str, memory_mb: int, quota: bool) -> list[Figure]:
    ours, node = results.get(("ours", "otp", True)), results.get(("node", "otp", True))
    why = "" if quota else "not measured: no CPU quota here (root and cgroup v1 or v2) or --quick"
    return [
        Figure(
            "cold_sign_in.otp.ours_quota_ms",
            f"cold sign-in: email OTP, ours at {memory_mb} MB under a CPU quota",
            _median(run.total_ms for run in ours) if ours else None,
            "ms",
            note=(note + "; invocations held to memory / 1769 of a CPU") if ours else why,
        ),
        Figure(
            "cold_sign_in.otp.node_quota_ms",
            f"cold sign-in: email OTP, Node reference at {NODE_MEMORY_MB} MB under a CPU quota",
            _median(run.total_ms for run in node) if node else None,
            "ms",
            note=note if node else why,
        ),
        Figure(
            "cold_sign_in.otp.quota_ratio_to_node",
            "cold sign-in: email OTP, ours / Node reference under quotas",
            _ratio(a.total_ms / b.total_ms for a, b in zip(ours, node, strict=True)) if ours and node else None,
            "x",
            note="median of same-round ratios" if ours else why,
        ),
    ]


def _model_table(ours: list[Run], node: list[Run], note: str) -> list[Figure]:
    """The memory table: modelled cold and warm email OTP sign-ins and their cost at each size."""
    model = lambda_model
    figures = []
    for memory in model.MEMORY_SIZES_MB:
        figures += [
            Figure(
                f"model.cold_ms_at_{memory}",
                f"model: cold sign-in at {memory} MB",
                _median(model.cold_ms(run.cold, memory) for run in ours),
                "ms",
                note=note + ", email OTP",
            ),
            Figure(
                f"model.warm_ms_at_{memory}",
                f"model: warm sign-in at {memory} MB",
                _median(model.warm_ms(run.warm, memory) for run in ours),
                "ms",
                note=note + ", email OTP",
            ),
            Figure(
                f"model.usd_per_million_at_{memory}",
                f"model: USD per million warm sign-ins at {memory} MB",
                round(statistics.median(model.cost_per_million_usd(run.warm, memory) for run in ours), 2),
                "USD",
                note=f"arm64 price; {model.AUTHSIGNAL_ROUND_TRIP_MS:g} ms assumed per Authsignal call",
            ),
        ]
    return [
        *figures,
        Figure(
            "model.node_cold_ms",
            f"model: Node reference, cold sign-in at {NODE_MEMORY_MB} MB",
            _median(model.cold_ms(run.cold) for run in node),
            "ms",
            note=note + ", email OTP",
        ),
        Figure(
            "model.node_warm_ms",
            f"model: Node reference, warm sign-in at {NODE_MEMORY_MB} MB",
            _median(model.warm_ms(run.warm) for run in node),
            "ms",
            note=note + ", email OTP",
        ),
        Figure(
            "model.node_usd_per_million",
            "model: Node reference, USD per million warm sign-ins",
            round(statistics.median(model.cost_per_million_usd(run.warm) for run in node), 2),
            "USD",
            note=f"arm64 price; {model.AUTHSIGNAL_ROUND_TRIP_MS:g} ms assumed per Authsignal call",
        ),
    ]

"""The local sandbox: the ``local`` environment of cdk.json deployed into the local AWS emulator
with the pinned CDK CLI (``cdk bootstrap``, ``cdk deploy``), its Lambdas calling the fake
Authsignal server, and the web app's build served beside them, all on 127.0.0.1.

    scripts/sandbox [--port N] [--authsignal-port N] [--app-port N] [--app DIR] [--state PATH]

Every port is a free one chosen at start unless pinned, so two sandboxes on one machine never
collide; the synth gets the fake's URL and the app's origin with ``-c`` (cdk.json pins no port).
When it is up it writes what a client needs to its state file (``.sandbox/state.json``;
e2e/sandbox_state.py), prints the app's and the outbox's URLs and a sign-in command, prints every
one-time code the fake sends, and stays up until interrupted (Ctrl-C); then it stops every
process it started and removes its state file and scratch directory. The end-to-end tests run
on the very same sandbox (``local_sandbox``), once per test session.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from e2e.app_server import APP_HOST, AppServer
from e2e.deploy import (
    DeployedStack,
    DeployError,
    deploy,
    finish_cdk,
    set_authsignal_secret,
    start_bootstrap,
    start_cdk,
    stop_cdk,
)
from e2e.emulator import HOST, REGION, ROOT, Emulator, EmulatorError, free_port, port_in_use, start_emulator
from e2e.fake_authsignal import FakeAuthsignalControls, FakeAuthsignalError, start_fake_authsignal
from e2e.sandbox_state import (
    DEFAULT_STATE_PATH,
    SandboxStateError,
    refuse_a_running_sandbox,
    remove_state,
    sandbox_state,
    write_state,
)
from e2e.signin import Deployment, PasswordlessClient, Say, quiet
from stacks.config import APP_ORIGIN_OVERRIDE_KEY, AUTHSIGNAL_URL_OVERRIDE_KEY, stack_name

ENVIRONMENT = "local"
STACK_NAME = stack_name(ENVIRONMENT)
APP_DIR = ROOT / "web" / "dist"  # the web app's production build


class SandboxError(Exception):
    """The sandbox could not be built; the message says which part and why."""


@dataclass
class LocalSandbox:
    """A deployed environment in the emulator, with its fake Authsignal."""

    emulator: Emulator
    authsignal: FakeAuthsignalControls
    deployment: Deployment
    stack: DeployedStack
    cdk_out: Path
    authsignal_secret_key: str  # the fake's, made up for this run; tests check that no log shows it
    state: dict[str, Any]  # what the state file holds (e2e/sandbox_state.py), written or not
    ports: SandboxPorts
    app: AppServer | None = None
    state_path: Path | None = None  # where the state file was written, if it was
    timings: dict[str, float] = field(default_factory=dict)

    def client(self, say: Say = quiet) -> PasswordlessClient:
        """The app's view of this deployment, through boto3's cognito-idp client."""
        return PasswordlessClient(self.deployment, self.emulator.client("cognito-idp"), say=say)

    def aws(self, service: str) -> Any:
        """An administrator's boto3 client of the emulator (tests look behind the app's back with it)."""
        return self.emulator.client(service)

    def function_logs(self, last: int = 15) -> str:
        """The last log lines of each of the stack's functions (they log no secrets), for diagnosis."""
        logs, lines = self.aws("logs"), []
        for logical_id, (kind, physical_id) in sorted(self.stack.resources.items()):
            if kind != "AWS::Logs::LogGroup":
                continue
            pages = logs.get_paginator("filter_log_events").paginate(logGroupName=physical_id)
            events = [event for page in pages for event in page.get("events", [])][-last:]
            lines += [f"{logical_id}:"] + [f"  {event['message'].rstrip()}" for event in events]
        return "\n".join(lines)


@dataclass(frozen=True)
class SandboxPorts:
    """The sandbox's ports on this machine: the emulator's, the fake Authsignal's, the app's."""

    emulator: int
    authsignal: int
    app: int

    @classmethod
    def choose(
        cls, *, emulator: int | None = None, authsignal: int | None = None, app: int | None = None
    ) -> SandboxPorts:
        """Free ports for those not pinned, all distinct; a pinned port in use is refused."""
        pinned = {"--port": emulator, "--authsignal-port": authsignal, "--app-port": app}
        for option, port in pinned.items():
            if port is not None and port_in_use(port):
                raise SandboxError(
                    f"{HOST}:{port} ({option}) is in use: pick another port, or leave it out for a free one"
                )
        taken = {port for port in pinned.values() if port is not None}
        if len(taken) < sum(port is not None for port in pinned.values()):
            raise SandboxError("--port, --authsignal-port and --app-port must differ")
        chosen = [port if port is not None else _free_port_except(taken) for port in pinned.values()]
        return cls(*chosen)

    @property
    def authsignal_url(self) -> str:
        """The fake's server API base: where the Lambdas call Authsignal."""
        return f"http://{HOST}:{self.authsignal}/v1"

    @property
    def app_origin(self) -> str:
        """The app's origin, as CORS and WebAuthn see it (localhost: browsers refuse WebAuthn on an IP)."""
        return f"http://{APP_HOST}:{self.app}"

    def synth_context(self) -> list[str]:
        """The ``-c`` options that point the local environment at these ports."""
        return [
            "-c",
            f"{AUTHSIGNAL_URL_OVERRIDE_KEY}={self.authsignal_url}",
            "-c",
            f"{APP_ORIGIN_OVERRIDE_KEY}={self.app_origin}",
        ]


def _free_port_except(taken: set[int]) -> int:
    while (port := free_port()) in taken:
        pass
    taken.add(port)
    return port


def assembly_authsignal_port(cdk_out: Path) -> int:
    """The port where a synthesized local stack's functions call Authsignal (the fake must listen
    there): from the template's ``AUTHSIGNAL_URL``."""
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    template_file = manifest["artifacts"][STACK_NAME]["properties"]["templateFile"]
    template = json.loads((cdk_out / template_file).read_text())
    urls = {
        resource["Properties"]["Environment"]["Variables"]["AUTHSIGNAL_URL"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
        and "AUTHSIGNAL_URL" in resource["Properties"].get("Environment", {}).get("Variables", {})
    }
    ports = {urlsplit(url).port for url in urls}
    if len(ports) != 1 or None in ports:
        raise SandboxError(
            f"{cdk_out}: synthesize it with -c {AUTHSIGNAL_URL_OVERRIDE_KEY}=http://{HOST}:PORT/v1 "
            f"(its functions call Authsignal at {', '.join(sorted(urls)) or 'nothing'})"
        )
    return int(ports.pop() or 0)


@contextmanager
def local_sandbox(
    workdir: Path,
    *,
    ports: SandboxPorts | None = None,
    assembly: Callable[[], Path] | None = None,
    app_dir: Path | None = None,
    state_path: Path | None = None,
    say: Say = quiet,
) -> Iterator[LocalSandbox]:
    """Start the fake and the emulator (and the app's server, given ``app_dir``), ``cdk bootstrap``
    the emulator, and ``cdk deploy`` the cloud assembly ``assembly()`` returns (called while the
    bootstrap runs; by default ``cdk synth -c env=local`` with ``ports.synth_context()``, started
    first); write the state file (given ``state_path``); yield; stop everything on the way out.
    ``timings`` are seconds from the start until each step was done (some steps overlap)."""
    started, timings = time.monotonic(), {}
    ports = ports or SandboxPorts.choose()
    holder: dict[str, dict[str, Any]] = {}

    def done(step: str) -> None:
        timings[step] = time.monotonic() - started

    with ExitStack() as cleanup:
        if state_path is not None:
            refuse_a_running_sandbox(state_path)
        if assembly is None:
            assembly = _synthesize_in_background(workdir / "cdk.out", ports, cleanup)
        origins = [ports.app_origin, f"http://{HOST}:{ports.app}"]
        fake = start_fake_authsignal(workdir / "fake-authsignal.log", ports.authsignal, origins=origins)
        cleanup.callback(fake.stop)
        app = AppServer(app_dir, lambda: holder.get("state"), ports.app).start() if app_dir else None
        if app is not None:
            cleanup.callback(app.stop)
        emulator = start_emulator(workdir / "emulator", ports.emulator)
        cleanup.callback(emulator.stop)
        endpoint = emulator.endpoint_url
        done("emulator")
        say(f"MiniStack on {endpoint}, fake Authsignal on {fake.controls.base_url}; cdk bootstrap…")
        bootstrap = start_bootstrap(endpoint, workdir)
        cleanup.callback(stop_cdk, bootstrap)
        cdk_out = assembly()
        done("assembly")
        finish_cdk(bootstrap)
        done("bootstrap")
        say(f"cdk deploy {STACK_NAME}…")
        try:
            stack = deploy(endpoint, ENVIRONMENT, app=cdk_out)
        except DeployError:
            say(f"emulator log (last lines):\n{emulator.log_tail()}")
            raise
        set_authsignal_secret(endpoint, stack.outputs["AuthsignalSecretArn"], fake.secret_key)
        deployment = Deployment.from_outputs(STACK_NAME, stack.outputs)
        state = sandbox_state(
            stack=STACK_NAME,
            region=REGION,
            endpoint=endpoint,
            fake_url=fake.controls.base_url,
            tenant_id=fake.tenant_id,
            outputs=stack.outputs,
            app_url=app.url if app else None,
        )
        holder["state"] = state
        if state_path is not None:
            write_state(state_path, state)
            cleanup.callback(remove_state, state_path, state)
        done("deploy")
        yield LocalSandbox(
            emulator, fake.controls, deployment, stack, cdk_out, fake.secret_key, state, ports, app, state_path, timings
        )


def _synthesize_in_background(outdir: Path, ports: SandboxPorts, cleanup: ExitStack) -> Callable[[], Path]:
    """Start ``cdk synth -c env=local -c authsignalUrl=… -c appOrigin=… -o OUTDIR``; returns what waits for it."""
    synth = start_cdk(
        ["synth", "--quiet", "-c", f"env={ENVIRONMENT}", *ports.synth_context(), "-o", str(outdir)], f"http://{HOST}"
    )
    cleanup.callback(stop_cdk, synth)

    def wait() -> Path:
        finish_cdk(synth)
        return outdir

    return wait


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/sandbox", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, help="the emulator's port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--authsignal-port", type=int, help="the fake Authsignal's port (default: a free one)")
    parser.add_argument("--app-port", type=int, help="the web app's port (default: a free one)")
    parser.add_argument("--app", type=Path, default=APP_DIR, help="the app's build to serve (default web/dist)")
    parser.add_argument(
        "--state",
        type=Path,
        default=DEFAULT_STATE_PATH,
        help="where to write the state file (default .sandbox/state.json)",
    )
    options = parser.parse_args(argv)

    def stop(signum: int, _: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)

    def say(line: str) -> None:
        print(line, flush=True)

    try:
        ports = SandboxPorts.choose(emulator=options.port, authsignal=options.authsignal_port, app=options.app_port)
        with (
            tempfile.TemporaryDirectory(prefix="passwordless-sandbox-") as scratch,
            local_sandbox(
                Path(scratch), ports=ports, app_dir=options.app.resolve(), state_path=options.state, say=say
            ) as sandbox,
        ):
            print(_welcome(sandbox, options.state, options.app), flush=True)
            printed = 0
            while sandbox.emulator.process.poll() is None:
                printed = _print_new_codes(sandbox.authsignal, printed)
                time.sleep(0.5)
            print(
                f"MiniStack exited (status {sandbox.emulator.process.returncode}):\n{sandbox.emulator.log_tail()}",
                file=sys.stderr,
            )
            return 1
    except KeyboardInterrupt:
        print("\nstopped the sandbox", flush=True)
        return 0
    except (SandboxError, SandboxStateError, EmulatorError, FakeAuthsignalError, DeployError) as error:
        print(f"sandbox failed: {error}", file=sys.stderr)
        return 1


def _welcome(sandbox: LocalSandbox, state_path: Path, app_dir: Path) -> str:
    deployment, endpoint = sandbox.deployment, sandbox.emulator.endpoint_url
    state_option = "" if state_path == DEFAULT_STATE_PATH else f" --state {state_path}"
    no_build = f"  (no build in {app_dir} yet: npm ci && npm run build in web/)"
    built = "" if (app_dir / "index.html").exists() else no_build
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in sandbox.timings.items())
    return f"""
Local sandbox of {deployment.stack_name} is up (done after: {timings}).
  app: {sandbox.state["appUrl"]}{built}
  outbox: {sandbox.state["outboxUrl"]}
  UserPoolId        {deployment.user_pool_id}
  UserPoolClientId  {deployment.client_id}
  ApiUrl            {deployment.api_url}
  Region            {deployment.region}  (endpoint {endpoint}, any credentials)
  fake Authsignal   {sandbox.authsignal.base_url}  (tenant {sandbox.state["authsignalTenantId"]})
  state file        {state_path}
  logs              {sandbox.emulator.workdir}

Sign in (in another terminal):
  scripts/sign-in --sandbox{state_option} --username ada@example.com --sign-up --call-api

Redeploy after a change (cdk deploy -c env=local, as into AWS):
  scripts/deploy-local{state_option}

One-time codes the fake sends are printed here, and listed in the outbox. Ctrl-C stops the sandbox."""


def _print_new_codes(authsignal: FakeAuthsignalControls, printed: int) -> int:
    """Print the codes sent since the first ``printed`` ones; how many are printed now."""
    try:
        messages = authsignal.outbox
    except (FakeAuthsignalError, OSError):
        return printed
    for message in messages[printed:]:
        print(f"{message.channel} code {message.code} to {message.to}", flush=True)
    return len(messages)


if __name__ == "__main__":
    sys.exit(main())

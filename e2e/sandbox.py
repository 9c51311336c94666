"""The local sandbox: the dev environment, synthesized as ``cdk synth`` does it, deployed into the
local AWS emulator with the Lambdas pointed at the fake Authsignal server, all on 127.0.0.1.

    scripts/sandbox [--port 4566]

prints the user pool id, client id and API URL and a sign-in command, and stays up until
interrupted (Ctrl-C), then stops every process it started and removes its scratch directory.
The end-to-end tests run on the very same sandbox (``local_sandbox``), once per test session.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from e2e.deploy import DeployedStack, DeployError, LocalDeployer, set_authsignal_secret
from e2e.emulator import ROOT, Emulator, EmulatorError, start_emulator
from e2e.fake_authsignal import FakeAuthsignalControls, FakeAuthsignalError, start_fake_authsignal
from e2e.signin import Deployment, PasswordlessClient, Say, quiet
from stacks.config import stack_name

ENVIRONMENT = "dev"
STACK_NAME = stack_name(ENVIRONMENT)
SYNTH_TIMEOUT_SECONDS = 300


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


def synthesize(environment: str, outdir: Path) -> Path:
    """``cdk synth`` of one environment into ``outdir``, with the project's pinned CDK CLI."""
    command = ["npx", "--no-install", "cdk", "synth", "--quiet", "-c", f"env={environment}", "-o", str(outdir)]
    environ = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
               "CDK_DISABLE_VERSION_CHECK": "true"}
    try:
        result = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True,
                                timeout=SYNTH_TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SandboxError(f"cdk synth could not run: {error} (run scripts/setup)") from None
    if result.returncode != 0:
        output = "\n".join((result.stdout + result.stderr).strip().splitlines()[-20:])
        raise SandboxError(f"cdk synth -c env={environment} failed:\n{output}")
    return outdir


@contextmanager
def local_sandbox(workdir: Path, *, port: int | None = None, cdk_out: Path | None = None,
                  say: Say = quiet) -> Iterator[LocalSandbox]:
    """Synthesize (unless given ``cdk_out``), start the fake and the emulator, deploy, and yield;
    stop everything on the way out, whatever happened."""
    timings: dict[str, float] = {}
    with ExitStack() as cleanup:
        if cdk_out is None:
            say(f"synthesizing {ENVIRONMENT} (cdk synth)…")
            started = time.monotonic()
            cdk_out = synthesize(ENVIRONMENT, workdir / "cdk.out")
            timings["synth"] = time.monotonic() - started

        started = time.monotonic()
        fake = start_fake_authsignal(workdir / "fake-authsignal.log")
        cleanup.callback(fake.stop)
        emulator = start_emulator(workdir / "emulator", port)
        cleanup.callback(emulator.stop)
        timings["start"] = time.monotonic() - started
        say(f"MiniStack on {emulator.endpoint_url}, fake Authsignal on {fake.controls.base_url}")

        started = time.monotonic()
        try:
            stacks = LocalDeployer(emulator.endpoint_url, say=say).deploy_environment(
                cdk_out, ENVIRONMENT, authsignal_url=fake.controls.api_url)
        except DeployError:
            say(f"emulator log (last lines):\n{emulator.log_tail()}")
            raise
        outputs = stacks[STACK_NAME].outputs
        set_authsignal_secret(emulator.endpoint_url, outputs["AuthsignalSecretArn"], fake.secret_key)
        deployment = Deployment.from_stack(emulator.client("cloudformation"), STACK_NAME)
        timings["deploy"] = time.monotonic() - started
        yield LocalSandbox(emulator, fake.controls, deployment, stacks[STACK_NAME], cdk_out, fake.secret_key, timings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/sandbox", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=4566, help="the emulator's port on 127.0.0.1 (default %(default)s)")
    options = parser.parse_args(argv)

    def stop(signum: int, _: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    say: Say = lambda line: print(line, flush=True)  # noqa: E731
    try:
        with tempfile.TemporaryDirectory(prefix="passwordless-sandbox-") as scratch, \
                local_sandbox(Path(scratch), port=options.port, say=say) as sandbox:
            deployment, endpoint = sandbox.deployment, sandbox.emulator.endpoint_url
            print(f"""
Local sandbox of {deployment.stack_name} is up ({", ".join(f"{k} {v:.1f} s" for k, v in sandbox.timings.items())}).
  UserPoolId        {deployment.user_pool_id}
  UserPoolClientId  {deployment.client_id}
  ApiUrl            {deployment.api_url}
  Region            {deployment.region}  (endpoint {endpoint}, any credentials)
  fake Authsignal   {sandbox.authsignal.base_url}
  logs              {sandbox.emulator.workdir}

Sign in (in another terminal):
  scripts/sign-in --endpoint-url {endpoint} --fake-authsignal {sandbox.authsignal.base_url} \\
    --username ada@example.com --sign-up --call-api

Redeploy after a change:
  scripts/synth dev && scripts/deploy-local --endpoint-url {endpoint} --authsignal-url {sandbox.authsignal.api_url}

Ctrl-C stops the sandbox.""", flush=True)
            while sandbox.emulator.process.poll() is None:
                time.sleep(0.5)
            print(f"MiniStack exited (status {sandbox.emulator.process.returncode}):\n"
                  f"{sandbox.emulator.log_tail()}", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        print("\nstopped the sandbox", flush=True)
        return 0
    except (SandboxError, EmulatorError, FakeAuthsignalError, DeployError) as error:
        print(f"sandbox failed: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""The local sandbox: the ``local`` environment of cdk.json deployed into the local AWS emulator
with the pinned CDK CLI (``cdk bootstrap``, ``cdk deploy``), its Lambdas calling the fake
Authsignal server where that environment's ``authsignalUrl`` says, all on 127.0.0.1.

    scripts/sandbox [--port 4566]

prints the user pool id, client id and API URL and a sign-in command, and stays up until
interrupted (Ctrl-C), then stops every process it started and removes its scratch directory.
The end-to-end tests run on the very same sandbox (``local_sandbox``), once per test session.
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

from e2e.deploy import (DeployedStack, DeployError, deploy, finish_cdk, set_authsignal_secret, start_bootstrap,
                        start_cdk, stop_cdk)
from e2e.emulator import HOST, ROOT, Emulator, EmulatorError, port_in_use, start_emulator
from e2e.fake_authsignal import FakeAuthsignalControls, FakeAuthsignalError, start_fake_authsignal
from e2e.signin import Deployment, PasswordlessClient, Say, quiet
from stacks.config import ConfigError, parse_environment, stack_name

ENVIRONMENT = "local"
STACK_NAME = stack_name(ENVIRONMENT)


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


def local_authsignal_url() -> str:
    """Where cdk.json's local environment says the Lambdas find Authsignal."""
    environments = json.loads((ROOT / "cdk.json").read_text())["context"]["environments"]
    try:
        return parse_environment(ENVIRONMENT, environments.get(ENVIRONMENT)).authsignal_url
    except ConfigError as error:
        raise SandboxError(f"cdk.json: {error}") from None


def fake_port(authsignal_url: str) -> int:
    """The port the fake must listen on: the URL's, on 127.0.0.1, free."""
    parts = urlsplit(authsignal_url)
    if parts.scheme != "http" or parts.hostname not in (HOST, "localhost") or not parts.port:
        raise SandboxError(f"the {ENVIRONMENT} environment's authsignalUrl must be http://{HOST}:PORT/v1 "
                           f"for the fake Authsignal, got {authsignal_url}")
    if port_in_use(parts.port):
        raise SandboxError(f"{HOST}:{parts.port}, where the {ENVIRONMENT} environment's authsignalUrl points the "
                           f"Lambdas ({authsignal_url}), is in use: stop what listens there, or change the port "
                           f"in cdk.json")
    return parts.port


@contextmanager
def local_sandbox(workdir: Path, *, authsignal_url: str, assembly: Callable[[], Path] | None = None,
                  port: int | None = None, say: Say = quiet) -> Iterator[LocalSandbox]:
    """Start the fake (where ``authsignal_url`` says) and the emulator, ``cdk bootstrap`` it, and
    ``cdk deploy`` the cloud assembly ``assembly()`` returns (called while the bootstrap runs; by
    default ``cdk synth -c env=local``, started first); yield; stop everything on the way out.
    ``timings`` are seconds from the start until each step was done (some steps overlap)."""
    started, timings = time.monotonic(), {}

    def done(step: str) -> None:
        timings[step] = time.monotonic() - started

    with ExitStack() as cleanup:
        if assembly is None:
            assembly = _synthesize_in_background(workdir / "cdk.out", cleanup)
        fake = start_fake_authsignal(workdir / "fake-authsignal.log", fake_port(authsignal_url))
        cleanup.callback(fake.stop)
        emulator = start_emulator(workdir / "emulator", port)
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
        done("deploy")
        yield LocalSandbox(emulator, fake.controls, deployment, stack, cdk_out, fake.secret_key, timings)


def _synthesize_in_background(outdir: Path, cleanup: ExitStack) -> Callable[[], Path]:
    """Start ``cdk synth -c env=local -o OUTDIR``; returns what waits for it."""
    synth = start_cdk(["synth", "--quiet", "-c", f"env={ENVIRONMENT}", "-o", str(outdir)], f"http://{HOST}")
    cleanup.callback(stop_cdk, synth)

    def wait() -> Path:
        finish_cdk(synth)
        return outdir

    return wait


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
                local_sandbox(Path(scratch), authsignal_url=local_authsignal_url(), port=options.port,
                              say=say) as sandbox:
            deployment, endpoint = sandbox.deployment, sandbox.emulator.endpoint_url
            done_after = ", ".join(f"{k} {v:.1f} s" for k, v in sandbox.timings.items())
            print(f"""
Local sandbox of {deployment.stack_name} is up (done after: {done_after}).
  UserPoolId        {deployment.user_pool_id}
  UserPoolClientId  {deployment.client_id}
  ApiUrl            {deployment.api_url}
  Region            {deployment.region}  (endpoint {endpoint}, any credentials)
  fake Authsignal   {sandbox.authsignal.base_url}
  logs              {sandbox.emulator.workdir}

Sign in (in another terminal):
  scripts/sign-in --stack {deployment.stack_name} --endpoint-url {endpoint} \\
    --fake-authsignal {sandbox.authsignal.base_url} --username ada@example.com --sign-up --call-api

Redeploy after a change (cdk deploy -c env=local, as into AWS):
  scripts/deploy-local --endpoint-url {endpoint}

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

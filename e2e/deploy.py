"""Deploy an environment into a local AWS emulator with the project's pinned CDK CLI, exactly as
into AWS: ``cdk bootstrap`` once per emulator, then ``cdk deploy``. Only the endpoint
(``AWS_ENDPOINT_URL``) and the credentials (``test``) differ.

    scripts/deploy-local [--state .sandbox/state.json] [--endpoint-url URL] [--env local] [--app cdk.out]

Without ``--endpoint-url`` it deploys into the running sandbox its state file names
(e2e/sandbox_state.py), and a synth of the local environment gets that sandbox's fake Authsignal
URL and app origin with ``-c``, as the sandbox's own synth did (cdk.json pins no port).

MiniStack 1.5.33 differs from AWS in ways a deploy meets; ``cover_emulator_gaps`` is the one
post-deploy step, and each of its lines names the gap it covers.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from e2e.emulator import ACCOUNT, REGION, ROOT, aws_client
from e2e.sandbox_state import DEFAULT_STATE_PATH, SandboxStateError, read_state
from stacks.config import APP_ORIGIN_OVERRIDE_KEY, AUTHSIGNAL_URL_OVERRIDE_KEY, stack_name

# The pinned CLI (package-lock.json), whatever the working directory; never one npx would download.
CDK = ["npx", "--no-install", "--prefix", str(ROOT), "cdk"]
TOOLKIT_STACK = "CDKToolkit"
CLI_TIMEOUT_SECONDS = 300
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class DeployError(Exception):
    """The CLI failed; the message carries the end of its output (which names what failed)."""


@dataclass
class DeployedStack:
    """A deployed stack as CloudFormation describes it."""

    stack_name: str
    outputs: dict[str, str]
    resources: dict[str, tuple[str, str]]  # logical id -> (type, physical id)


def cli_environment(endpoint_url: str) -> dict[str, str]:
    """The CLI's environment: the emulator's endpoint and test credentials, and nothing of the
    caller's AWS configuration (profiles, keys, other endpoints), so a local deploy can never
    reach a real account. No telemetry or version check leaves the machine either."""
    if urlsplit(endpoint_url).hostname not in LOOPBACK:
        raise DeployError(f"refusing to deploy to {endpoint_url}: this targets a local emulator only")
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    return environment | {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "CDK_DISABLE_VERSION_CHECK": "true",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }


def start_cdk(arguments: list[str], endpoint_url: str, *, cwd: Path = ROOT) -> subprocess.Popen[str]:
    """``cdk ARGUMENTS --no-notices`` against the emulator, running; ``finish_cdk`` waits for it."""
    if not (ROOT / "node_modules" / ".bin" / "cdk").exists():
        raise DeployError("the pinned CDK CLI is missing from node_modules: run scripts/setup")
    return subprocess.Popen(
        [*CDK, *arguments, "--no-notices"],
        cwd=cwd,
        env=cli_environment(endpoint_url),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def stop_cdk(process: subprocess.Popen[str]) -> None:
    """End a ``start_cdk`` process that is still running, with what it started (the app, a synth)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def finish_cdk(process: subprocess.Popen[str]) -> str:
    """Wait for a ``start_cdk`` process; its output, or DeployError with the end of it."""
    try:
        output, _ = process.communicate(timeout=CLI_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        stop_cdk(process)
        output, _ = process.communicate()
        raise DeployError(f"cdk {_command(process)} took over {CLI_TIMEOUT_SECONDS} s:\n{_tail(output)}") from None
    if process.returncode != 0:
        raise DeployError(f"cdk {_command(process)} failed (status {process.returncode}):\n{_tail(output)}")
    return output


def _command(process: subprocess.Popen[str]) -> str:
    arguments = process.args
    return str(arguments[len(CDK)]) if isinstance(arguments, list) else str(arguments)


def _tail(output: str, lines: int = 25) -> str:
    return "\n".join(output.strip().splitlines()[-lines:])


def start_bootstrap(endpoint_url: str, scratch: Path) -> subprocess.Popen[str]:
    """``cdk bootstrap aws://000000000000/us-east-1``: the real bootstrap stack, in a scratch
    directory so that the CLI has no app to synthesize first (the environment is named)."""
    return start_cdk(["bootstrap", f"aws://{ACCOUNT}/{REGION}"], endpoint_url, cwd=scratch)


def bootstrapped(endpoint_url: str) -> bool:
    try:
        aws_client("cloudformation", endpoint_url).describe_stacks(StackName=TOOLKIT_STACK)
    except ClientError:
        return False
    return True


def deploy(
    endpoint_url: str, environment: str, *, app: Path | None = None, context: dict[str, str] | None = None
) -> DeployedStack:
    """``cdk deploy`` of the environment's stack: from the cloud assembly ``app`` (no synth), or
    synthesized from cdk.json's app with ``-c env=ENV`` and ``context`` as more ``-c`` options;
    then the emulator's gaps covered."""
    name = stack_name(environment)
    options = [f"{key}={value}" for key, value in (context or {}).items()]
    source = (
        ["--app", str(app)]
        if app
        else ["-c", f"env={environment}", *(part for option in options for part in ("-c", option))]
    )
    finish_cdk(start_cdk(["deploy", name, *source, "--require-approval", "never"], endpoint_url))
    stack = describe(endpoint_url, name)
    cover_emulator_gaps(endpoint_url, stack)
    return stack


def describe(endpoint_url: str, name: str) -> DeployedStack:
    cloudformation = aws_client("cloudformation", endpoint_url)
    outputs = cloudformation.describe_stacks(StackName=name)["Stacks"][0].get("Outputs", [])
    resources = {
        summary["LogicalResourceId"]: (summary["ResourceType"], summary.get("PhysicalResourceId", ""))
        for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=name)
        for summary in page["StackResourceSummaries"]
    }
    return DeployedStack(name, {output["OutputKey"]: output["OutputValue"] for output in outputs}, resources)


def cover_emulator_gaps(endpoint_url: str, stack: DeployedStack) -> None:
    """What MiniStack 1.5.33 leaves out of a deploy, put back by hand: one line per gap."""
    template = deployed_template(endpoint_url, stack.stack_name)
    _restore_cors(endpoint_url, stack, template)  # gap: CorsConfiguration of AWS::ApiGatewayV2::Api is dropped


def deployed_template(endpoint_url: str, name: str) -> dict[str, Any]:
    body = aws_client("cloudformation", endpoint_url).get_template(StackName=name)["TemplateBody"]
    return body if isinstance(body, dict) else json.loads(body)


def _restore_cors(endpoint_url: str, stack: DeployedStack, template: dict[str, Any]) -> None:
    for logical_id, resource in template.get("Resources", {}).items():
        cors = resource.get("Properties", {}).get("CorsConfiguration")
        if resource.get("Type") == "AWS::ApiGatewayV2::Api" and cors:
            aws_client("apigatewayv2", endpoint_url).update_api(
                ApiId=stack.resources[logical_id][1], CorsConfiguration=cors
            )


def set_authsignal_secret(endpoint_url: str, secret_id: str, secret_key: str) -> None:
    """Put the Authsignal secret key in the emulator's Secrets Manager (the stack creates it not set)."""
    aws_client("secretsmanager", endpoint_url).put_secret_value(SecretId=secret_id, SecretString=secret_key)


def sandbox_context(state: dict[str, Any]) -> dict[str, str]:
    """The ``-c`` settings that point the local environment at a running sandbox's fake and app."""
    context = {AUTHSIGNAL_URL_OVERRIDE_KEY: state["authsignalUrl"]}
    if state.get("appUrl"):
        context[APP_ORIGIN_OVERRIDE_KEY] = state["appUrl"].rstrip("/")
    return context


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/deploy-local", description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint-url", help="the emulator (default: the running sandbox's, from its state file)")
    parser.add_argument(
        "--state", type=Path, default=DEFAULT_STATE_PATH, help="the sandbox's state file (default .sandbox/state.json)"
    )
    parser.add_argument("--env", default="local", help="the environment to deploy (default %(default)s)")
    parser.add_argument("--app", type=Path, help="a cloud assembly to deploy (default: synthesize, as cdk deploy does)")
    options = parser.parse_args(argv)
    context: dict[str, str] = {}
    try:
        if options.endpoint_url is None:
            state = read_state(options.state)
            options.endpoint_url = state["endpoint"]
            if options.env == "local":
                context = sandbox_context(state)
    except SandboxStateError as error:
        print(f"deploy failed: {error}; or give --endpoint-url", file=sys.stderr)
        return 1
    try:
        if not bootstrapped(options.endpoint_url):
            started = time.monotonic()
            with tempfile.TemporaryDirectory(prefix="cdk-bootstrap-") as scratch:
                finish_cdk(start_bootstrap(options.endpoint_url, Path(scratch)))
            print(f"cdk bootstrap: {time.monotonic() - started:.1f} s", flush=True)
        started = time.monotonic()
        stack = deploy(options.endpoint_url, options.env, app=options.app, context=context)
    except (DeployError, ClientError) as error:
        print(f"deploy failed: {error}", file=sys.stderr)
        return 1
    print(json.dumps({stack.stack_name: stack.outputs}, indent=2))
    print(f"cdk deploy {stack.stack_name}: {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Set an environment's Authsignal secret key in Secrets Manager, without echoing it.

    scripts/set-authsignal-secret ENV                                  (prompts, input hidden)
    pass show authsignal/ENV | scripts/set-authsignal-secret ENV       (reads standard input)

The secret's ARN comes from the stack's ``AuthsignalSecretArn`` output; the calls use your
default AWS credentials and region (``AWS_PROFILE``, ``AWS_REGION``, ...). The key is read from
standard input when it is a pipe or a file, else from a hidden prompt on the terminal. An empty
value, the stack's placeholder or a JSON object (what a generated "not set yet" secret holds) is
refused: nothing is written then.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any, TextIO

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ops.stack_outputs import stack_outputs
from stacks.config import stack_name

SECRET_OUTPUT = "AuthsignalSecretArn"
PLACEHOLDER_PREFIX = "PLACEHOLDER"  # what stacks before the generated value started with (lambdas/shared/secret.py)


class SetSecretError(Exception):
    """Nothing was changed; the message says why and what to do."""


def refusal(key: str) -> str | None:
    """Why ``key`` cannot be an Authsignal secret key, or None when it may be one.

    A JSON object is never an Authsignal key: it is what a generated placeholder secret holds,
    or a paste of the wrong thing, and writing it back would keep every sign-in refused.
    """
    if not key:
        return "no key given"
    if key.startswith(PLACEHOLDER_PREFIX):
        return "that is the stack's placeholder, not an Authsignal key"
    if key.startswith("{"):
        return "that is a JSON object, not an Authsignal key (paste the secret key from the Authsignal portal)"
    if any(character.isspace() for character in key):
        return "an Authsignal key has no spaces or line breaks inside"
    return None


def read_key(stdin: TextIO, prompt: str) -> str:
    """The key from a hidden prompt when standard input is a terminal, else its first line."""
    if stdin.isatty():
        return getpass.getpass(prompt).strip()
    return stdin.readline().strip()


def secret_arn(cloudformation: Any, stack: str) -> str:
    """The stack's ``AuthsignalSecretArn`` output."""
    outputs = stack_outputs(cloudformation, stack, SetSecretError)
    if not outputs.get(SECRET_OUTPUT):
        raise SetSecretError(f"{stack} has no {SECRET_OUTPUT} output: deploy it first")
    return str(outputs[SECRET_OUTPUT])


def set_secret(session: Any, environment: str, key: str) -> str:
    """Write ``key`` into ``environment``'s secret; returns the secret's ARN."""
    reason = refusal(key)
    if reason:
        raise SetSecretError(f"{reason}: nothing changed")
    arn = secret_arn(session.client("cloudformation"), stack_name(environment))
    parts = arn.split(":")
    region = parts[3] if len(parts) > 3 else None  # the secret's own region, whatever the default is
    try:
        session.client("secretsmanager", region_name=region).put_secret_value(SecretId=arn, SecretString=key)
    except ClientError as error:
        raise SetSecretError(f"could not set {arn}: {error.response['Error'].get('Message', error)}") from None
    return arn


def main(argv: list[str] | None = None, stdin: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/set-authsignal-secret",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("environment", metavar="ENV", help="the environment in cdk.json, e.g. staging")
    parser.add_argument("--region", help="the stack's AWS region (default: your AWS configuration's)")
    options = parser.parse_args(argv)
    stack = stack_name(options.environment)
    try:
        key = read_key(stdin or sys.stdin, f"Authsignal secret key for {stack} (input hidden): ")
        set_secret(boto3.session.Session(region_name=options.region), options.environment, key)
    except SetSecretError as error:
        print(error, file=sys.stderr)
        return 1
    except (BotoCoreError, EOFError, KeyboardInterrupt) as error:
        print(f"nothing changed: {error or type(error).__name__}", file=sys.stderr)
        return 1
    print(
        f"set the Authsignal secret of {stack}: new containers use it at once, warm ones "
        "when Authsignal refuses the key they hold (docs/deploying.md: Rotating the secret)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

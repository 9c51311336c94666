"""``scripts/sign-in`` as the README uses it: ``ACCESS_TOKEN=$(scripts/sign-in ... --print-access-token)``
gives the access token alone on standard output, and the region comes from the usual variables."""

from __future__ import annotations

import os
import subprocess

from e2e.sandbox import LocalSandbox
from e2e.signin import jwt_claims, region_from
from tests.e2e.support import ROOT, new_email


def sign_in(sandbox: LocalSandbox, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [str(ROOT / "scripts" / "sign-in"), "--stack", sandbox.deployment.stack_name,
               "--endpoint-url", sandbox.emulator.endpoint_url, "--fake-authsignal", sandbox.authsignal.base_url,
               "--username", new_email(), "--sign-up", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                          env={key: value for key, value in os.environ.items() if not key.startswith("AWS_")})


def test_print_access_token_puts_the_whole_access_token_alone_on_standard_output(sandbox):
    result = sign_in(sandbox, "--print-access-token")

    assert result.returncode == 0, result.stderr
    (token,) = result.stdout.splitlines()
    assert jwt_claims(token)["token_use"] == "access"
    assert "→ InitiateAuth CUSTOM_AUTH" in result.stderr and "signed in: sub=" in result.stderr
    assert token not in result.stderr


def test_without_the_option_no_token_is_printed_whole(sandbox):
    result = sign_in(sandbox)

    assert result.returncode == 0, result.stderr
    assert "signed in: sub=" in result.stdout
    assert not [word for word in result.stdout.split() if word.count(".") == 2 and len(word) > 100]


def test_the_region_is_the_option_else_aws_region_else_aws_default_region():
    assert region_from("eu-west-2", {"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "ap-south-1"}) == "eu-west-2"
    assert region_from(None, {"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "ap-south-1"}) == "us-west-2"
    assert region_from(None, {"AWS_DEFAULT_REGION": "ap-south-1"}) == "ap-south-1"
    assert region_from(None, {}) is None

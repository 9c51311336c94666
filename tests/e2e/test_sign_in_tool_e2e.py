"""``scripts/sign-in`` as the README uses it: ``ACCESS_TOKEN=$(scripts/sign-in ... --print-access-token)``
gives the access token alone on standard output, and the region comes from the usual variables."""

from __future__ import annotations

from e2e.sandbox import LocalSandbox
from e2e.signin import jwt_claims, main, region_from
from tests.e2e.support import new_email


def sign_in(sandbox: LocalSandbox, capsys, *arguments: str):
    """``scripts/sign-in`` against the sandbox: its exit status, standard output and error."""
    status = main(["--stack", sandbox.deployment.stack_name, "--endpoint-url", sandbox.emulator.endpoint_url,
                   "--fake-authsignal", sandbox.authsignal.base_url, "--username", new_email(), "--sign-up",
                   *arguments])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_print_access_token_puts_the_whole_access_token_alone_on_standard_output(sandbox, capsys):
    status, out, err = sign_in(sandbox, capsys, "--print-access-token")

    assert status == 0, err
    (token,) = out.splitlines()
    assert jwt_claims(token)["token_use"] == "access"
    assert "→ InitiateAuth CUSTOM_AUTH" in err and "signed in: sub=" in err
    assert token not in err


def test_without_the_option_no_token_is_printed_whole(sandbox, capsys):
    status, out, err = sign_in(sandbox, capsys)

    assert status == 0, err
    assert "signed in: sub=" in out
    assert not [word for word in out.split() if word.count(".") == 2 and len(word) > 100]


def test_the_region_is_the_option_else_aws_region_else_aws_default_region():
    assert region_from("eu-west-2", {"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "ap-south-1"}) == "eu-west-2"
    assert region_from(None, {"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "ap-south-1"}) == "us-west-2"
    assert region_from(None, {"AWS_DEFAULT_REGION": "ap-south-1"}) == "ap-south-1"
    assert region_from(None, {}) is None

"""``scripts/sign-in`` as docs/api.md uses it: ``ACCESS_TOKEN=$(scripts/sign-in ... --print-access-token)``
gives the access token alone on standard output, the region comes from the usual variables, and a
call Cognito throttles is tried again after a bounded, jittered wait (a real boto3 client, answered
by botocore's Stubber: no sandbox needed)."""

from __future__ import annotations

import random
import shlex
import subprocess

import boto3
import pytest
from botocore.stub import Stubber

from e2e.sandbox import LocalSandbox
from e2e.signin import (
    THROTTLED,
    ApiResponse,
    Backoff,
    Challenge,
    Deployment,
    PasswordlessClient,
    SignInError,
    Tokens,
    first_authenticator_id,
    jwt_claims,
    main,
    region_from,
    shell_exports,
)
from tests.e2e.support import new_email


def sign_in(sandbox: LocalSandbox, capsys, *arguments: str):
    """``scripts/sign-in`` against the sandbox: its exit status, standard output and error."""
    status = main(
        [
            "--stack",
            sandbox.deployment.stack_name,
            "--endpoint-url",
            sandbox.emulator.endpoint_url,
            "--fake-authsignal",
            sandbox.authsignal.base_url,
            "--username",
            new_email(),
            "--sign-up",
            *arguments,
        ]
    )
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


def test_print_exports_gives_the_token_the_api_and_the_first_authenticator_as_export_lines(sandbox, capsys):
    status, out, err = sign_in(sandbox, capsys, "--print-exports")

    assert status == 0, err
    exported = dict(shlex.split(line)[1].split("=", 1) for line in out.splitlines())
    assert set(exported) == {"ACCESS_TOKEN", "API", "AUTHENTICATOR_ID"}
    assert jwt_claims(exported["ACCESS_TOKEN"])["token_use"] == "access"
    assert exported["API"] == sandbox.deployment.api_url
    assert exported["AUTHENTICATOR_ID"] and exported["AUTHENTICATOR_ID"] in err  # the one GET listed
    assert exported["ACCESS_TOKEN"] not in err


def test_the_export_lines_survive_a_shells_eval_whatever_the_values():
    tokens = Tokens("a'token with $(date) and spaces", "id", "refresh", 3600)
    lines = shell_exports(tokens, "http://api.localhost:4566/", "id-1")

    shown = subprocess.run(
        ["bash", "-c", 'eval "$1"; printf "%s|%s|%s" "$ACCESS_TOKEN" "$API" "$AUTHENTICATOR_ID"', "bash", lines],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert shown == "a'token with $(date) and spaces|http://api.localhost:4566/|id-1"


def test_the_first_authenticator_is_the_first_listed_and_none_is_empty():
    listed = ApiResponse(200, {"authenticators": [{"id": "first"}, {"id": "second"}]}, {})

    assert first_authenticator_id(listed) == "first"
    assert first_authenticator_id(ApiResponse(200, {"authenticators": []}, {})) == ""
    assert first_authenticator_id(ApiResponse(401, {"message": "unauthorized"}, {})) == ""
    assert first_authenticator_id(None) == ""


def test_the_region_is_the_option_else_aws_region_else_aws_default_region():
    assert region_from("eu-west-2", {"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "ap-south-1"}) == "eu-west-2"
    assert region_from(None, {"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "ap-south-1"}) == "us-west-2"
    assert region_from(None, {"AWS_DEFAULT_REGION": "ap-south-1"}) == "ap-south-1"
    assert region_from(None, {}) is None


# --- Cognito's throttling ----------------------------------------------------------------------

DEPLOYMENT = Deployment(
    "dev-Passwordless", "us-east-1", "us-east-1_Example", "example-client-id", "https://api.example.com/"
)
CHALLENGE = {
    "ChallengeName": "CUSTOM_CHALLENGE",
    "Session": "a-session-of-twenty-characters-or-more",
    "ChallengeParameters": {
        "USERNAME": "ada@example.com",
        "url": "https://authsignal.example.com/challenge",
        "token": "track-token",
        "isEnrolled": "true",
    },
}


class HighestDraw(random.Random):
    """A random source that always draws the top of its range, and records each range asked."""

    def __init__(self) -> None:
        super().__init__()
        self.ranges: list[tuple[float, float]] = []

    def uniform(self, low: float, high: float) -> float:
        self.ranges.append((low, high))
        return high


@pytest.fixture
def cognito():
    client = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    ).client("cognito-idp")
    with Stubber(client) as stubbed:
        yield client, stubbed
        stubbed.assert_no_pending_responses()


def throttle(stubbed: Stubber, times: int) -> None:
    for _ in range(times):
        stubbed.add_client_error(
            "initiate_auth", service_error_code=THROTTLED, service_message="Rate exceeded", http_status_code=400
        )


def test_a_throttled_call_is_tried_again_after_waits_drawn_up_to_a_doubling_ceiling(cognito):
    client, stubbed = cognito
    throttle(stubbed, 2)
    stubbed.add_response("initiate_auth", CHALLENGE)
    pauses: list[float] = []
    draws = HighestDraw()
    app = PasswordlessClient(
        DEPLOYMENT,
        client,
        backoff=Backoff(attempts=5, base_seconds=0.25, cap_seconds=4),
        sleep=pauses.append,
        rng=draws,
    )

    challenge = app.start("ada@example.com")

    assert isinstance(challenge, Challenge) and challenge.token == "track-token"
    assert draws.ranges == [(0, 0.25), (0, 0.5)]  # full jitter: anywhere from no wait to the ceiling
    assert pauses == [0.25, 0.5]


def test_a_call_throttled_every_time_gives_up_after_a_bounded_number_of_tries(cognito):
    client, stubbed = cognito
    backoff = Backoff(attempts=6, base_seconds=1, cap_seconds=2)
    throttle(stubbed, backoff.attempts)
    pauses: list[float] = []
    app = PasswordlessClient(DEPLOYMENT, client, backoff=backoff, sleep=pauses.append, rng=HighestDraw())

    with pytest.raises(SignInError) as refused:
        app.start("ada@example.com")

    assert (refused.value.step, refused.value.code) == ("InitiateAuth", THROTTLED)
    assert pauses == [1, 2, 2, 2, 2]  # the ceiling doubles, then stays at the cap
    assert sum(pauses) == backoff.longest_total()


def test_the_waits_are_drawn_at_random_so_throttled_clients_do_not_come_back_together(cognito):
    client, stubbed = cognito
    throttle(stubbed, 4)
    stubbed.add_response("initiate_auth", CHALLENGE)
    pauses: list[float] = []
    app = PasswordlessClient(DEPLOYMENT, client, sleep=pauses.append)

    app.start("ada@example.com")

    assert len(pauses) == 4 and len(set(pauses)) == 4
    assert all(0 <= pause <= app.backoff.ceiling(tries) for tries, pause in enumerate(pauses, start=1))


def test_an_error_other_than_throttling_is_not_tried_again(cognito):
    client, stubbed = cognito
    stubbed.add_client_error(
        "initiate_auth",
        service_error_code="NotAuthorizedException",
        service_message="Incorrect username or password.",
        http_status_code=400,
    )
    pauses: list[float] = []
    app = PasswordlessClient(DEPLOYMENT, client, sleep=pauses.append)

    with pytest.raises(SignInError) as refused:
        app.start("ada@example.com")

    assert refused.value.code == "NotAuthorizedException" and pauses == []

"""A small run of scripts/chaos on the deployed stack: sign-ins survive a flaky Authsignal, are all
refused when it is down or DynamoDB is unreachable, stay each user's own under concurrency, and
stand when Cognito throttles the contact update. Outcomes only (success rates, refusals, winners);
the timings are scripts/chaos's to report.

Faults are fast ones here (503, reset): slow answers cost the emulator seconds per sign-in.
"""

from __future__ import annotations

import pytest

from e2e.chaos import Chaos
from e2e.sandbox import LocalSandbox

FAST_FAULTS = ["status", "reset"]


@pytest.fixture(scope="module")
def chaos(sandbox: LocalSandbox) -> Chaos:
    return Chaos(sandbox.client(), sandbox.authsignal, sandbox.aws, sandbox.stack.resources)


def test_sign_ins_survive_30_percent_of_authsignal_requests_failing(chaos: Chaos) -> None:
    result = chaos.transient(20, concurrency=5, rate=0.3, kinds=FAST_FAULTS, users=5)

    assert sum(result.details["faults_injected"].values()) >= 5, "the fake injected (almost) no faults"
    # Retries make a failed sign-in rare (each call fails only if 3 attempts in a row do, ~2.7 %);
    # without them most of these sign-ins fail. 18 of 20 keeps chance out of the verdict.
    assert result.signed_in >= 18, result
    assert result.wrong_sub == 0


def test_every_sign_in_is_refused_while_authsignal_is_down(chaos: Chaos) -> None:
    result = chaos.outage(2, kinds=FAST_FAULTS)

    assert (result.sign_ins, result.signed_in, result.refused) == (2, 0, 2)
    assert set(result.details["refusals"]) == {"InitiateAuth: InvalidLambdaResponseException"}


def test_every_sign_in_is_refused_while_dynamodb_is_unreachable(chaos: Chaos) -> None:
    result = chaos.dynamodb(1)  # one sign-in is three answers, each refused after DynamoDB's own retries

    assert result.details["functions"], "no function's environment names the single-use table"
    assert (result.sign_ins, result.signed_in, result.refused) == (1, 0, 1)
    assert result.details["function_problems"] == {
        "attempts_exhausted": 1,
        "answer_rejected single_use_unavailable EndpointConnectionError": 3,
    }


def test_concurrent_users_each_get_their_own_tokens(chaos: Chaos) -> None:
    result = chaos.concurrent(20, users=5, concurrency=4, racers=0)

    assert (result.sign_ins, result.signed_in, result.wrong_sub) == (20, 20, 0)


def test_one_passkey_token_in_parallel_sessions_has_exactly_one_winner(chaos: Chaos) -> None:
    [racer] = chaos.sign_up(1, fresh=True)  # the race's token is its own: nobody else signs in as this user

    assert chaos.race(racer, 10) == 1


def test_a_throttled_contact_update_never_refuses_a_sign_in_and_a_later_one_verifies_the_email(chaos: Chaos) -> None:
    # every admin call of the verify function throttled by the proxy; Authsignal well
    result = chaos.throttling(1, rate=1.0, authsignal_rate=0.0, users=1, seed=1)

    assert (result.sign_ins, result.signed_in, result.wrong_sub) == (1, 1, 0)
    assert result.details["cognito_admin_calls"] == {"throttled": 1, "passed": 0}
    assert result.details["function_problems"] == {
        "contact_verification_throttled email_verified TooManyRequestsException": 1
    }
    assert result.details["emails"] == {"users": 1, "unverified_after_the_wave": 1, "verified_by_a_later_sign_in": 1}

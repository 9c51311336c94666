"""Single use: an answer's idempotency key signs someone in once, recorded by a conditional put
into the (moto) DynamoDB table; of verifies racing with one token, exactly one wins."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from shared import single_use
from triggers import create_auth_challenge, verify_auth_challenge

from tests.fakes.authsignal_server import FakeAuthsignal
from tests.lambdas.support import REGION, SINGLE_USE_TABLE, Logs, User, create_event, verify_event

RACERS = 8


def test_two_claims_of_one_key_the_second_is_already_used() -> None:
    single_use.claim("key-1")

    with pytest.raises(single_use.AlreadyUsed):
        single_use.claim("key-1")
    single_use.claim("key-2")


def test_a_claim_stores_the_key_with_an_expiry_a_day_ahead_and_nothing_else() -> None:
    single_use.claim("key-1")

    [item] = boto3.client("dynamodb", region_name=REGION).scan(TableName=SINGLE_USE_TABLE)["Items"]
    assert set(item) == {"idempotencyKey", "expiresAt"}
    assert item["idempotencyKey"] == {"S": "key-1"}
    assert 0 < int(item["expiresAt"]["N"]) - time.time() <= 24 * 60 * 60


@pytest.mark.parametrize("same_session", [True, False], ids=["same_session", "parallel_sessions"])
def test_of_verifies_racing_with_one_token_exactly_one_signs_in(
    fake: FakeAuthsignal, email_user: User, logs: Logs, same_session: bool
) -> None:
    """Single use, in parallel: one validation token answered at the same moment, in one session
    or (as a passkey token may be) in several, signs in exactly once."""
    if same_session:
        created = create_auth_challenge.handler(create_event(email_user))["response"]
        token = fake.complete(created["publicChallengeParameters"]["token"])
        sessions = [created["privateChallengeParameters"]] * RACERS
    else:
        fake.add_authenticator(email_user.sub)
        token = fake.passkey_sign_in(email_user.sub)
        sessions = [
            create_auth_challenge.handler(create_event(email_user))["response"]["privateChallengeParameters"]
            for _ in range(RACERS)
        ]
    start = threading.Barrier(RACERS)

    def verify(private: dict[str, str]) -> bool:
        event = verify_event(email_user, token, private)
        start.wait()
        return verify_auth_challenge.handler(event)["response"]["answerCorrect"]

    with ThreadPoolExecutor(RACERS) as pool:
        verdicts = list(pool.map(verify, sessions))

    assert sorted(verdicts) == [False] * (RACERS - 1) + [True]
    assert [line["reason"] for line in logs.problems()] == ["already_used"] * (RACERS - 1), logs.problems()

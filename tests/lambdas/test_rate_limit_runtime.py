"""The API's per-user limit: N requests per minute per ``sub`` pass, the next answers 429 with
Retry-After (seconds to the window's end) without reaching Authsignal; another user is not
affected; a counter that cannot be written answers 503. Counted in moto's DynamoDB."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from api import authenticators, rate_limit

from tests.fakes.authsignal_server import FakeAuthsignal
from tests.lambdas.support import RATE_LIMIT_TABLE, REGION, Logs, User, access_claims, api_event

LIMIT = 3


@pytest.fixture(autouse=True)
def small_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_REQUESTS_PER_MINUTE_PER_USER", str(LIMIT))


def list_authenticators(user: User) -> Any:
    return authenticators.handler(api_event("GET /authenticators", access_claims(user)))


def authsignal_calls(fake: FakeAuthsignal) -> int:
    return len([call for call in fake.calls() if call.path.startswith("/v1/")])


def test_a_user_at_the_limit_is_served(fake: FakeAuthsignal, email_user: User, logs: Logs) -> None:
    statuses = [list_authenticators(email_user)["statusCode"] for _ in range(LIMIT)]

    assert statuses == [200] * LIMIT
    assert logs.problems() == []


def test_a_user_over_the_limit_gets_429_with_retry_after_and_authsignal_is_not_called(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    for _ in range(LIMIT):
        list_authenticators(email_user)
    calls = authsignal_calls(fake)

    response = list_authenticators(email_user)

    assert response["statusCode"] == 429
    assert 1 <= int(response["headers"]["Retry-After"]) <= rate_limit.WINDOW_SECONDS
    assert json.loads(response["body"])["message"].startswith("too many requests: try again in ")
    assert authsignal_calls(fake) == calls
    problem = logs.one_problem()
    assert (problem["event"], problem["correlation_id"], problem["status_code"]) == (
        "rate_limited",
        email_user.sub,
        429,
    )


def test_one_users_requests_do_not_limit_another(fake: FakeAuthsignal, email_user: User, other_user: User) -> None:
    for _ in range(LIMIT + 1):
        list_authenticators(email_user)

    assert list_authenticators(other_user)["statusCode"] == 200


def test_every_route_counts_and_an_unauthorized_request_counts_for_nobody(
    fake: FakeAuthsignal, email_user: User
) -> None:
    authenticators.handler(api_event("GET /authenticators", None))  # 401: no sub to count against
    authenticators.handler(api_event("POST /authenticators", access_claims(email_user)))
    authenticators.handler(
        api_event(
            "DELETE /authenticators/{authenticatorId}",
            access_claims(email_user),
            path_parameters={"authenticatorId": "unknown-id"},
        )
    )

    assert list_authenticators(email_user)["statusCode"] == 200
    assert list_authenticators(email_user)["statusCode"] == 429


def test_retry_after_is_the_time_to_the_end_of_the_window(email_user: User) -> None:
    window_start = 1_800_000_000 - 1_800_000_000 % rate_limit.WINDOW_SECONDS
    for _ in range(LIMIT):
        rate_limit.count_request(email_user.sub, now=window_start + 1)

    with pytest.raises(rate_limit.LimitExceeded) as exceeded:
        rate_limit.count_request(email_user.sub, now=window_start + 45.5)

    assert exceeded.value.retry_after == 15


def test_a_new_window_starts_a_new_count(email_user: User) -> None:
    window_start = 1_800_000_000 - 1_800_000_000 % rate_limit.WINDOW_SECONDS
    for _ in range(LIMIT):
        rate_limit.count_request(email_user.sub, now=window_start + 59)

    rate_limit.count_request(email_user.sub, now=window_start + 60)  # no LimitExceeded


def test_the_counter_holds_the_sub_and_window_and_expires_after_its_window(email_user: User) -> None:
    window_start = 1_800_000_000 - 1_800_000_000 % rate_limit.WINDOW_SECONDS
    rate_limit.count_request(email_user.sub, now=window_start + 10)
    rate_limit.count_request(email_user.sub, now=window_start + 20)

    [item] = boto3.client("dynamodb", region_name=REGION).scan(TableName=RATE_LIMIT_TABLE)["Items"]
    assert item["key"]["S"] == f"{email_user.sub}#{window_start // rate_limit.WINDOW_SECONDS}"
    assert item["requests"]["N"] == "2"
    assert int(item["expiresAt"]["N"]) == window_start + 2 * rate_limit.WINDOW_SECONDS


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RATE_LIMIT_TABLE_NAME", "no-such-table"),
        ("RATE_LIMIT_TABLE_NAME", None),
        ("API_REQUESTS_PER_MINUTE_PER_USER", "0"),
        ("API_REQUESTS_PER_MINUTE_PER_USER", None),
    ],
    ids=["table_missing", "table_not_configured", "limit_zero", "limit_not_configured"],
)
def test_a_request_that_cannot_be_counted_answers_503_and_reaches_nothing(
    fake: FakeAuthsignal,
    email_user: User,
    logs: Logs,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str | None,
) -> None:
    if value is None:
        monkeypatch.delenv(variable)
    else:
        monkeypatch.setenv(variable, value)

    response = list_authenticators(email_user)

    assert response["statusCode"] == 503
    assert json.loads(response["body"]) == {"message": "service unavailable: try again shortly"}
    assert authsignal_calls(fake) == 0
    problem = logs.one_problem()
    assert (problem["level"], problem["event"], problem["status_code"]) == ("ERROR", "api_error", 503)

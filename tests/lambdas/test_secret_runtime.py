"""The Authsignal secret key: read from Secrets Manager once per cold start, never again while
the container is warm, and only a usable value is kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from api import authenticators
from triggers import create_auth_challenge, verify_auth_challenge

from tests.fakes.authsignal_server import FakeAuthsignal
from tests.lambdas.support import (
    SECRET_KEY,
    Secrets,
    User,
    access_claims,
    api_event,
    cold_start,
    create_event,
    new_user,
    verify_event,
)
from tests.lambdas.test_sign_in_runtime import completes_otp, sign_in

WARM_INVOCATIONS = 20
# What CloudFormation stores in a new stack's secret: the template of stacks/authsignal_secret.py
# with a generated filler (compact JSON, as Secrets Manager's generator writes it).
GENERATED_NOT_SET = json.dumps(
    {
        "authsignalSecretKeyNotSet": "set the Authsignal secret key with scripts/set-authsignal-secret",
        "filler": "q8ZrT2mXv4LbN7cP",
    },
    separators=(",", ":"),
)


def _create(user: User) -> Any:
    return create_auth_challenge.handler(create_event(user))


def _verify(user: User) -> Any:
    return verify_auth_challenge.handler(verify_event(user, "token-anything"))


def _add(user: User) -> Any:
    return authenticators.handler(api_event("POST /authenticators", access_claims(user)))


def _list(user: User) -> Any:
    return authenticators.handler(api_event("GET /authenticators", access_claims(user)))


FUNCTIONS = [_create, _verify, _add, _list]


@pytest.mark.parametrize("invoke", FUNCTIONS, ids=lambda invoke: invoke.__name__.strip("_"))
def test_the_secret_is_read_once_across_warm_invocations(
    fake: FakeAuthsignal, secrets: Secrets, invoke: Callable[[User], Any]
) -> None:
    for _ in range(WARM_INVOCATIONS):
        invoke(new_user(email="someone@example.com"))

    assert secrets.reads == 1
    assert len(fake.calls()) >= WARM_INVOCATIONS
    assert all(call.authorized for call in fake.calls())


@pytest.mark.parametrize("invoke", FUNCTIONS, ids=lambda invoke: invoke.__name__.strip("_"))
def test_a_new_cold_start_reads_the_secret_again(
    fake: FakeAuthsignal, secrets: Secrets, invoke: Callable[[User], Any]
) -> None:
    invoke(new_user(email="someone@example.com"))
    cold_start()
    invoke(new_user(email="someone@example.com"))

    assert secrets.reads == 2


def test_warm_invocations_keep_the_key_read_at_the_cold_start(
    fake: FakeAuthsignal, secrets: Secrets, email_user: User
) -> None:
    _create(email_user)
    secrets.set("sk-changed-after-the-cold-start")

    for _ in range(5):
        _create(email_user)

    assert all(call.authorized for call in fake.calls())
    assert secrets.reads == 1


def test_a_secret_set_after_a_failed_read_is_used_without_a_cold_start(
    fake: FakeAuthsignal, secrets: Secrets, email_user: User
) -> None:
    secrets.set("PLACEHOLDER: set the Authsignal secret key")
    with pytest.raises(create_auth_challenge.ChallengeRefused):
        _create(email_user)

    secrets.set(SECRET_KEY)
    event = _create(email_user)

    assert event["response"]["publicChallengeParameters"]["token"]
    assert secrets.reads == 2


def test_whitespace_around_the_secret_is_not_part_of_the_key(
    fake: FakeAuthsignal, secrets: Secrets, email_user: User
) -> None:
    secrets.set(f"  {SECRET_KEY}\n")

    _create(email_user)

    assert fake.calls() and all(call.authorized for call in fake.calls())


@pytest.mark.parametrize(
    "value",
    [
        GENERATED_NOT_SET,
        json.dumps(json.loads(GENERATED_NOT_SET), indent=2),
        "PLACEHOLDER: set the Authsignal secret key with scripts/set-authsignal-secret",
    ],
    ids=["generated", "generated_pretty", "placeholder_of_older_stacks"],
)
def test_sign_ins_fail_closed_until_the_real_key_replaces_the_value_the_stack_created(
    fake: FakeAuthsignal, secrets: Secrets, value: str, email_user: User
) -> None:
    secrets.set(value)

    assert sign_in(email_user, completes_otp(fake)) is False
    assert _add(email_user)["statusCode"] == 500
    assert fake.calls() == []

    secrets.set(SECRET_KEY)
    assert sign_in(email_user, completes_otp(fake)) is True


@pytest.mark.parametrize(
    "value", ['{"apiKey": "sk-1"}', "{not json", "sk-{braces}"], ids=["other_json", "brace", "inner"]
)
def test_only_the_marker_not_any_brace_makes_a_value_not_set(value: str) -> None:
    from shared.secret import is_not_set

    assert is_not_set(value) is False

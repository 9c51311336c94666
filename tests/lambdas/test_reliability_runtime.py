"""Reliability of the Authsignal calls: transient failures of idempotent requests are retried
(at most 3 attempts, within the invocation's deadline, one log line and metric each), a throttled
call waits as long as ``Retry-After`` asks when that fits, answers are never retried, and a rotated
key is picked up on a 401 without a cold start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from shared import retry, single_use
from shared.authsignal_client import authsignal
from triggers import create_auth_challenge, verify_auth_challenge

from tests.fakes.authsignal_server import FakeAuthsignal
from tests.lambdas.support import (
    AUTHSIGNAL_FAULTS,
    ENROL,
    NO_TIME_TO_VERIFY,
    SLOWER_THAN_TIMEOUT,
    TIMEOUT_SECONDS,
    TRACK,
    VALIDATE,
    LambdaContext,
    Logs,
    Secrets,
    User,
    create_event,
    enrol_own_contact,
    tracks,
    validations,
    verify_event,
)


def create(user: User, context: object = None) -> Any:
    return create_auth_challenge.handler(create_event(user), context)


@dataclass(frozen=True)
class Answer:
    """What the app answers in one sign-in, and what that sign-in's create step kept private."""

    token: str  # the validation token completing the challenge gave the app
    private: dict[str, str]  # what create kept for verify: the tracked key, the track token's digest


def answered(fake: FakeAuthsignal, created: dict[str, Any]) -> Answer:
    """The user completes the challenge create handed out; the app answers the validation token."""
    response = created["response"]
    return Answer(fake.complete(response["publicChallengeParameters"]["token"]), response["privateChallengeParameters"])


def completed(fake: FakeAuthsignal, user: User) -> Answer:
    return answered(fake, create(user))


def verify(user: User, answer: Answer, context: object = None) -> bool:
    event = verify_event(user, answer.token, answer.private)
    return verify_auth_challenge.handler(event, context)["response"]["answerCorrect"]


def retry_lines(logs: Logs) -> list[dict[str, Any]]:
    return [line for line in logs.lines if line["event"] == "authsignal_retry"]


def not_retried_lines(logs: Logs) -> list[dict[str, Any]]:
    return [line for line in logs.lines if line["event"] == "authsignal_not_retried"]


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the transport asks for between attempts, recorded instead of slept: the tests
    check how long it was asked to wait, never how long anything took."""
    asked: list[float] = []
    monkeypatch.setattr("shared.authsignal_client.time.sleep", asked.append)
    return asked


# --- transient failures are retried --------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        AUTHSIGNAL_FAULTS["5xx"],
        {"kind": "status", "status": 429},
        AUTHSIGNAL_FAULTS["connection_closed"],
        {"kind": "reset"},
        AUTHSIGNAL_FAULTS["timeout"],
    ],
    ids=["503", "429", "closed", "reset", "timeout"],
)
def test_a_transient_failure_of_validate_is_retried_and_the_user_signs_in(
    fake: FakeAuthsignal, email_user: User, fault: dict[str, Any]
) -> None:
    answer = completed(fake, email_user)
    fake.fail(**fault, on=VALIDATE)

    assert verify(email_user, answer) is True

    assert [call.body["token"] for call in validations(fake)] == [answer.token, answer.token]


def test_two_transient_failures_of_validate_are_retried_the_third_attempt_signs_in(
    fake: FakeAuthsignal, email_user: User
) -> None:
    answer = completed(fake, email_user)
    fake.fail("status", status=503, times=2, on=VALIDATE)

    assert verify(email_user, answer) is True

    assert len(validations(fake)) == 3


def test_three_transient_failures_refuse_after_three_attempts(fake: FakeAuthsignal, email_user: User) -> None:
    answer = completed(fake, email_user)
    fake.fail("status", status=503, times=5, on=VALIDATE)

    assert verify(email_user, answer) is False

    assert len(validations(fake)) == retry.MAX_ATTEMPTS


def test_a_track_whose_answer_was_lost_is_retried_as_the_same_action(fake: FakeAuthsignal, email_user: User) -> None:
    enrol_own_contact(fake, email_user)
    fake.fail("reset", on=TRACK)  # the fake tracked the action, then the answer was lost

    event = create(email_user)

    first, second = tracks(fake)
    assert first.body["idempotencyKey"] and first.body == second.body
    assert fake.issued_tokens() == [event["response"]["publicChallengeParameters"]["token"]]  # one action
    answer = answered(fake, event)
    assert answer.private["idempotencyKey"] == first.body["idempotencyKey"]  # the key sent is the key the session keeps
    assert verify(email_user, answer) is True


def test_a_track_after_a_503_is_retried_with_the_same_idempotency_key(fake: FakeAuthsignal, email_user: User) -> None:
    enrol_own_contact(fake, email_user)
    fake.fail("status", status=503, on=TRACK)

    create(email_user)

    assert len({call.body["idempotencyKey"] for call in tracks(fake)}) == 1
    assert len(tracks(fake)) == 2


def test_each_sign_in_tracks_with_a_key_of_its_own(fake: FakeAuthsignal, email_user: User) -> None:
    create(email_user)  # the first sign-in: track, enrol the own contact, track again
    create(email_user)

    assert len({call.body["idempotencyKey"] for call in tracks(fake)}) == 3


def test_an_enrolment_whose_answer_was_lost_is_not_retried_and_the_next_sign_in_needs_none(
    fake: FakeAuthsignal, email_user: User
) -> None:
    """Enrolling carries no idempotency key, so it is never repeated: the sign-in is refused
    (fail closed), and the enrolment it made leaves the user enrolled for the next one."""
    fake.fail("reset", on=ENROL)

    with pytest.raises(create_auth_challenge.ChallengeRefused):
        create(email_user)

    assert len([call for call in fake.calls() if call.path.endswith("/authenticators")]) == 1
    assert verify(email_user, completed(fake, email_user)) is True
    assert len(fake.authenticators(email_user.sub)) == 1


def test_a_track_without_an_idempotency_key_is_never_retried(fake: FakeAuthsignal) -> None:
    fake.fail("status", status=503)

    with pytest.raises(Exception):  # noqa: B017 - the SDK's ApiException
        authsignal().track(user_id="u-1", action="cognitoAuth", attributes={"email": "a@example.com"})

    assert len(fake.calls()) == 1


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
def test_an_answer_other_than_429_or_5xx_is_never_retried(fake: FakeAuthsignal, email_user: User, status: int) -> None:
    answer = completed(fake, email_user)
    fake.fail("status", status=status, times=3, on=VALIDATE)

    assert verify(email_user, answer) is False

    assert len(validations(fake)) == 1


# --- throttling: 429 and Retry-After -----------------------------------------------------------


def test_a_429_is_retried_after_at_least_the_seconds_retry_after_asks(
    fake: FakeAuthsignal, email_user: User, pauses: list[float]
) -> None:
    answer = completed(fake, email_user)
    fake.fail("status", status=429, retry_after="1", on=VALIDATE)

    assert verify(email_user, answer, LambdaContext(4.0)) is True

    assert len(validations(fake)) == 2
    assert pauses[0] >= 1.0  # the jittered backoff alone waits 0.1 s at most


def test_a_retry_after_given_as_an_http_date_is_honoured(
    fake: FakeAuthsignal, email_user: User, pauses: list[float]
) -> None:
    answer = completed(fake, email_user)
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=2.5), usegmt=True)
    fake.fail("status", status=429, retry_after=soon, on=VALIDATE)

    assert verify(email_user, answer, LambdaContext(5.0)) is True

    assert len(validations(fake)) == 2
    assert 0.5 <= pauses[0] <= 2.5  # what was left until then (an HTTP date has whole seconds)


def test_a_retry_after_that_does_not_fit_the_deadline_refuses_at_once_with_one_problem_line(
    fake: FakeAuthsignal, email_user: User, pauses: list[float], logs: Logs
) -> None:
    answer = completed(fake, email_user)
    fake.fail("status", status=429, retry_after="30", on=VALIDATE)

    assert verify(email_user, answer, LambdaContext(4.0)) is False

    assert len(validations(fake)) == 1 and pauses == []
    problem = logs.one_problem()
    assert (problem["event"], problem["reason"], problem["error"]) == (
        "answer_rejected",
        "authsignal_error",
        "ApiException status 429",
    )
    [held] = not_retried_lines(logs)
    assert (held["reason"], held["status_code"], held["operation"]) == ("throttled", 429, "validate")
    assert held["error"] == "no time left for the wait and another attempt"


def test_every_429_counts_once_whether_it_is_retried_or_not(fake: FakeAuthsignal, email_user: User, logs: Logs) -> None:
    """The alarm on Authsignal's 429s adds the two metrics: a 429 is either retried
    (``AuthsignalRetry``) or not (``AuthsignalNotRetried``), never both, never neither."""
    answer = completed(fake, email_user)
    fake.fail("status", status=429, times=5, on=VALIDATE)

    assert verify(email_user, answer) is False

    counted = [line for line in retry_lines(logs) + not_retried_lines(logs) if line["Reason"] == "throttled"]
    assert len(counted) == len(validations(fake)) == retry.MAX_ATTEMPTS
    assert [line.get("AuthsignalRetry", line.get("AuthsignalNotRetried")) for line in counted] == [1] * 3
    assert not_retried_lines(logs)[0]["error"] == f"{retry.MAX_ATTEMPTS} attempts made"


def test_a_429_on_a_request_that_cannot_be_repeated_is_counted_and_refuses(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    fake.fail("status", status=429, on=ENROL)  # the first sign-in enrols the account's own contact

    with pytest.raises(create_auth_challenge.ChallengeRefused):
        create(email_user)

    [held] = not_retried_lines(logs)
    assert (held["reason"], held["operation"], held["error"]) == ("throttled", "post_authenticators", "not repeatable")
    assert logs.one_problem()["error"] == "ApiException status 429"


@pytest.mark.parametrize("value, seconds", [("3", 3.0), (" 0 ", 0.0), ("120", 120.0)])
def test_retry_after_in_seconds_is_read_as_seconds(value: str, seconds: float) -> None:
    assert retry.asked_to_wait(value) == seconds


def test_retry_after_as_an_http_date_is_read_as_the_seconds_until_then() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    earlier = format_datetime(datetime.now(UTC) - timedelta(seconds=60), usegmt=True)

    assert 55 <= (retry.asked_to_wait(later) or 0) <= 60
    assert retry.asked_to_wait(earlier) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "-1", "1.5", "Wed, 21 Oct 2015 07:28:00"])
def test_a_retry_after_that_is_not_one_asks_for_nothing(value: str | None) -> None:
    assert retry.asked_to_wait(value) is None


# --- the deadline ------------------------------------------------------------------------------


def test_no_retry_starts_that_could_not_end_before_the_deadline(fake: FakeAuthsignal, email_user: User) -> None:
    answer = completed(fake, email_user)
    fake.fail("delay", delay=SLOWER_THAN_TIMEOUT, on=VALIDATE)  # the first attempt uses up its timeout
    # the verify trigger keeps time for its single-use put after validate: without it, a retry fits
    room_for_one_attempt = LambdaContext(retry.MARGIN_SECONDS + single_use.CLAIM_SECONDS + TIMEOUT_SECONDS * 1.5)

    assert verify(email_user, answer, room_for_one_attempt) is False

    assert len(validations(fake)) == 1


def test_no_attempt_starts_without_time_for_it(fake: FakeAuthsignal, email_user: User, logs: Logs) -> None:
    answer = completed(fake, email_user)
    calls_before = len(fake.calls())

    assert verify(email_user, answer, NO_TIME_TO_VERIFY) is False

    assert len(fake.calls()) == calls_before
    assert logs.one_problem()["reason"] == "authsignal_error"


def test_with_time_left_the_retries_go_on(fake: FakeAuthsignal, email_user: User) -> None:
    answer = completed(fake, email_user)
    fake.fail("status", status=503, times=2, on=VALIDATE)

    assert verify(email_user, answer, LambdaContext(4.0)) is True

    assert len(validations(fake)) == 3


def test_the_deadline_is_each_invocations_own(fake: FakeAuthsignal, email_user: User) -> None:
    answer = completed(fake, email_user)
    assert verify(email_user, answer, NO_TIME_TO_VERIFY) is False
    fake.fail("status", status=503, on=VALIDATE)

    assert verify(email_user, answer, LambdaContext(4.0)) is True  # a warm container, a new invocation


# --- what a retry leaves behind ----------------------------------------------------------------


def test_each_retry_writes_one_line_and_counts_one_metric_without_token_or_contact(
    fake: FakeAuthsignal, email_user: User, logs: Logs
) -> None:
    answer = completed(fake, email_user)
    fake.fail("status", status=503, times=2, on=VALIDATE)

    verify(email_user, answer)

    lines = retry_lines(logs)
    assert [(line["attempt"], line["operation"], line["reason"], line["status_code"]) for line in lines] == [
        (2, "validate", "server_error", 503),
        (3, "validate", "server_error", 503),
    ]
    assert all(line["AuthsignalRetry"] == 1 and line["level"] == "INFO" for line in lines)
    assert all(
        set(line)
        <= {
            "level",
            "event",
            "function",
            "environment",
            "reason",
            "attempt",
            "operation",
            "status_code",
            "_aws",
            "Environment",
            "Reason",
            "AuthsignalRetry",
        }
        for line in lines
    )
    logs.assert_free_of(answer.token, email_user.email)


def test_a_call_that_succeeds_at_once_logs_no_retry(fake: FakeAuthsignal, email_user: User, logs: Logs) -> None:
    verify(email_user, completed(fake, email_user))

    assert retry_lines(logs) == []


# --- a rotated key -------------------------------------------------------------------------


def test_a_key_rotated_while_warm_is_read_again_once_and_signs_in(
    fake: FakeAuthsignal, secrets: Secrets, email_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = completed(fake, email_user)  # warm: the old key is cached
    secrets.set("sk-rotated-1b2c3d4e5f")
    monkeypatch.setattr(fake, "secret", "sk-rotated-1b2c3d4e5f")  # Authsignal revoked the old key

    assert verify(email_user, answer) is True
    assert create(email_user)["response"]["publicChallengeParameters"]["token"]

    assert secrets.reads == 2  # the cold start's, and one after the 401
    assert [call.authorized for call in validations(fake)] == [False, True]
    assert all(call.authorized for call in tracks(fake))


def test_a_second_401_fails_closed(
    fake: FakeAuthsignal, secrets: Secrets, email_user: User, logs: Logs, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = completed(fake, email_user)
    monkeypatch.setattr(fake, "secret", "sk-rotated-1b2c3d4e5f")  # the cached key was revoked
    secrets.set("sk-also-refused-9a8b7c")  # and the secret holds another wrong one

    assert verify(email_user, answer) is False

    assert secrets.reads == 2
    assert [call.authorized for call in validations(fake)] == [False, False]
    problem = logs.one_problem()
    assert (problem["reason"], problem["error"]) == ("authsignal_error", "ApiException status 401")
    logs.assert_free_of("sk-also-refused-9a8b7c")


def test_a_401_with_an_unchanged_secret_is_not_sent_again(
    fake: FakeAuthsignal, secrets: Secrets, email_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = completed(fake, email_user)
    monkeypatch.setattr(fake, "secret", "sk-nobody-has-this")

    assert verify(email_user, answer) is False

    assert secrets.reads == 2
    assert [call.authorized for call in validations(fake)] == [False]


def test_a_rotation_to_a_placeholder_fails_closed(
    fake: FakeAuthsignal, secrets: Secrets, email_user: User, monkeypatch: pytest.MonkeyPatch, logs: Logs
) -> None:
    answer = completed(fake, email_user)
    secrets.set("PLACEHOLDER: set the Authsignal secret key")
    monkeypatch.setattr(fake, "secret", "sk-nobody-has-this")

    assert verify(email_user, answer) is False

    assert logs.one_problem()["reason"] == "secret_unavailable"

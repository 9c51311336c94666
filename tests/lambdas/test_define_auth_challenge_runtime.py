"""Define auth challenge: a custom challenge first, tokens only after a successful custom
challenge, failure after the attempt limit, for an unknown user, or for any other challenge."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note
from hypothesis import strategies as st
from triggers import define_auth_challenge

from tests.fakes.authsignal_server import FakeAuthsignal
from tests.lambdas.support import ATTEMPT_LIMIT, Logs, Secrets, User, define_event, entry


def decide(event: Any) -> Any:
    return define_auth_challenge.handler(event)["response"]


def failed(logs: Logs) -> dict[str, Any]:
    problem = logs.one_problem()
    assert problem["level"] == "WARNING"
    return problem


def test_define_asks_for_a_custom_challenge_on_an_empty_session(email_user: User, logs: Logs) -> None:
    assert decide(define_event(email_user, [])) == {
        "issueTokens": False,
        "failAuthentication": False,
        "challengeName": "CUSTOM_CHALLENGE",
    }
    assert logs.problems() == []


def test_define_issues_tokens_after_a_successful_custom_challenge(email_user: User, logs: Logs) -> None:
    assert decide(define_event(email_user, [entry(True)])) == {"issueTokens": True, "failAuthentication": False}
    assert [line["event"] for line in logs.lines] == ["tokens_issued"]
    logs.assert_free_of(email_user.email)


def test_define_issues_tokens_when_a_retry_succeeds(email_user: User) -> None:
    response = decide(define_event(email_user, [entry(False)] * (ATTEMPT_LIMIT - 1) + [entry(True)]))

    assert response["issueTokens"] is True


def test_define_asks_again_after_a_wrong_answer_below_the_limit(email_user: User, logs: Logs) -> None:
    response = decide(define_event(email_user, [entry(False)] * (ATTEMPT_LIMIT - 1)))

    assert response == {"issueTokens": False, "failAuthentication": False, "challengeName": "CUSTOM_CHALLENGE"}
    assert logs.lines[-1]["failures"] == ATTEMPT_LIMIT - 1


def test_define_does_not_issue_tokens_when_an_earlier_answer_succeeded_and_the_last_failed(email_user: User) -> None:
    response = decide(define_event(email_user, [entry(True), entry(False)]))

    assert response["issueTokens"] is False


def test_define_fails_after_attempt_limit_wrong_answers(email_user: User, logs: Logs) -> None:
    response = decide(define_event(email_user, [entry(False)] * ATTEMPT_LIMIT))

    assert response == {"issueTokens": False, "failAuthentication": True}
    problem = failed(logs)
    assert (problem["event"], problem["failures"], problem["AttemptsExhausted"]) == (
        "attempts_exhausted",
        ATTEMPT_LIMIT,
        1,
    )


def test_define_reads_the_attempt_limit_from_the_environment(monkeypatch: pytest.MonkeyPatch, email_user: User) -> None:
    monkeypatch.setenv("ATTEMPT_LIMIT", "1")

    assert decide(define_event(email_user, [entry(False)]))["failAuthentication"] is True


@pytest.mark.parametrize("limit", ["0", "-1", "three", "", None], ids=["zero", "negative", "word", "empty", "missing"])
def test_define_fails_closed_on_an_unusable_or_missing_attempt_limit(
    monkeypatch: pytest.MonkeyPatch, limit: str | None, email_user: User, logs: Logs
) -> None:
    if limit is None:
        monkeypatch.delenv("ATTEMPT_LIMIT")
    else:
        monkeypatch.setenv("ATTEMPT_LIMIT", limit)

    assert decide(define_event(email_user, [entry(False)])) == {"issueTokens": False, "failAuthentication": True}
    assert failed(logs)["reason"] == "unexpected_error"


def test_define_fails_when_cognito_says_the_user_was_not_found(email_user: User, logs: Logs) -> None:
    response = decide(define_event(email_user, [], user_not_found=True))

    assert response == {"issueTokens": False, "failAuthentication": True}
    assert failed(logs)["reason"] == "user_not_found"
    logs.assert_free_of(email_user.typed)  # Cognito's userName here is the address as typed


def test_define_logs_the_sub_as_correlation_id_never_the_user_name(email_user: User, logs: Logs) -> None:
    event = define_event(email_user, [])
    event["userName"] = "generated-user-name-7f3a"

    decide(event)

    assert [line["correlation_id"] for line in logs.lines] == [email_user.sub]
    logs.assert_free_of("generated-user-name-7f3a")


def test_define_never_issues_tokens_to_a_user_that_was_not_found(email_user: User) -> None:
    assert decide(define_event(email_user, [entry(True)], user_not_found=True))["issueTokens"] is False


@pytest.mark.parametrize(
    "session",
    [
        [entry(True, "SRP_A")],
        [entry(True, "PASSWORD_VERIFIER")],
        [entry(True, "SRP_A"), entry(True)],
        [entry(False), entry(True, "SMS_MFA")],
    ],
    ids=["srp_a", "password_verifier", "srp_then_custom", "custom_then_sms_mfa"],
)
def test_define_fails_a_session_with_a_challenge_that_is_not_custom(
    session: list[dict[str, Any]], email_user: User, logs: Logs
) -> None:
    assert decide(define_event(email_user, session)) == {"issueTokens": False, "failAuthentication": True}
    assert failed(logs)["reason"] == "non_custom_challenge"


def _no_session(event: dict[str, Any]) -> None:
    del event["request"]["session"]


def _session_null(event: dict[str, Any]) -> None:
    event["request"]["session"] = None


def _session_a_dict(event: dict[str, Any]) -> None:
    event["request"]["session"] = entry(True)


def _entry_not_a_dict(event: dict[str, Any]) -> None:
    event["request"]["session"] = ["CUSTOM_CHALLENGE"]


def _result_a_string(event: dict[str, Any]) -> None:
    event["request"]["session"] = [{"challengeName": "CUSTOM_CHALLENGE", "challengeResult": "true"}]


def _result_missing(event: dict[str, Any]) -> None:
    event["request"]["session"] = [{"challengeName": "CUSTOM_CHALLENGE"}]


def _result_one(event: dict[str, Any]) -> None:
    event["request"]["session"] = [{"challengeName": "CUSTOM_CHALLENGE", "challengeResult": 1}]


def _user_not_found_a_string(event: dict[str, Any]) -> None:
    event["request"]["userNotFound"] = "false"


def _no_request(event: dict[str, Any]) -> None:
    del event["request"]


@pytest.mark.parametrize(
    "spoil",
    [
        _no_session,
        _session_null,
        _session_a_dict,
        _entry_not_a_dict,
        _result_a_string,
        _result_missing,
        _result_one,
        _user_not_found_a_string,
        _no_request,
    ],
    ids=lambda spoil: spoil.__name__.strip("_"),
)
def test_define_fails_a_malformed_event(spoil: Any, email_user: User, logs: Logs) -> None:
    event = define_event(email_user, [entry(True)])
    spoil(event)

    assert decide(event) == {"issueTokens": False, "failAuthentication": True}
    assert failed(logs)["reason"] == "malformed_event"


@pytest.mark.parametrize("event", [None, [], "event", 7], ids=["none", "list", "string", "int"])
def test_define_fails_an_event_that_is_not_a_dict(event: Any, logs: Logs) -> None:
    assert decide(event) == {"issueTokens": False, "failAuthentication": True}
    assert failed(logs)["reason"] == "malformed_event"


def test_define_needs_neither_authsignal_nor_the_secret(
    fake: FakeAuthsignal, secrets: Secrets, email_user: User
) -> None:
    decide(define_event(email_user, []))
    decide(define_event(email_user, [entry(True)]))

    assert fake.calls() == []
    assert secrets.reads == 0


# --- the property ----------------------------------------------------------------------------

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.lists(st.none(), max_size=2),
    st.dictionaries(st.text(max_size=5), st.none(), max_size=2),
)
CHALLENGE_NAMES = st.one_of(st.sampled_from(["CUSTOM_CHALLENGE", "SRP_A", "PASSWORD_VERIFIER", "SMS_MFA", ""]), JUNK)
RESULTS = st.one_of(st.booleans(), JUNK)
ENTRIES = st.one_of(
    st.fixed_dictionaries(
        {"challengeName": CHALLENGE_NAMES, "challengeResult": RESULTS},
        optional={"challengeMetadata": st.one_of(st.none(), st.text(max_size=10))},
    ),
    JUNK,
)
WELL_FORMED = st.builds(entry, st.booleans(), st.sampled_from(["CUSTOM_CHALLENGE", "CUSTOM_CHALLENGE", "SRP_A"]))
SESSIONS = st.one_of(
    st.lists(st.builds(entry, st.booleans()), max_size=4).map(lambda session: [*session, entry(True)]),
    st.lists(WELL_FORMED, max_size=5),
    st.lists(ENTRIES, max_size=5),
    JUNK,
)


def _last_is_a_successful_custom_challenge(session: Any) -> bool:
    if not isinstance(session, list) or not session or not isinstance(session[-1], dict):
        return False
    last = session[-1]
    return last.get("challengeName") == "CUSTOM_CHALLENGE" and last.get("challengeResult") is True


# The autouse environment fixture is function-scoped; define reads nothing it resets.
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(session=SESSIONS, user_not_found=st.one_of(st.just(False), st.booleans(), JUNK))
def test_define_issues_tokens_only_when_the_last_entry_is_a_successful_custom_challenge(
    session: Any, user_not_found: Any, email_user: User
) -> None:
    event = define_event(email_user, [])
    event["request"]["session"] = session
    event["request"]["userNotFound"] = user_not_found
    output = io.StringIO()

    with contextlib.redirect_stdout(output):
        response = decide(event)

    note("tokens" if response["issueTokens"] else "no tokens")  # --hypothesis-show-statistics
    if response["issueTokens"] is not False:
        assert response["issueTokens"] is True
        assert _last_is_a_successful_custom_challenge(session)
        assert all(
            isinstance(item, dict)
            and item["challengeName"] == "CUSTOM_CHALLENGE"
            and isinstance(item["challengeResult"], bool)
            for item in session
        )
        assert user_not_found is False
    assert not (response["issueTokens"] and response["failAuthentication"])
    [line] = [json.loads(text) for text in output.getvalue().splitlines()]
    assert line["event"] in {"tokens_issued", "challenge_requested", "attempts_exhausted", "authentication_failed"}

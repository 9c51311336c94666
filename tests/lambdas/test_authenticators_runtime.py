"""The authenticators API: a token to add a passkey, the list of one's authenticators, removing
one of one's own. The user is the ``sub`` of a verified access token, never anything else."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from api import authenticators

from tests.fakes.authsignal_server import FakeAuthsignal
from tests.lambdas.support import (
    RECENT_AUTH_MINUTES,
    SECRET_KEY,
    Json,
    Logs,
    Secrets,
    User,
    access_claims,
    api_event,
    id_claims,
    tracked_attributes,
)

ADD = "POST /authenticators"
LIST = "GET /authenticators"
DELETE = "DELETE /authenticators/{authenticatorId}"


def call(event: Any) -> tuple[int, Any]:
    """Invoke the handler; return the status and the parsed JSON body (which must be JSON)."""
    response = authenticators.handler(event)
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])


def delete(user: User, authenticator_id: str) -> Json:
    return api_event(DELETE, access_claims(user), path_parameters={"authenticatorId": authenticator_id})


def deletes(fake: FakeAuthsignal) -> list[str]:
    return [call.path for call in fake.calls() if call.method == "DELETE"]


def route_events(user: User) -> list[Json]:
    return [
        api_event(ADD, access_claims(user)),
        api_event(LIST, access_claims(user)),
        delete(user, "0b8c8e02-5a0e-4d0b-9b3a-8f0a2c1d3e4f"),
    ]


ROUTE_IDS = ["add", "list", "delete"]
WINDOW = RECENT_AUTH_MINUTES * 60
# RFC 9470 section 3: the step-up answer, with max_age the window in seconds.
STEP_UP_CHALLENGE = (
    'Bearer error="insufficient_user_authentication", '
    f'error_description="A sign-in within the last {RECENT_AUTH_MINUTES} minutes is required", '
    f"max_age={WINDOW}"
)
STEP_UP_MESSAGE = (
    f"sign in again: adding or removing an authenticator needs a sign-in within the last {RECENT_AUTH_MINUTES} minutes"
)


# --- happy paths -----------------------------------------------------------------------------


def test_add_returns_a_token_tracked_for_the_sub_with_the_add_scope(fake: FakeAuthsignal, email_user: User) -> None:
    status, body = call(api_event(ADD, access_claims(email_user)))

    assert status == 200
    [track] = fake.calls()
    assert (track.method, track.path) == ("POST", f"/v1/users/{email_user.sub}/actions/addAuthenticator")
    assert tracked_attributes(track.body) == {"scope": "add:authenticators"}
    assert track.authorized
    assert set(body) == {"authsignalToken"}
    assert body["authsignalToken"] in fake.issued_tokens()


def test_the_token_from_add_enrols_a_passkey_that_list_then_shows(fake: FakeAuthsignal, email_user: User) -> None:
    _, added = call(api_event(ADD, access_claims(email_user)))

    authenticator_id = fake.enrol_passkey(added["authsignalToken"], name="Pixel 9")
    _, listed = call(api_event(LIST, access_claims(email_user)))

    assert [(item["id"], item["displayName"]) for item in listed["authenticators"]] == [(authenticator_id, "Pixel 9")]


def test_list_returns_the_users_authenticators_without_credential_material(
    fake: FakeAuthsignal, email_user: User
) -> None:
    authenticator_id = fake.add_authenticator(email_user.sub, name="YubiKey 5")

    status, body = call(api_event(LIST, access_claims(email_user)))

    assert status == 200
    assert body == {
        "authenticators": [
            {
                "id": authenticator_id,
                "type": "PASSKEY",
                "createdAt": "2025-01-02T03:04:05.000Z",
                "lastUsedAt": "2025-02-03T04:05:06.000Z",
                "displayName": "YubiKey 5",
            }
        ]
    }
    assert [call.path for call in fake.calls()] == [f"/v1/users/{email_user.sub}/authenticators"]


def test_list_is_empty_for_a_user_without_authenticators(fake: FakeAuthsignal, email_user: User) -> None:
    assert call(api_event(LIST, access_claims(email_user))) == (200, {"authenticators": []})


def test_list_shows_only_the_callers_authenticators(fake: FakeAuthsignal, email_user: User, other_user: User) -> None:
    mine = fake.add_authenticator(email_user.sub)
    fake.add_authenticator(other_user.sub)

    _, body = call(api_event(LIST, access_claims(email_user)))

    assert [item["id"] for item in body["authenticators"]] == [mine]


def test_delete_removes_the_users_own_authenticator(fake: FakeAuthsignal, email_user: User, logs: Logs) -> None:
    authenticator_id = fake.add_authenticator(email_user.sub)
    kept = fake.add_authenticator(email_user.sub)

    assert call(delete(email_user, authenticator_id)) == (200, {"deleted": authenticator_id})

    assert deletes(fake) == [f"/v1/users/{email_user.sub}/authenticators/{authenticator_id}"]
    assert fake.authenticator_ids(email_user.sub) == {kept}
    assert "authenticator_removed" in [line["event"] for line in logs.lines]


# --- a recent sign-in for changes (RFC 9470 step-up) ------------------------------------------


def signed_in_ago(user: User, seconds: int) -> dict[str, str]:
    return access_claims(user, auth_time=int(time.time()) - seconds)


def answer(event: Json) -> tuple[int, str | None, Any]:
    response = authenticators.handler(event)
    return response["statusCode"], response["headers"].get("WWW-Authenticate"), json.loads(response["body"])


CHANGES = {
    "add": lambda claims, _: api_event(ADD, claims),
    "delete": lambda claims, authenticator_id: api_event(
        DELETE, claims, path_parameters={"authenticatorId": authenticator_id}
    ),
}


def two_authenticators(fake: FakeAuthsignal, user: User) -> str:
    """Give ``user`` two authenticators (so one may be deleted); the id of the first."""
    first = fake.add_authenticator(user.sub)
    fake.add_authenticator(user.sub)
    return first


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_change_within_the_window_after_sign_in_is_accepted(
    fake: FakeAuthsignal, change: Callable[..., dict[str, Any]], email_user: User
) -> None:
    authenticator_id = two_authenticators(fake, email_user)

    status, challenge, _ = answer(change(signed_in_ago(email_user, WINDOW - 30), authenticator_id))

    assert (status, challenge) == (200, None)


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_change_with_a_stale_sign_in_gets_the_rfc_9470_step_up_answer(
    fake: FakeAuthsignal, change: Callable[..., dict[str, Any]], email_user: User, logs: Logs
) -> None:
    authenticator_id = two_authenticators(fake, email_user)

    status, challenge, body = answer(change(signed_in_ago(email_user, WINDOW + 30), authenticator_id))

    assert (status, challenge, body) == (401, STEP_UP_CHALLENGE, {"message": STEP_UP_MESSAGE})
    assert fake.calls() == []
    assert len(fake.authenticator_ids(email_user.sub)) == 2
    step_up = next(line for line in logs.lines if line["event"] == "step_up_required")
    assert (step_up["reason"], step_up["status_code"]) == ("stale", 401)


def _no_auth_time(claims: dict[str, Any]) -> None:
    del claims["auth_time"]


def _empty(claims: dict[str, Any]) -> None:
    claims["auth_time"] = ""


def _iso_date(claims: dict[str, Any]) -> None:
    claims["auth_time"] = "2025-01-02T03:04:05Z"


def _fractional(claims: dict[str, Any]) -> None:
    claims["auth_time"] = str(time.time())


def _negative(claims: dict[str, Any]) -> None:
    claims["auth_time"] = "-" + claims["auth_time"]


def _boolean(claims: dict[str, Any]) -> None:
    claims["auth_time"] = True


def _far_future(claims: dict[str, Any]) -> None:
    claims["auth_time"] = str(int(time.time()) + 3600)


def _list(claims: dict[str, Any]) -> None:
    claims["auth_time"] = [claims["auth_time"]]


@pytest.mark.parametrize(
    "spoil",
    [_no_auth_time, _empty, _iso_date, _fractional, _negative, _boolean, _far_future, _list],
    ids=lambda spoil: spoil.__name__.strip("_"),
)
@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_change_with_a_missing_unparseable_or_future_auth_time_needs_a_new_sign_in(
    fake: FakeAuthsignal,
    change: Callable[..., dict[str, Any]],
    spoil: Callable[[dict[str, Any]], None],
    email_user: User,
) -> None:
    authenticator_id = two_authenticators(fake, email_user)
    claims = access_claims(email_user)
    spoil(claims)

    assert answer(change(claims, authenticator_id)) == (401, STEP_UP_CHALLENGE, {"message": STEP_UP_MESSAGE})
    assert fake.calls() == []


def test_an_auth_time_given_as_a_number_is_read_too(fake: FakeAuthsignal, email_user: User) -> None:
    claims: dict[str, Any] = access_claims(email_user)
    claims["auth_time"] = int(time.time())

    assert answer(api_event(ADD, claims))[0] == 200


def test_an_auth_time_a_little_ahead_of_the_functions_clock_is_recent(fake: FakeAuthsignal, email_user: User) -> None:
    assert answer(api_event(ADD, access_claims(email_user, auth_time=int(time.time()) + 20)))[0] == 200


def test_listing_needs_no_recent_sign_in(fake: FakeAuthsignal, email_user: User) -> None:
    assert answer(api_event(LIST, signed_in_ago(email_user, 7 * 24 * 3600))) == (200, None, {"authenticators": []})


def test_the_window_comes_from_the_environment(
    fake: FakeAuthsignal, monkeypatch: pytest.MonkeyPatch, email_user: User
) -> None:
    monkeypatch.setenv("RECENT_AUTH_MINUTES", "2")
    claims = signed_in_ago(email_user, 150)

    status, challenge, _ = answer(api_event(ADD, claims))

    assert status == 401
    assert challenge is not None and challenge.endswith(", max_age=120")
    monkeypatch.setenv("RECENT_AUTH_MINUTES", "3")
    assert answer(api_event(ADD, claims))[0] == 200


@pytest.mark.parametrize("window", [None, "", "0", "61", "ten", "-5"], ids=["unset", "empty", "0", "61", "word", "neg"])
def test_a_missing_or_invalid_window_fails_closed_with_500(
    fake: FakeAuthsignal, monkeypatch: pytest.MonkeyPatch, window: str | None, email_user: User, logs: Logs
) -> None:
    if window is None:
        monkeypatch.delenv("RECENT_AUTH_MINUTES")
    else:
        monkeypatch.setenv("RECENT_AUTH_MINUTES", window)

    assert call(api_event(ADD, access_claims(email_user))) == (500, {"message": "internal error"})
    assert fake.calls() == []
    assert logs.one_problem()["event"] == "api_error"


# --- never the last authenticator ------------------------------------------------------------


def test_delete_of_the_users_only_authenticator_answers_409_and_deletes_nothing(
    fake: FakeAuthsignal, email_user: User
) -> None:
    only = fake.add_authenticator(email_user.sub)

    status, body = call(delete(email_user, only))

    assert (status, body) == (409, {"message": "this is your only authenticator: add another one before removing it"})
    assert deletes(fake) == []
    assert fake.authenticator_ids(email_user.sub) == {only}


def test_the_last_of_two_authenticators_cannot_be_deleted_after_the_first(
    fake: FakeAuthsignal, email_user: User
) -> None:
    first, second = fake.add_authenticator(email_user.sub), fake.add_authenticator(email_user.sub)

    assert call(delete(email_user, first))[0] == 200
    assert call(delete(email_user, second))[0] == 409
    assert fake.authenticator_ids(email_user.sub) == {second}


@pytest.mark.parametrize(
    "malformed",
    [
        {"verificationMethod": "PASSKEY"},
        {"userAuthenticatorId": "", "verificationMethod": "PASSKEY"},
        {"userAuthenticatorId": None, "verificationMethod": "EMAIL_OTP"},
        {"userAuthenticatorId": 7, "verificationMethod": "SMS"},
    ],
    ids=["no_id", "empty_id", "null_id", "number_id"],
)
def test_an_item_without_an_id_does_not_make_the_only_authenticator_deletable(
    fake: FakeAuthsignal, email_user: User, malformed: dict[str, Any]
) -> None:
    """The last check counts distinct authenticator ids, not the items Authsignal lists."""
    only = fake.add_authenticator(email_user.sub)
    fake.list_as_is(email_user.sub, malformed)

    assert call(delete(email_user, only))[0] == 409
    assert only in fake.authenticator_ids(email_user.sub)


def test_the_same_authenticator_listed_twice_is_still_the_only_one(fake: FakeAuthsignal, email_user: User) -> None:
    only = fake.add_authenticator(email_user.sub)
    [item] = fake.authenticators(email_user.sub)
    fake.list_as_is(email_user.sub, dict(item))

    assert call(delete(email_user, only))[0] == 409


@pytest.mark.parametrize("method", ["TOTP", "PUSH", None])
def test_an_authenticator_that_cannot_sign_in_does_not_make_the_last_one_deletable(
    fake: FakeAuthsignal, email_user: User, method: str | None
) -> None:
    """An authenticator app or the like is no way to sign in: it never counts as a second one."""
    only = fake.add_authenticator(email_user.sub)
    fake.list_as_is(email_user.sub, {"userAuthenticatorId": "totp-1", "verificationMethod": method})

    assert call(delete(email_user, only))[0] == 409
    assert only in fake.authenticator_ids(email_user.sub)


def test_delete_of_another_users_only_authenticator_still_answers_404(
    fake: FakeAuthsignal, email_user: User, other_user: User
) -> None:
    fake.add_authenticator(email_user.sub)
    theirs = fake.add_authenticator(other_user.sub)

    assert call(delete(email_user, theirs)) == (404, {"message": "authenticator not found"})
    assert fake.authenticator_ids(other_user.sub) == {theirs}


# --- refusals --------------------------------------------------------------------------------


def test_delete_of_another_users_authenticator_answers_404_and_deletes_nothing(
    fake: FakeAuthsignal, email_user: User, other_user: User
) -> None:
    theirs = fake.add_authenticator(other_user.sub)

    assert call(delete(email_user, theirs)) == (404, {"message": "authenticator not found"})

    assert deletes(fake) == []
    assert fake.authenticator_ids(other_user.sub) == {theirs}


def test_delete_of_an_unknown_authenticator_answers_404(fake: FakeAuthsignal, email_user: User) -> None:
    fake.add_authenticator(email_user.sub)

    status, _ = call(delete(email_user, "0b8c8e02-5a0e-4d0b-9b3a-8f0a2c1d3e4f"))

    assert status == 404
    assert deletes(fake) == []


@pytest.mark.parametrize(
    "authenticator_id",
    ["a" * 129, "../other-user", "id with spaces", "id;drop", "id%2F..", "émoji", "id\n", ""],
    ids=["129_chars", "dot_dot", "spaces", "semicolon", "percent", "non_ascii", "newline", "empty"],
)
def test_delete_answers_400_for_a_malformed_id_without_calling_authsignal(
    fake: FakeAuthsignal, authenticator_id: str, email_user: User
) -> None:
    assert call(delete(email_user, authenticator_id)) == (400, {"message": "malformed authenticator id"})

    assert fake.calls() == []


def test_delete_accepts_an_id_of_128_characters(fake: FakeAuthsignal, email_user: User) -> None:
    status, _ = call(delete(email_user, "a" * 128))

    assert status == 404  # well-formed, and not one of the user's
    assert [call.method for call in fake.calls()] == ["GET"]


def test_delete_answers_400_without_path_parameters(fake: FakeAuthsignal, email_user: User) -> None:
    event = api_event(DELETE, access_claims(email_user))

    assert call(event)[0] == 400
    assert fake.calls() == []


@pytest.mark.parametrize("index", range(3), ids=ROUTE_IDS)
def test_a_request_with_a_body_answers_400_without_calling_authsignal(
    fake: FakeAuthsignal, index: int, email_user: User, other_user: User
) -> None:
    event = route_events(email_user)[index]
    event["body"] = json.dumps({"userId": other_user.sub})

    assert call(event) == (400, {"message": "this route takes no request body"})

    assert fake.calls() == []


@pytest.mark.parametrize("index", range(3), ids=ROUTE_IDS)
def test_a_request_without_authorizer_claims_answers_401(fake: FakeAuthsignal, index: int, email_user: User) -> None:
    event = route_events(email_user)[index]
    del event["requestContext"]["authorizer"]

    assert call(event) == (401, {"message": "unauthorized"})
    assert fake.calls() == []


@pytest.mark.parametrize("index", range(3), ids=ROUTE_IDS)
def test_a_request_with_an_id_token_answers_401(fake: FakeAuthsignal, index: int, email_user: User, logs: Logs) -> None:
    event = route_events(email_user)[index]
    event["requestContext"]["authorizer"] = {"jwt": {"claims": id_claims(email_user), "scopes": None}}

    assert call(event) == (401, {"message": "unauthorized"})

    assert fake.calls() == []
    [line] = logs.lines
    assert (line["event"], line["status_code"]) == ("api_response", 401)
    logs.assert_free_of(email_user.email)


def _no_token_use(claims: dict[str, Any]) -> None:
    del claims["token_use"]


def _no_sub(claims: dict[str, Any]) -> None:
    del claims["sub"]


def _empty_sub(claims: dict[str, Any]) -> None:
    claims["sub"] = ""


def _sub_not_a_string(claims: dict[str, Any]) -> None:
    claims["sub"] = ["a", "b"]


@pytest.mark.parametrize(
    "spoil", [_no_token_use, _no_sub, _empty_sub, _sub_not_a_string], ids=lambda spoil: spoil.__name__.strip("_")
)
def test_a_request_with_unusable_claims_answers_401(
    fake: FakeAuthsignal, spoil: Callable[[dict[str, Any]], None], email_user: User
) -> None:
    claims = access_claims(email_user)
    spoil(claims)

    assert call(api_event(LIST, claims)) == (401, {"message": "unauthorized"})
    assert fake.calls() == []


@pytest.mark.parametrize("claims", [None, "sub=x", ["token_use", "access"]], ids=["null", "string", "list"])
def test_a_request_whose_claims_are_not_an_object_answers_401(
    fake: FakeAuthsignal, claims: Any, email_user: User
) -> None:
    event = api_event(LIST, access_claims(email_user))
    event["requestContext"]["authorizer"]["jwt"]["claims"] = claims

    assert call(event)[0] == 401


@pytest.mark.parametrize("event", [None, [], "event", 7], ids=["none", "list", "string", "int"])
def test_an_event_that_is_not_a_dict_answers_401(fake: FakeAuthsignal, event: Any) -> None:
    assert call(event)[0] == 401
    assert fake.calls() == []


def test_an_unknown_route_answers_404(fake: FakeAuthsignal, email_user: User) -> None:
    assert call(api_event("PUT /authenticators", access_claims(email_user))) == (404, {"message": "route not found"})
    assert fake.calls() == []


@pytest.mark.parametrize("index", range(3), ids=ROUTE_IDS)
def test_an_authsignal_failure_answers_502(
    fake: FakeAuthsignal, break_authsignal: Callable[..., None], index: int, email_user: User, logs: Logs
) -> None:
    break_authsignal()

    assert call(route_events(email_user)[index]) == (502, {"message": "authenticator service unavailable"})

    problem = logs.one_problem()
    assert (problem["level"], problem["event"], problem["status_code"]) == ("ERROR", "api_error", 502)


def test_a_failed_delete_at_authsignal_answers_502(fake: FakeAuthsignal, email_user: User) -> None:
    authenticator_id = two_authenticators(fake, email_user)
    fake.fail("status", status=500, on="^DELETE ")

    assert call(delete(email_user, authenticator_id))[0] == 502


def test_a_secret_authsignal_rejects_answers_502(fake: FakeAuthsignal, secrets: Secrets, email_user: User) -> None:
    secrets.set("sk-another-tenant")

    assert call(api_event(LIST, access_claims(email_user)))[0] == 502
    assert [call.authorized for call in fake.calls()] == [False]


@pytest.mark.parametrize("index", range(3), ids=ROUTE_IDS)
def test_a_missing_secret_answers_500(
    fake: FakeAuthsignal, monkeypatch: pytest.MonkeyPatch, index: int, email_user: User, logs: Logs
) -> None:
    monkeypatch.delenv("AUTHSIGNAL_SECRET_ARN")

    assert call(route_events(email_user)[index]) == (500, {"message": "internal error"})

    assert fake.calls() == []
    problem = logs.one_problem()
    assert (problem["level"], problem["event"]) == ("ERROR", "api_error")


def test_a_placeholder_secret_answers_500(fake: FakeAuthsignal, secrets: Secrets, email_user: User) -> None:
    secrets.set("PLACEHOLDER: set the Authsignal secret key")

    assert call(api_event(ADD, access_claims(email_user))) == (500, {"message": "internal error"})
    assert fake.calls() == []


# --- what answers and logs never carry -------------------------------------------------------


def _every_answer(fake: FakeAuthsignal, user: User, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    bodies = []
    for event in route_events(user):
        bodies.append(authenticators.handler(event)["body"])
    for kind in ("status", "bad_json", "close"):
        fake.fail(kind, times=3)
        for event in route_events(user):
            bodies.append(authenticators.handler(event)["body"])
    monkeypatch.setattr(authenticators, "_dispatch", lambda *_: 1 / 0)  # a bug of ours
    bodies.append(authenticators.handler(route_events(user)[1])["body"])
    return bodies


def test_no_answer_carries_a_stack_trace_or_the_secret(
    fake: FakeAuthsignal, monkeypatch: pytest.MonkeyPatch, email_user: User
) -> None:
    fake.add_authenticator(email_user.sub)

    bodies = _every_answer(fake, email_user, monkeypatch)

    assert json.loads(bodies[-1]) == {"message": "internal error"}
    for body in bodies:
        assert set(json.loads(body)) <= {"message", "authsignalToken", "authenticators", "deleted"}
        assert "Traceback" not in body and "Error" not in body and SECRET_KEY not in body


def test_no_log_line_carries_the_secret_token_or_email(
    fake: FakeAuthsignal, monkeypatch: pytest.MonkeyPatch, email_user: User, logs: Logs
) -> None:
    bodies = _every_answer(fake, email_user, monkeypatch)

    tokens = [json.loads(body).get("authsignalToken") for body in bodies]
    logs.assert_free_of(email_user.email, *tokens)

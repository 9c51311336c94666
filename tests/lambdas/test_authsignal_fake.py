"""The fake Authsignal server itself: what the runtime tests and the end-to-end harness rely on
(authentication, the HTTP test controls, running standalone)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.fakes.authsignal_server import FakeAuthsignal
from tests.lambdas.support import SECRET_KEY

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_fake_rejects_a_missing_or_wrong_secret_with_401_and_records_it(fake: FakeAuthsignal) -> None:
    url = f"{fake.base_url}/v1/users/u-1/authenticators"

    assert requests.get(url, timeout=2).status_code == 401
    assert requests.get(url, auth=("sk-wrong", ""), timeout=2).status_code == 401
    assert requests.get(url, auth=(SECRET_KEY, ""), timeout=2).status_code == 200

    assert [call.authorized for call in fake.calls()] == [False, False, True]


def test_the_fake_is_controlled_over_http(fake: FakeAuthsignal) -> None:
    control = f"{fake.base_url}/__fake"
    secret = (SECRET_KEY, "")
    tracked = requests.post(
        f"{fake.base_url}/v1/users/u-1/actions/cognitoAuth", json={"email": "a@example.com"}, auth=secret, timeout=2
    ).json()

    completed = requests.post(f"{control}/complete", json={"token": tracked["token"]}, timeout=2)
    token = completed.json()["result"]
    validated = requests.post(f"{fake.base_url}/v1/validate", json={"token": token}, auth=secret, timeout=2).json()
    calls = requests.get(f"{control}/calls", timeout=2).json()

    assert (validated["isValid"], validated["state"], validated["userId"]) == (True, "CHALLENGE_SUCCEEDED", "u-1")
    assert [(call["method"], call["path"], call["body"]) for call in calls] == [
        ("POST", "/v1/users/u-1/actions/cognitoAuth", {"email": "a@example.com"}),
        ("POST", "/v1/validate", {"token": token}),
    ]
    requests.post(f"{control}/reset", timeout=2).raise_for_status()
    assert requests.get(f"{control}/calls", timeout=2).json() == []


def test_the_fake_answers_400_to_a_bad_control_and_404_to_an_unknown_one(fake: FakeAuthsignal) -> None:
    control = f"{fake.base_url}/__fake"

    assert requests.post(f"{control}/complete", json={"token": "never-issued"}, timeout=2).status_code == 400
    assert requests.post(f"{control}/fail", json={"kind": "explode"}, timeout=2).status_code == 400
    assert requests.post(f"{control}/enrol_passkey", json={"token": "never-issued"}, timeout=2).status_code == 400
    assert requests.post(f"{control}/stop", timeout=2).status_code == 404


def test_the_fake_enrols_a_passkey_only_with_a_token_of_the_add_scope(fake: FakeAuthsignal) -> None:
    secret = (SECRET_KEY, "")
    track = f"{fake.base_url}/v1/users/u-1/actions"
    sign_in = requests.post(f"{track}/cognitoAuth", json={"email": "a@example.com"}, auth=secret, timeout=2).json()
    add = requests.post(f"{track}/addAuthenticator", json={"scope": "add:authenticators"}, auth=secret, timeout=2)

    authenticator_id = fake.enrol_passkey(add.json()["token"])

    assert fake.authenticator_ids("u-1") == {authenticator_id}
    assert (
        requests.post(f"{fake.base_url}/__fake/enrol_passkey", json={"token": sign_in["token"]}, timeout=2).status_code
        == 400
    )


def _post_track(fake: FakeAuthsignal, user_id: str, body: dict[str, str]) -> requests.Response:
    return requests.post(
        f"{fake.base_url}/v1/users/{user_id}/actions/cognitoAuth", json=body, auth=(SECRET_KEY, ""), timeout=2
    )


def _track(fake: FakeAuthsignal, user_id: str, body: dict[str, str]) -> dict[str, Any]:
    return _post_track(fake, user_id, body).json()


def _validate(fake: FakeAuthsignal, token: str) -> dict[str, Any]:
    return requests.post(f"{fake.base_url}/v1/validate", json={"token": token}, auth=(SECRET_KEY, ""), timeout=2).json()


def test_completing_a_challenge_yields_a_distinct_token_that_reports_the_tracked_action(fake: FakeAuthsignal) -> None:
    tracked = _track(fake, "u-1", {"email": "a@example.com"})

    token = fake.complete(tracked["token"])

    assert token != tracked["token"]
    validated = _validate(fake, token)
    assert set(validated) == {
        "isValid",
        "state",
        "stateUpdatedAt",
        "userId",
        "action",
        "idempotencyKey",
        "verificationMethod",
    }
    assert (validated["isValid"], validated["state"], validated["userId"], validated["action"]) == (
        True,
        "CHALLENGE_SUCCEEDED",
        "u-1",
        "cognitoAuth",
    )
    assert validated["idempotencyKey"] == tracked["idempotencyKey"]
    assert validated["verificationMethod"] == "EMAIL_OTP"
    assert datetime.fromisoformat(validated["stateUpdatedAt"]).tzinfo is not None


def test_an_sms_challenge_reports_the_sms_method(fake: FakeAuthsignal) -> None:
    tracked = _track(fake, "u-1", {"phoneNumber": "+447700900123"})

    assert _validate(fake, fake.complete(tracked["token"]))["verificationMethod"] == "SMS"


def test_the_track_token_validates_as_succeeded_only_once_its_challenge_is_completed(fake: FakeAuthsignal) -> None:
    """Lenient where the real service is not documented: a completed action's track token
    validates like its validation token, so the product's own checks must refuse it."""
    tracked = _track(fake, "u-1", {"email": "a@example.com"})
    before = _validate(fake, tracked["token"])
    validation_token = fake.complete(tracked["token"])

    assert (before["isValid"], before["state"]) == (False, "CHALLENGE_REQUIRED")
    assert _validate(fake, tracked["token"]) == _validate(fake, validation_token)
    assert _validate(fake, validation_token)["isValid"] is True


def test_every_tracked_action_has_its_own_idempotency_key(fake: FakeAuthsignal) -> None:
    first, second = (_track(fake, "u-1", {"email": "a@example.com"}) for _ in range(2))

    assert first["idempotencyKey"] != second["idempotencyKey"]


def test_a_validation_token_validates_any_number_of_times(fake: FakeAuthsignal) -> None:
    token = fake.complete(_track(fake, "u-1", {"email": "a@example.com"})["token"])

    assert _validate(fake, token) == _validate(fake, token) == _validate(fake, token)
    assert _validate(fake, token)["isValid"] is True


def test_a_passkey_sign_in_is_its_own_succeeded_action(fake: FakeAuthsignal) -> None:
    fake.add_authenticator("u-1")
    tracked = _track(fake, "u-1", {"email": "a@example.com"})

    validated = _validate(fake, fake.passkey_sign_in("u-1"))

    assert (validated["isValid"], validated["state"], validated["action"], validated["verificationMethod"]) == (
        True,
        "CHALLENGE_SUCCEEDED",
        "cognitoAuth",
        "PASSKEY",
    )
    assert validated["idempotencyKey"] != tracked["idempotencyKey"]


def test_a_passkey_sign_in_needs_a_passkey(fake: FakeAuthsignal) -> None:
    fake.add_authenticator("u-1", verification_method="SMS")

    with pytest.raises(KeyError):
        fake.passkey_sign_in("u-1")


def test_a_passkey_token_can_be_aged_and_its_answer_forged(fake: FakeAuthsignal) -> None:
    fake.add_authenticator("u-1")
    token = fake.passkey_sign_in("u-1", state_updated_at="2025-01-02T03:04:05.000Z")
    assert _validate(fake, token)["stateUpdatedAt"] == "2025-01-02T03:04:05.000Z"

    fake.forge(token, state_updated_at=None, user_id="u-2")

    assert "stateUpdatedAt" not in _validate(fake, token)
    assert _validate(fake, token)["userId"] == "u-2"
    with pytest.raises(ValueError):
        fake.forge(token, scope="another")


def test_the_fake_runs_standalone() -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.authsignal_server", "--port", "0", "--secret", "sk-standalone"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        requests.post(f"{base_url}/__fake/add_authenticator", json={"user_id": "u-1"}, timeout=2)
        token = requests.post(f"{base_url}/__fake/passkey_sign_in", json={"user_id": "u-1"}, timeout=2)
        found = requests.post(
            f"{base_url}/v1/validate", auth=("sk-standalone", ""), timeout=2, json={"token": token.json()["result"]}
        )

        assert (found.json()["userId"], found.json()["verificationMethod"]) == ("u-1", "PASSKEY")
    finally:
        server.terminate()
        server.wait(timeout=5)


# --- fault injection and idempotent track ------------------------------------------------------


def test_a_track_with_our_idempotency_key_is_that_action_and_a_repeat_answers_it_again(
    fake: FakeAuthsignal,
) -> None:
    first = _track(fake, "u-1", {"email": "a@example.com", "idempotencyKey": "k-1"})
    again = _track(fake, "u-1", {"email": "a@example.com", "idempotencyKey": "k-1"})
    other = _track(fake, "u-1", {"email": "a@example.com", "idempotencyKey": "k-2"})

    assert (first["idempotencyKey"], again["token"], again["idempotencyKey"]) == ("k-1", first["token"], "k-1")
    assert other["token"] != first["token"]
    assert _validate(fake, fake.complete(again["token"]))["idempotencyKey"] == "k-1"
    assert _post_track(fake, "u-2", {"idempotencyKey": "k-1"}).status_code == 400


def test_a_fault_rate_fails_that_share_of_requests_repeatably(fake: FakeAuthsignal) -> None:
    control = f"{fake.base_url}/__fake"

    def statuses() -> list[int]:
        url = f"{fake.base_url}/v1/users/u-1/authenticators"
        with requests.Session() as session:
            return [session.get(url, auth=(SECRET_KEY, ""), timeout=2).status_code for _ in range(100)]

    requests.post(
        f"{control}/set_fault_rate", json={"rate": 0.3, "kinds": ["status"], "seed": 7}, timeout=2
    ).raise_for_status()
    first = statuses()
    fake.set_fault_rate(0.3, ["status"], seed=7)
    second = statuses()

    assert first == second
    assert 15 <= first.count(503) <= 45 and set(first) == {200, 503}
    assert fake.fault_counts() == {"status": second.count(503)}  # counted since the last set_fault_rate
    fake.set_fault_rate(0)
    assert set(statuses()) == {200}


def test_an_outage_fails_every_request_until_it_ends(fake: FakeAuthsignal) -> None:
    url = f"{fake.base_url}/v1/users/u-1/authenticators"
    down = requests.post(f"{fake.base_url}/__fake/outage", json={"on": True, "kinds": ["status"]}, timeout=2)
    down.raise_for_status()

    assert {requests.get(url, auth=(SECRET_KEY, ""), timeout=2).status_code for _ in range(20)} == {503}

    fake.outage(on=False)
    assert requests.get(url, auth=(SECRET_KEY, ""), timeout=2).status_code == 200


def test_a_reset_handles_the_request_and_loses_the_answer(fake: FakeAuthsignal) -> None:
    fake.fail("reset")

    with pytest.raises(requests.ConnectionError):
        _track(fake, "u-1", {"email": "a@example.com", "idempotencyKey": "k-lost"})

    assert len(fake.issued_tokens()) == 1  # tracked, though nobody heard the answer
    assert (
        _track(fake, "u-1", {"email": "a@example.com", "idempotencyKey": "k-lost"})["token"] == fake.issued_tokens()[0]
    )


def test_slow_answers_come_after_the_delay(fake: FakeAuthsignal) -> None:
    fake.outage(kinds=["delay"], delay=0.5)

    with pytest.raises(requests.Timeout):
        requests.get(f"{fake.base_url}/v1/users/u-1/authenticators", auth=(SECRET_KEY, ""), timeout=0.2)


def test_the_fake_refuses_a_bad_fault_rate_or_kind(fake: FakeAuthsignal) -> None:
    control = f"{fake.base_url}/__fake"

    assert requests.post(f"{control}/set_fault_rate", json={"rate": 1.5}, timeout=2).status_code == 400
    assert requests.post(f"{control}/outage", json={"kinds": ["explode"]}, timeout=2).status_code == 400


@pytest.mark.parametrize(
    ("theirs", "method"),
    [({"email": "m@evil.example"}, "EMAIL_OTP"), ({"phone": "+447700900999"}, "SMS"), ({"passkey": True}, "PASSKEY")],
)
def test_a_user_with_no_authenticator_may_enrol_any_first_one_with_a_track_token(
    fake: FakeAuthsignal, theirs: dict[str, Any], method: str
) -> None:
    """As Authsignal documents: the holder of the token enrols the first method, and the
    challenge then goes there."""
    tracked = _track(fake, "u-1", {"email": "a@example.com"})
    assert tracked["isEnrolled"] is False

    fake.enroll_with_token(tracked["token"], **theirs)

    assert _validate(fake, fake.complete(tracked["token"]))["verificationMethod"] == method
    assert [item["verificationMethod"] for item in fake.authenticators("u-1")] == [method]


def test_an_enrolled_user_cannot_enrol_another_authenticator_with_a_sign_in_track_token(fake: FakeAuthsignal) -> None:
    fake.add_authenticator("u-1", verification_method="EMAIL_OTP", email="a@example.com")
    tracked = _track(fake, "u-1", {"email": "a@example.com"})

    with pytest.raises(KeyError):
        fake.enroll_with_token(tracked["token"], email="m@evil.example")

    assert len(fake.authenticators("u-1")) == 1


def test_enrolling_a_verified_authenticator_records_it_once(fake: FakeAuthsignal) -> None:
    url = f"{fake.base_url}/v1/users/u-1/authenticators"
    body = {"verificationMethod": "SMS", "phoneNumber": "+447700900123"}

    first, again = (requests.post(url, json=body, auth=(SECRET_KEY, ""), timeout=2) for _ in range(2))
    wrong = requests.post(url, json={"verificationMethod": "PUSH"}, auth=(SECRET_KEY, ""), timeout=2)

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()  # a repeated enrolment is the same authenticator
    assert first.json()["authenticator"]["phoneNumber"] == "+447700900123"
    assert wrong.status_code == 400
    assert _track(fake, "u-1", {"phoneNumber": "+447700900123"})["isEnrolled"] is True

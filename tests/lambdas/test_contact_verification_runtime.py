"""Verification follows proof: an email OTP (or magic link) makes the email verified, an SMS the
phone number, through AdminUpdateUserAttributes on the (moto) user pool; a passkey verifies
nothing, an already verified contact costs no call, and a failure (a throttled call too) does not
fail the sign-in: the next one sets the flag."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from shared import aws as functions_aws
from triggers import create_auth_challenge, verify_auth_challenge

from tests.fakes.authsignal_server import FakeAuthsignal
from tests.lambdas.support import REGION, Json, LambdaContext, Logs, User, create_event, new_user, verify_event


class Pool:
    """A moto user pool with email and phone number as usernames, as the stack builds it."""

    def __init__(self) -> None:
        self.cognito = boto3.client("cognito-idp", region_name=REGION)
        self.id = self.cognito.create_user_pool(
            PoolName="passwordless", UsernameAttributes=["email", "phone_number"], AutoVerifiedAttributes=[]
        )["UserPool"]["Id"]
        self.updates = 0
        self.cognito.meta.events.register("before-call.cognito-idp.AdminUpdateUserAttributes", self._count)

    def _count(self, **_: Any) -> None:
        self.updates += 1

    def sign_up(self, user: User) -> str:
        """The user as pre sign-up leaves them: confirmed, contact not verified. Their userName."""
        attributes = (
            [{"Name": "email", "Value": user.email}] if user.email else [{"Name": "phone_number", "Value": user.phone}]
        )
        created = self.cognito.admin_create_user(
            UserPoolId=self.id, Username=user.typed, UserAttributes=attributes, MessageAction="SUPPRESS"
        )
        return created["User"]["Username"]

    def attributes(self, user_name: str) -> dict[str, str]:
        found = self.cognito.admin_get_user(UserPoolId=self.id, Username=user_name)["UserAttributes"]
        return {attribute["Name"]: attribute["Value"] for attribute in found}


@pytest.fixture
def pool() -> Pool:
    return Pool()


def answer_event(
    fake: FakeAuthsignal,
    pool: Pool,
    user: User,
    user_name: str,
    *,
    answer: str | None = None,
    method: str | None = None,
) -> Json:
    """The verify event of a sign-in the create trigger started: answering with ``answer``, or
    with the completed challenge's token (its ``verificationMethod`` forged to ``method``)."""
    created = create_auth_challenge.handler(create_event(user))["response"]
    token = answer or fake.complete(created["publicChallengeParameters"]["token"])
    if method:
        fake.forge(token, verification_method=method)
    return verify_event(user, token, created["privateChallengeParameters"], user_pool_id=pool.id, user_name=user_name)


def signs_in(fake: FakeAuthsignal, pool: Pool, user: User, user_name: str, answer: str | None = None) -> bool:
    event = answer_event(fake, pool, user, user_name, answer=answer)
    return verify_auth_challenge.handler(event)["response"]["answerCorrect"]


def test_an_email_otp_makes_the_email_verified(fake: FakeAuthsignal, pool: Pool) -> None:
    user = new_user(email="grace@example.com", verified=False)
    user_name = pool.sign_up(user)
    assert pool.attributes(user_name).get("email_verified") != "true"

    assert signs_in(fake, pool, user, user_name) is True

    assert pool.attributes(user_name)["email_verified"] == "true"
    assert "phone_number_verified" not in pool.attributes(user_name)


def test_an_sms_otp_makes_the_phone_number_verified(fake: FakeAuthsignal, pool: Pool) -> None:
    user = new_user(phone="+447700900123", verified=False)
    user_name = pool.sign_up(user)

    assert signs_in(fake, pool, user, user_name) is True

    assert pool.attributes(user_name)["phone_number_verified"] == "true"
    assert "email_verified" not in pool.attributes(user_name)


@pytest.mark.parametrize("method", ["EMAIL_MAGIC_LINK", "EMAIL_OTP"])
@pytest.mark.usefixtures("magic_links_on")
def test_an_email_method_verifies_the_email(fake: FakeAuthsignal, pool: Pool, method: str) -> None:
    user = new_user(email="grace@example.com", verified=False)
    user_name = pool.sign_up(user)
    event = answer_event(fake, pool, user, user_name, method=method)

    assert verify_auth_challenge.handler(event)["response"]["answerCorrect"] is True

    assert pool.attributes(user_name)["email_verified"] == "true"


def test_an_sms_answer_on_an_email_account_is_refused_and_verifies_nothing(fake: FakeAuthsignal, pool: Pool) -> None:
    """An SMS to some phone Authsignal knows proves nothing about the account's email: the
    answer is wrong (``wrong_method``) and the email stays unverified."""
    user = new_user(email="grace@example.com", verified=False)
    user_name = pool.sign_up(user)
    event = answer_event(fake, pool, user, user_name, method="SMS")

    assert verify_auth_challenge.handler(event)["response"]["answerCorrect"] is False

    assert pool.attributes(user_name).get("email_verified") != "true"
    assert pool.updates == 0


def test_a_passkey_sign_in_verifies_nothing(fake: FakeAuthsignal, pool: Pool) -> None:
    user = new_user(email="grace@example.com", verified=False)
    user_name = pool.sign_up(user)
    fake.add_authenticator(user.sub)

    assert signs_in(fake, pool, user, user_name, fake.passkey_sign_in(user.sub)) is True

    assert pool.attributes(user_name).get("email_verified") != "true"
    assert pool.updates == 0


def test_an_already_verified_email_costs_no_cognito_call(fake: FakeAuthsignal, pool: Pool) -> None:
    user = new_user(email="grace@example.com", verified=True)
    user_name = pool.sign_up(user)

    assert signs_in(fake, pool, user, user_name) is True

    assert pool.updates == 0


def test_a_rejected_answer_verifies_nothing(fake: FakeAuthsignal, pool: Pool) -> None:
    user = new_user(email="grace@example.com", verified=False)
    user_name = pool.sign_up(user)

    assert signs_in(fake, pool, user, user_name, answer="token-made-up") is False

    assert pool.updates == 0


def test_a_failure_to_verify_is_logged_once_and_the_sign_in_stands(
    fake: FakeAuthsignal, pool: Pool, logs: Logs
) -> None:
    user = new_user(email="grace@example.com", verified=False)
    user_name = pool.sign_up(user)
    pool.cognito.admin_delete_user(UserPoolId=pool.id, Username=user_name)

    assert signs_in(fake, pool, user, user_name) is True

    problem = logs.one_problem()
    assert (problem["event"], problem["reason"], problem["error"]) == (
        "contact_verification_failed",
        "email_verified",
        "UserNotFoundException",
    )
    assert problem["correlation_id"] == user.sub


def completed_email_otp(fake: FakeAuthsignal, pool: Pool) -> tuple[str, Json]:
    """A new, unverified email account that completed an email OTP: its user name and the verify
    event answering with it."""
    user = new_user(email="grace@example.com", verified=False)
    user_name = pool.sign_up(user)
    return user_name, answer_event(fake, pool, user, user_name)


def test_with_no_time_left_the_contact_update_is_skipped_and_the_sign_in_still_stands(
    fake: FakeAuthsignal, pool: Pool, logs: Logs
) -> None:
    """Cognito waits 5 s: a best-effort update that could outlast the invocation is not made."""
    user_name, event = completed_email_otp(fake, pool)

    # time for validate and the single-use put (kept for it), not for the update after them
    answer = verify_auth_challenge.handler(event, LambdaContext(2.5))["response"]["answerCorrect"]

    assert answer is True
    assert pool.updates == 0
    assert pool.attributes(user_name).get("email_verified") != "true"
    assert [line["event"] for line in logs.problems()] == ["contact_verification_skipped"]


def test_with_time_left_the_contact_update_is_made(fake: FakeAuthsignal, pool: Pool) -> None:
    user_name, event = completed_email_otp(fake, pool)

    assert verify_auth_challenge.handler(event, LambdaContext(4.0))["response"]["answerCorrect"] is True

    assert pool.attributes(user_name)["email_verified"] == "true"


def test_a_throttled_contact_update_leaves_the_sign_in_standing_and_the_next_sign_in_sets_the_flag(
    fake: FakeAuthsignal, pool: Pool, logs: Logs
) -> None:
    """A launch-day wave of first sign-ins meets the account's user-update rate (not adjustable):
    Cognito answers the function's own client TooManyRequestsException (botocore's Stubber answers
    for moto once), the person is signed in all the same, and their next sign-in sets the flag."""
    user = new_user(email="grace@example.com", verified=False)
    user_name = pool.sign_up(user)
    with Stubber(functions_aws.client("cognito-idp")) as cognito:
        cognito.add_client_error(
            "admin_update_user_attributes",
            service_error_code="TooManyRequestsException",
            service_message="Rate exceeded",
            http_status_code=400,
            expected_params={
                "UserPoolId": pool.id,
                "Username": user_name,
                "UserAttributes": [{"Name": "email_verified", "Value": "true"}],
            },
        )

        assert signs_in(fake, pool, user, user_name) is True

        cognito.assert_no_pending_responses()
    assert pool.attributes(user_name).get("email_verified") != "true"
    problem = logs.one_problem()
    assert (problem["event"], problem["reason"], problem["error"]) == (
        "contact_verification_throttled",
        "email_verified",
        "TooManyRequestsException",
    )
    assert problem["ContactVerificationThrottled"] == 1 and problem["correlation_id"] == user.sub

    assert signs_in(fake, pool, user, user_name) is True  # Cognito still says: not verified

    assert pool.attributes(user_name)["email_verified"] == "true"

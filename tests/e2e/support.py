"""What the end-to-end tests share besides fixtures: new users, the environment's settings, the
fake's record of calls, and the emulator's known differences from AWS (each one named)."""

from __future__ import annotations

import base64
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from e2e.emulator import aws_client
from e2e.fake_authsignal import FakeAuthsignalControls
from e2e.signin import PasswordlessClient, Tokens
from stacks.config import parse_environment
from tests.conftest import CONTEXT, ROOT  # noqa: F401 - ROOT as the e2e tests import it


def require_emulator(python: Path) -> None:
    """Skip the end-to-end tests when the emulator's interpreter is missing, except under CI
    (``CI=true``), where that fails the run: CI must never pass by skipping them all."""
    if python.exists():
        return
    missing = f"{python.parents[1].name} is missing: run scripts/setup to install the local AWS emulator"
    if os.environ.get("CI") == "true":
        pytest.fail(missing, pytrace=False)
    pytest.skip(missing)


LOCAL = parse_environment("local", CONTEXT["environments"]["local"])  # what the sandbox deploys
ATTEMPT_LIMIT = LOCAL.attempt_limit
SIGN_IN_ACTION = "cognitoAuth"
ADD_AUTHENTICATOR_ACTION = "addAuthenticator"

# Cognito's answer when a trigger raises (the create trigger refusing a blocked sign-in): AWS
# answers UserLambdaValidationException; MiniStack 1.5.33 answers InvalidLambdaResponseException.
# Both carry the trigger's message, which the tests check too.
TRIGGER_REFUSED_CODE = "InvalidLambdaResponseException"
# A pre sign-up refusal: UserLambdaValidationException, on AWS and in MiniStack alike.
SIGN_UP_REFUSED_CODE = "UserLambdaValidationException"


@dataclass(frozen=True)
class SignedIn:
    username: str
    sub: str
    tokens: Tokens


def new_email() -> str:
    return f"ada.{uuid.uuid4().hex[:12]}@example.com"


def new_phone() -> str:
    return "+4477009" + str(uuid.uuid4().int)[-5:]


def calls_for(authsignal: FakeAuthsignalControls, user_id: str) -> list[tuple[str, str, Any]]:
    """``(method, path, body)`` of each Authsignal call about ``user_id``, oldest first."""
    found = []
    for call in authsignal.calls():
        body = call["body"] if isinstance(call["body"], dict) else {}
        if (
            f"/users/{user_id}/" in call["path"]
            or call["query"].get("userId") == user_id
            or body.get("userId") == user_id
        ):
            assert call["authorized"], "the Lambdas must call Authsignal with the secret key"
            found.append((call["method"], call["path"], body))
    return found


def tampered(token: str, **claims: Any) -> str:
    """``token`` with some claims changed and its signature kept (so it no longer matches)."""
    header, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**decoded, **claims}).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def create_probe_stack(endpoint: str, name: str, template: dict[str, Any]) -> dict[str, str]:
    """A probe stack of a few resources, not an app: CloudFormation directly; its outputs."""
    cloudformation = aws_client("cloudformation", endpoint)
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))
    cloudformation.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig={"Delay": 1})
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def raw_sign_up(client: PasswordlessClient, username: str, **attributes: str) -> dict[str, Any]:
    """``SignUp`` as an attacker would call it: any username, any attributes."""
    return client.cognito.sign_up(
        ClientId=client.deployment.client_id,
        Username=username,
        Password="Aa1!" + "x" * 20,
        UserAttributes=[{"Name": name, "Value": value} for name, value in attributes.items()],
    )


def add_passkey(client: PasswordlessClient, authsignal: FakeAuthsignalControls, user: SignedIn) -> str:
    """``POST /authenticators``, then what ``passkey.signUp`` does with the token; the passkey's id."""
    added = client.call_api("POST", "/authenticators", user.tokens.access_token)
    assert added.status == 200
    assert set(added.body) == {"authsignalToken"}
    return authsignal.enrol_passkey(added.body["authsignalToken"])

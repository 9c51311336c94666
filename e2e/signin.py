"""Sign a user in against a deployed stack, step by step, the way the mobile app does it:
Cognito ``SignUp`` and ``CUSTOM_AUTH`` with boto3, Authsignal in the middle, then the
authenticators API with the access token. The end-to-end tests drive every flow through this
module, so the tool stays working.

    scripts/sign-in --stack dev-Passwordless --username ada@example.com [--sign-up] [--call-api]
    scripts/sign-in --sandbox [--state .sandbox/state.json] --username ada@example.com [--sign-up] [--call-api]
    ACCESS_TOKEN=$(scripts/sign-in --stack dev-Passwordless --username ada@example.com --print-access-token)

The stack's outputs (pool, client, API URL) are read from CloudFormation with your default AWS
credentials and region (``--region``, else ``AWS_REGION``, else ``AWS_DEFAULT_REGION`` or your
profile's), or from the local emulator with ``--endpoint-url``. ``--sandbox`` takes the stack,
endpoint and fake Authsignal from the running sandbox's state file, and enters the code as the
app does: the client API sends it, the tool reads it from the fake's outbox and verifies it. The
Authsignal challenge is otherwise completed by the local fake (``--fake-authsignal``, as a user
entering the OTP would), or by you:
open the challenge's URL (``--open`` opens it in your browser), complete it, and paste the
validation token. Tokens are shown only as a short prefix; ``--print-access-token`` asks for the
access token, whole and alone on standard output, and ``--print-exports`` for shell ``export`` lines
of the access token, the API's URL and the user's first authenticator, for
``eval "$(scripts/sign-in ... --print-exports)"`` before curl (the steps then go to standard error).

When Cognito throttles a call (``TooManyRequestsException``: the account's quota for its category
is used up), the tool waits and tries again, as an app should: at most ``Backoff.attempts`` tries,
each wait drawn at random up to a ceiling that doubles (full jitter), so many clients that were
throttled together do not all come back together. A throttled call was not carried out, so trying
it again changes nothing twice.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import http.client
import json
import os
import random
import secrets
import shlex
import sys
import threading
import time
import webbrowser
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from e2e.fake_authsignal import FakeAuthsignalControls, FakeAuthsignalError
from e2e.sandbox_state import DEFAULT_STATE_PATH, SandboxStateError, read_state

CUSTOM_CHALLENGE = "CUSTOM_CHALLENGE"
SHOWN_PREFIX = 8
THROTTLED = "TooManyRequestsException"

Say = Callable[[str], None]


def quiet(_: str) -> None:
    pass


def redact(value: str, keep: int = SHOWN_PREFIX) -> str:
    """A token as it may be shown: its first characters and its length."""
    return f"{value[:keep]}…({len(value)} chars)" if len(value) > keep else "…"


def redact_url(url: str) -> str:
    """A URL without its query (an Authsignal challenge URL carries a token there)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + ("?…" if parts.query else "")


class SignInError(Exception):
    """A step failed; ``code`` and ``message`` are what the service answered."""

    def __init__(self, step: str, code: str, message: str) -> None:
        super().__init__(f"{step}: {code}: {message}")
        self.step, self.code, self.message = step, code, message


@dataclass(frozen=True)
class Deployment:
    """What a client needs to know of one deployed environment: its stack's outputs."""

    stack_name: str
    region: str
    user_pool_id: str
    client_id: str
    api_url: str

    @classmethod
    def from_stack(cls, cloudformation: Any, stack_name: str) -> Deployment:
        try:
            stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
        except ClientError as error:
            raise SignInError(
                "DescribeStacks", error.response["Error"]["Code"], error.response["Error"].get("Message", "")
            ) from None
        return cls.from_outputs(
            stack_name, {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
        )

    @classmethod
    def from_outputs(cls, stack_name: str, outputs: dict[str, str]) -> Deployment:
        """From a stack's outputs already read (by key)."""
        missing = [key for key in ("Region", "UserPoolId", "UserPoolClientId", "ApiUrl") if not outputs.get(key)]
        if missing:
            raise SignInError("DescribeStacks", "MissingOutputs", f"{stack_name} has no output {', '.join(missing)}")
        return cls(stack_name, outputs["Region"], outputs["UserPoolId"], outputs["UserPoolClientId"], outputs["ApiUrl"])


@dataclass(frozen=True)
class Backoff:
    """How long to wait out Cognito's throttling: try ``attempts`` times in all; before try
    ``n + 1`` wait a random time up to ``base_seconds * 2 ** (n - 1)``, never above ``cap_seconds``."""

    attempts: int = 5
    base_seconds: float = 0.25
    cap_seconds: float = 4.0

    def ceiling(self, tries: int) -> float:
        """The longest wait after ``tries`` throttled tries."""
        return min(self.cap_seconds, self.base_seconds * 2 ** (tries - 1))

    def longest_total(self) -> float:
        """The most a call can spend waiting before it gives up."""
        return sum(self.ceiling(tries) for tries in range(1, self.attempts))


@dataclass(frozen=True)
class SignedUp:
    sub: str
    confirmed: bool


@dataclass(frozen=True)
class Challenge:
    """Cognito's custom challenge: what Authsignal handed the app (``url``, ``token``, ``isEnrolled``)."""

    username: str  # as Cognito wants it back in RespondToAuthChallenge
    session: str
    parameters: dict[str, str]

    @property
    def token(self) -> str:
        return self.parameters.get("token", "")

    @property
    def url(self) -> str:
        return self.parameters.get("url", "")

    @property
    def is_enrolled(self) -> bool:
        return self.parameters.get("isEnrolled") == "true"


@dataclass(frozen=True)
class Tokens:
    access_token: str
    id_token: str
    refresh_token: str
    expires_in: int

    @property
    def access_claims(self) -> dict[str, Any]:
        return jwt_claims(self.access_token)

    @property
    def id_claims(self) -> dict[str, Any]:
        return jwt_claims(self.id_token)


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)  # names lower-cased


def jwt_claims(token: str) -> dict[str, Any]:
    """A JWT's claims, not verified: for display and for tests (the API verifies tokens)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class PasswordlessClient:
    """The app's side of every flow, against one deployment; ``say`` narrates each step. A call
    Cognito throttles is tried again after a jittered wait (``backoff``; ``sleep`` and ``rng``
    are there for tests)."""

    def __init__(
        self,
        deployment: Deployment,
        cognito: Any,
        *,
        say: Say = quiet,
        backoff: Backoff = Backoff(),
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.deployment = deployment
        self.cognito = cognito
        self.say = say
        self.backoff = backoff
        self._sleep = sleep
        self._rng = rng or random.Random()

    # --- Cognito -------------------------------------------------------------------------

    def sign_up(self, username: str) -> SignedUp:
        """Sign up with an email address or a phone number (E.164).

        The password is random and thrown away: the user never has one to type.
        """
        attribute = "phone_number" if username.startswith("+") else "email"
        if attribute == "email" and "@" not in username:
            raise SignInError("SignUp", "InvalidUsername", "the username must be an email or an E.164 phone number")
        password = secrets.token_urlsafe(24) + "aA1!"
        self.say(f"→ SignUp {attribute}={username} (random password, never used)")
        result = self._call(
            "SignUp",
            self.cognito.sign_up,
            ClientId=self.deployment.client_id,
            Username=username,
            Password=password,
            UserAttributes=[{"Name": attribute, "Value": username}],
        )
        self.say(f"← UserConfirmed={result['UserConfirmed']} sub={result['UserSub']}")
        return SignedUp(result["UserSub"], result["UserConfirmed"])

    def start(self, username: str) -> Challenge:
        """``InitiateAuth`` with ``CUSTOM_AUTH``: Authsignal's challenge for this sign-in."""
        self.say(f"→ InitiateAuth CUSTOM_AUTH USERNAME={username}")
        result = self._call(
            "InitiateAuth",
            self.cognito.initiate_auth,
            ClientId=self.deployment.client_id,
            AuthFlow="CUSTOM_AUTH",
            AuthParameters={"USERNAME": username},
        )
        challenge = self._challenge_or_tokens("InitiateAuth", result, username)
        if isinstance(challenge, Tokens):  # no one may get tokens without answering a challenge
            raise SignInError("InitiateAuth", "TokensWithoutChallenge", "Cognito issued tokens without a challenge")
        return challenge

    def answer(self, challenge: Challenge, answer: str) -> Challenge | Tokens:
        """``RespondToAuthChallenge`` with the Authsignal validation token: tokens, or another try."""
        self.say(f"→ RespondToAuthChallenge ANSWER={redact(answer)}")
        result = self._call(
            "RespondToAuthChallenge",
            self.cognito.respond_to_auth_challenge,
            ClientId=self.deployment.client_id,
            ChallengeName=CUSTOM_CHALLENGE,
            Session=challenge.session,
            ChallengeResponses={"USERNAME": challenge.username, "ANSWER": answer},
        )
        return self._challenge_or_tokens("RespondToAuthChallenge", result, challenge.username)

    def sign_in(self, username: str, complete: Callable[[Challenge], str]) -> Tokens:
        """The whole sign-in: start, let ``complete`` produce the validation token, answer."""
        challenge = self.start(username)
        result = self.answer(challenge, complete(challenge))
        if not isinstance(result, Tokens):
            raise SignInError("RespondToAuthChallenge", "AnswerRejected", "Cognito asked again: the answer was wrong")
        return result

    def signs_in(self, challenge: Challenge, answer: str) -> bool:
        """Answer one session's challenge: True for tokens, False when Cognito asks again (the
        answer was refused). An error is no refusal: it raises, so a crash never passes for one."""
        return isinstance(self.answer(challenge, answer), Tokens)

    def answer_in_parallel(self, challenges: list[Challenge], answer: str) -> list[bool]:
        """``signs_in`` for every session at the same moment (threads released together)."""
        start = threading.Barrier(len(challenges))

        def respond(challenge: Challenge) -> bool:
            start.wait()
            return self.signs_in(challenge, answer)

        with ThreadPoolExecutor(len(challenges)) as pool:
            return list(pool.map(respond, challenges))

    def _challenge_or_tokens(self, step: str, result: dict[str, Any], username: str) -> Challenge | Tokens:
        if "AuthenticationResult" in result:
            issued = result["AuthenticationResult"]
            tokens = Tokens(
                issued["AccessToken"], issued["IdToken"], issued.get("RefreshToken", ""), issued.get("ExpiresIn", 0)
            )
            self.say(
                f"← tokens: AccessToken={redact(tokens.access_token)} IdToken={redact(tokens.id_token)} "
                f"RefreshToken={redact(tokens.refresh_token)} ExpiresIn={tokens.expires_in}"
            )
            return tokens
        if result.get("ChallengeName") != CUSTOM_CHALLENGE:
            raise SignInError(step, "UnexpectedChallenge", f"Cognito asked for {result.get('ChallengeName')}")
        parameters = result.get("ChallengeParameters", {})
        # Cognito names the user in the challenge (its internal username); fall back to what was typed.
        challenge = Challenge(parameters.get("USERNAME", username), result["Session"], parameters)
        self.say(
            f"← {CUSTOM_CHALLENGE} url={redact_url(challenge.url)} token={redact(challenge.token)} "
            f"isEnrolled={parameters.get('isEnrolled')}"
        )
        return challenge

    def _call(self, step: str, operation: Callable[..., dict[str, Any]], **arguments: Any) -> dict[str, Any]:
        """One Cognito call; a throttled one is tried again (``backoff``) until it is not, or
        the tries are used up."""
        for tries in range(1, self.backoff.attempts + 1):
            try:
                return operation(**arguments)
            except ClientError as error:
                failure = SignInError(step, error.response["Error"]["Code"], error.response["Error"].get("Message", ""))
            if failure.code != THROTTLED or tries == self.backoff.attempts:
                break
            pause = self._rng.uniform(0, self.backoff.ceiling(tries))
            self.say(f"… {step} throttled by Cognito ({THROTTLED}): trying again in {pause:.2f} s")
            self._sleep(pause)
        self.say(f"✗ {failure.code}: {failure.message}")
        raise failure

    # --- the authenticators API ----------------------------------------------------------

    def call_api(self, method: str, path: str, token: str | None) -> ApiResponse:
        """Call the API with ``Authorization: Bearer <token>`` (no header without a token)."""
        self.say(f"→ {method} {path}" + (f" Authorization: Bearer {redact(token)}" if token else " (no token)"))
        response = http_request(
            method, self.deployment.api_url.rstrip("/") + path, {"Authorization": f"Bearer {token}"} if token else {}
        )
        self.say(f"← {response.status} {_summary(response.body)}")
        return response


def http_request(method: str, url: str, headers: dict[str, str]) -> ApiResponse:
    """One HTTP request; a host under ``localhost`` is reached on 127.0.0.1 (RFC 6761), as
    browsers and curl do, because the C resolver Python uses does not."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    local = host == "localhost" or host.endswith(".localhost")
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class("127.0.0.1" if local else host, parts.port, timeout=30)
    try:
        connection.request(
            method,
            parts.path + (f"?{parts.query}" if parts.query else ""),
            headers={"Host": parts.netloc, "Accept": "application/json", **headers},
        )
        response = connection.getresponse()
        raw = response.read()
        headers = {name.lower(): value for name, value in response.getheaders()}
    finally:
        connection.close()
    try:
        body: Any = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode(errors="replace")
    return ApiResponse(response.status, body, headers)


def _summary(body: Any) -> str:
    """An API answer as it may be shown: ``authsignalToken`` redacted."""
    if isinstance(body, dict):
        return json.dumps(
            {
                key: redact(value) if key.lower().endswith("token") and isinstance(value, str) else value
                for key, value in body.items()
            }
        )
    return json.dumps(body)


# --- completing the Authsignal challenge ---------------------------------------------------


def ask_for_validation_token(open_browser: bool, say: Say) -> Callable[[Challenge], str]:
    """The user completes the challenge in Authsignal's UI and pastes the validation token."""

    def complete(challenge: Challenge) -> str:
        if open_browser and challenge.url:
            say("… opening the challenge in your browser")
            webbrowser.open(challenge.url)
        else:
            say("… complete the challenge in your app or Authsignal's pre-built UI (--open opens it here)")
        return getpass.getpass("Authsignal validation token (input hidden): ").strip()

    return complete


def complete_with_outbox(fake_url: str, username: str, say: Say) -> Callable[[Challenge], str]:
    """The app's way with the local fake: the client API sends a code to the user's contact, the
    tool reads it from the fake's outbox (as a person reads their mail) and verifies it."""
    controls = FakeAuthsignalControls(fake_url)

    def complete(challenge: Challenge) -> str:
        say(f"… code sent through the client API, read from the outbox ({controls.outbox_url}), verified")
        return controls.enter_code(challenge.token, username)

    return complete


def complete_with_fake(fake_url: str, say: Say) -> Callable[[Challenge], str]:
    """The local fake Authsignal completes the challenge, as a user entering the OTP would."""
    controls = FakeAuthsignalControls(fake_url)

    def complete(challenge: Challenge) -> str:
        say("… the fake Authsignal completes the challenge (as the user entering the OTP)")
        return controls.complete(challenge.token)

    return complete


def shell_exports(tokens: Tokens, api_url: str, authenticator_id: str) -> str:
    """The ``export`` lines ``--print-exports`` prints, quoted for any POSIX shell's ``eval``: what
    the curl examples need, so that none of their variables is left unset."""
    values = {"ACCESS_TOKEN": tokens.access_token, "API": api_url, "AUTHENTICATOR_ID": authenticator_id}
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in values.items())


def first_authenticator_id(response: ApiResponse | None) -> str:
    """The id of the first authenticator a ``GET /authenticators`` answer lists (the contact an
    account's first sign-in enrolled); empty when it lists none."""
    if response is None or response.status != 200 or not isinstance(response.body, dict):
        return ""
    listed = response.body.get("authenticators") or [{}]
    return str(listed[0].get("id") or "")


def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {value!r}")
    return value.rstrip("/")


def region_from(explicit: str | None, environ: Mapping[str, str]) -> str | None:
    """The region asked for: ``--region``, else ``AWS_REGION`` (which the AWS CLI and the other
    SDKs read but boto3 does not), else ``AWS_DEFAULT_REGION``; None leaves it to the profile."""
    return explicit or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/sign-in",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", default="dev-Passwordless", help="the environment's stack (default %(default)s)")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="the running local sandbox (its state file gives stack, endpoint and fake Authsignal)",
    )
    parser.add_argument(
        "--state",
        type=Path,
        default=DEFAULT_STATE_PATH,
        help="the sandbox's state file, with --sandbox (default .sandbox/state.json)",
    )
    parser.add_argument("--username", required=True, help="an email address or an E.164 phone number")
    parser.add_argument("--sign-up", action="store_true", help="sign the user up first")
    parser.add_argument("--region", help="AWS region (default: your AWS configuration's)")
    parser.add_argument(
        "--endpoint-url", type=_url, help="a local emulator, e.g. http://127.0.0.1:4566 (dummy credentials)"
    )
    parser.add_argument("--fake-authsignal", metavar="URL", type=_url, help="complete challenges with this local fake")
    parser.add_argument("--open", action="store_true", help="open the challenge URL in your browser")
    parser.add_argument("--call-api", action="store_true", help="then list the user's authenticators")
    printed = parser.add_mutually_exclusive_group()
    printed.add_argument(
        "--print-access-token",
        action="store_true",
        help="print the access token, whole, alone on standard output (steps to standard error)",
    )
    printed.add_argument(
        "--print-exports",
        action="store_true",
        help="print export lines of ACCESS_TOKEN, API, AUTHENTICATOR_ID for eval (steps to stderr)",
    )
    options = parser.parse_args(argv)
    if options.sandbox:
        try:
            state = read_state(options.state)
        except SandboxStateError as error:
            print(f"sign-in failed: {error}", file=sys.stderr)
            return 1
        options.stack, options.endpoint_url, options.region = state["stack"], state["endpoint"], state["region"]
        outbox_fake: str | None = state["authsignalUrl"].removesuffix("/v1")
    else:
        outbox_fake = None

    steps = sys.stderr if options.print_access_token or options.print_exports else sys.stdout

    def say(line: str) -> None:
        print(line, file=steps, flush=True)

    region = region_from(options.region, os.environ)
    if options.endpoint_url:
        session = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=region or "us-east-1"
        )
    else:
        session = boto3.session.Session(region_name=region)
    try:
        deployment = Deployment.from_stack(
            session.client("cloudformation", endpoint_url=options.endpoint_url), options.stack
        )
        say(
            f"stack {deployment.stack_name}: pool {deployment.user_pool_id}, client {deployment.client_id}, "
            f"API {deployment.api_url}"
        )
        cognito = session.client("cognito-idp", region_name=deployment.region, endpoint_url=options.endpoint_url)
        client = PasswordlessClient(deployment, cognito, say=say)
        if outbox_fake:
            complete = complete_with_outbox(outbox_fake, options.username, say)
        elif options.fake_authsignal:
            complete = complete_with_fake(options.fake_authsignal, say)
        else:
            complete = ask_for_validation_token(options.open, say)
        if options.sign_up:
            client.sign_up(options.username)
        tokens = client.sign_in(options.username, complete)
        claims = tokens.access_claims
        say(f"signed in: sub={claims.get('sub')} token_use={claims.get('token_use')}")
        listed = (
            client.call_api("GET", "/authenticators", tokens.access_token)
            if options.call_api or options.print_exports
            else None
        )
        if options.print_access_token:
            print(tokens.access_token, flush=True)
        if options.print_exports:
            print(shell_exports(tokens, deployment.api_url, first_authenticator_id(listed)), end="", flush=True)
    except SignInError as error:
        print(f"sign-in failed at {error.step}: {error.code}: {error.message}", file=sys.stderr)
        return 1
    except (BotoCoreError, FakeAuthsignalError, OSError) as error:
        print(f"sign-in failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

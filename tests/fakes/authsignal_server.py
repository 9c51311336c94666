"""A real HTTP fake of the part of Authsignal's server API that the product uses, and of the
client API the web app's ``@authsignal/browser`` calls (tests/fakes/authsignal_client_api.py,
under ``/v1/client``), on one state: a passkey added or a code verified in the browser is what
``validate`` reports.

Why a server and not a mock of the SDK: the handlers are tested through the very SDK they are
bundled with (its basic auth, its timeout, its decamelizing, its error handling), so the fake
must speak HTTP. Why this small: a fake is as small as the contract it stands for.

Endpoints (under ``/v1``, basic auth with the secret key as username, else 401):
  POST   /users/{userId}/actions/{action}        track
  POST   /validate                               validate a token
  GET    /users/{userId}/authenticators          list authenticators
  POST   /users/{userId}/authenticators          enrol a verified authenticator (email or SMS)
  DELETE /users/{userId}/authenticators/{id}     remove one

What it models, as Authsignal documents it, and never more forgiving than the real service could
be: every tracked action has its own ``idempotencyKey`` (the one ``track`` was sent, else a new
one); completing its challenge (``complete``) yields a validation token distinct from the track
token; ``passkey.signIn(action)`` (``passkey_sign_in``) creates its own succeeded action with
``verificationMethod: PASSKEY``. A user with no authenticator may enrol the first one with a
track token, any contact or a passkey (``enroll_with_token``, as Authsignal's pre-built UI and
client SDKs allow), and that action's challenge then goes to what was enrolled; a user with an
authenticator cannot enrol one with a sign-in's track token.
Where the real behaviour is unknown it takes the lenient side: a validation token validates any
number of times, a completed action's track token validates like its validation token, an
enrolment of an authenticator the user already has answers that one, and ``validate`` ignores
the ``userId`` and ``action`` it is given, so the product's own checks (this user, this action,
this sign-in, once) are what the tests prove.

``track`` with an ``idempotencyKey`` already tracked answers that same action (the same token and
key) for the same user and action, as a retried request needs; the same key for another user or
action is a 400. (Authsignal documents the field; what it answers to a repeat is not documented,
so the fake takes the lenient side.)

Faults: ``fail`` misbehaves on the next N requests; ``set_fault_rate`` makes a random share of
requests fail (503, a connection reset after the request was handled, or an answer slower than
the client waits); ``outage`` fails every request until turned off. A status fault can carry a
``Retry-After`` header (``retry_after``: seconds or an HTTP date), as a throttling server may.

One-time codes the client API sends go to an outbox (``outbox``, ``last_code``; ``GET /outbox``
is a small HTML page of them, newest first). The client API's tenant is ``tenant_id``; its
passkey ceremonies may come from ``origins`` (the app's).

Test controls are the public methods of ``FakeAuthsignal``; out-of-process users reach the same
methods as ``POST /__fake/{method}`` with the keyword arguments as a JSON object, and read the
recorded calls with ``GET /__fake/calls`` and the outbox with ``GET /__fake/outbox``. Run
standalone with ``python -m tests.fakes.authsignal_server --port N --secret KEY [--tenant-id ID]
[--origin http://localhost:5173] [--print-codes]``.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import re
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes import authsignal_client_api
from tests.fakes.outbox import OtpMessage, last_code, outbox_page
from tests.fakes.passkeys import RelyingPartyState
from tests.fakes.timestamps import now_iso

BODY_WAIT_SECONDS = 1.0
VALID_STATES = frozenset({"ALLOW", "CHALLENGE_SUCCEEDED", "REVIEW_SUCCEEDED"})
RULE_STATES = frozenset({"ALLOW", "CHALLENGE_REQUIRED", "BLOCK"})
FAULT_KINDS = frozenset({"status", "delay", "bad_json", "content_type", "close", "reset"})
TRANSIENT_KINDS = ("status", "reset", "delay")  # what an unwell Authsignal does, by default
CONTROLS = frozenset(
    {
        "reset",
        "set_rule",
        "complete",
        "passkey_sign_in",
        "forge",
        "add_authenticator",
        "list_as_is",
        "enrol_passkey",
        "enroll_with_token",
        "fail",
        "set_fault_rate",
        "outage",
        "fault_counts",
        "set_origins",
    }
)
DEFAULT_TENANT_ID = "fake-tenant"
CLIENT_PREFIX = ("v1", "client")
# What ``forge`` may change in what ``validate`` reports for a validation token.
FORGEABLE = frozenset({"user_id", "action", "idempotency_key", "state", "state_updated_at", "verification_method"})


@dataclass
class Call:
    """One request to ``/v1``, as the fake received it: tests assert on what was asked."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorized: bool


@dataclass
class _Action:
    """One tracked action. ``None`` fields are left out of ``validate``'s answer."""

    user_id: str
    action: str
    idempotency_key: str | None
    state: str
    state_updated_at: str | None
    scope: str | None = None
    contact: str | None = None  # "email" or "phoneNumber": where its OTP goes
    contact_value: str | None = None  # that address or number
    verification_method: str | None = None
    challenge_method: str | None = None  # what the holder of its token enrolled, if they did


@dataclass
class _Fault:
    kind: str
    times: int
    status: int
    delay: float
    on: str | None
    retry_after: str | None = None  # the Retry-After header of a status fault


@dataclass
class _Weather:
    """Random faults: each ``/v1`` request fails with probability ``rate`` (1 in an outage),
    as one of ``kinds`` picked at random."""

    rate: float = 0.0
    kinds: tuple[str, ...] = TRANSIENT_KINDS
    status: int = 503
    delay: float = 1.0
    random: random.Random = field(default_factory=random.Random)
    retry_after: str | None = None
    injected: dict[str, int] = field(default_factory=dict)  # kind -> how many so far


@dataclass
class _State:
    default_rule: str = "CHALLENGE_REQUIRED"
    rules: dict[str, str] = field(default_factory=dict)
    tracked: dict[str, _Action] = field(default_factory=dict)  # by the token track answered
    tracked_by_key: dict[str, str] = field(default_factory=dict)  # idempotencyKey -> track token
    validated: dict[str, _Action] = field(default_factory=dict)  # by validation token
    authenticators: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # user -> id -> item
    faults: list[_Fault] = field(default_factory=list)
    weather: _Weather = field(default_factory=_Weather)
    outage: _Weather | None = None
    calls: list[Call] = field(default_factory=list)
    # the client API's: codes sent by track token (channel, code), the outbox, passkeys, usernames
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)
    outbox: list[OtpMessage] = field(default_factory=list)
    passkeys: RelyingPartyState = field(default_factory=RelyingPartyState)
    usernames: dict[str, str] = field(default_factory=dict)  # user -> the username passkey.signUp gave


def tracked_attributes(body: Any) -> dict[str, Any]:
    """What a recorded ``track`` body asks besides its ``idempotencyKey``, which must be a fresh
    UUID (the product makes one per call, so a retried track is the same action)."""
    assert isinstance(body, dict), body
    key = body.get("idempotencyKey")
    assert isinstance(key, str) and uuid.UUID(key).version == 4, f"track without an idempotencyKey: {body}"
    return {name: value for name, value in body.items() if name != "idempotencyKey"}


class FakeAuthsignal:
    """The fake's state and test controls, served over HTTP on 127.0.0.1."""

    def __init__(
        self,
        secret: str,
        port: int = 0,
        *,
        tenant_id: str = DEFAULT_TENANT_ID,
        origins: list[str] | None = None,
        on_code: Callable[[OtpMessage], None] | None = None,
    ) -> None:
        self.secret = secret
        self.tenant_id = tenant_id  # what the client API's Basic auth carries
        self.origins = list(origins or [])  # the tenant's app origins: WebAuthn's expected origins
        self._on_code = on_code or (lambda message: None)  # told of every code sent (the sandbox prints it)
        self._lock = threading.Lock()
        self._state = _State()
        self._server = _Server(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """Scheme, host and port; the SDK's ``api_url`` is this plus ``/v1``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeAuthsignal:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-authsignal", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- test controls -------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything: rules, actions, tokens, authenticators, passkeys, codes, faults, calls."""
        with self._lock:
            self._state = _State()

    def set_rule(self, state: str, user_id: str | None = None) -> None:
        """What ``track`` answers for ``user_id`` (or for everyone without a rule of their own)."""
        if state not in RULE_STATES:
            raise ValueError(f"rule state must be one of {sorted(RULE_STATES)}")
        with self._lock:
            if user_id is None:
                self._state.default_rule = state
            else:
                self._state.rules[user_id] = state

    def complete(self, token: str, *, state: str = "CHALLENGE_SUCCEEDED") -> str:
        """Do what a user does in the app for ``token``'s action (enter the OTP sent to the contact
        it was tracked with); returns the new validation token the client SDK hands the app.

        The method is what the token's holder enrolled with it (``enroll_with_token``), else
        ``EMAIL_OTP`` or ``SMS`` after the contact tracked; ``state`` lets a test fail the
        challenge instead. The track token then validates like the validation token (lenient).
        """
        with self._lock:
            return self._complete(token, None, state)

    def _complete(self, token: str, method: str | None, state: str = "CHALLENGE_SUCCEEDED") -> str:
        """Complete ``token``'s action with ``method`` (default: as ``complete`` says); the lock is held."""
        found = self._state.tracked.get(token)
        if found is None:
            raise KeyError("the fake did not issue this token")
        if found.state == "BLOCK":
            raise KeyError("a blocked action has no challenge to complete")
        method = method or found.challenge_method or ("SMS" if found.contact == "phoneNumber" else "EMAIL_OTP")
        completed = replace(found, state=state, state_updated_at=now_iso(), verification_method=method)
        self._state.tracked[token] = completed
        return self._issue_validation_token(completed)

    def enroll_with_token(
        self, token: str, *, email: str | None = None, phone: str | None = None, passkey: bool = False
    ) -> str:
        """What ``email.enroll({email})``, ``sms.enroll({phoneNumber})`` or ``passkey.signUp`` (or
        the pre-built UI) do with a track token for a user with no authenticator: enrol that
        contact or a passkey, whatever it is, and send the action's challenge there. Returns the
        new authenticator's id. A user who has an authenticator cannot enrol one this way.
        """
        if (email is not None) + (phone is not None) + bool(passkey) != 1:
            raise ValueError("enrol exactly one of email, phone or passkey")
        method = "EMAIL_OTP" if email is not None else "SMS" if phone is not None else "PASSKEY"
        with self._lock:
            found = self._state.tracked.get(token)
            if found is None or found.state == "BLOCK":
                raise KeyError("not a token of an action with a challenge")
            if self._state.authenticators.get(found.user_id):
                raise KeyError("the user is enrolled: a track token cannot enrol another authenticator")
            self._state.tracked[token] = replace(found, challenge_method=method)
            user_id = found.user_id
        return self.add_authenticator(user_id, verification_method=method, email=email, phone_number=phone)

    def passkey_sign_in(self, user_id: str, action: str = "cognitoAuth", state_updated_at: str | None = None) -> str:
        """What ``passkey.signIn(action)`` does in the app for a user with a passkey: its own
        succeeded action (its own idempotency key, method ``PASSKEY``); returns its validation
        token. ``state_updated_at`` (ISO 8601) ages the token, to test the age limit.
        """
        with self._lock:
            if not any(
                item["verificationMethod"] == "PASSKEY" for item in self._state.authenticators.get(user_id, {}).values()
            ):
                raise KeyError("the user has no passkey")
            return self._signed_in(user_id, action, "PASSKEY", state_updated_at)

    def _signed_in(self, user_id: str, action: str, method: str, state_updated_at: str | None = None) -> str:
        """A new succeeded action of its own (its own idempotency key); its validation token. Lock held."""
        signed_in = _Action(
            user_id=user_id,
            action=action,
            idempotency_key=str(uuid.uuid4()),
            state="CHALLENGE_SUCCEEDED",
            state_updated_at=state_updated_at or now_iso(),
            verification_method=method,
        )
        return self._issue_validation_token(signed_in)

    def forge(self, token: str, **fields: Any) -> None:
        """Change what ``validate`` reports for validation token ``token`` (``None`` leaves a field
        out), to test answers the real service should never give."""
        unknown = set(fields) - FORGEABLE
        if unknown:
            raise ValueError(f"forge may change only {sorted(FORGEABLE)}")
        with self._lock:
            found = self._state.validated.get(token)
            if found is None:
                raise KeyError("not a validation token of this fake")
            self._state.validated[token] = replace(found, **fields)

    def _issue_validation_token(self, action: _Action) -> str:
        token = jws_token("validation")
        self._state.validated[token] = action
        return token

    def add_authenticator(
        self,
        user_id: str,
        *,
        verification_method: str = "PASSKEY",
        name: str = "iCloud Keychain",
        email: str | None = None,
        phone_number: str | None = None,
    ) -> str:
        """Enrol an authenticator for ``user_id``; returns its ``userAuthenticatorId``."""
        with self._lock:
            item = self._add_authenticator(user_id, verification_method, name, email, phone_number)
            return str(item["userAuthenticatorId"])

    def authenticators(self, user_id: str) -> list[dict[str, Any]]:
        """The user's authenticators, as ``GET /authenticators`` lists them."""
        with self._lock:
            return list(self._state.authenticators.get(user_id, {}).values())

    def _add_authenticator(
        self,
        user_id: str,
        verification_method: str,
        name: str = "iCloud Keychain",
        email: str | None = None,
        phone_number: str | None = None,
        *,
        authenticator_id: str | None = None,
        credential_id: str | None = None,
    ) -> dict[str, Any]:
        authenticator_id = authenticator_id or str(uuid.uuid4())
        item: dict[str, Any] = {
            "userAuthenticatorId": authenticator_id,
            "verificationMethod": verification_method,
            "createdAt": "2025-01-02T03:04:05.000Z",
            "lastVerifiedAt": "2025-02-03T04:05:06.000Z",
        }
        if email is not None:
            item["email"] = email
        if phone_number is not None:
            item["phoneNumber"] = phone_number
        if verification_method == "PASSKEY":
            item["webauthnCredential"] = {
                "credentialId": credential_id or "cred-" + uuid.uuid4().hex,
                "name": name,
                "aaguid": "fbfc3007-154e-4ecc-8c0b-6e020557d7bd",
                "aaguidMapping": {"name": name, "svgIconLight": "data:image/svg+xml;base64,AAAA"},
                "credentialBackedUp": True,
                "credentialDeviceType": "multiDevice",
                "authenticatorAttachment": "platform",
            }
        self._state.authenticators.setdefault(user_id, {})[authenticator_id] = item
        return item

    def enrol_passkey(self, token: str, name: str = "iCloud Keychain") -> str:
        """What ``passkey.signUp`` does with the token of an ``addAuthenticator`` action: enrol a
        passkey for that action's user. Returns its ``userAuthenticatorId``.

        Only a token tracked with the ``add:authenticators`` scope and not blocked may add one,
        as Authsignal requires of a signed-in user adding another authenticator.
        """
        with self._lock:
            found = self._state.tracked.get(token)
            if (
                found is None
                or found.action != "addAuthenticator"
                or found.scope != "add:authenticators"
                or found.state == "BLOCK"
            ):
                raise KeyError("not a token of an addAuthenticator action with the add:authenticators scope")
            user_id = found.user_id
        return self.add_authenticator(user_id, name=name)

    def fail(
        self,
        kind: str,
        *,
        times: int = 1,
        status: int = 500,
        delay: float = 1.0,
        on: str | None = None,
        retry_after: str | None = None,
    ) -> None:
        """Misbehave on the next ``times`` requests (matching regex ``on`` against "METHOD /path").

        ``status``: that HTTP status with an Authsignal JSON error; ``delay``: answer normally
        after ``delay`` seconds (longer than the client's timeout); ``bad_json``: a body that is
        not JSON, labelled application/json; ``content_type``: JSON labelled text/html;
        ``close``: close the connection without answering; ``reset``: handle the request, then
        reset the connection instead of answering (the answer is lost). ``retry_after``: the
        ``Retry-After`` header a status fault answers with.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {sorted(FAULT_KINDS)}")
        with self._lock:
            self._state.faults.append(
                _Fault(kind=kind, times=times, status=status, delay=delay, on=on, retry_after=retry_after)
            )

    def set_fault_rate(
        self,
        rate: float,
        kinds: list[str] | None = None,
        *,
        status: int = 503,
        delay: float = 1.0,
        seed: int | None = None,
        retry_after: str | None = None,
    ) -> None:
        """Fail a share ``rate`` (0-1) of all ``/v1`` requests from now on, each as one of
        ``kinds`` (default: ``status`` 503, ``reset`` after handling, ``delay`` seconds slow).

        ``seed`` makes the sequence of faults repeatable; ``rate=0`` stops them. ``retry_after``:
        the ``Retry-After`` header of the status faults (429 with one, for a throttling Authsignal).
        """
        self._state.weather = replace(self._weather(rate, kinds, status, delay, seed), retry_after=retry_after)

    def outage(self, on: bool = True, kinds: list[str] | None = None, *, status: int = 503, delay: float = 1.0) -> None:
        """Authsignal down: every ``/v1`` request fails (as one of ``kinds``) until ``on=False``."""
        weather = self._weather(1.0, kinds, status, delay, None) if on else None
        with self._lock:
            self._state.outage = weather

    def fault_counts(self) -> dict[str, int]:
        """How many random faults (rate and outage) were injected so far, by kind."""
        with self._lock:
            counts = dict(self._state.weather.injected)
            for kind, count in (self._state.outage.injected if self._state.outage else {}).items():
                counts[kind] = counts.get(kind, 0) + count
            return counts

    def _weather(self, rate: float, kinds: list[str] | None, status: int, delay: float, seed: int | None) -> _Weather:
        chosen = tuple(kinds or TRANSIENT_KINDS)
        if not 0 <= rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        if not chosen or not set(chosen) <= FAULT_KINDS:
            raise ValueError(f"fault kinds must be some of {sorted(FAULT_KINDS)}")
        return _Weather(rate, chosen, status, delay, random.Random(seed))

    def set_origins(self, origins: list[str]) -> None:
        """The tenant's app origins: where passkey ceremonies may come from (RP ID: their host)."""
        with self._lock:
            self.origins = list(origins)

    @property
    def outbox(self) -> list[OtpMessage]:
        """Every one-time code sent since the last reset, oldest first."""
        with self._lock:
            return list(self._state.outbox)

    def last_code(self, to: str) -> str | None:
        """The code last sent to ``to`` (an email address or phone number), or None."""
        return last_code(self.outbox, to)

    def calls(self) -> list[Call]:
        """Every ``/v1`` request so far, oldest first."""
        with self._lock:
            return list(self._state.calls)

    def issued_tokens(self) -> list[str]:
        """Every token this fake handed out since the last reset (track and validation tokens)."""
        with self._lock:
            return [*self._state.tracked, *self._state.validated]

    def issued_idempotency_keys(self) -> list[str]:
        """The idempotency key of every action tracked or signed in with a passkey."""
        with self._lock:
            return [
                action.idempotency_key or ""
                for action in (*self._state.tracked.values(), *self._state.validated.values())
            ]

    def list_as_is(self, user_id: str, item: dict[str, Any]) -> None:
        """List ``item`` among the user's authenticators exactly as given (without an id, say), to
        test answers the real service should never give."""
        with self._lock:
            self._state.authenticators.setdefault(user_id, {})[f"as-is-{uuid.uuid4().hex}"] = item

    def authenticator_ids(self, user_id: str) -> set[str]:
        with self._lock:
            return set(self._state.authenticators.get(user_id, {}))

    # --- the API -------------------------------------------------------------------------

    def _fault_for(self, method: str, path: str) -> _Fault | None:
        """The fault for this request: a queued ``fail`` first, then an outage, then the rate."""
        with self._lock:
            for fault in self._state.faults:
                if fault.times > 0 and (fault.on is None or re.search(fault.on, f"{method} {path}")):
                    fault.times -= 1
                    return fault
            weather = self._state.outage or self._state.weather
            if weather.rate and weather.random.random() < weather.rate:
                kind = weather.random.choice(weather.kinds)
                weather.injected[kind] = weather.injected.get(kind, 0) + 1
                return _Fault(
                    kind=kind,
                    times=0,
                    status=weather.status,
                    delay=weather.delay,
                    on=None,
                    retry_after=weather.retry_after,
                )
        return None

    def _answer(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        """The status and JSON body Authsignal would answer; called with the lock held."""
        state = self._state
        parts = [unquote(part) for part in path.strip("/").split("/")]
        match parts:
            case ["v1", "users", user_id, "actions", action] if method == "POST":
                return self._track(user_id, action, body if isinstance(body, dict) else {})
            case ["v1", "validate"] if method == "POST":
                return 200, self._validate(body if isinstance(body, dict) else {})
            case ["v1", "users", user_id, "authenticators"] if method == "GET":
                return 200, list(state.authenticators.get(user_id, {}).values())
            case ["v1", "users", user_id, "authenticators"] if method == "POST":
                return self._enroll_verified(user_id, body if isinstance(body, dict) else {})
            case ["v1", "users", user_id, "authenticators", authenticator_id] if method == "DELETE":
                if state.authenticators.get(user_id, {}).pop(authenticator_id, None) is None:
                    return 404, _error("not_found", "authenticator not found")
                return 200, {"removed": True}
        return 404, _error("not_found", "no such endpoint")

    def _track(self, user_id: str, action: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        state = self._state
        key = body.get("idempotencyKey")
        if isinstance(key, str) and key in state.tracked_by_key:
            token = state.tracked_by_key[key]
            tracked = state.tracked[token]
            if (tracked.user_id, tracked.action) != (user_id, action):
                return 400, _error("invalid_request", "idempotencyKey already used for another action")
            return 200, self._tracked(token, tracked)
        token = jws_token("track")
        rule = state.rules.get(user_id, state.default_rule)
        scope = body.get("scope") if isinstance(body.get("scope"), str) else None
        contact = next(
            (name for name in ("phoneNumber", "email") if isinstance(body.get(name), str) and body[name]), None
        )
        key = key if isinstance(key, str) and key else str(uuid.uuid4())
        tracked = _Action(
            user_id=user_id,
            action=action,
            idempotency_key=key,
            state=rule,
            state_updated_at=now_iso(),
            scope=scope,
            contact=contact,
            contact_value=body[contact] if contact else None,
        )
        state.tracked[token] = tracked
        state.tracked_by_key[key] = token
        return 200, self._tracked(token, tracked)

    def _enroll_verified(self, user_id: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Enrol an email (``EMAIL_OTP``) or phone (``SMS``) the server says is verified."""
        method = body.get("verificationMethod")
        email = body.get("email") if method == "EMAIL_OTP" else None
        phone = body.get("phoneNumber") if method == "SMS" else None
        if not (isinstance(email, str) and email) and not (isinstance(phone, str) and phone):
            return 400, _error("invalid_request", "verificationMethod EMAIL_OTP with email or SMS with phoneNumber")
        for item in self._state.authenticators.get(user_id, {}).values():
            if (item["verificationMethod"], item.get("email"), item.get("phoneNumber")) == (method, email, phone):
                return 200, {"authenticator": item}
        return 200, {"authenticator": self._add_authenticator(user_id, str(method), email=email, phone_number=phone)}

    def _tracked(self, token: str, tracked: _Action) -> dict[str, Any]:
        """What ``track`` answers for an action."""
        return {
            "state": tracked.state,
            "idempotencyKey": tracked.idempotency_key,
            "token": token,
            "url": f"{self.base_url}/__fake/challenge?token={token}",
            "isEnrolled": bool(self._state.authenticators.get(tracked.user_id)),
            "ruleIds": [],
        }

    def _issued_as(self, token: str) -> str:
        """The token this fake issued that ``token`` is, read as a lenient JWT library reads one
        (whitespace, the other base64 alphabet, spare bits, another signature): the real service's
        verifier is not documented, so the fake takes the lenient side."""
        payload = lenient_payload(token)
        if payload is None:
            return token
        return next(
            (issued for issued in (*self._state.tracked, *self._state.validated) if lenient_payload(issued) == payload),
            token,
        )

    def _validate(self, body: dict[str, Any]) -> dict[str, Any]:
        """A validation token reports its action; a track token reports what track decided, or,
        once its challenge was completed, what its validation token reports."""
        token = body.get("token")
        found = None
        if isinstance(token, str):
            token = self._issued_as(token)
            found = self._state.validated.get(token) or self._state.tracked.get(token)
        if found is None:
            return {"isValid": False}
        answer = {
            "isValid": found.state in VALID_STATES,
            "state": found.state,
            "stateUpdatedAt": found.state_updated_at,
            "userId": found.user_id,
            "action": found.action,
            "idempotencyKey": found.idempotency_key,
            "verificationMethod": found.verification_method,
        }
        return {key: value for key, value in answer.items() if value is not None}


def jws_token(kind: str) -> str:
    """A token shaped as Authsignal's are (a compact JWS: header.payload.signature, base64url),
    opaque to its holders; its payload names its kind and a random id."""

    def encode(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    payload = json.dumps({"kind": kind, "jti": uuid.uuid4().hex}).encode()
    return ".".join((encode(b'{"alg":"HS256","typ":"JWT"}'), encode(payload), encode(uuid.uuid4().bytes * 2)))


def lenient_payload(token: str) -> bytes | None:
    """The payload a lenient decoder reads from a JWS-shaped ``token``, or None."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    segment = parts[1].replace("+", "-").replace("/", "_").rstrip("=")
    segment = segment[: len(segment) - 1] if len(segment) % 4 == 1 else segment
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except ValueError:
        return None


class _Server(ThreadingHTTPServer):
    request_queue_size = 64  # the default 5 refuses part of a burst of parallel sign-ins


def _error(code: str, description: str) -> dict[str, str]:
    return {"error": code, "errorCode": code, "errorDescription": description}


def _cors_headers(origin: str | None) -> dict[str, str]:
    """CORS for the client API, which browsers call from the app's origin (any origin: lenient)."""
    if not origin:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Vary": "Origin",
        "Access-Control-Max-Age": "600",
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
    }


def _handler_for(fake: FakeAuthsignal) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's pooled session uses it
        disable_nagle_algorithm = True  # else headers and body wait ~40 ms for a delayed ACK

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def do_DELETE(self) -> None:
            self._handle()

        def do_OPTIONS(self) -> None:
            self._handle()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the recorded calls are the log

        def _handle(self) -> None:
            self.cors: dict[str, str] = {}
            url = urlsplit(self.path)
            raw = self._body()
            if raw is None:
                self.close_connection = True
                self._send(400, _error("invalid_request", "body shorter than its Content-Length"))
                return
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            if url.path.startswith("/__fake/"):
                self._control(url.path.removeprefix("/__fake/"), body)
                return
            if url.path == "/outbox" and self.command == "GET":
                self._send(200, outbox_page(fake.outbox).encode(), content_type="text/html; charset=utf-8")
                return
            client = tuple(url.path.strip("/").split("/")[:2]) == CLIENT_PREFIX
            self.cors = _cors_headers(self.headers.get("Origin")) if client else {}
            if client and self.command == "OPTIONS":
                self._send(204, b"", content_type="text/plain")
                return
            query = {key: values[-1] for key, values in parse_qs(url.query).items()}
            authorization = self.headers.get("Authorization", "")
            authorized = authsignal_client_api.authorized(fake, authorization) if client else self._authorized()
            with fake._lock:
                fake._state.calls.append(Call(self.command, url.path, query, body, authorized))
            fault = fake._fault_for(self.command, url.path)
            if fault and fault.kind == "close":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault and fault.kind == "delay":
                time.sleep(fault.delay)
            if fault and fault.kind == "status":
                self._send(
                    fault.status,
                    _error("fault", f"injected {fault.status}"),
                    headers={"Retry-After": fault.retry_after} if fault.retry_after else None,
                )
            elif not authorized:
                refusal = "invalid tenant id or token" if client else "invalid secret key"
                self._send(401, _error("unauthorized", refusal))
            else:
                with fake._lock:
                    if client:
                        parts = [unquote(part) for part in url.path.strip("/").split("/")[2:]]
                        status, answer = authsignal_client_api.answer(
                            fake, self.command, parts, query, body, authorization, self.headers.get("Origin")
                        )
                    else:
                        status, answer = fake._answer(self.command, url.path, query, body)
                if fault and fault.kind == "reset":
                    self._reset()
                elif fault and fault.kind == "bad_json":
                    self._send(status, b"<html>upstream error</html>")
                elif fault and fault.kind == "content_type":
                    self._send(status, answer, content_type="text/html; charset=utf-8")
                else:
                    self._send(status, answer)

        def _reset(self) -> None:
            """Drop the connection with a TCP reset: the request was handled, the answer is lost."""
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

        def _body(self) -> bytes | None:
            """The request body, or None if fewer bytes than announced come within a second
            (a real server would wait, then fail the request: so does the fake, sooner)."""
            length = int(self.headers.get("Content-Length") or 0)
            self.connection.settimeout(BODY_WAIT_SECONDS)
            try:
                raw = self.rfile.read(length)
            except TimeoutError:
                return None
            finally:
                self.connection.settimeout(None)
            return raw if len(raw) == length else None

        def _authorized(self) -> bool:
            """Basic auth with the secret key as username and an empty password, as the SDK sends."""
            header = self.headers.get("Authorization", "")
            if not header.startswith("Basic "):
                return False
            try:
                username, _, _ = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return False
            return username == fake.secret

        def _control(self, command: str, arguments: Any) -> None:
            if command == "calls" and self.command == "GET":
                self._send(200, [asdict(call) for call in fake.calls()])
            elif command == "outbox" and self.command == "GET":
                self._send(200, [asdict(message) for message in fake.outbox])
            elif command in CONTROLS and self.command == "POST":
                try:
                    result = getattr(fake, command)(**(arguments or {}))
                except (TypeError, ValueError, KeyError) as problem:
                    self._send(400, _error("bad_control", str(problem)))
                else:
                    self._send(200, {"result": result})
            else:
                self._send(404, _error("not_found", "no such control"))

        def _send(
            self,
            status: int,
            answer: Any,
            content_type: str = "application/json",
            headers: dict[str, str] | None = None,
        ) -> None:
            data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in {**self.cors, **(headers or {})}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (timeout): nothing to answer

    return Handler


def _print_code(message: OtpMessage) -> None:
    """What a person running the sandbox reads instead of their mail."""
    print(f"{message.channel} code {message.code} to {message.to}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--tenant-id", default=DEFAULT_TENANT_ID, help="what the client API's Basic auth carries")
    parser.add_argument(
        "--origin", action="append", default=[], help="an app origin passkey ceremonies may come from (repeatable)"
    )
    parser.add_argument("--print-codes", action="store_true", help="print each one-time code sent")
    options = parser.parse_args()
    fake = FakeAuthsignal(
        options.secret,
        options.port,
        tenant_id=options.tenant_id,
        origins=options.origin,
        on_code=_print_code if options.print_codes else None,
    )
    print(fake.base_url, flush=True)  # one line a harness can read; the SDK's api_url is this + "/v1"
    try:
        fake._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fake._server.server_close()


if __name__ == "__main__":
    main()

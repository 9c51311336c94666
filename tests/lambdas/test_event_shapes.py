"""The events the tests build, the types the functions are written against, and the readers
they read through all agree with the shapes AWS documents (tests/fixtures/events, sources in
its SOURCES.md): a key the documentation lacks, a value of another type, or a key a type
forgets fails here, not in production."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from shared import event as read
from shared import event_types

from tests import events
from tests.lambdas import BUNDLE_ROOT

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events"


@dataclass(frozen=True)
class Documented:
    """One documented event and what its page says beyond the example: ``maps`` are the paths
    whose keys are data (attribute names, headers, claims), so any key goes with a value of the
    documented type; ``optional`` keys may be absent; ``nullable`` values may arrive as null."""

    file: str
    maps: frozenset[str]
    optional: frozenset[str] = frozenset()
    nullable: frozenset[str] = frozenset()

    def example(self) -> Any:
        return json.loads((FIXTURES / self.file).read_text())


# Every Cognito trigger: attributes and client metadata are name-value maps; client metadata
# comes only when the app passes ClientMetadata.
COGNITO_MAPS = frozenset({"request.userAttributes", "request.clientMetadata"})
COGNITO_OPTIONAL = frozenset({"request.clientMetadata"})
# The three sign-in triggers: userNotFound "is populated when PreventUserExistenceErrors is
# ENABLED"; a session entry's challengeMetadata is "used only if challengeName is CUSTOM_CHALLENGE".
SIGN_IN_OPTIONAL = COGNITO_OPTIONAL | {"request.userNotFound"}
ENTRY_METADATA = "request.session[].challengeMetadata"

PRE_SIGN_UP = Documented(
    "pre-sign-up.json",
    COGNITO_MAPS | {"request.validationData"},
    COGNITO_OPTIONAL,
    nullable=frozenset({"request.validationData"}),  # null when SignUp carries no ValidationData
)
# Cognito sends the response half of a sign-in trigger's event with null values; define's
# challengeName is set only when another challenge follows.
DEFINE = Documented(
    "define-auth-challenge.json",
    COGNITO_MAPS,
    SIGN_IN_OPTIONAL | {ENTRY_METADATA, "response.challengeName"},
    nullable=frozenset(
        {ENTRY_METADATA, "response.challengeName", "response.issueTokens", "response.failAuthentication"}
    ),
)
CREATE = Documented(
    "create-auth-challenge.json",
    COGNITO_MAPS | {"response.publicChallengeParameters", "response.privateChallengeParameters"},
    SIGN_IN_OPTIONAL | {ENTRY_METADATA},
    nullable=frozenset(
        {
            ENTRY_METADATA,
            "response.publicChallengeParameters",
            "response.privateChallengeParameters",
            "response.challengeMetadata",
        }
    ),
)
VERIFY = Documented(
    "verify-auth-challenge.json",
    COGNITO_MAPS | {"request.privateChallengeParameters"},
    SIGN_IN_OPTIONAL,
    nullable=frozenset({"response.answerCorrect"}),
)
# Payload 2.0: cookies, query string, body, path and stage variables only when the request or
# stage has them; the authorizer only on a route that has one; scopes null when it asks for none.
HTTP_API = Documented(
    "http-api-jwt.json",
    frozenset(
        {"headers", "queryStringParameters", "pathParameters", "stageVariables", "requestContext.authorizer.jwt.claims"}
    ),
    frozenset(
        {"cookies", "queryStringParameters", "body", "pathParameters", "stageVariables", "requestContext.authorizer"}
    ),
    nullable=frozenset({"requestContext.authorizer.jwt.scopes"}),
)
DOCUMENTED = {"pre_sign_up": PRE_SIGN_UP, "define": DEFINE, "create": CREATE, "verify": VERIFY, "http_api": HTTP_API}


def differences(built: object, documented: object, rules: Documented, path: str = "") -> list[str]:
    """Where ``built`` departs from the documented example: missing or undocumented keys,
    values of another type, nulls where none are documented."""
    if built is None and (documented is None or path in rules.nullable):
        return []
    if type(built) is not type(documented):
        return [f"{path or 'event'}: {type(built).__name__}, documented as {type(documented).__name__}"]
    if isinstance(built, list) and isinstance(documented, list):
        return [problem for item in built for problem in differences(item, documented[0], rules, f"{path}[]")]
    if not (isinstance(built, dict) and isinstance(documented, dict)):
        return []
    if path in rules.maps:
        sample = next(iter(documented.values()))
        return [problem for value in built.values() for problem in differences(value, sample, rules, f"{path}.*")]
    found = [f"{_join(path, key)}: not documented" for key in sorted(built.keys() - documented.keys())]
    found += [
        f"{_join(path, key)}: missing"
        for key in sorted(documented.keys() - built.keys())
        if _join(path, key) not in rules.optional
    ]
    for key in sorted(built.keys() & documented.keys()):
        found += differences(built[key], documented[key], rules, _join(path, key))
    return found


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


EMAIL_USER = events.new_user(email="someone@example.com")
PHONE_USER = events.new_user(phone="+447700900123", verified=False)
ACCESS_CLAIMS = events.access_claims(EMAIL_USER)
BUILT: list[tuple[str, str, Any]] = [
    ("pre_sign_up", "email", events.pre_sign_up_event(email="someone@example.com")),
    ("pre_sign_up", "phone_typed_name", events.pre_sign_up_event(phone="+447700900123", user_name="+447700900123")),
    ("define", "first", events.define_event(EMAIL_USER, [])),
    ("define", "after_answers", events.define_event(EMAIL_USER, [events.entry(False), events.entry(True)])),
    ("define", "after_a_password", events.define_event(EMAIL_USER, [events.entry(True, "PASSWORD_VERIFIER")])),
    ("define", "user_not_found", events.define_event(EMAIL_USER, [], user_not_found=True)),
    ("create", "first", events.create_event(EMAIL_USER)),
    ("create", "after_a_wrong_answer", events.create_event(PHONE_USER, [events.entry(False)])),
    ("create", "user_not_found", events.create_event(EMAIL_USER, user_not_found=True)),
    ("verify", "bound", events.verify_event(EMAIL_USER, "validation-token", events.session_private("key", "token"))),
    ("verify", "unbound", events.verify_event(PHONE_USER, "validation-token")),
    ("http_api", "post", events.api_event("POST /authenticators", ACCESS_CLAIMS)),
    ("http_api", "id_token", events.api_event("GET /authenticators", events.id_claims(EMAIL_USER))),
    (
        "http_api",
        "delete",
        events.api_event(
            "DELETE /authenticators/{authenticatorId}", ACCESS_CLAIMS, path_parameters={"authenticatorId": "abc"}
        ),
    ),
    ("http_api", "body", events.api_event("GET /authenticators", ACCESS_CLAIMS, body="{}")),
    ("http_api", "no_authorizer", events.api_event("GET /authenticators", None)),
]


@pytest.mark.parametrize(
    ("kind", "event"), [(kind, event) for kind, _, event in BUILT], ids=[f"{kind}-{name}" for kind, name, _ in BUILT]
)
def test_built_event_has_the_documented_shape(kind: str, event: Any) -> None:
    rules = DOCUMENTED[kind]

    assert differences(event, rules.example(), rules) == []


def test_shape_check_finds_an_undocumented_key_a_missing_one_a_wrong_type_and_a_null() -> None:
    event = events.verify_event(EMAIL_USER, "validation-token", events.session_private("idempotency-key"))
    event["request"]["challengeAnswer"] = {"ANSWER": "validation-token"}
    event["request"]["userAttributes"]["email_verified"] = True
    event["request"]["privateChallengeParameters"] = None
    event["request"]["extra"] = "x"
    del event["callerContext"]["clientId"]
    del event["request"]["userNotFound"]  # documented as optional: no finding

    assert differences(event, VERIFY.example(), VERIFY) == [
        "callerContext.clientId: missing",
        "request.extra: not documented",
        "request.challengeAnswer: dict, documented as str",
        "request.privateChallengeParameters: NoneType, documented as dict",
        "request.userAttributes.*: bool, documented as str",
    ]


TYPED = [
    (event_types.PreSignUpEvent, PRE_SIGN_UP),
    (event_types.DefineAuthChallengeEvent, DEFINE),
    (event_types.CreateAuthChallengeEvent, CREATE),
    (event_types.VerifyAuthChallengeEvent, VERIFY),
    (event_types.HttpApiEvent, HTTP_API),
]


def type_differences(typed: Any, documented: dict[str, Any], rules: Documented, path: str = "") -> list[str]:
    """Where TypedDict ``typed`` departs from the documented example: keys it lacks or adds, a
    key required that may be absent (or the reverse), a value or a null it would not accept."""
    hints, name = typing.get_type_hints(typed), typed.__name__
    found = [f"{_join(path, key)}: documented, not in {name}" for key in sorted(documented.keys() - hints.keys())]
    found += [f"{_join(path, key)}: in {name}, not documented" for key in sorted(hints.keys() - documented.keys())]
    for key in sorted(hints.keys() & documented.keys()):
        where, annotation, value = _join(path, key), hints[key], documented[key]
        if (key in typed.__optional_keys__) != (where in rules.optional):
            found.append(
                f"{where}: NotRequired in {name} is {key in typed.__optional_keys__}, "
                f"documented optional is {where in rules.optional}"
            )
        # A response is typed as the function answers it: what Cognito sends there is never read.
        if where in rules.nullable and not where.startswith("response.") and not _accepts(annotation, None):
            found.append(f"{where}: {annotation} refuses the documented null")
        nested = _typed_dict_in(annotation)
        item = _typed_dict_in(typing.get_args(annotation)[0]) if typing.get_origin(annotation) is list else None
        if nested is not None:
            found += type_differences(nested, value, rules, where)
        elif item is not None:
            found += type_differences(item, value[0], rules, f"{where}[]")
        elif not _accepts(annotation, value):
            found.append(f"{where}: {annotation} refuses the documented {value!r}")
    return found


def _typed_dict_in(annotation: Any) -> Any:
    """The TypedDict ``annotation`` is, or is one of the union's members, or None."""
    annotation = _unaliased(annotation)
    candidates = [annotation, *typing.get_args(annotation)] if isinstance(annotation, types.UnionType) else [annotation]
    return next((candidate for candidate in candidates if typing.is_typeddict(candidate)), None)


def _accepts(annotation: Any, value: object) -> bool:
    """Whether ``value`` (parsed JSON) is of type ``annotation``; bool is not int here."""
    annotation = _unaliased(annotation)
    if isinstance(annotation, types.UnionType):
        return any(_accepts(member, value) for member in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is dict:
        return isinstance(value, dict) and all(_accepts(arguments[1], item) for item in value.values())
    if origin is list:
        return isinstance(value, list) and all(_accepts(arguments[0], item) for item in value)
    if typing.is_typeddict(annotation):
        return isinstance(value, dict)
    return type(value) is annotation


def _unaliased(annotation: Any) -> Any:
    """What a ``type X = ...`` alias stands for; any other annotation as it is."""
    return annotation.__value__ if isinstance(annotation, typing.TypeAliasType) else annotation


@pytest.mark.parametrize(("typed", "rules"), TYPED, ids=[typed.__name__ for typed, _ in TYPED])
def test_event_type_matches_the_documented_shape(typed: Any, rules: Documented) -> None:
    assert type_differences(typed, rules.example(), rules) == []


def test_type_check_finds_a_missing_key_a_wrong_type_and_a_refused_null() -> None:
    documented = VERIFY.example()
    documented["request"]["challengeAnswer"] = 7
    documented["request"]["extra"] = "x"
    del documented["callerContext"]
    rules = Documented(
        VERIFY.file, VERIFY.maps, VERIFY.optional - {"request.userNotFound"}, frozenset({"request.challengeAnswer"})
    )

    assert type_differences(event_types.VerifyAuthChallengeEvent, documented, rules) == [
        "callerContext: in VerifyAuthChallengeEvent, not documented",
        "request.extra: documented, not in VerifyAuthChallengeRequest",
        "request.challengeAnswer: <class 'str'> refuses the documented null",
        "request.challengeAnswer: <class 'str'> refuses the documented 7",
        "request.userNotFound: NotRequired in VerifyAuthChallengeRequest is True, documented optional is False",
    ]


def test_readers_accept_every_documented_event() -> None:
    define, create, verify = DEFINE.example(), CREATE.example(), VERIFY.example()
    http_api = HTTP_API.example()
    sub = define["request"]["userAttributes"]["sub"]

    assert read.trigger_source(define) == "DefineAuthChallenge_Authentication"
    assert [read.user_id(event) for event in (define, create, verify)] == [sub] * 3
    assert read.user_attribute(verify, "email") == "user@example.com"
    assert [read.user_not_found(event) for event in (define, create, verify)] == [False] * 3
    assert [entry["challengeResult"] for entry in read.session(create)] == [False]
    assert read.challenge_answer(verify) == "the answer the app sent"
    assert read.private_parameter(verify, "answer") == "value only verify sees"
    assert read.optional_private_parameter(verify, "answer") == "value only verify sees"
    assert read.user_attributes(PRE_SIGN_UP.example()) == {"email": "user@example.com"}
    assert read.route_key(http_api) == "GET /items/{itemId}"
    assert read.jwt_claims(http_api)["token_use"] == "access"
    assert read.path_parameter(http_api, "itemId") == "abc"
    assert read.has_body(http_api)


def test_no_function_loads_the_event_types_at_run_time() -> None:
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); "
        "import triggers.custom_auth, triggers.pre_sign_up, triggers.define_auth_challenge, "
        "triggers.create_auth_challenge, triggers.verify_auth_challenge, api.authenticators; "
        "print(json.dumps(sorted(name for name in sys.modules if name.startswith(('shared', 'triggers', 'api')))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, BUNDLE_ROOT],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": "eu-west-1"},
    )
    # Importing runs Lambda's init (shared/init_phase), whose log lines come first: the list is the last line.
    loaded = json.loads(result.stdout.splitlines()[-1])

    assert "api.authenticators" in loaded
    assert "shared.event_types" not in loaded

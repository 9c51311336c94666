"""The events the functions receive and return, as types for type checkers only.

Nothing imports this module at run time: every import of it sits under ``if TYPE_CHECKING:``,
so it costs no cold start and is left out of the pre sign-up bundle (stacks/bundling.py). The
shapes are those of AWS's documentation (the Cognito Lambda trigger pages and the HTTP API
payload format 2.0), kept as JSON in tests/fixtures/events, which a test checks these types
against. A type says what the contract promises, not what arrived: handlers still read their
events through shared.event, which refuses anything else as a malformed event. A response is
typed as the function answers it: Cognito sends the sign-in triggers' responses with null
values, which no function reads, it replaces them.

No ``from __future__ import annotations`` here: the test reads which keys are ``NotRequired``
at run time, and postponed annotations would hide it.
"""

from typing import NotRequired, TypeAlias, TypedDict

# Cognito's name-value maps: user attributes, client metadata, challenge parameters.
StringMap: TypeAlias = dict[str, str]


class CallerContext(TypedDict):
    awsSdkVersion: str
    clientId: str


class TriggerEvent(TypedDict):
    """The parameters Cognito sends every user pool trigger."""

    version: str
    triggerSource: str
    region: str
    userPoolId: str
    userName: str
    callerContext: CallerContext


class PreSignUpRequest(TypedDict):
    userAttributes: StringMap
    validationData: StringMap | None
    clientMetadata: NotRequired[StringMap]


class PreSignUpResponse(TypedDict):
    autoConfirmUser: bool
    autoVerifyEmail: bool
    autoVerifyPhone: bool


class PreSignUpEvent(TriggerEvent):
    request: PreSignUpRequest
    response: PreSignUpResponse


class ChallengeResult(TypedDict):
    """One challenge of the sign-in so far, in order, and whether it was answered correctly."""

    challengeName: str
    challengeResult: bool
    challengeMetadata: NotRequired[str | None]


class DefineAuthChallengeRequest(TypedDict):
    userAttributes: StringMap
    session: list[ChallengeResult]
    clientMetadata: NotRequired[StringMap]
    userNotFound: NotRequired[bool]


class DefineAuthChallengeResponse(TypedDict):
    challengeName: NotRequired[str]
    issueTokens: bool
    failAuthentication: bool


class DefineAuthChallengeEvent(TriggerEvent):
    request: DefineAuthChallengeRequest
    response: DefineAuthChallengeResponse


class CreateAuthChallengeRequest(TypedDict):
    userAttributes: StringMap
    challengeName: str
    session: list[ChallengeResult]
    clientMetadata: NotRequired[StringMap]
    userNotFound: NotRequired[bool]


class CreateAuthChallengeResponse(TypedDict):
    """``publicChallengeParameters`` go to the app; the private ones only to verify."""

    publicChallengeParameters: StringMap
    privateChallengeParameters: StringMap
    challengeMetadata: str


class CreateAuthChallengeEvent(TriggerEvent):
    request: CreateAuthChallengeRequest
    response: CreateAuthChallengeResponse


class VerifyAuthChallengeRequest(TypedDict):
    userAttributes: StringMap
    privateChallengeParameters: StringMap
    challengeAnswer: str
    clientMetadata: NotRequired[StringMap]
    userNotFound: NotRequired[bool]


class VerifyAuthChallengeResponse(TypedDict):
    answerCorrect: bool


class VerifyAuthChallengeEvent(TriggerEvent):
    request: VerifyAuthChallengeRequest
    response: VerifyAuthChallengeResponse


# The three events of a custom-auth sign-in (one function serves them: triggers/custom_auth.py).
SignInEvent: TypeAlias = DefineAuthChallengeEvent | CreateAuthChallengeEvent | VerifyAuthChallengeEvent
# Every event that carries a user's attributes.
CognitoEvent: TypeAlias = PreSignUpEvent | SignInEvent


class Http(TypedDict):
    method: str
    path: str
    protocol: str
    sourceIp: str
    userAgent: str


class Jwt(TypedDict):
    """What a JWT authorizer verified. Payload 2.0 hands every claim over as a string; scopes
    are null when the route asks for none."""

    claims: StringMap
    scopes: list[str] | None


class Authorizer(TypedDict):
    jwt: Jwt


class RequestContext(TypedDict):
    accountId: str
    apiId: str
    authorizer: NotRequired[Authorizer]
    domainName: str
    domainPrefix: str
    http: Http
    requestId: str
    routeKey: str
    stage: str
    time: str
    timeEpoch: int


class HttpApiEvent(TypedDict):
    """An HTTP API request, payload format 2.0."""

    version: str
    routeKey: str
    rawPath: str
    rawQueryString: str
    cookies: NotRequired[list[str]]
    headers: StringMap
    queryStringParameters: NotRequired[StringMap]
    requestContext: RequestContext
    body: NotRequired[str]
    pathParameters: NotRequired[StringMap]
    isBase64Encoded: bool
    stageVariables: NotRequired[StringMap]


class HttpApiResponse(TypedDict):
    """The answer a payload 2.0 integration returns."""

    statusCode: int
    headers: StringMap
    body: str
    cookies: NotRequired[list[str]]
    isBase64Encoded: NotRequired[bool]

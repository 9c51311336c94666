"""The fake Authsignal's WebAuthn relying party: ceremony options, and registration and
authentication responses verified for real with the ``webauthn`` package (origin, RP ID,
challenge, signature, user verification, sign count), so that a browser's passkey, or a
software authenticator in a test, is checked as the real service checks it.

The tenant's origins are its configuration (the app's origins); the RP ID of a ceremony is the
host of the origin that asked for it (the ``Origin`` header, when it is one of the tenant's),
else the host of the tenant's first origin. A credential signs in only for the RP ID it was
registered for. Every challenge is single use: a ceremony is consumed by its first answer,
right or wrong.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

RP_NAME = "Passwordless (fake Authsignal)"
CEREMONY_TIMEOUT_MS = 60_000


class PasskeyRefused(Exception):
    """The ceremony failed: an unknown or used challenge, an unknown credential, or a response
    ``webauthn`` refused (the message says which check)."""


@dataclass
class Ceremony:
    """A challenge handed out, waiting for its one answer."""

    challenge: bytes
    rp_id: str
    kind: str  # "registration" or "authentication"
    action: str | None = None  # the action a passkey sign-in is for (``challenge`` endpoint)
    token: str | None = None  # the track token the ceremony was asked with, if any
    user_id: str | None = None  # whose ceremony it is, when a token said so


@dataclass
class Credential:
    """A registered passkey: what verifying its assertions needs."""

    credential_id: str  # base64url
    public_key: bytes
    sign_count: int
    user_id: str
    user_handle: str  # base64url, as the authenticator returns it
    rp_id: str
    authenticator_id: str
    username: str | None


@dataclass
class RelyingPartyState:
    ceremonies: dict[str, Ceremony] = field(default_factory=dict)  # by challengeId
    credentials: dict[str, Credential] = field(default_factory=dict)  # by credential id


def rp_id_for(origins: list[str], request_origin: str | None) -> str:
    """The RP ID of a ceremony: the asking origin's host if it is the tenant's, else the first's."""
    if not origins:
        raise PasskeyRefused("the tenant has no origin configured for passkeys")
    chosen = request_origin if request_origin in origins else origins[0]
    return urlsplit(chosen).hostname or ""


def registration_options(
    state: RelyingPartyState, *, rp_id: str, user_id: str, username: str | None, token: str
) -> tuple[str, dict[str, Any]]:
    """A new registration ceremony for ``user_id``: its challengeId and the options JSON."""
    existing = [
        PublicKeyCredentialDescriptor(id=_bytes(c.credential_id))
        for c in state.credentials.values()
        if c.user_id == user_id and c.rp_id == rp_id
    ]
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_name=username or user_id,
        user_id=user_id.encode(),
        timeout=CEREMONY_TIMEOUT_MS,
        exclude_credentials=existing,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED
        ),
    )
    return _begin(
        state,
        Ceremony(options.challenge, rp_id, "registration", token=token, user_id=user_id),
        options_to_json(options),
    )


def authentication_options(
    state: RelyingPartyState, *, rp_id: str, challenge_id: str | None, token: str | None, user_id: str | None
) -> tuple[str, dict[str, Any]]:
    """The options of an authentication ceremony: the one ``challenge`` began (``challenge_id``),
    or a new one for the user of ``token``, listing that user's credentials."""
    if challenge_id is not None:
        ceremony = state.ceremonies.get(challenge_id)
        if ceremony is None or ceremony.kind != "authentication" or ceremony.rp_id != rp_id:
            raise PasskeyRefused("unknown or used challengeId")
    else:
        ceremony = Ceremony(b"", rp_id, "authentication", token=token, user_id=user_id)
    allowed = [
        PublicKeyCredentialDescriptor(id=_bytes(c.credential_id))
        for c in state.credentials.values()
        if user_id is not None and c.user_id == user_id and c.rp_id == rp_id
    ]
    options = generate_authentication_options(
        rp_id=rp_id,
        timeout=CEREMONY_TIMEOUT_MS,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    ceremony.challenge = options.challenge
    return _begin(state, ceremony, options_to_json(options), challenge_id)


def begin_sign_in(state: RelyingPartyState, *, rp_id: str, action: str) -> str:
    """What the ``challenge`` endpoint starts: a discoverable sign-in for ``action``; its challengeId.
    (Its WebAuthn challenge comes with the authentication options.)"""
    challenge_id, _ = _begin(state, Ceremony(b"", rp_id, "authentication", action=action), "{}")
    return challenge_id


def finish_registration(
    state: RelyingPartyState,
    *,
    challenge_id: str | None,
    token: str,
    response: Any,
    origins: list[str],
    authenticator_id: str,
    username: str | None,
) -> Credential:
    """Verify a registration response against its ceremony and keep the new credential."""
    ceremony = _take(state, challenge_id, "registration")
    if ceremony.token != token or ceremony.user_id is None:
        raise PasskeyRefused("the challenge was issued for another token")
    try:
        verified = verify_registration_response(
            credential=response,
            expected_challenge=ceremony.challenge,
            expected_rp_id=ceremony.rp_id,
            expected_origin=origins,
            require_user_verification=True,
        )
    except (InvalidRegistrationResponse, ValueError, TypeError, KeyError) as problem:
        raise PasskeyRefused(f"registration refused: {problem}") from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if credential_id in state.credentials:
        raise PasskeyRefused("this credential is registered already")
    credential = Credential(
        credential_id,
        verified.credential_public_key,
        verified.sign_count,
        ceremony.user_id,
        bytes_to_base64url(ceremony.user_id.encode()),
        ceremony.rp_id,
        authenticator_id,
        username,
    )
    state.credentials[credential_id] = credential
    return credential


def finish_authentication(
    state: RelyingPartyState, *, challenge_id: str | None, response: Any, origins: list[str]
) -> tuple[Ceremony, Credential]:
    """Verify an assertion against its ceremony and the stored credential; advance its sign count."""
    ceremony = _take(state, challenge_id, "authentication")
    raw_id = response.get("rawId") or response.get("id") if isinstance(response, dict) else None
    credential = state.credentials.get(raw_id) if isinstance(raw_id, str) else None
    if credential is None or credential.rp_id != ceremony.rp_id:
        raise PasskeyRefused("unknown credential")
    if ceremony.user_id is not None and credential.user_id != ceremony.user_id:
        raise PasskeyRefused("the credential belongs to another user than the token's")
    user_handle = (response.get("response") or {}).get("userHandle")
    if user_handle and user_handle != credential.user_handle:
        raise PasskeyRefused("userHandle is not the credential's user")
    try:
        verified = verify_authentication_response(
            credential=response,
            expected_challenge=ceremony.challenge,
            expected_rp_id=ceremony.rp_id,
            expected_origin=origins,
            credential_public_key=credential.public_key,
            credential_current_sign_count=credential.sign_count,
            require_user_verification=True,
        )
    except (InvalidAuthenticationResponse, ValueError, TypeError, KeyError) as problem:
        raise PasskeyRefused(f"authentication refused: {problem}") from None
    credential.sign_count = verified.new_sign_count
    return ceremony, credential


def _begin(
    state: RelyingPartyState, ceremony: Ceremony, options_json: str, challenge_id: str | None = None
) -> tuple[str, dict[str, Any]]:
    challenge_id = challenge_id or str(uuid.uuid4())
    state.ceremonies[challenge_id] = ceremony
    return challenge_id, json.loads(options_json)


def _take(state: RelyingPartyState, challenge_id: str | None, kind: str) -> Ceremony:
    """The ceremony of ``challenge_id``, removed: every challenge answers once."""
    ceremony = state.ceremonies.pop(challenge_id, None) if isinstance(challenge_id, str) else None
    if ceremony is None or ceremony.kind != kind:
        raise PasskeyRefused("unknown or used challengeId")
    return ceremony


def _bytes(credential_id: str) -> bytes:
    return base64url_to_bytes(credential_id)

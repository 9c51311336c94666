"""A software passkey authenticator for tests without a browser: it answers WebAuthn options
as a platform authenticator and the browser together would (``navigator.credentials.create``
and ``.get``), with an ES256 key from ``cryptography``, "none" attestation and a sign count.

The JSON it returns is what ``@simplewebauthn/browser`` (inside ``@authsignal/browser``) sends:
``RegistrationResponseJSON`` and ``AuthenticationResponseJSON``. Knobs let a test break one
thing at a time (origin, RP ID, user verification, sign count, a byte of the signed data).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

FLAG_UP, FLAG_UV, FLAG_BE, FLAG_BS, FLAG_AT = 0x01, 0x04, 0x08, 0x10, 0x40
AAGUID = bytes(16)


@dataclass
class SoftwarePasskey:
    """One resident credential: its key, id, RP ID, user handle and sign count."""

    rp_id: str
    user_handle: bytes
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    sign_count: int = 0


@dataclass
class SoftwareAuthenticator:
    """Makes and uses passkeys for ``origin``; ``user_verified=False`` leaves the UV flag off."""

    origin: str
    user_verified: bool = True
    passkeys: list[SoftwarePasskey] = field(default_factory=list)

    def create(self, options: dict[str, Any], *, rp_id: str | None = None, origin: str | None = None) -> dict[str, Any]:
        """A registration response to ``options`` (PublicKeyCredentialCreationOptionsJSON)."""
        rp_id = rp_id or options["rp"]["id"]
        passkey = SoftwarePasskey(rp_id=rp_id, user_handle=base64url_to_bytes(options["user"]["id"]))
        numbers = passkey.key.public_key().public_numbers()
        cose_key = cbor2.dumps(
            {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        )
        attested = AAGUID + struct.pack(">H", len(passkey.credential_id)) + passkey.credential_id + cose_key
        auth_data = self._authenticator_data(rp_id, FLAG_AT, passkey.sign_count) + attested
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        self.passkeys.append(passkey)
        credential_id = bytes_to_base64url(passkey.credential_id)
        return {
            "id": credential_id,
            "rawId": credential_id,
            "type": "public-key",
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": bytes_to_base64url(client_data),
                "attestationObject": bytes_to_base64url(attestation),
                "transports": ["internal"],
            },
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        passkey: SoftwarePasskey | None = None,
        rp_id: str | None = None,
        origin: str | None = None,
        sign_count: int | None = None,
    ) -> dict[str, Any]:
        """An assertion for ``options`` (PublicKeyCredentialRequestOptionsJSON) by ``passkey``
        (default: the last made). The sign count goes up by one unless ``sign_count`` is given."""
        passkey = passkey or self.passkeys[-1]
        passkey.sign_count = passkey.sign_count + 1 if sign_count is None else sign_count
        auth_data = self._authenticator_data(rp_id or passkey.rp_id, 0, passkey.sign_count)
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = passkey.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        credential_id = bytes_to_base64url(passkey.credential_id)
        return {
            "id": credential_id,
            "rawId": credential_id,
            "type": "public-key",
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": bytes_to_base64url(client_data),
                "authenticatorData": bytes_to_base64url(auth_data),
                "signature": bytes_to_base64url(signature),
                "userHandle": bytes_to_base64url(passkey.user_handle),
            },
        }

    def _authenticator_data(self, rp_id: str, extra_flags: int, sign_count: int) -> bytes:
        flags = FLAG_UP | FLAG_BE | FLAG_BS | extra_flags | (FLAG_UV if self.user_verified else 0)
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", sign_count)

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        ).encode()

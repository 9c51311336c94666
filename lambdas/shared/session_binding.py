"""What binds an answer to the sign-in that issued its challenge, beyond Authsignal's word.

Whoever calls InitiateAuth holds the session's track token. If the real service validated a
completed action's track token (not documented either way), an attacker who starts a sign-in
for a victim and lures the victim into completing it could answer with that track token. So the
create trigger keeps a SHA-256 digest of the token it hands out (never the token), and verify
refuses an answer equal to it before asking Authsignal anything. "Equal" as a token verifier sees
it, not only as a string: an answer may hold only the characters of a compact JWS (base64url and
dots; no whitespace, no padding, no other alphabet), and for a JWS-shaped token the digest is of
its decoded payload, so another signature or a re-encoding with other spare bits of the same
token is still the track token.

The idempotency keys our ``track`` calls send carry a fixed tag, so verify can tell an action we
tracked from one a passkey sign-in created: only the latter may sign in without this session's
key. Otherwise a track token of one session, completed with a passkey, could be answered in
another session. The keys stay UUID version 4 (the tag replaces the last 32 random bits of 122).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import uuid

DIGEST_PARAMETER = "trackTokenDigest"
_KEY_TAG = "5e55b1d0"


# What Authsignal's tokens are made of (compact JWS: base64url segments joined by dots).
_TOKEN_TEXT = re.compile(r"[A-Za-z0-9_.-]+")


def is_token_text(answer: str) -> bool:
    """True if ``answer`` holds only what a token may hold; anything else is refused unasked."""
    return _TOKEN_TEXT.fullmatch(answer) is not None


def digest(token: str) -> str:
    """The SHA-256 hex digest kept in the private challenge parameters instead of the token: of
    the decoded payload for a JWS-shaped token (what a verifier reads), else of the text."""
    parts = token.split(".")
    if len(parts) == 3 and (payload := _lenient_base64url(parts[1])) is not None:
        return hashlib.sha256(b"jws-payload:" + payload).hexdigest()
    return hashlib.sha256(token.encode()).hexdigest()


def is_track_token(answer: str, kept_digest: str) -> bool:
    """True if ``answer`` is the track token whose digest the create step kept (constant time)."""
    return hmac.compare_digest(digest(answer), kept_digest)


def _lenient_base64url(segment: str) -> bytes | None:
    """The bytes a lenient decoder reads from ``segment``: spare bits and a dangling last
    character ignored, as many JWT libraries decode."""
    usable = segment[: len(segment) - 1] if len(segment) % 4 == 1 else segment
    try:
        return base64.urlsafe_b64decode(usable + "=" * (-len(usable) % 4))
    except (binascii.Error, ValueError):
        return None


def new_idempotency_key() -> str:
    """A fresh idempotency key for ``track``: a random UUID v4 ending in our tag."""
    return str(uuid.UUID(uuid.uuid4().hex[: -len(_KEY_TAG)] + _KEY_TAG))


def is_tracked_by_us(key: str) -> bool:
    """True if ``key`` is one of ours: the action was tracked by a create step, not a passkey sign-in."""
    return key.lower().endswith(_KEY_TAG)

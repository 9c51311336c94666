"""What binds an answer to the sign-in that issued its challenge, beyond Authsignal's word.

Whoever calls InitiateAuth holds the session's track token. If the real service validated a
completed action's track token (not documented either way), an attacker who starts a sign-in
for a victim and lures the victim into completing it could answer with that track token. So the
create trigger keeps a SHA-256 digest of the token it hands out (never the token), and verify
refuses an answer equal to it before asking Authsignal anything.

The idempotency keys our ``track`` calls send carry a fixed tag, so verify can tell an action we
tracked from one a passkey sign-in created: only the latter may sign in without this session's
key. Otherwise a track token of one session, completed with a passkey, could be answered in
another session. The keys stay UUID version 4 (the tag replaces the last 32 random bits of 122).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

DIGEST_PARAMETER = "trackTokenDigest"
_KEY_TAG = "5e55b1d0"


def digest(token: str) -> str:
    """The SHA-256 hex digest kept in the private challenge parameters instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_track_token(answer: str, kept_digest: str) -> bool:
    """True if ``answer`` is the track token whose digest the create step kept (constant time)."""
    return hmac.compare_digest(digest(answer), kept_digest)


def new_idempotency_key() -> str:
    """A fresh idempotency key for ``track``: a random UUID v4 ending in our tag."""
    return str(uuid.UUID(uuid.uuid4().hex[:-len(_KEY_TAG)] + _KEY_TAG))


def is_tracked_by_us(key: str) -> bool:
    """True if ``key`` is one of ours: the action was tracked by a create step, not a passkey sign-in."""
    return key.lower().endswith(_KEY_TAG)

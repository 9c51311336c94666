"""The OS's Chromium, for the browser tests, the web app's benchmark and its screenshots:
Playwright drives it, and never downloads a browser of its own (that needs the internet).

``CHROMIUM_PATH`` names one; else the first of the usual places that exists (Debian's chromium
package, or Google Chrome as GitHub's Ubuntu runners carry it).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

CANDIDATES = (Path("/usr/bin/chromium"), Path("/usr/bin/google-chrome"), Path("/usr/bin/google-chrome-stable"))
MISSING = "no Chromium found (/usr/bin/chromium or CHROMIUM_PATH): run scripts/setup (as root it installs it)"


def find_chromium() -> Path | None:
    named = os.environ.get("CHROMIUM_PATH")
    if named:
        return Path(named) if Path(named).exists() else None
    return next((path for path in CANDIDATES if path.exists()), None)


def launch(playwright: Any, executable: Path) -> Any:
    """Headless Chromium; as root without its own sandbox, which refuses to run as root."""
    return playwright.chromium.launch(
        executable_path=str(executable), args=["--no-sandbox"] if os.geteuid() == 0 else []
    )


# A platform authenticator as the browser tests and the screenshots use it, through the Chrome
# DevTools Protocol: CTAP2, built in, resident keys (passkeys), user verification done.
VIRTUAL_AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}
# Makes a page a browser without passkey autofill (conditional mediation).
NO_AUTOFILL = "PublicKeyCredential.isConditionalMediationAvailable = async () => false;"


def add_virtual_authenticator(context: Any, page: Any) -> tuple[Any, str]:
    """A virtual authenticator for ``page``: its CDP session and the authenticator's id."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_AUTHENTICATOR})
    return cdp, str(added["authenticatorId"])

"""Regenerate the web app's screenshots in docs/images from the running sandbox:

    scripts/screenshots [--state .sandbox/state.json] [--out docs/images]

writes sign-in.png (the start screen), signed-in.png (after a code sign-in) and passkeys.png (a
passkey added, the sign-in methods listed). A new user signs up with an email code read from the
sandbox's outbox page, as a person reads it; the passkey comes from a virtual authenticator, so a
real WebAuthn ceremony runs. Needs a running sandbox (``scripts/sandbox``) and Chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_STATE = ROOT / ".sandbox" / "state.json"
DEFAULT_OUT = ROOT / "docs" / "images"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
VIEWPORT = {"width": 520, "height": 640}
VIRTUAL_AUTHENTICATOR = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
                         "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True}
TIMEOUT_MS = 20_000


class ScreenshotError(Exception):
    """Nothing (more) was written; the message says why."""


def read_state(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        raise ScreenshotError(f"no sandbox state at {path}: start scripts/sandbox first") from None
    if not isinstance(state, dict) or not state.get("appUrl") or not state.get("outboxUrl"):
        raise ScreenshotError(f"the sandbox at {path} serves no app: build it (scripts/setup), restart scripts/sandbox")
    return state


def take(app_url: str, outbox_url: str, out: Path) -> list[Path]:
    """The three screenshots, in the order a person meets the screens."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    email = f"ada.{uuid.uuid4().hex[:6]}@example.com"
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=["--no-sandbox"] if os.geteuid() == 0 else [])
        context = browser.new_context(viewport=VIEWPORT, device_scale_factor=2)
        # No autofill here: the virtual authenticator would sign in by itself once it has a passkey.
        context.add_init_script("PublicKeyCredential.isConditionalMediationAvailable = async () => false;")
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        cdp.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_AUTHENTICATOR})

        page.goto(app_url)
        page.locator("#view-start").wait_for(state="visible")
        page.fill("#username", email)
        written.append(_shot(page, out / "sign-in.png"))

        page.click("#continue")
        page.locator("#view-code").wait_for(state="visible")
        outbox = context.new_page()
        outbox.goto(outbox_url)
        code = outbox.locator(f"tr:has(td:text-is('{email}')) code").first.inner_text().strip()
        outbox.close()
        page.fill("#code", code)
        page.click("#verify")
        page.locator("#view-signed-in").wait_for(state="visible")
        page.locator("#authenticators li").first.wait_for()
        written.append(_shot(page, out / "signed-in.png"))

        page.click("#add-passkey")
        page.locator("#authenticators li[data-type=PASSKEY]").wait_for()
        written.append(_shot(page, out / "passkeys.png"))
        browser.close()
    return written


def _shot(page: Any, path: Path) -> Path:
    page.screenshot(path=str(path))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/screenshots", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE, help="the sandbox's state file")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the images go (default: %(default)s)")
    options = parser.parse_args(argv)
    try:
        if not CHROMIUM.exists():
            raise ScreenshotError(f"no Chromium at {CHROMIUM}: run scripts/setup (as root it installs it)")
        state = read_state(options.state)
        for path in take(state["appUrl"], state["outboxUrl"], options.out):
            print(f"wrote {path}")
    except ScreenshotError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

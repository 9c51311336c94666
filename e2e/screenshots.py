"""Regenerate the web app's screenshots in docs/images from the running sandbox:

    scripts/screenshots [--state .sandbox/state.json] [--out docs/images]

writes sign-in.png (the start screen), signed-in.png (after a code sign-in) and passkeys.png (a
passkey added, the sign-in methods listed). A new user signs up with an email code read from the
sandbox's outbox page, as a person reads it; the passkey comes from a virtual authenticator, so a
real WebAuthn ceremony runs. Needs a running sandbox (``scripts/sandbox``) and Chromium.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from e2e.chromium import MISSING, NO_AUTOFILL, add_virtual_authenticator, find_chromium, launch
from e2e.sandbox_state import SandboxStateError, read_state

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "docs" / "images"
VIEWPORT: ViewportSize = {"width": 520, "height": 640}
TIMEOUT_MS = 20_000


class ScreenshotError(Exception):
    """Nothing (more) was written; the message says why."""


def app_and_outbox(path: Path | None) -> tuple[str, str]:
    """The running sandbox's app and outbox URLs, from its state file."""
    try:
        state = read_state(path)
    except SandboxStateError as error:
        raise ScreenshotError(str(error)) from None
    if not state.get("appUrl"):
        raise ScreenshotError("the sandbox serves no app: build it (scripts/setup), then restart scripts/sandbox")
    return str(state["appUrl"]), str(state["outboxUrl"])


def take(app_url: str, outbox_url: str, out: Path, executable: Path) -> list[Path]:
    """The three screenshots, in the order a person meets the screens."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    email = f"ada.{uuid.uuid4().hex[:6]}@example.com"
    written = []
    with sync_playwright() as playwright:
        browser = launch(playwright, executable)
        context = browser.new_context(viewport=VIEWPORT, device_scale_factor=2)
        # No autofill here: the virtual authenticator would sign in by itself once it has a passkey.
        context.add_init_script(NO_AUTOFILL)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        add_virtual_authenticator(context, page)

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
    page.locator("main").screenshot(path=str(path))  # the app's card, without the empty page around it
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/screenshots",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--state", type=Path, help="the sandbox's state file (default: .sandbox/state.json)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the images go (default: %(default)s)")
    options = parser.parse_args(argv)
    try:
        executable = find_chromium()
        if executable is None:
            raise ScreenshotError(MISSING)
        for path in take(*app_and_outbox(options.state), options.out, executable):
            print(f"wrote {path}")
    except ScreenshotError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

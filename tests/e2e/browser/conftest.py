"""The web app in a real browser: the OS's Chromium driven by Playwright, one browser for these
tests and a fresh context (cookies, storage, virtual authenticator) per test, on the app the
sandbox serves from web/dist (``web_app_url``, tests/e2e/conftest.py).

Passkeys are real WebAuthn ceremonies: each page gets a Chrome DevTools Protocol virtual
authenticator (CTAP2, internal, resident keys, user verification) that answers the browser's
prompts as a person touching their platform authenticator would.

Under ``CI=true`` a missing Chromium fails these tests instead of skipping them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from e2e.chromium import MISSING, NO_AUTOFILL, add_virtual_authenticator, find_chromium, launch
from tests.conftest import ROOT

SCREENSHOTS = ROOT / ".artifacts" / "screenshots"
# How long the app may take for one step (a sign-in runs three Lambdas in the emulator).
STEP_TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Under ``CI=true`` a browser test that would be skipped (no Chromium, no emulator) fails."""
    report = yield
    if report.skipped and os.environ.get("CI") == "true" and item.get_closest_marker("browser"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where the browser tests must run: {reason}"
    return report


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """One headless Chromium for all the browser tests."""
    executable = find_chromium()
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail(MISSING, pytrace=False)
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright, executable)
        yield browser
        browser.close()


@dataclass(frozen=True)
class Sent:
    """A request the page sent: ``what`` is the Cognito operation (``InitiateAuth``), else
    ``METHOD path``."""

    what: str
    url: str
    post_data: str | None


def sent(request: Any) -> Sent:
    target = request.headers.get("x-amz-target", "")
    what = target.rsplit(".", 1)[-1] if target else f"{request.method} {urlsplit(request.url).path}"
    return Sent(what, request.url, request.post_data)


@dataclass
class AppPage:
    """One person's browser tab on the app, with what a test needs to drive and watch it."""

    page: Any  # playwright.sync_api.Page
    url: str
    screenshots: Path
    cdp: Any
    authenticator_id: str
    requests: list[Sent] = field(default_factory=list)  # in the order sent
    _shots: int = 0

    def open(self) -> None:
        self.page.goto(self.url)
        self.page.locator("#view-start").wait_for(state="visible", timeout=STEP_TIMEOUT_MS)

    def shot(self, step: str) -> None:
        """A screenshot of this step, kept under .artifacts/screenshots/<test>/."""
        self._shots += 1
        self.screenshots.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.screenshots / f"{self._shots:02d}-{step}.png"), full_page=True)

    def view(self, name: str) -> Any:
        """Wait until the screen ``name`` (start, code, step-up, signed-in) shows; its locator."""
        locator = self.page.locator(f"#view-{name}")
        locator.wait_for(state="visible", timeout=STEP_TIMEOUT_MS)
        return locator

    def error(self) -> str:
        """The sentence the app shows for a problem."""
        locator = self.page.locator("#error")
        locator.wait_for(state="visible", timeout=STEP_TIMEOUT_MS)
        return str(locator.inner_text()).strip()

    def idle(self) -> None:
        """Wait until the current action is done (its buttons enabled again)."""
        self.page.locator("#busy").wait_for(state="hidden", timeout=STEP_TIMEOUT_MS)

    def credentials(self) -> list[dict[str, Any]]:
        """The passkeys the virtual authenticator holds."""
        answer = self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.authenticator_id})
        return list(answer["credentials"])

    def sent(self, pattern: str) -> list[Sent]:
        """The requests sent so far whose ``what`` matches ``pattern`` (a regular expression)."""
        return [request for request in self.requests if re.search(pattern, request.what)]


@pytest.fixture
def open_app(chromium: Any, web_app_url: str, request: pytest.FixtureRequest) -> Iterator[Callable[..., AppPage]]:
    """``open_app()``: a new person (a fresh browser context with its own virtual
    authenticator) on the app's start screen. A test may open several. ``autofill=False``: a
    browser without passkey autofill (conditional mediation); with it, the virtual authenticator
    answers the autofill request on its own as soon as it holds a passkey for the site."""
    contexts: list[Any] = []
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)

    def open_one(*, autofill: bool = True) -> AppPage:
        context = chromium.new_context(viewport={"width": 520, "height": 720})
        contexts.append(context)
        if not autofill:
            context.add_init_script(NO_AUTOFILL)
        page = context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        cdp, authenticator_id = add_virtual_authenticator(context, page)
        suffix = f"-{len(contexts)}" if len(contexts) > 1 else ""
        app = AppPage(page, web_app_url, SCREENSHOTS / f"{name}{suffix}", cdp, authenticator_id)
        page.on("request", lambda request: app.requests.append(sent(request)))
        app.open()
        return app

    yield open_one
    for context in contexts:
        context.close()

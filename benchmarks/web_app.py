"""The web app's budgets: the production build's JavaScript, gzipped, and the first sign-in page
load on the sandbox in headless Chromium (median of a few loads, each in a fresh context, so
nothing is cached).

The load is measured (not in a ``--quick`` run) on a running sandbox (``scripts/sandbox``, found through its state file,
.sandbox/state.json); without one the figure is skipped, with the reason, like any figure not
measured in a run.
"""

from __future__ import annotations

import gzip
import json
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.report import Figure
from e2e.chromium import MISSING, find_chromium, launch

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "web" / "dist"
STATE = ROOT / ".sandbox" / "state.json"
JS_BUDGET_BYTES = 200 * 1024
FIRST_LOAD_BUDGET_S = 1.0
LOADS = 5


def measure(*, quick: bool = False, state: Path = STATE) -> list[Figure]:
    """Both figures; a quick run (the report's own test) does not load pages."""
    return [js_size(), _load_figure(None, "--quick") if quick else first_load(state)]


def gzipped_js_bytes(dist: Path = DIST) -> int:
    """The production build's JavaScript as a browser downloads it: every .js file, gzipped."""
    files = sorted(dist.glob("assets/*.js"))
    if not files:
        raise FileNotFoundError(f"no JavaScript in {dist}/assets: build the app (scripts/setup)")
    return sum(len(gzip.compress(path.read_bytes(), compresslevel=9)) for path in files)


def js_size(dist: Path = DIST) -> Figure:
    try:
        value: int | None = gzipped_js_bytes(dist)
        note = f"{len(list(dist.glob('assets/*.js')))} file(s) in web/dist/assets"
    except FileNotFoundError as missing:
        value, note = None, str(missing)
    return Figure(
        "web_app.js_gzipped_bytes", "web app: JavaScript, gzipped", value, "bytes", JS_BUDGET_BYTES, note=note
    )


def first_load(state: Path = STATE, loads: int = LOADS) -> Figure:
    """Median seconds from navigation to the sign-in screen shown (config.json read, SDKs ready)."""
    url = _app_url(state)
    if url is None:
        return _load_figure(
            None, f"no sandbox serving the app ({state} missing or without appUrl): start scripts/sandbox"
        )
    executable = find_chromium()
    if executable is None:
        return _load_figure(None, MISSING)
    return _load_figure(
        statistics.median(load_times(url, loads, executable)), f"median of {loads} loads, headless Chromium"
    )


def load_times(url: str, loads: int, executable: Path) -> list[float]:
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as playwright:
        browser = launch(playwright, executable)
        for _ in range(loads):
            context = browser.new_context()
            page = context.new_page()
            started = time.perf_counter()
            page.goto(url)
            page.locator("#view-start").wait_for(state="visible")
            times.append(time.perf_counter() - started)
            context.close()
        browser.close()
    return times


def _app_url(state: Path) -> str | None:
    try:
        content: Any = json.loads(state.read_text())
    except (OSError, ValueError):
        return None
    url = content.get("appUrl") if isinstance(content, dict) else None
    return url if isinstance(url, str) and url else None


def _load_figure(seconds: float | None, note: str) -> Figure:
    return Figure(
        "web_app.first_load_s", "web app: first sign-in page load", seconds, "s", FIRST_LOAD_BUDGET_S, note=note
    )

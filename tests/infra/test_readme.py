"""The README is the front door: a newcomer reads it in ten minutes, and every topic lives in
docs/. A README that grows past its budget fails here, before it is merged."""

from __future__ import annotations

from tests.conftest import ROOT

README_LINE_BUDGET = 200


def test_the_readme_is_at_most_200_lines() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()

    assert len(lines) <= README_LINE_BUDGET, f"README.md has {len(lines)} lines: move a topic to docs/"

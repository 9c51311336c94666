"""The README's configuration table lists exactly the settings an environment may have (one row
per key, the key backticked in the first column), and says which are required."""

from __future__ import annotations

import re

from stacks.config import REQUIRED_SETTINGS, SETTINGS
from tests.infra.conftest import ROOT

HEADING = "## Configuration"


def configuration_table(markdown: str) -> dict[str, list[str]]:
    """The rows of the first table under ``HEADING``, by the backticked key in the first column."""
    assert HEADING in markdown.splitlines(), f"README.md has no '{HEADING}' section"
    section = markdown.split(f"\n{HEADING}\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        key = re.fullmatch(r"`([A-Za-z0-9]+)`", cells[0]) if line.lstrip().startswith("|") else None
        if key:
            assert key.group(1) not in rows, f"{key.group(1)} has two rows"
            rows[key.group(1)] = cells[1:]
    return rows


def test_the_readme_lists_every_setting_and_no_other():
    table = configuration_table((ROOT / "README.md").read_text())
    assert sorted(table) == sorted(SETTINGS)
    assert sorted(key for key, cells in table.items() if "required" in cells) == sorted(REQUIRED_SETTINGS)


def test_the_table_reader_finds_a_missing_and_an_unknown_key():
    markdown = (
        f"# x\n\n{HEADING}\n\n| key | default | meaning |\n| --- | --- | --- |\n"
        "| `authsignalUrl` | required | the URL |\n| `attemptLimt` | 3 | typo |\n\n## Layout\n"
    )
    assert configuration_table(markdown) == {"authsignalUrl": ["required", "the URL"], "attemptLimt": ["3", "typo"]}

"""Every relative link in the README and docs/ resolves: the file exists, and an anchor names one
of its headings as GitHub renders them. A moved section or a renamed heading fails here, not on a
reader's click."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.infra.conftest import ROOT

DOCUMENTS = sorted({*ROOT.glob("*.md"), *(ROOT / "docs").rglob("*.md")})
LINK = re.compile(r"(?<!!)\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)


def prose(path: Path) -> str:
    """The document without its fenced code blocks (a ``[x](y)`` in code is not a link)."""
    return FENCE.sub("", path.read_text())


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives ``path``'s headings: lower case, punctuation dropped, spaces as
    dashes, and ``-1``, ``-2`` ... for repeats."""
    seen: dict[str, int] = {}
    found = set()
    for line in prose(path).splitlines():
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not heading:
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.group(1))  # a link's text only
        slug = re.sub(r"[^\w\- ]", "", text.replace("`", "").lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def relative_links(path: Path) -> list[str]:
    text = prose(path)
    return [
        target for target in LINK.findall(text) + IMAGE.findall(text) if not re.match(r"^[a-z][a-z0-9+.-]*:", target)
    ]  # http:, https:, mailto: are not ours


def broken_links(document: Path) -> list[str]:
    broken = []
    for target in relative_links(document):
        file_part, _, anchor = target.partition("#")
        linked = (document.parent / file_part).resolve() if file_part else document
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading with that anchor in {linked.name}")
    return broken


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(document):
    assert not broken_links(document)


def test_the_anchor_rules_follow_github(tmp_path):
    """A checker that can fail: the slugs of a few headings as GitHub renders them."""
    page = tmp_path / "page.md"
    page.write_text(
        "# Why Python 3.13\n## Faults and load: `scripts/chaos`\n## Steps\n### Steps\n```\n# not a heading\n```\n"
    )

    assert anchors(page) == {"why-python-313", "faults-and-load-scriptschaos", "steps", "steps-1"}
    assert relative_links(page) == []

    page.write_text("# Top\n[ok](#top) [gone](#bottom) [missing](other.md) [web](https://example.com)\n")
    assert broken_links(page) == ["#bottom: no heading with that anchor in page.md", "other.md: no such file"]

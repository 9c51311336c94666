"""Every command block the README and docs/ mark runnable runs, as written, against the local
sandbox: documentation that drifts from the tools fails here, not in a newcomer's terminal.

A block is marked by the comment ``<!-- runnable: sandbox -->`` on the line before its ```sh (or
```bash) fence. It runs in bash with ``-euo pipefail`` from the repository's root, with the
shared e2e sandbox as the one ``scripts/sign-in --sandbox`` finds (``PASSWORDLESS_SANDBOX_STATE``
names its state file), and fails on a non-zero exit.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from e2e.sandbox import LocalSandbox
from e2e.sandbox_state import STATE_PATH_VARIABLE
from tests.conftest import ROOT

MARKER = "<!-- runnable: sandbox -->"
MARKED_BLOCK = re.compile(r"^<!-- runnable: sandbox -->\n```(?:sh|bash)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
BLOCK_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Block:
    """One runnable block: where it is (for the test's name) and its commands."""

    document: Path
    line: int
    commands: str

    @property
    def name(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"


def documents(root: Path = ROOT) -> list[Path]:
    return sorted({*root.glob("*.md"), *(root / "docs").rglob("*.md")})


def runnable_blocks(document: Path) -> list[Block]:
    """The marked blocks of ``document``; a marker not directly followed by a sh block is a
    mistake (it would silently run nothing), so it fails here."""
    text = document.read_text()
    blocks = [
        Block(document, text.count("\n", 0, match.start()) + 1, match.group(1)) for match in MARKED_BLOCK.finditer(text)
    ]
    if text.count(MARKER) != len(blocks):
        raise ValueError(f"{document}: a '{MARKER}' line is not directly followed by a ```sh block")
    return blocks


ALL_BLOCKS = [block for document in documents() for block in runnable_blocks(document)]


def test_the_readme_and_the_api_guide_have_runnable_blocks() -> None:
    marked = {block.document.relative_to(ROOT).as_posix() for block in ALL_BLOCKS}

    assert {"README.md", "docs/api.md"} <= marked


def test_a_marker_without_its_block_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(f"# Page\n\n{MARKER}\n```sh\necho one\n```\n\n{MARKER}\n\n```sh\necho two\n```\n")

    with pytest.raises(ValueError, match="not directly followed"):
        runnable_blocks(page)
    page.write_text(f"# Page\n\n{MARKER}\n```sh\necho one\n```\n\n```sh\nnot marked\n```\n")
    assert [(block.line, block.commands) for block in runnable_blocks(page)] == [(3, "echo one\n")]


@pytest.fixture(scope="module")
def running_blocks(sandbox: LocalSandbox) -> Iterator[dict[str, subprocess.Popen[str]]]:
    """Every marked block, started at once (they share nothing but the sandbox, so the module
    takes as long as its slowest block), with this run's sandbox as the one ``--sandbox`` finds:
    its own state file, never a developer's ``.sandbox/state.json`` nor a sandbox they have running."""
    assert sandbox.state_path is not None and sandbox.state_path.exists()
    environment = {**os.environ, STATE_PATH_VARIABLE: str(sandbox.state_path)}
    started = {
        block.name: subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", block.commands],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for block in ALL_BLOCKS
    }
    yield started
    for process in started.values():
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_the_state_variable_points_every_sandbox_command_at_its_state_file(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    ran = subprocess.run(
        [sys.executable, "-m", "e2e.signin", "--sandbox", "--username", "ada@example.com"],
        cwd=ROOT,
        env={**os.environ, STATE_PATH_VARIABLE: str(state)},
        capture_output=True,
        text=True,
    )

    assert ran.returncode == 1
    assert f"no sandbox state at {state}" in ran.stderr


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=lambda block: block.name)
def test_the_marked_block_runs_as_written(block: Block, running_blocks: dict[str, subprocess.Popen[str]]) -> None:
    process = running_blocks[block.name]
    out, err = process.communicate(timeout=BLOCK_TIMEOUT_SECONDS)

    assert process.returncode == 0, f"{block.name} exited {process.returncode}:\n{out}\n{err}"

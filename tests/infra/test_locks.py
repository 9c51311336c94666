"""Every pinned requirement file has a hash lock (scripts/lock) that pins the very same versions,
with a sha256 for every package, and the installs use the locks with pip --require-hashes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

PAIRS = [
    ("requirements-dev.txt", "requirements-dev.lock"),
    ("lambdas/requirements.txt", "lambdas/requirements.lock"),
    ("e2e/requirements-emulator.txt", "e2e/requirements-emulator.lock"),
]
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def pins(path: Path) -> dict[str, str]:
    """``name -> version`` of a requirement file, following ``-r`` includes."""
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found |= pins(path.parent / line[3:].strip())  # relative to the including file, as pip reads it
        elif match := _PIN.match(line):
            found[_name(match.group(1))] = match.group(2)
        elif line:
            raise AssertionError(f"{path.name}: not an exact pin: {line}")
    return found


def locked(path: Path) -> dict[str, tuple[str, int]]:
    """``name -> (version, number of hashes)`` of a lock."""
    found: dict[str, tuple[str, int]] = {}
    current = None
    for line in path.read_text().splitlines():
        if match := _PIN.match(line):
            current = _name(match.group(1))
            found[current] = (match.group(2), 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = found[current]
            found[current] = (version, hashes + 1)
    return found


def disagreements(requirements: Path, lock: Path) -> list[str]:
    """What keeps ``lock`` from being ``requirements``' lock: a pin it lacks or differs on, a
    package without a hash."""
    pinned, hashed = pins(requirements), locked(lock)
    problems = [
        f"{name}: {version} pinned, {hashed.get(name, ('missing',))[0]} locked"
        for name, version in pinned.items()
        if hashed.get(name, ("",))[0] != version
    ]
    problems += [f"{name}: no hash" for name, (_, hashes) in hashed.items() if hashes == 0]
    return problems


@pytest.mark.parametrize(("requirements", "lock"), PAIRS, ids=[lock for _, lock in PAIRS])
def test_each_lock_pins_what_its_requirements_pin_with_hashes(requirements: str, lock: str) -> None:
    assert disagreements(ROOT / requirements, ROOT / lock) == []
    assert locked(ROOT / lock)


def test_a_lock_that_disagrees_with_its_requirements_is_caught(tmp_path: Path) -> None:
    requirements, lock = tmp_path / "requirements.txt", tmp_path / "requirements.lock"
    requirements.write_text("requests==2.34.2\nidna==3.20  # a comment\n")
    lock.write_text("requests==2.33.0 \\\n    --hash=sha256:" + "a" * 64 + "\nidna==3.20 \\\n    # via requests\n")

    assert disagreements(requirements, lock) == ["requests: 2.34.2 pinned, 2.33.0 locked", "idna: no hash"]


def test_setup_and_the_bundles_install_from_the_locks_with_hashes_required() -> None:
    setup = (ROOT / "scripts/setup").read_text()
    assert 'pip_locked() { "$1" -m pip install --quiet --disable-pip-version-check --require-hashes' in setup
    assert "pip_locked .venv/bin/python requirements-dev.lock" in setup
    assert "pip_locked .venv-emulator/bin/python e2e/requirements-emulator.lock" in setup
    assert '"--require-hashes", "--dest", str(WHEELHOUSE), "--requirement", str(LOCK)' in setup  # lambdas' lock
    bundling = (ROOT / "stacks/bundling.py").read_text()
    assert '"--require-hashes"' in bundling and 'SOURCE / "requirements.lock"' in bundling

"""Without the local emulator the end-to-end tests are skipped on a developer's machine, and fail
the run under CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.support import require_emulator


def test_a_missing_emulator_fails_the_run_under_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(BaseException, match=r"\.venv-emulator is missing: run scripts/setup") as outcome:
        require_emulator(tmp_path / ".venv-emulator" / "bin" / "python")
    assert outcome.type is pytest.fail.Exception  # not a skip, which would pass the run


def test_a_missing_emulator_skips_them_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(BaseException, match=r"\.venv-emulator is missing") as outcome:
        require_emulator(tmp_path / ".venv-emulator" / "bin" / "python")
    assert outcome.type is pytest.skip.Exception


def test_a_present_emulator_is_required_quietly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    (tmp_path / "python").touch()
    require_emulator(tmp_path / "python")

"""Every script in scripts/ answers ``--help`` with its usage, before it installs, builds or
changes anything: on a fresh clone too, where nothing is installed yet."""

import shutil
import subprocess

import pytest

from tests.infra.conftest import ROOT

SCRIPTS = sorted(path.name for path in (ROOT / "scripts").iterdir() if path.is_file())


def usage_lines(output: str, script: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(f"usage: scripts/{script}")]


def test_every_script_is_covered():
    assert {"setup", "synth", "test", "set-authsignal-secret", "sign-in"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_script_answers_help_with_its_usage(script):
    result = subprocess.run([str(ROOT / "scripts" / script), "--help"], cwd=ROOT, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=120)

    assert result.returncode == 0, result.stderr
    assert usage_lines(result.stdout, script)


def test_help_on_a_fresh_clone_installs_nothing(tmp_path):
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")

    for script in SCRIPTS:
        result = subprocess.run([str(tmp_path / "scripts" / script), "-h"], cwd=tmp_path, capture_output=True,
                                text=True, stdin=subprocess.DEVNULL, timeout=60)
        assert result.returncode == 0, (script, result.stderr)
        assert usage_lines(result.stdout, script), (script, result.stdout)

    assert [path.name for path in tmp_path.iterdir()] == ["scripts"]


def test_no_script_hides_the_node_end_of_life_banner():
    """Node 20 is end-of-life: the CDK's banner saying so is shown, not silenced for everyone."""
    for script in SCRIPTS:
        assert "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION" not in (ROOT / "scripts" / script).read_text(), script

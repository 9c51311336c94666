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
    result = subprocess.run(
        [str(ROOT / "scripts" / script), "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert usage_lines(result.stdout, script)


def test_help_on_a_fresh_clone_installs_nothing(tmp_path):
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")

    for script in SCRIPTS:
        result = subprocess.run(
            [str(tmp_path / "scripts" / script), "-h"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
        assert result.returncode == 0, (script, result.stderr)
        assert usage_lines(result.stdout, script), (script, result.stdout)

    assert [path.name for path in tmp_path.iterdir()] == ["scripts"]


def fake_node(directory, major):
    """A ``node`` that answers the version query scripts/lib/node.sh asks with ``major``."""
    directory.mkdir(parents=True)
    node = directory / "node"
    node.write_text(f"#!/bin/sh\necho {major}\n")
    node.chmod(0o755)
    return node


def source_node_sh(home, default_node_dir, *, times=1):
    """Source scripts/lib/node.sh ``times`` times (as nested scripts do) with only ``default_node_dir``'s
    node on PATH; returns (the node then first on PATH, the jsii silencing variable, stderr)."""
    script = (
        "\n".join([f'source "{ROOT}/scripts/lib/node.sh"'] * times)
        + '\ncommand -v node; echo "jsii=${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-}"'
    )
    result = subprocess.run(
        ["/bin/bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        env={"HOME": str(home), "PATH": f"{default_node_dir}:/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    node, jsii = result.stdout.splitlines()
    return node, jsii.removeprefix("jsii="), result.stderr


def test_a_newer_node_of_a_version_manager_goes_first_on_path(tmp_path):
    fake_node(tmp_path / "default", 20)
    newer = fake_node(tmp_path / "home" / ".nvm" / "versions" / "node" / "v22.9.0" / "bin", 22)

    node, jsii, stderr = source_node_sh(tmp_path / "home", tmp_path / "default")

    assert (node, jsii, stderr) == (str(newer), "", "")


def test_a_default_node_22_or_newer_is_kept(tmp_path):
    default = fake_node(tmp_path / "default", 22)
    fake_node(tmp_path / "home" / ".nvm" / "versions" / "node" / "v24.1.0" / "bin", 24)

    assert source_node_sh(tmp_path / "home", tmp_path / "default") == (str(default), "", "")


def test_node_20_alone_is_named_end_of_life_in_one_line_instead_of_the_jsii_banner(tmp_path):
    default = fake_node(tmp_path / "default", 20)

    node, jsii, stderr = source_node_sh(tmp_path / "home", tmp_path / "default", times=2)

    assert node == str(default)
    assert jsii == "20"  # the jsii runtime's banner (eleven lines of Python byte strings) is silenced
    [line] = stderr.splitlines()  # and said once, however many scripts source it
    assert "Node.js 20 is end-of-life" in line and "22 or newer" in line

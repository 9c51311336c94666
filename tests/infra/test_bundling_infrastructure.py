"""Docker-free bundles: what they hold, and a hash that depends on content, not on paths."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.bundling import (
    PYTHON_VERSION,
    BundlingError,
    asset_hash,
    bundle_note,
    bytecode_python,
    require_reproducible_bundles,
)
from tests.infra.conftest import CONTEXT, ROOT, resources, run_app


def bundle_directories(synthesized):
    """Each handler's staged asset directory (``asset.<hash>``, the hash its S3Key carries)."""
    template = synthesized.templates["dev"]
    return {
        props["Properties"]["Handler"]: Path(
            synthesized.directory, "asset." + props["Properties"]["Code"]["S3Key"].removesuffix(".zip")
        )
        for props in resources(template, "AWS::Lambda::Function").values()
    }


def test_sdk_bundle_holds_the_pinned_sdk_built_for_arm64_and_no_pip_scripts(synthesized):
    bundle = bundle_directories(synthesized)["triggers.custom_auth.handler"]
    assert (bundle / "authsignal" / "client.py").exists()
    assert (bundle / "authsignal-4.1.0.dist-info").is_dir()
    assert not (bundle / "bin").exists()
    wheel = (bundle / "charset_normalizer-3.5.3.dist-info" / "WHEEL").read_text()
    assert "aarch64" in wheel


def test_sdk_bundle_leaves_out_what_nothing_imports(synthesized):
    bundle = bundle_directories(synthesized)["triggers.custom_auth.handler"]
    assert not (bundle / "jwt").exists()
    assert not list(bundle.glob("pyjwt-*.dist-info"))
    assert not (bundle / "authsignal" / "client_tests.py").exists()


def test_pre_sign_up_bundle_holds_only_our_sources(synthesized):
    bundle = bundle_directories(synthesized)["triggers.pre_sign_up.handler"]
    assert (bundle / "triggers" / "pre_sign_up.py").exists()
    assert not (bundle / "authsignal").exists()
    assert not list(bundle.glob("*.dist-info"))


def test_pre_sign_up_bundle_holds_only_the_modules_pre_sign_up_imports(synthesized):
    bundle = bundle_directories(synthesized)["triggers.pre_sign_up.handler"]
    sources = sorted(path.relative_to(bundle).as_posix() for path in bundle.rglob("*.py"))
    assert sources == [
        "shared/__init__.py",
        "shared/event.py",
        "shared/log.py",
        "triggers/__init__.py",
        "triggers/pre_sign_up.py",
    ]


def test_pre_sign_up_imports_from_its_bundle_alone(synthesized, tmp_path):
    bundle = shutil.copytree(bundle_directories(synthesized)["triggers.pre_sign_up.handler"], tmp_path / "task")
    result = subprocess.run(  # as /var/task: the bundle alone on the path, no site-packages
        [
            sys.executable,
            "-S",
            "-B",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "import triggers.pre_sign_up as module; print(callable(module.handler))",
            str(bundle),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert (result.returncode, result.stdout.strip()) == (0, "True"), result.stderr


def test_bundles_carry_bytecode_for_the_lambda_python_when_this_machine_has_it(synthesized):
    bundle = bundle_directories(synthesized)["triggers.custom_auth.handler"]
    compiled = list((bundle / "triggers" / "__pycache__").glob("*.pyc")) if (bundle / "triggers").exists() else []
    tag = f"cpython-{PYTHON_VERSION.replace('.', '')}"
    if bytecode_python():
        assert compiled and all(tag in path.name for path in compiled)
    else:
        assert compiled == []


def hashes_in_a_copy(copy, edit=None):
    """Both asset hashes as a fresh process computes them in a copy of the checkout at ``copy``."""
    for part in ("stacks", "lambdas"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    if edit:
        edit(copy)
    probe = "from stacks.bundling import asset_hash; print(asset_hash(True), asset_hash(False))"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=copy,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"},
    )
    return result.stdout.split()


def test_asset_hash_is_the_same_from_another_checkout_path(tmp_path):
    assert hashes_in_a_copy(tmp_path / "elsewhere") == [asset_hash(True), asset_hash(False)]


def test_asset_hash_changes_when_a_source_changes(tmp_path):
    def change_a_module(copy):
        with (copy / "lambdas" / "shared" / "log.py").open("a") as source:
            source.write("\n# changed\n")

    changed = hashes_in_a_copy(tmp_path / "changed", change_a_module)
    assert changed[0] != asset_hash(True) and changed[1] != asset_hash(False)


@pytest.fixture
def no_lambda_python(monkeypatch):
    """This process bundles as a machine without the Lambda's Python would."""
    monkeypatch.setenv("LAMBDA_BYTECODE_PYTHON", "none")
    bytecode_python.cache_clear()
    yield
    monkeypatch.undo()
    bytecode_python.cache_clear()


@pytest.mark.parametrize("environment", ["staging", "prod", "qa"])
def test_a_shared_environment_refuses_sources_only_bundles(no_lambda_python, environment):
    with pytest.raises(
        BundlingError,
        match=rf"^no Python {PYTHON_VERSION} here, .* differ from CI's .*; "
        rf"{environment} deploys only bytecode bundles",
    ):
        require_reproducible_bundles(environment)


def test_dev_may_build_sources_only_bundles_and_synth_says_so(no_lambda_python):
    require_reproducible_bundles("dev")
    assert "sources only" in (bundle_note() or "")


def test_with_the_lambda_python_every_environment_may_bundle():
    if not bytecode_python():
        pytest.skip(f"no Python {PYTHON_VERSION} on this machine")
    for environment in ("dev", "staging", "prod"):
        require_reproducible_bundles(environment)


def test_synth_of_staging_without_the_lambda_python_stops_with_one_line(tmp_path):
    context = {"environments": CONTEXT["environments"], "env": "staging"}
    result = run_app(context, tmp_path, LAMBDA_BYTECODE_PYTHON="none")

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"bundling: no Python {PYTHON_VERSION} here") and "staging" in line

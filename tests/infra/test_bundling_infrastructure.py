"""Docker-free bundles: what they hold, and a hash that depends on content, not on paths."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from stacks.bundling import PYTHON_VERSION, asset_hash, bytecode_python
from tests.infra.conftest import ROOT, resources


def bundle_directories(synthesized):
    """Each handler's staged asset directory (``asset.<hash>``, the hash its S3Key carries)."""
    template = synthesized.templates["dev"]
    return {props["Properties"]["Handler"]: Path(synthesized.assembly.directory,
                                                 "asset." + props["Properties"]["Code"]["S3Key"].removesuffix(".zip"))
            for props in resources(template, "AWS::Lambda::Function").values()}


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
    result = subprocess.run([sys.executable, "-c", probe], cwd=copy, capture_output=True, text=True, check=True,
                            env={**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"})
    return result.stdout.split()


def test_asset_hash_is_the_same_from_another_checkout_path(tmp_path):
    assert hashes_in_a_copy(tmp_path / "elsewhere") == [asset_hash(True), asset_hash(False)]


def test_asset_hash_changes_when_a_source_changes(tmp_path):
    def change_a_module(copy):
        with (copy / "lambdas" / "shared" / "log.py").open("a") as source:
            source.write("\n# changed\n")

    changed = hashes_in_a_copy(tmp_path / "changed", change_a_module)
    assert changed[0] != asset_hash(True) and changed[1] != asset_hash(False)

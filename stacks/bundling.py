"""Docker-free Lambda bundles: pip installs the pinned runtime dependencies for the Lambda's
platform (manylinux, aarch64, CPython 3.13) from the local wheelhouse, beside our sources.

Synth needs no Docker and no network: ``scripts/setup`` fills ``.wheelhouse`` once. The asset
hash is computed here from the sources, the pinned requirements and this recipe, so it is the
same from any checkout path and changes only when what is deployed changes. Bundles are
cached under ``.build/bundles/<hash>``: a second synth copies instead of reinstalling.

Where an interpreter of the Lambda's Python version exists on this machine, the bundle also
carries bytecode compiled by it (unchecked-hash, so no timestamps): Lambda's ``/var/task`` is
read-only, so without it every cold start compiles every module again (~100 ms for the SDK).
"""

from __future__ import annotations

import functools
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "lambdas"
REQUIREMENTS = SOURCE / "requirements.txt"
WHEELHOUSE = ROOT / ".wheelhouse"
CACHE = ROOT / ".build" / "bundles"

PYTHON_VERSION = "3.13"
RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")
RECIPE = f"v1 cp{PYTHON_VERSION} {' '.join(PLATFORMS)} no-bin"


class BundlingError(Exception):
    """The bundle cannot be built here; the message says what to run."""


def pip_platform_arguments() -> list[str]:
    """The pip arguments that select wheels for the Lambda, shared with the setup script."""
    platforms = [argument for platform in PLATFORMS for argument in ("--platform", platform)]
    return [*platforms, "--only-binary=:all:", "--implementation", "cp", "--python-version", PYTHON_VERSION]


@functools.cache
def bytecode_python() -> str | None:
    """An interpreter of the Lambda's Python version on this machine, or None."""
    candidates = [os.environ.get("LAMBDA_BYTECODE_PYTHON"), sys.executable, shutil.which(f"python{PYTHON_VERSION}")]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/{PYTHON_VERSION}.*/bin/python{PYTHON_VERSION}"))
    for candidate in filter(None, candidates):
        try:
            version = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                     capture_output=True, text=True, timeout=20, check=True).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        if version == PYTHON_VERSION:
            return candidate
    return None


def _source_files() -> list[Path]:
    return sorted(path for path in SOURCE.rglob("*.py") if "__pycache__" not in path.parts)


@functools.cache
def asset_hash(with_dependencies: bool) -> str:
    """A hash of everything that decides the bundle's content, and of nothing else."""
    digest = hashlib.sha256(RECIPE.encode())
    digest.update(b"bytecode" if bytecode_python() else b"sources")
    for path in _source_files():
        digest.update(path.relative_to(SOURCE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    if with_dependencies:
        digest.update(REQUIREMENTS.read_bytes())
    return digest.hexdigest()


@jsii.implements(ILocalBundling)
class _LocalBundling:
    def __init__(self, with_dependencies: bool, fingerprint: str) -> None:
        self.with_dependencies = with_dependencies
        self.fingerprint = fingerprint

    def try_bundle(self, output_dir: str, options: object = None) -> bool:
        cached = CACHE / self.fingerprint
        if not cached.is_dir():
            _build_into_cache(cached, self.with_dependencies)
        shutil.copytree(cached, output_dir, dirs_exist_ok=True)
        return True


def _build_into_cache(cached: Path, with_dependencies: bool) -> None:
    cached.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cached.parent) as work:
        out = Path(work) / "bundle"
        out.mkdir()
        if with_dependencies:
            _pip_install(out)
        for path in _source_files():
            target = out / path.relative_to(SOURCE)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        python = bytecode_python()
        if python:
            subprocess.run([python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
                            "-s", str(out), "-p", "/var/task", str(out)], check=True)
        os.replace(out, cached)


def _pip_install(out: Path) -> None:
    if not WHEELHOUSE.is_dir():
        raise BundlingError(f"{WHEELHOUSE.name} is missing: run scripts/setup (it downloads the Lambda wheels once)")
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
               "--no-index", "--find-links", str(WHEELHOUSE), *pip_platform_arguments(),
               "--target", str(out), "--requirement", str(REQUIREMENTS)]
    environment = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    if result.returncode != 0:
        raise BundlingError(f"pip could not install lambdas/requirements.txt from {WHEELHOUSE.name} "
                            f"(run scripts/setup again): {result.stderr.strip().splitlines()[-1:]}")
    shutil.rmtree(out / "bin", ignore_errors=True)


def lambda_code(with_dependencies: bool) -> lambda_.Code:
    """The code asset: our sources, plus the pinned dependencies when ``with_dependencies``.

    A new ``Code`` per call: CDK binds a code asset to one stack only.
    """
    fingerprint = asset_hash(with_dependencies)
    return lambda_.Code.from_asset(
        str(SOURCE),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=fingerprint,
        bundling=BundlingOptions(
            image=DockerImage.from_registry("unused-local-bundling-only"),
            local=_LocalBundling(with_dependencies, fingerprint),
        ),
    )


def bundle_note() -> str | None:
    """What synth should tell the user about this machine's bundles, if anything."""
    if bytecode_python():
        return None
    return (f"note: no Python {PYTHON_VERSION} here; Lambda bundles carry sources only "
            f"(each cold start compiles them, ~100 ms slower). Install Python {PYTHON_VERSION} to ship bytecode.")

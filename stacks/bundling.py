"""Docker-free Lambda bundles: pip installs the pinned runtime dependencies for the Lambda's
platform (manylinux, aarch64, CPython 3.13) from the local wheelhouse, beside our sources.

Synth needs no Docker and no network: ``scripts/setup`` fills ``.wheelhouse`` once. What the
pins install but nothing imports at run time is left out (``UNUSED_DISTRIBUTIONS``,
``UNUSED_FILES``). The asset hash is computed here from the sources, the locked requirements and
this recipe, so it is the same from any checkout path and changes only when what is deployed
changes. Bundles are cached under ``.build/bundles/<hash>``: a second synth copies instead of
reinstalling.

Where an interpreter of the Lambda's Python version exists on this machine, the bundle also
carries bytecode compiled by it (unchecked-hash, so no timestamps): Lambda's ``/var/task`` is
read-only, so without it every cold start compiles every module again (~100 ms for the SDK).
"""

from __future__ import annotations

import ast
import functools
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "lambdas"
# lambdas/requirements.txt's pins with the sha256 of every file (scripts/lock): what bundles
# install, hashes checked.
LOCK = SOURCE / "requirements.lock"
WHEELHOUSE = ROOT / ".wheelhouse"
CACHE = ROOT / ".build" / "bundles"

PYTHON_VERSION = "3.13"
RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")
# Installed (pinned) but never imported at run time, so left out of the bundle: authsignal 4.1.0
# declares pyjwt, yet neither it nor requests imports ``jwt``; ``client_tests.py`` is the SDK's
# own test module. benchmarks/RESULTS.md says how that was checked.
UNUSED_DISTRIBUTIONS = ("pyjwt",)
UNUSED_FILES = ("authsignal/client_tests.py",)
RECIPE = f"v2 cp{PYTHON_VERSION} {' '.join(PLATFORMS)} no-bin without {' '.join(UNUSED_DISTRIBUTIONS + UNUSED_FILES)}"


class BundlingError(Exception):
    """The bundle cannot be built here; the message says what to run."""


def pip_platform_arguments() -> list[str]:
    """The pip arguments that select wheels for the Lambda, shared with the setup script."""
    platforms = [argument for platform in PLATFORMS for argument in ("--platform", platform)]
    return [*platforms, "--only-binary=:all:", "--implementation", "cp", "--python-version", PYTHON_VERSION]


@functools.cache
def bytecode_python() -> str | None:
    """An interpreter of the Lambda's Python version on this machine, or None.

    ``LAMBDA_BYTECODE_PYTHON`` names one; ``none`` builds as a machine without one would.
    """
    if os.environ.get("LAMBDA_BYTECODE_PYTHON") == "none":
        return None
    candidates = [os.environ.get("LAMBDA_BYTECODE_PYTHON"), sys.executable, shutil.which(f"python{PYTHON_VERSION}")]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/{PYTHON_VERSION}.*/bin/python{PYTHON_VERSION}"))
    for candidate in filter(None, candidates):
        try:
            version = subprocess.run(
                [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=20,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        if version == PYTHON_VERSION:
            return candidate
    return None


# The one function built without dependencies (pre sign-up): its bundle holds this module and the
# modules of ours it imports, nothing more.
PLAIN_ENTRY = "triggers/pre_sign_up.py"


def _source_files(with_dependencies: bool = True) -> list[Path]:
    """Our sources in a bundle: all of them, or for the plain bundle what ``PLAIN_ENTRY`` imports."""
    if not with_dependencies:
        return _imported_from(SOURCE / PLAIN_ENTRY)
    return sorted(path for path in SOURCE.rglob("*.py") if "__pycache__" not in path.parts)


def _imported_from(entry: Path) -> list[Path]:
    """``entry`` and every module under ``SOURCE`` it imports, directly or not, with the
    ``__init__.py`` of each package on the way (static ``import``/``from`` statements)."""
    found: set[Path] = set()
    pending = [entry]
    while pending:
        module = pending.pop()
        if module in found:
            continue
        found.add(module)
        for package in module.relative_to(SOURCE).parents:
            init = SOURCE / package / "__init__.py"
            if package != Path(".") and init.is_file():
                found.add(init)
        for node in _runtime_nodes(ast.parse(module.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            for name in names:
                path = SOURCE.joinpath(*name.split("."))
                for candidate in (path.with_suffix(".py"), path / "__init__.py"):
                    if candidate.is_file():
                        pending.append(candidate)
    return sorted(found)


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of ``tree`` but those under ``if TYPE_CHECKING:``: what is imported there is
    for type checkers (shared/event_types.py) and never loaded at run time."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            for branch in node.orelse:
                yield branch
                yield from _runtime_nodes(branch)
            continue
        yield node
        yield from _runtime_nodes(node)


@functools.cache
def asset_hash(with_dependencies: bool) -> str:
    """A hash of everything that decides the bundle's content, and of nothing else."""
    digest = hashlib.sha256(RECIPE.encode())
    digest.update(b"bytecode" if bytecode_python() else b"sources")
    for path in _source_files(with_dependencies):
        digest.update(path.relative_to(SOURCE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    if with_dependencies:
        digest.update(LOCK.read_bytes())
    return digest.hexdigest()


@jsii.implements(ILocalBundling)
class _LocalBundling:
    def __init__(self, with_dependencies: bool) -> None:
        self.with_dependencies = with_dependencies

    def try_bundle(self, output_dir: str, *, image: DockerImage, **options: object) -> bool:
        shutil.copytree(bundle_directory(self.with_dependencies), output_dir, dirs_exist_ok=True)
        return True


def bundle_directory(with_dependencies: bool) -> Path:
    """The cached bundle, built first if needed: what synth copies into ``cdk.out`` (and what
    the benchmark measures)."""
    cached = CACHE / asset_hash(with_dependencies)
    if not cached.is_dir():
        _build_into_cache(cached, with_dependencies)
    return cached


def _build_into_cache(cached: Path, with_dependencies: bool) -> None:
    cached.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cached.parent) as work:
        out = Path(work) / "bundle"
        out.mkdir()
        if with_dependencies:
            _pip_install(out)
        for path in _source_files(with_dependencies):
            target = out / path.relative_to(SOURCE)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        python = bytecode_python()
        if python:
            compile_bytecode(python, out)
        try:
            os.replace(out, cached)
        except OSError:
            if not cached.is_dir():
                raise  # else another process (a parallel synth) built the same bundle first


def compile_bytecode(python: str, root: Path) -> None:
    """Bytecode for every module under ``root``, as Lambda will find it in ``/var/task``.

    Unchecked-hash: no timestamps in it, so the bundle is reproducible, and Python loads it
    without checking the source.
    """
    subprocess.run(
        [
            python,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            str(root),
            "-p",
            "/var/task",
            str(root),
        ],
        check=True,
    )


def _pip_install(out: Path) -> None:
    if not WHEELHOUSE.is_dir():
        raise BundlingError(f"{WHEELHOUSE.name} is missing: run scripts/setup (it downloads the Lambda wheels once)")
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--no-index",
        "--find-links",
        str(WHEELHOUSE),
        *pip_platform_arguments(),
        "--require-hashes",
        "--target",
        str(out),
        "--requirement",
        str(LOCK),
    ]
    environment = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    if result.returncode != 0:
        raise BundlingError(
            f"pip could not install lambdas/requirements.lock from {WHEELHOUSE.name} "
            f"(run scripts/setup again): {result.stderr.strip().splitlines()[-1:]}"
        )
    shutil.rmtree(out / "bin", ignore_errors=True)
    _remove_unused(out)


def _remove_unused(out: Path) -> None:
    """Delete ``UNUSED_DISTRIBUTIONS`` (every file their RECORD lists) and ``UNUSED_FILES``.

    Either missing is an error: the lists must follow the pins, not silently outlive them.
    """
    for name in UNUSED_DISTRIBUTIONS:
        records = list(out.glob(f"{name}-*.dist-info/RECORD"))
        if len(records) != 1:
            raise BundlingError(f"{name} is not installed once: update UNUSED_DISTRIBUTIONS in stacks/bundling.py")
        for line in records[0].read_text().splitlines():
            path = (out / line.split(",")[0]).resolve()
            if path.is_relative_to(out.resolve()):
                path.unlink(missing_ok=True)
    for relative in UNUSED_FILES:
        if not (out / relative).is_file():
            raise BundlingError(f"{relative} is not in the bundle: update UNUSED_FILES in stacks/bundling.py")
        (out / relative).unlink()
    for directory in sorted((path for path in out.rglob("*") if path.is_dir()), reverse=True):
        if not any(directory.iterdir()):
            directory.rmdir()


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
            local=_LocalBundling(with_dependencies),
        ),
    )


# Environments that may deploy sources-only bundles (one person's, never shared); every other
# environment must get the very assets CI builds from the same commit.
SOURCES_ONLY_ENVIRONMENTS = ("dev", "local")


def require_reproducible_bundles(environment: str) -> None:
    """Refuse sources-only bundles for a shared environment.

    Without Python 3.13 a bundle carries sources only, so its asset hash differs from the one a
    machine with 3.13 (CI) computes for the same commit: deploys from the two would replace
    every function each time, and the functions would run slower.
    """
    if bytecode_python() or environment in SOURCES_ONLY_ENVIRONMENTS:
        return
    raise BundlingError(
        f"no Python {PYTHON_VERSION} here, so the Lambda bundles would carry sources only and "
        f"differ from CI's for the same commit; {environment} deploys only bytecode bundles: "
        f"install Python {PYTHON_VERSION} (or name it in LAMBDA_BYTECODE_PYTHON)"
    )


def bundle_note() -> str | None:
    """What synth should tell the user about this machine's bundles, if anything."""
    if bytecode_python():
        return None
    return (
        f"note: no Python {PYTHON_VERSION} here; Lambda bundles carry sources only "
        f"(each cold start compiles them, ~100 ms slower, and their asset hash differs from CI's; "
        f"staging and prod refuse them). Install Python {PYTHON_VERSION} to ship bytecode."
    )

"""Asset sizes, synth time per environment and the test suite's wall time."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import statistics
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from benchmarks.functions import FUNCTIONS
from benchmarks.report import Figure
from stacks.bundling import bundle_directory

ROOT = Path(__file__).resolve().parents[1]
SDK_SIZE_BUDGET = 1_500_000  # bytes, zipped
PLAIN_SIZE_BUDGET = 50_000
SYNTH_BUDGET_S = 15.0
SUITE_BUDGET_S = 75.0


def environments() -> list[str]:
    return list(json.loads((ROOT / "cdk.json").read_text())["context"]["environments"])


def zipped_size(directory: Path) -> int:
    """Bytes of the directory zipped with deflate, files in sorted order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.tell()


def asset_sizes() -> list[Figure]:
    sizes = {sdk: zipped_size(bundle_directory(sdk)) for sdk in (True, False)}
    return [
        Figure(
            f"asset_size.{name}.zipped_bytes",
            f"size: {name} (zipped)",
            sizes[function.sdk],
            "bytes",
            SDK_SIZE_BUDGET if function.sdk else PLAIN_SIZE_BUDGET,
            note="SDK bundle" if function.sdk else "bundle without dependencies",
        )
        for name, function in FUNCTIONS.items()
    ]


def _cdk_environment() -> dict[str, str]:
    return {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CDK_DISABLE_VERSION_CHECK": "true"}


def synth(environment: str, out: Path) -> None:
    """``npx cdk synth --quiet -c env=ENVIRONMENT -o OUT``, as a user runs it; raises if it fails."""
    command = ["npx", "cdk", "synth", "--quiet", "-c", f"env={environment}", "-o", str(out)]
    result = subprocess.run(command, cwd=ROOT, env=_cdk_environment(), capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"cdk synth -c env={environment} failed:\n{result.stderr[-3000:]}")


def asset_directory_name(function_properties: dict[str, Any]) -> str:
    """The cloud assembly's directory of a Lambda function's code asset (``asset.HASH``)."""
    return "asset." + function_properties["Code"]["S3Key"].removesuffix(".zip")


def synth_times(runs: int) -> list[Figure]:
    """``npx cdk synth`` of each environment into a temporary cloud assembly, median of ``runs``.

    The first synth of dev also proves that the functions and bundles measured here are the
    ones synth deploys.
    """
    figures = []
    for name in environments():
        times = []
        for run in range(runs):
            with tempfile.TemporaryDirectory(prefix="benchmark-cdk-out-") as out:
                start = time.perf_counter()
                synth(name, Path(out))
                times.append(time.perf_counter() - start)
                if name == "dev" and run == 0:
                    check_deployed(Path(out))
        figures.append(
            _synth_figure(name, round(statistics.median(times), 2), f"median of {runs}" if runs > 1 else "one run")
        )
    return figures


def check_deployed(cloud_assembly: Path) -> None:
    """Every Lambda function synth deploys is in ``FUNCTIONS``, with the very bundle measured here."""
    deployed = {}
    for template in cloud_assembly.rglob("*.template.json"):
        for resource in json.loads(template.read_text())["Resources"].values():
            if resource["Type"] == "AWS::Lambda::Function":
                properties = resource["Properties"]
                [asset] = cloud_assembly.rglob(asset_directory_name(properties))
                deployed[properties["Handler"]] = _content(asset)
    expected = {function.handler: _content(bundle_directory(function.sdk)) for function in FUNCTIONS.values()}
    if deployed != expected:
        raise RuntimeError(
            "the functions or bundles synth deploys are not the ones measured: "
            f"synth deploys {sorted(deployed)}, benchmarks/functions.py lists {sorted(expected)}"
        )


def _content(directory: Path) -> str:
    """A digest of every file's path and bytes."""
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(directory).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def suite_time() -> list[Figure]:
    """``scripts/test`` wall time, as the README runs it (set-up is already done)."""
    start = time.perf_counter()
    result = subprocess.run(["scripts/test"], cwd=ROOT, env=_cdk_environment(), capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    outcome = [line for line in result.stdout.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    summary = (outcome or ["no summary"])[-1].strip("= ")
    return [_suite_figure(round(elapsed, 1), f"exit {result.returncode}: {summary}")]


def skipped(reason: str, *, synth: bool, suite: bool) -> list[Figure]:
    """The build figures not measured in this run, present all the same (value null)."""
    figures = [_synth_figure(name, None, reason) for name in environments()] if synth else []
    return figures + ([_suite_figure(None, reason)] if suite else [])


def _synth_figure(environment: str, seconds: float | None, note: str) -> Figure:
    return Figure(
        f"build.synth.{environment}_s",
        f"build: cdk synth -c env={environment}",
        seconds,
        "s",
        SYNTH_BUDGET_S,
        "<",
        note,
    )


def _suite_figure(seconds: float | None, note: str) -> Figure:
    return Figure("build.test_suite_s", "build: test suite (scripts/test)", seconds, "s", SUITE_BUDGET_S, "<", note)

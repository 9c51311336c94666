"""Cold imports, the way Lambda loads a handler: a fresh interpreter, the asset directory first
on ``sys.path`` (like ``/var/task``) and read-only, so no bytecode can be written and only what
the bundle ships is used.

Each variant is a fresh ``python -S -B`` process timed from spawn to exit; the process ends with
``os._exit`` right after the import, because Lambda never tears the interpreter down after init.
Variants are interleaved in a shuffled order every round, so the noise of this shared machine
hits them alike; figures are medians, and the budgets are differences to a reference measured
in the same rounds.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.functions import FUNCTIONS, HANDLERS, INIT_HANDLERS, LIGHT_HANDLERS, SDK_HANDLERS
from benchmarks.report import Figure
from stacks.bundling import bundle_directory

SDK_BUDGET_MS = 25.0  # over the ``import authsignal`` floor, or over the init floor
PLAIN_BUDGET_MS = 30.0  # over the bare interpreter
# What botocore and a client add (shared/aws.py), no call made.
AWS_CLIENT = "from shared import aws; aws.client('secretsmanager')"
# The floor of a function's init: the SDK, botocore, its session and every client a sign-in needs.
INIT_FLOOR = "import authsignal.client\nfrom shared import aws; aws.client('secretsmanager'); aws.client('dynamodb')"


@dataclass(frozen=True)
class Variant:
    name: str
    path: tuple[str, ...]
    statement: str = ""  # what is timed beyond the interpreter's start

    def command(self, python: str) -> list[str]:
        code = f"import sys; sys.path[0:0] = {list(self.path)!r}\n{self.statement}\nimport os; os._exit(0)"
        return [python, "-S", "-B", "-c", code]


def measure(python: str, runs: int) -> list[Figure]:
    """Median cold-import figures of every function and the reference points."""
    with _read_only_assets() as assets:
        site_packages = sysconfig.get_paths()["purelib"]  # botocore, as the runtime ships it
        variants = [
            Variant("bare", (assets["plain"],)),
            Variant("floor", (assets["sdk"],), "import authsignal"),
            Variant("floor_sources", (assets["sources"],), "import authsignal"),
            Variant("aws_client", (assets["sdk"], site_packages), AWS_CLIENT),  # shared/aws.py ships in the SDK bundle
            Variant("init_floor", (assets["sdk"], site_packages), INIT_FLOOR),
            # botocore (the runtime's) only where the import makes clients: a function's init
            *(
                Variant(
                    name,
                    (
                        assets["sdk" if FUNCTIONS[handler.function].sdk else "plain"],
                        *((site_packages,) if handler.init else ()),
                    ),
                    f"import {handler.module}",
                )
                for name, handler in HANDLERS.items()
            ),
        ]
        samples = _interleaved(python, variants, runs)
    median = {name: statistics.median(times) for name, times in samples.items()}

    def timed(key: str, label: str) -> Figure:
        return Figure(
            f"cold_import.{key}.median_ms",
            label,
            round(median[key], 1),
            "ms",
            note=f"median of {runs}, interquartile range {_iqr(samples[key]):.1f} ms",
        )

    def over(key: str, base: str, label: str, limit: float | None = None) -> Figure:
        """The median of the per-round differences: each pair ran in the same round, close in time."""
        differences = [a - b for a, b in zip(samples[key], samples[base], strict=True)]
        return Figure(
            f"cold_import.{key}.over_{base}_ms",
            label,
            round(statistics.median(differences), 1),
            "ms",
            limit,
            note=f"median of {runs} same-round differences",
        )

    figures = [
        timed("bare", "cold: bare interpreter start"),
        timed("floor", "cold: import authsignal (floor, with bytecode)"),
        timed("floor_sources", "cold: import authsignal without bytecode"),
        over("floor_sources", "floor", "cold: bytecode saves (floor without - with)"),
        over("aws_client", "bare", "cold: botocore + Secrets Manager client (shared/aws.py)"),
        timed("init_floor", "cold: init floor (authsignal, botocore, Secrets Manager and DynamoDB clients)"),
    ]
    for name in SDK_HANDLERS:
        figures += [
            timed(name, f"cold: {name}"),
            over(name, "floor", f"cold: {name} over floor", SDK_BUDGET_MS),
        ]
    for name in INIT_HANDLERS:
        figures += [
            timed(name, f"cold: {name} (its function's init)"),
            over(name, "init_floor", f"cold: {name} over the init floor", SDK_BUDGET_MS),
        ]
    for name in LIGHT_HANDLERS:
        figures += [
            timed(name, f"cold: {name}"),
            over(name, "bare", f"cold: {name} over bare", PLAIN_BUDGET_MS),
        ]
    return figures


def _interleaved(python: str, variants: list[Variant], runs: int) -> dict[str, list[float]]:
    """Milliseconds per variant; one untimed warm-up round first (page cache, stdlib), except for a
    single run, which only checks that every variant imports (the report's test: no figure of it
    is read as a measurement)."""
    # A region, so the init's clients are made; no secret ARN, so the key is not read (no network).
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "LANG": "C.UTF-8",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    samples: dict[str, list[float]] = {variant.name: [] for variant in variants}
    order = random.Random(1)
    with tempfile.TemporaryDirectory() as cwd:
        warm_up = 1 if runs > 1 else 0
        for round_ in range(runs + warm_up):
            order.shuffle(variants)
            for variant in variants:
                command = variant.command(python)
                start = time.perf_counter_ns()
                result = subprocess.run(
                    command,
                    cwd=cwd,
                    env=environment,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
                elapsed = (time.perf_counter_ns() - start) / 1e6
                if result.returncode != 0:
                    raise RuntimeError(f"cold import of {variant.name} failed: {result.stderr.decode()[-2000:]}")
                if round_ >= warm_up:
                    samples[variant.name].append(elapsed)
    return samples


def _iqr(times: list[float]) -> float:
    if len(times) < 4:
        return max(times) - min(times)
    quartiles = statistics.quantiles(times, n=4)
    return quartiles[2] - quartiles[0]


@contextmanager
def _read_only_assets() -> Iterator[dict[str, str]]:
    """Read-only copies of the bundles as synth deploys them, and the SDK bundle stripped of its
    bytecode."""
    with tempfile.TemporaryDirectory(prefix="benchmark-assets-") as work:
        root = Path(work)
        assets = {"sdk": root / "sdk", "plain": root / "plain", "sources": root / "sources"}
        shutil.copytree(bundle_directory(True), assets["sdk"])
        shutil.copytree(bundle_directory(False), assets["plain"])
        shutil.copytree(bundle_directory(True), assets["sources"], ignore=shutil.ignore_patterns("__pycache__"))
        for asset in assets.values():
            _set_writable(asset, False)
        try:
            yield {name: str(path) for name, path in assets.items()}
        finally:
            for asset in assets.values():
                _set_writable(asset, True)


def _set_writable(root: Path, writable: bool) -> None:
    """chmod the tree (root ignores it, hence ``-B`` and ``PYTHONDONTWRITEBYTECODE`` as well)."""
    for path in [root, *root.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755 if writable else 0o555)
        else:
            path.chmod(0o644 if writable else 0o444)

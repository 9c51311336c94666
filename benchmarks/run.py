"""``python -m benchmarks`` (``scripts/benchmark``): measure, print the table, write the JSON.

``--quick`` is for the test of the report itself: few runs, no synth, no suite, yet every
figure's key is in the JSON (unmeasured ones with value null, status ``skipped``).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import build, cold_sign_in, cold_start, in_process, web_app
from benchmarks.report import Figure, summary, table, write_json
from stacks.bundling import PYTHON_VERSION, bytecode_python

ROOT = Path(__file__).resolve().parents[1]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/benchmark", description="Measure what the product costs, against its budgets."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3 cold runs, 50 warm invocations, no synth or suite timing (figures still listed)",
    )
    parser.add_argument("--runs", type=int, help="cold-import runs per variant (default 21)")
    parser.add_argument("--invocations", type=int, help="warm invocations per handler (default 1000)")
    parser.add_argument("--synth-runs", type=int, default=1, help="synths per environment (default 1)")
    parser.add_argument("--no-synth", action="store_true", help="do not time cdk synth")
    parser.add_argument("--no-suite", action="store_true", help="do not time the test suite")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a measured budget is not met")
    parser.add_argument("--sign-in-runs", type=int, help="cold sign-in rounds (default 11)")
    parser.add_argument(
        "--cdk-out", type=Path, help="a cloud assembly with the dev stack for the cold sign-in (default: synth one)"
    )
    parser.add_argument(
        "--no-quota",
        action="store_true",
        help="do not replay cold sign-ins under CPU quotas (root and a cgroup CPU controller needed)",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "benchmark-results.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    options = _arguments(argv)
    runs = options.runs or (3 if options.quick else 21)
    invocations = options.invocations or (50 if options.quick else 1000)
    bytecode = bytecode_python()
    python = bytecode or sys.executable
    started, load_at_start = time.perf_counter(), os.getloadavg()
    notes = []
    if not bytecode:
        notes.append(
            f"no Python {PYTHON_VERSION} on this machine: bundles carry sources only and cold imports "
            f"ran on {platform.python_version()}"
        )

    figures: list[Figure] = []
    _progress(f"cold imports: {runs} interleaved runs per variant with {python}")
    figures += cold_start.measure(python, runs)
    sign_in_runs = options.sign_in_runs or (1 if options.quick else 11)
    _progress(f"cold sign-ins: {sign_in_runs} interleaved rounds of fresh containers")
    figures += cold_sign_in.measure(
        python, sign_in_runs, options.cdk_out, quota=not (options.quick or options.no_quota), warm_up=not options.quick
    )
    _progress(f"round trips and {invocations} warm invocations per handler")
    with in_process.harness() as harness:
        figures += in_process.round_trips(harness, warm_invocations=100)
        figures += in_process.warm_overhead(harness, invocations)
    figures += build.asset_sizes()
    figures += web_app.measure(quick=options.quick)
    synth, suite = not (options.quick or options.no_synth), not (options.quick or options.no_suite)
    if synth:
        _progress("cdk synth of every environment")
        figures += build.synth_times(options.synth_runs)
    if suite:
        _progress("the test suite (scripts/test)")
        figures += build.suite_time()
    figures += build.skipped("--quick" if options.quick else "not asked for", synth=not synth, suite=not suite)
    figures = _grouped(figures)

    meta = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "quick": options.quick,
        "cold_import_runs": runs,
        "warm_invocations": invocations,
        "cold_sign_in_runs": sign_in_runs,
        "load_average_1_5_15_min": {
            "start": [round(load, 2) for load in load_at_start],
            "end": [round(load, 2) for load in os.getloadavg()],
        },
        "python": python,
        "python_version": _version(python),
        "bytecode_in_bundles": bool(bytecode),
        "machine": platform.machine(),
        "lambda_architecture": "arm64",
        "cpus": os.cpu_count(),
        "seconds": round(time.perf_counter() - started, 1),
        "notes": notes,
    }
    write_json(options.output, figures, meta)
    print(table(figures))
    print()
    for note in notes:
        print(f"note: {note}")
    print(summary(figures))
    print(f"wrote {options.output}")
    if options.strict and any(figure.status == "fail" for figure in figures):
        sys.exit(1)


def _grouped(figures: list[Figure]) -> list[Figure]:
    """Build figures after the others, in the order the issue lists them."""
    order = ["cold_import", "cold_sign_in", "model", "round_trips", "warm", "asset_size", "web_app", "build"]
    return sorted(figures, key=lambda figure: order.index(figure.key.split(".")[0]))


def _version(python: str) -> str:
    return subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"], capture_output=True, text=True, check=True
    ).stdout.strip()


def _progress(message: str) -> None:
    print(f"benchmark: {message} ...", file=sys.stderr, flush=True)

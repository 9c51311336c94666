"""The benchmark's judgement and its report: where ``Figure.status`` turns from pass to fail, what
Lambda's CPU model does with memory, and one quick run (few samples, no synth, no suite timing,
no CPU quota) that writes every figure with its unit, budget and status, and prints them. Timings
are never asserted: this machine is shared and noisy; the boundaries, the call counts and the
report's shape are."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from benchmarks import lambda_model
from benchmarks.lambda_model import ContainerCost, Invocation
from benchmarks.report import Figure
from tests.infra.conftest import ROOT, Synthesized

# --- Figure.status at its boundaries -------------------------------------------------------------


@pytest.mark.parametrize(
    ("compare", "value", "status"),
    [
        ("<=", 2.0, "pass"),
        ("<=", 2.0001, "fail"),
        ("<=", 1.9999, "pass"),
        ("<", 2.0, "fail"),
        ("<", 1.9999, "pass"),
        ("<", 2.0001, "fail"),
        ("==", 2, "pass"),
        ("==", 1, "fail"),
        ("==", 3, "fail"),
    ],
)
def test_a_figure_passes_exactly_up_to_its_limit(compare: str, value: float, status: str) -> None:
    assert Figure("k", "label", value, "ms", limit=2, compare=compare).status == status


def test_a_figure_without_a_value_is_skipped_even_with_a_budget() -> None:
    assert Figure("k", "label", None, "ms", limit=2).status == "skipped"


def test_a_figure_without_a_limit_is_information_whatever_its_value() -> None:
    assert Figure("k", "label", 10**9, "ms").status == "info"
    assert Figure("k", "label", 0, "ms").budget is None


# --- the model of Lambda's CPU ---------------------------------------------------------------------

CONTAINER = ContainerCost(
    "f",
    1024,
    init_cpu_ms=100.0,
    init_network_ms=5.0,
    invocations=[Invocation(cpu_ms=20.0, wall_ms=50.0, authsignal_calls=1)],
)


def test_below_one_vcpu_twice_the_memory_halves_the_invocations_cpu_time_and_nothing_else() -> None:
    small, large = lambda_model.cold_ms([CONTAINER], 512), lambda_model.cold_ms([CONTAINER], 1024)
    waits_and_init = lambda_model.cold_ms([CONTAINER], lambda_model.ONE_VCPU_MB) - 20.0

    assert small - waits_and_init == pytest.approx(2 * (large - waits_and_init))


def test_memory_beyond_one_vcpu_buys_no_time() -> None:
    at_one_vcpu = lambda_model.cold_ms([CONTAINER], lambda_model.ONE_VCPU_MB)

    assert lambda_model.cold_ms([CONTAINER], 3008) == at_one_vcpu
    assert lambda_model.warm_ms([CONTAINER], 10_240) == lambda_model.warm_ms([CONTAINER], lambda_model.ONE_VCPU_MB)


def test_the_init_runs_at_a_full_vcpu_whatever_the_memory() -> None:
    cold_less_warm = {
        memory: lambda_model.cold_ms([CONTAINER], memory) - lambda_model.warm_ms([CONTAINER], memory)
        for memory in lambda_model.MEMORY_SIZES_MB
    }

    assert set(cold_less_warm.values()) == {CONTAINER.init_cpu_ms + CONTAINER.init_network_ms}


def test_without_the_waits_the_model_is_the_cpu_alone() -> None:
    assert lambda_model.cold_ms([CONTAINER], lambda_model.ONE_VCPU_MB, waits=False) == 100.0 + 20.0


def test_a_container_without_a_memory_of_the_table_is_modelled_at_its_own() -> None:
    assert lambda_model.cold_ms([CONTAINER]) == lambda_model.cold_ms([CONTAINER], CONTAINER.memory_mb)


def test_an_invocation_is_billed_at_least_one_millisecond() -> None:
    instant = ContainerCost("f", 1024, 0.0, 0.0, [Invocation(cpu_ms=0.01, wall_ms=0.01)])
    one_ms = ContainerCost("f", 1024, 0.0, 0.0, [Invocation(cpu_ms=0.0, wall_ms=1.0)])

    assert lambda_model.cost_per_million_usd([instant]) == lambda_model.cost_per_million_usd([one_ms]) > 0


def test_the_cost_counts_the_wait_on_the_real_authsignal_for_each_call() -> None:
    silent = ContainerCost("f", 1024, 0.0, 0.0, [Invocation(cpu_ms=20.0, wall_ms=50.0, authsignal_calls=0)])

    assert lambda_model.cost_per_million_usd([CONTAINER]) > lambda_model.cost_per_million_usd([silent])


# --- one quick run ---------------------------------------------------------------------------------

# Figures a quick run does not measure (``--quick``: no synth, no suite, no CPU quota, no browser).
NOT_MEASURED_WHEN_QUICK = (
    "build.",
    "cold_sign_in.otp.ours_quota_ms",
    "cold_sign_in.otp.node_quota_ms",
    "cold_sign_in.otp.quota_ratio_to_node",
    "web_app.first_load_s",
)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory, synthesized: Synthesized) -> tuple[dict[str, Any], str]:
    """``python -m benchmarks --quick`` with fewer samples still, replaying cold sign-ins on the
    session's synth of dev: the JSON document and the table."""
    output = tmp_path_factory.mktemp("benchmark") / "benchmark-results.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--quick",
            "--runs",
            "1",
            "--invocations",
            "10",
            "--output",
            str(output),
            "--cdk-out",
            str(synthesized.directory),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(output.read_text()), result.stdout


@pytest.fixture(scope="module")
def figures(quick_run: tuple[dict[str, Any], str]) -> dict[str, dict[str, Any]]:
    return quick_run[0]["figures"]


def test_every_figure_measured_in_a_quick_run_has_a_number_and_a_status_from_its_budget(figures):
    for key, figure in figures.items():
        if key.startswith(NOT_MEASURED_WHEN_QUICK):
            assert (figure["value"], figure["status"]) == (None, "skipped"), key
            continue
        assert isinstance(figure["value"], (int, float)), key
        judged = Figure(
            key, figure["label"], figure["value"], figure["unit"], figure["limit"], figure["compare"] or "<="
        )
        assert figure["status"] == judged.status, key


def test_the_budgets_of_the_comparison_with_the_node_reference_are_judged(figures):
    for flow in ("otp", "passkey"):
        for ratio in ("local_ratio_to_node", "modelled_ratio_to_node"):
            assert figures[f"cold_sign_in.{flow}.{ratio}"]["limit"] is not None
            assert figures[f"cold_sign_in.{flow}.{ratio}"]["unit"] == "x"
        assert figures[f"cold_sign_in.{flow}.modelled_cpu_ratio_to_node"]["value"] > 0


def test_the_model_table_has_every_memory_size_and_the_node_reference(figures):
    for memory in lambda_model.MEMORY_SIZES_MB:
        for figure in ("cold_ms", "warm_ms", "usd_per_million"):
            assert figures[f"model.{figure}_at_{memory}"]["value"] > 0
    assert {"model.node_cold_ms", "model.node_warm_ms", "model.node_usd_per_million"} <= set(figures)


def test_the_flows_succeed_and_their_calls_are_named(figures):
    # each flow raises if it does not end signed in (or with a token), so a count means something
    note = figures["round_trips.passkey_sign_in.authsignal_calls"]["note"]
    assert note == "POST /v1/users/{id}/actions/cognitoAuth, POST /v1/validate"  # no pending-challenge lookup
    for flow in ("email_otp", "sms_otp"):  # an account that signed in before: its contact is enrolled
        assert figures[f"round_trips.{flow}_sign_in.authsignal_calls"]["note"] == note
    first = figures["round_trips.first_sign_in.authsignal_calls"]["note"]
    assert first == (
        "POST /v1/users/{id}/actions/cognitoAuth, POST /v1/users/{id}/authenticators, "
        "POST /v1/users/{id}/actions/cognitoAuth, POST /v1/validate"
    )  # enrol the own contact first


def test_the_cold_sign_ins_replay_ours_and_the_node_reference_and_count_what_they_ask(figures):
    # each replay raises unless it ends with tokens issued, so a count means something
    for flow in ("otp", "passkey"):
        assert figures[f"cold_sign_in.{flow}.secret_reads"]["value"] == 1
        assert figures[f"cold_sign_in.{flow}.authsignal_calls"]["value"] == 2  # track, validate
        assert figures[f"cold_sign_in.{flow}.node_authsignal_calls"]["value"] == 2
        assert figures[f"cold_sign_in.{flow}.dynamodb_writes"]["value"] == 1  # the single-use put
        for layout in ("ours", "node"):
            assert figures[f"cold_sign_in.{flow}.{layout}_init_cpu_ms"]["value"] > 0
    # the OTP proves the new account's email once: one AdminUpdateUserAttributes, then none
    assert figures["cold_sign_in.otp.cognito_admin_calls_first"]["value"] == 1
    assert figures["cold_sign_in.otp.cognito_admin_calls_after_first"]["value"] == 0


def test_the_run_says_where_how_and_under_what_load_it_measured(quick_run):
    meta = quick_run[0]["meta"]
    assert meta["quick"] is True
    assert meta["cold_import_runs"] >= 1 and meta["warm_invocations"] >= 1 and meta["cold_sign_in_runs"] >= 1
    assert {"python", "python_version", "bytecode_in_bundles", "machine", "notes"} <= set(meta)
    assert set(meta["load_average_1_5_15_min"]) == {"start", "end"}


def test_the_table_lists_every_figure_with_its_result(quick_run, figures):
    table = quick_run[1]
    for figure in figures.values():
        assert figure["label"] in table
    assert "budgets met" in table


def test_the_web_app_is_held_to_its_budgets(figures):
    """The production build's JavaScript, gzipped, and the first sign-in page load on the sandbox."""
    assert figures["web_app.js_gzipped_bytes"]["budget"] == "<= 204,800 bytes"
    assert figures["web_app.js_gzipped_bytes"]["value"] > 0
    assert figures["web_app.first_load_s"]["budget"] == "<= 1 s"

"""The benchmark's report: one quick run (few samples, no synth, no suite timing) writes a JSON
file with every figure the issue asks for, each with its unit, budget and status, and prints the
same figures as a table. Timings are never asserted: this machine is shared and noisy; the
budgets, the call counts and the report's shape are."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from tests.infra.conftest import ROOT, Synthesized

SDK_FUNCTIONS = ["custom_auth", "authenticators"]  # deployed, their bundle carries the SDK
PLAIN_FUNCTIONS = ["pre_sign_up"]
SDK_HANDLERS = ["create_auth_challenge", "verify_auth_challenge", "authenticators"]  # their import loads it
LIGHT_HANDLERS = ["pre_sign_up", "custom_auth", "define_auth_challenge"]
INVOKED = ["pre_sign_up", "define_auth_challenge", "create_auth_challenge", "verify_auth_challenge", "authenticators"]
FIRST_CREATE_PARTS = {
    "parts": ["import_create", "import_botocore", "session", "secretsmanager_client", "secret_read",
              "authsignal_client", "create_calls", "dynamodb_client", "cognito_idp_client"],
    "boto3_parts": ["import_create", "import_boto3", "session_and_secretsmanager_client", "secret_read",
                    "dynamodb_client", "cognito_idp_client"],
}
ENVIRONMENTS = list(json.loads((ROOT / "cdk.json").read_text())["context"]["environments"])

# key -> (unit, budget as the issue sets it, or None for a reference point)
EXPECTED: dict[str, tuple[str, str | None]] = {
    "cold_import.bare.median_ms": ("ms", None),
    "cold_import.floor.median_ms": ("ms", None),
    "cold_import.floor_sources.median_ms": ("ms", None),
    "cold_import.floor_sources.over_floor_ms": ("ms", None),
    "cold_import.reference.median_ms": ("ms", None),
    "cold_import.reference.over_floor_ms": ("ms", None),
    "cold_import.secret_client.over_bare_ms": ("ms", None),
    "cold_import.aws_client.over_bare_ms": ("ms", None),
    "cold_import.powertools.over_bare_ms": ("ms", None),
    **{f"cold_import.{name}.median_ms": ("ms", None) for name in SDK_HANDLERS + LIGHT_HANDLERS},
    **{f"cold_import.{name}.over_floor_ms": ("ms", "<= 25 ms") for name in SDK_HANDLERS},
    **{f"cold_import.{name}.ratio_to_reference": ("x", None) for name in SDK_HANDLERS},
    **{f"cold_import.{name}.over_bare_ms": ("ms", "<= 30 ms") for name in LIGHT_HANDLERS},
    "cold_sign_in.sdk_container_ms": ("ms", None),
    "cold_sign_in.sdk_and_clients_ms": ("ms", None),
    "cold_sign_in.before_sdk_container_ms": ("ms", None),
    **{key: value for flow in ("otp", "passkey") for key, value in {
        f"cold_sign_in.{flow}.one_function_ms": ("ms", None),
        f"cold_sign_in.{flow}.three_functions_ms": ("ms", None),
        f"cold_sign_in.{flow}.before_ms": ("ms", None),
        f"cold_sign_in.{flow}.ratio_to_sdk_container": ("x", "<= 1.15 x"),
        f"cold_sign_in.{flow}.over_sdk_and_clients_ms": ("ms", "<= 40 ms"),
        f"cold_sign_in.{flow}.ratio_three_to_one": ("x", None),
        f"cold_sign_in.{flow}.authsignal_calls": ("calls", "== 2 calls"),
        f"cold_sign_in.{flow}.dynamodb_writes": ("calls", "== 1 calls"),
        f"cold_sign_in.{flow}.secret_reads": ("reads", "== 1 reads"),
    }.items()},
    "cold_sign_in.otp.cognito_admin_calls_first": ("calls", None),
    "cold_sign_in.otp.cognito_admin_calls_after_first": ("calls", "== 0 calls"),
    **{f"cold_sign_in.first_create.{way}.{part}_ms": ("ms", None)
       for way, parts in FIRST_CREATE_PARTS.items() for part in parts},
    "round_trips.email_otp_sign_in.authsignal_calls": ("calls", "== 2 calls"),
    "round_trips.sms_otp_sign_in.authsignal_calls": ("calls", "== 2 calls"),
    "round_trips.passkey_sign_in.authsignal_calls": ("calls", "== 2 calls"),
    "round_trips.first_sign_in.authsignal_calls": ("calls", "== 4 calls"),
    "round_trips.add_passkey.authsignal_calls": ("calls", "== 1 calls"),
    **{f"round_trips.{flow}_sign_in.dynamodb_writes": ("writes", "== 1 writes") for flow in ("email_otp", "sms_otp",
                                                                                           "passkey", "first")},
    **{f"round_trips.{name}.secret_reads_per_cold_start": ("reads", "== 1 reads") for name in SDK_FUNCTIONS},
    **{f"warm.{name}.p50_ms": ("ms", "<= 2 ms") for name in INVOKED},
    **{f"warm.{name}.p99_ms": ("ms", None) for name in INVOKED},
    **{f"warm.{name}.own_p50_ms": ("ms", None) for name in SDK_HANDLERS},
    "warm.loopback_request.p50_ms": ("ms", None),
    **{f"asset_size.{name}.zipped_bytes": ("bytes", "<= 1,500,000 bytes") for name in SDK_FUNCTIONS},
    **{f"asset_size.{name}.zipped_bytes": ("bytes", "<= 50,000 bytes") for name in PLAIN_FUNCTIONS},
    "web_app.js_gzipped_bytes": ("bytes", "<= 204,800 bytes"),
    "web_app.first_load_s": ("s", "<= 1 s"),
    **{f"build.synth.{name}_s": ("s", "< 15 s") for name in ENVIRONMENTS},
    "build.test_suite_s": ("s", "< 60 s"),
}
NOT_MEASURED_WHEN_QUICK = {key for key in EXPECTED if key.startswith("build.") or "before" in key
                           or key == "web_app.first_load_s"}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory, synthesized: Synthesized) -> tuple[dict[str, Any], str]:
    """``python -m benchmarks --quick`` with fewer samples still, replaying cold sign-ins on the
    session's synth of dev: the JSON document and the table."""
    output = tmp_path_factory.mktemp("benchmark") / "benchmark-results.json"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--runs", "1", "--invocations", "10", "--output", str(output),
         "--cdk-out", str(synthesized.directory)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(output.read_text()), result.stdout


@pytest.fixture(scope="module")
def figures(quick_run: tuple[dict[str, Any], str]) -> dict[str, dict[str, Any]]:
    return quick_run[0]["figures"]


def test_the_report_has_every_figure_and_no_other(figures):
    assert set(figures) == set(EXPECTED)


def test_every_figure_carries_the_unit_and_budget_the_issue_sets(figures):
    assert {key: (figure["unit"], figure["budget"]) for key, figure in figures.items()} == EXPECTED


def test_every_figure_measured_in_a_quick_run_has_a_number(figures):
    for key, figure in figures.items():
        if key in NOT_MEASURED_WHEN_QUICK:
            assert (figure["value"], figure["status"]) == (None, "skipped"), key
        else:
            assert isinstance(figure["value"], (int, float)), key


def test_a_figure_is_judged_against_its_budget_only_when_it_has_one(figures):
    for key, figure in figures.items():
        if figure["value"] is None:
            continue
        assert figure["status"] in (("pass", "fail") if figure["budget"] else ("info",)), key


def test_the_flows_succeed_and_their_calls_are_named(figures):
    # each flow raises if it does not end signed in (or with a token), so a count means something
    note = figures["round_trips.passkey_sign_in.authsignal_calls"]["note"]
    assert note == "POST /v1/users/{id}/actions/cognitoAuth, POST /v1/validate"  # no pending-challenge lookup
    for flow in ("email_otp", "sms_otp"):  # an account that signed in before: its contact is enrolled
        assert figures[f"round_trips.{flow}_sign_in.authsignal_calls"]["note"] == note
    first = figures["round_trips.first_sign_in.authsignal_calls"]["note"]
    assert first == ("POST /v1/users/{id}/actions/cognitoAuth, POST /v1/users/{id}/authenticators, "
                     "POST /v1/users/{id}/actions/cognitoAuth, POST /v1/validate")  # enrol the own contact first


def test_the_cold_sign_ins_replay_both_layouts_and_count_what_they_ask(figures):
    # each replay raises unless it ends with tokens issued, so a count means something
    for flow in ("otp", "passkey"):
        assert figures[f"cold_sign_in.{flow}.secret_reads"]["value"] == 1
        assert figures[f"cold_sign_in.{flow}.authsignal_calls"]["value"] == 2  # track, validate
        assert figures[f"cold_sign_in.{flow}.dynamodb_writes"]["value"] == 1  # the single-use put
        assert figures[f"cold_sign_in.{flow}.three_functions_ms"]["value"] > 0
    # the OTP proves the new account's email once: one AdminUpdateUserAttributes, then none
    assert figures["cold_sign_in.otp.cognito_admin_calls_first"]["value"] == 1
    assert figures["cold_sign_in.otp.cognito_admin_calls_after_first"]["value"] == 0


def test_the_run_says_where_and_how_it_measured(quick_run):
    meta = quick_run[0]["meta"]
    assert meta["quick"] is True
    assert meta["cold_import_runs"] >= 1 and meta["warm_invocations"] >= 1 and meta["cold_sign_in_runs"] >= 1
    assert {"python", "python_version", "bytecode_in_bundles", "machine", "notes"} <= set(meta)


def test_the_table_lists_every_figure_with_its_result(quick_run, figures):
    table = quick_run[1]
    for figure in figures.values():
        assert figure["label"] in table
    assert "budgets met" in table

"""The deploy and diff plans of the workflows come from cdk.json: an environment added there is
deployed (and diffed) with no edit to a workflow; production only from releases; the local
emulator never; an environment without its role variable is skipped, not failed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stacks.ci_plan import plan
from stacks.config import ConfigError
from tests.conftest import CONTEXT, ROOT

ENVIRONMENTS = CONTEXT["environments"]
PRODUCTION = [name for name, raw in ENVIRONMENTS.items() if raw.get("production") is True]
LOCAL = [name for name, raw in ENVIRONMENTS.items() if raw.get("localEmulator") is True]
OTHERS = [name for name in ENVIRONMENTS if name not in PRODUCTION + LOCAL]
QA = {**ENVIRONMENTS[OTHERS[0]], "region": "ap-southeast-2", "apiThrottlingRateLimit": 150}


def roles_for(*names: str) -> dict[str, str]:
    return {
        f"AWS_DEPLOY_ROLE_ARN_{name.upper().replace('-', '_')}": f"arn:aws:iam::111111111111:role/{name}"
        for name in names
    }


def names(matrix: list[dict[str, str]]) -> list[str]:
    return [entry["name"] for entry in matrix]


def with_qa() -> dict[str, Any]:
    return {**ENVIRONMENTS, "qa-eu": QA}


def test_a_push_deploys_every_environment_that_is_not_production_in_cdk_json_order():
    matrix = plan(ENVIRONMENTS, "push", None, roles_for(*ENVIRONMENTS))
    assert names(matrix) == OTHERS


def test_a_release_deploys_the_production_environments_only():
    matrix = plan(ENVIRONMENTS, "release", None, roles_for(*ENVIRONMENTS))
    assert names(matrix) == PRODUCTION


def test_an_environment_added_to_cdk_json_is_deployed_with_its_own_region_and_role_variable():
    matrix = plan(with_qa(), "push", None, roles_for(*with_qa()))

    assert names(matrix) == [*OTHERS, "qa-eu"]
    assert matrix[-1] == {"name": "qa-eu", "region": "ap-southeast-2", "role_variable": "AWS_DEPLOY_ROLE_ARN_QA_EU"}
    assert "qa-eu" in names(plan(with_qa(), "pull_request", None, {}))


def test_an_environment_without_its_role_variable_is_skipped():
    matrix = plan(ENVIRONMENTS, "push", None, roles_for(OTHERS[-1]) | {"AWS_DEPLOY_ROLE_ARN_UNUSED": ""})
    assert names(matrix) == [OTHERS[-1]]
    assert plan(ENVIRONMENTS, "push", None, {}) == []


def test_a_manual_run_deploys_the_named_environment_and_refuses_an_unknown_or_local_one():
    assert names(plan(with_qa(), "workflow_dispatch", "qa-eu", roles_for("qa-eu"))) == ["qa-eu"]
    for chosen in ("no-such-env", None, *LOCAL):
        with pytest.raises(ConfigError) as error:
            plan(ENVIRONMENTS, "workflow_dispatch", chosen, roles_for(*ENVIRONMENTS))
        assert str(error.value).startswith("environment must be one of")


def test_the_diff_plan_covers_every_environment_but_the_local_emulators_with_the_diff_role():
    matrix = plan(ENVIRONMENTS, "pull_request", None, {})
    assert set(names(matrix)) == set(ENVIRONMENTS) - set(LOCAL)
    assert {entry["role_variable"] for entry in matrix} == {"AWS_DIFF_ROLE_ARN"}


def test_a_bad_environment_stops_the_plan_with_the_config_error():
    broken = {**ENVIRONMENTS, "qa": {**QA, "attemptLimit": 0}}
    with pytest.raises(ConfigError) as error:
        plan(broken, "push", None, roles_for(*broken))
    assert str(error.value).startswith("environments.qa.attemptLimit must be")


def test_the_command_prints_the_outputs_the_workflow_reads(tmp_path: Path):
    cdk_json = json.loads((ROOT / "cdk.json").read_text())
    cdk_json["context"]["environments"] = with_qa()
    (tmp_path / "cdk.json").write_text(json.dumps(cdk_json))
    environment = {**os.environ, "VARS": json.dumps(roles_for("qa-eu"))}

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "stacks.ci_plan",
            "workflow_dispatch",
            "--environment",
            "qa-eu",
            "--cdk-json",
            str(tmp_path / "cdk.json"),
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines())
    assert lines["environments"] == "qa-eu"
    assert json.loads(lines["matrix"]) == [
        {"name": "qa-eu", "region": "ap-southeast-2", "role_variable": "AWS_DEPLOY_ROLE_ARN_QA_EU"}
    ]

"""The GitHub Actions workflows users keep: tests on every change, cdk diff only with AWS access,
deploys through GitHub environments with OIDC roles; actionlint judges every workflow file."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = Path(__file__).resolve().parents[2] / ".github/workflows"
ACTIONLINT = Path(sys.executable).parent / "actionlint"  # from the pinned wheel in requirements-dev.txt
TARGETS = {"dev": "DEV", "staging": "STAGING", "prod": "PROD"}


def load(name: str) -> dict[Any, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


WORKFLOW = load("ci.yml")
DEPLOY = load("deploy.yml")
DEPLOY_ENVIRONMENT = load("deploy-environment.yml")


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    return workflow[True]  # YAML 1.1 reads the key `on` as true


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    # shellcheck and pyflakes off: the result must not depend on what else is on PATH
    return subprocess.run([str(ACTIONLINT), "-no-color", "-shellcheck=", "-pyflakes=", *map(str, paths)],
                          capture_output=True, text=True, timeout=60)


def test_actionlint_finds_nothing_in_any_workflow():
    files = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
    assert {path.name for path in files} >= {"ci.yml", "deploy.yml", "deploy-environment.yml"}
    result = actionlint(*files)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_actionlint_reports_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n"
                      "    steps:\n      - run: echo ${{ github.no_such_context }}\n")
    assert actionlint(broken).returncode == 1


def test_test_job_sets_up_synthesizes_every_environment_and_runs_the_tests():
    steps = [step.get("run", "") for step in WORKFLOW["jobs"]["test"]["steps"]]
    assert "scripts/setup" in steps and "bash .ci/run" in steps
    assert any("npx cdk synth" in step and "environments" in step for step in steps)


def test_every_job_uses_the_current_node_lts_and_shows_end_of_life_banners():
    for job in WORKFLOW["jobs"].values():
        node = next(step for step in job["steps"] if "setup-node" in step.get("uses", ""))
        assert int(node["with"]["node-version"]) >= 22
        assert "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION" not in job.get("env", {})


def test_diff_job_runs_only_for_pull_requests_with_an_oidc_role_configured():
    diff = WORKFLOW["jobs"]["diff"]
    assert diff["if"] == "github.event_name == 'pull_request' && vars.AWS_DIFF_ROLE_ARN != ''"
    assert diff["permissions"]["id-token"] == "write"
    credentials = next(step for step in diff["steps"] if "configure-aws-credentials" in step.get("uses", ""))
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DIFF_ROLE_ARN }}"
    assert any("npx cdk diff" in step.get("run", "") for step in diff["steps"])


def test_diff_job_compares_templates_so_the_read_only_diff_role_suffices():
    # passwordless-diff may read deployed templates and nothing else: no change set, no assets
    (run,) = [step["run"] for step in WORKFLOW["jobs"]["diff"]["steps"] if "npx cdk diff" in step.get("run", "")]
    assert 'npx cdk diff --method=template -c env="$env" "$env-Passwordless"' in run


def test_deploy_runs_on_pushes_to_main_releases_and_manual_runs_for_a_chosen_environment():
    on = triggers(DEPLOY)
    assert on["push"] == {"branches": ["main"]}
    assert on["release"] == {"types": ["published"]}
    choice = on["workflow_dispatch"]["inputs"]["environment"]
    assert (choice["type"], choice["options"], choice["required"]) == ("choice", list(TARGETS), True)
    assert set(on) == {"push", "release", "workflow_dispatch"}  # never pull_request: no deploys from PRs


@pytest.mark.parametrize(("environment", "events"), [
    ("dev", "(github.event_name == 'push' || "
            "(github.event_name == 'workflow_dispatch' && inputs.environment == 'dev'))"),
    ("staging", "(github.event_name == 'push' || "
                "(github.event_name == 'workflow_dispatch' && inputs.environment == 'staging'))"),
    ("prod", "(github.event_name == 'release' || "
             "(github.event_name == 'workflow_dispatch' && inputs.environment == 'prod'))"),
])
def test_each_target_deploys_only_its_environment_with_its_role_and_is_skipped_without_one(environment, events):
    job = DEPLOY["jobs"][environment]
    variable = f"vars.AWS_DEPLOY_ROLE_ARN_{TARGETS[environment]}"
    assert f"{variable} != ''" in job["if"] and job["if"].endswith(events)
    assert job["uses"] == "./.github/workflows/deploy-environment.yml"
    assert job["with"] == {"environment": environment, "role-arn": f"${{{{ {variable} }}}}",
                           "aws-region": "${{ vars.AWS_REGION }}"}
    assert job["permissions"] == {"contents": "read", "id-token": "write"}


def test_staging_follows_dev_and_never_runs_after_dev_failed_or_was_cancelled():
    staging = DEPLOY["jobs"]["staging"]
    assert staging["needs"] == "dev"
    # "!failure()" alone lets staging run after a dev job a newer run cancelled
    assert staging["if"].startswith(
        "!cancelled() && (needs.dev.result == 'success' || needs.dev.result == 'skipped') && ")


def test_an_environment_deploy_installs_everything_before_it_holds_credentials():
    (job,) = DEPLOY_ENVIRONMENT["jobs"].values()
    names = [step.get("name") or step.get("uses", "") for step in job["steps"]]
    credentials = next(index for index, name in enumerate(names) if "configure-aws-credentials" in name)
    assert names.index("Set up") < credentials


def test_prod_is_never_deployed_by_a_push():
    condition = DEPLOY["jobs"]["prod"]["if"]
    assert "push" not in condition
    assert "(github.event_name == 'release' || (github.event_name == 'workflow_dispatch' && " \
           "inputs.environment == 'prod'))" in condition


def test_an_environment_deploy_is_gated_by_its_github_environment_one_at_a_time():
    (job,) = DEPLOY_ENVIRONMENT["jobs"].values()
    assert job["environment"] == "${{ inputs.environment }}"  # the deploy role trusts only this environment
    assert job["concurrency"] == {"group": "deploy-${{ inputs.environment }}", "cancel-in-progress": False}
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert DEPLOY_ENVIRONMENT["permissions"] == DEPLOY["permissions"] == {"contents": "read"}


def test_an_environment_deploy_gets_credentials_only_from_github_oidc():
    (job,) = DEPLOY_ENVIRONMENT["jobs"].values()
    (credentials,) = [step for step in job["steps"] if "configure-aws-credentials" in step.get("uses", "")]
    assert credentials["with"] == {"role-to-assume": "${{ inputs.role-arn }}", "aws-region": "${{ inputs.aws-region }}"}
    for name in ("deploy.yml", "deploy-environment.yml"):
        text = (WORKFLOWS / name).read_text()
        assert "secrets." not in text and "aws-access-key-id" not in text


def test_an_environment_deploy_deploys_exactly_its_stack_from_a_strict_synth_with_the_current_node_lts():
    (job,) = DEPLOY_ENVIRONMENT["jobs"].values()
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert runs == [
        "scripts/setup",
        'npx cdk deploy --strict -c env="$ENVIRONMENT" "$ENVIRONMENT-Passwordless" --require-approval never',
    ]
    node = next(step for step in job["steps"] if "setup-node" in step.get("uses", ""))
    assert node["with"]["node-version"] == "24"


def test_diff_job_skips_the_local_emulator_environment():
    (run,) = [step["run"] for step in WORKFLOW["jobs"]["diff"]["steps"] if "npx cdk diff" in step.get("run", "")]
    (program,) = re.findall(r'\.venv/bin/python -c "([^"]+)"', run)
    listed = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=True)
    assert listed.stdout.split() == ["dev", "staging", "prod"]

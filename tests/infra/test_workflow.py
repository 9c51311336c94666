"""The GitHub Actions workflows users keep: tests on every change, cdk diff only with AWS access,
deploys through GitHub environments with OIDC roles; actionlint judges every workflow file.

Supply chain: installs and synth run in jobs that cannot get AWS credentials (no ``id-token``);
the jobs that can install only the pinned CDK CLI and act on the cloud assembly built before;
every action is pinned to a full commit SHA."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = Path(__file__).resolve().parents[2] / ".github/workflows"
ACTIONLINT = Path(sys.executable).parent / "actionlint"  # from the pinned wheel in requirements-dev.txt
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"uses: (\S+) # v\d+\.\d+\.\d+$")


def load(name: str) -> dict[Any, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


WORKFLOW = load("ci.yml")
DEPLOY = load("deploy.yml")


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    return workflow[True]  # YAML 1.1 reads the key `on` as true


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    # shellcheck and pyflakes off: the result must not depend on what else is on PATH
    return subprocess.run(
        [str(ACTIONLINT), "-no-color", "-shellcheck=", "-pyflakes=", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_actionlint_finds_nothing_in_any_workflow():
    files = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
    assert {path.name for path in files} >= {"ci.yml", "deploy.yml"}
    result = actionlint(*files)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_actionlint_reports_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ github.no_such_context }}\n"
    )
    assert actionlint(broken).returncode == 1


def steps_of(job: dict[Any, Any]) -> list[dict[Any, Any]]:
    return job["steps"]


def runs(job: dict[Any, Any]) -> list[str]:
    return [step["run"] for step in steps_of(job) if "run" in step]


def uses(job: dict[Any, Any], action: str) -> dict[Any, Any]:
    (step,) = [step for step in steps_of(job) if step.get("uses", "").startswith(action + "@")]
    return step


def all_jobs() -> list[tuple[str, dict[Any, Any]]]:
    return [
        (f"{name}:{job_name}", job)
        for name, workflow in (("ci", WORKFLOW), ("deploy", DEPLOY))
        for job_name, job in workflow["jobs"].items()
    ]


def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version_in_a_comment():
    for path in WORKFLOWS.glob("*.yml"):
        lines = [line.strip().removeprefix("- ") for line in path.read_text().splitlines() if "uses:" in line]
        assert lines
        for line in lines:
            match = VERSION_COMMENT.fullmatch(line)
            assert match and PINNED.fullmatch(match.group(1)), f"{path.name}: {line}"


def test_no_job_that_can_get_aws_credentials_runs_setup_or_installs_python_packages():
    for name, job in all_jobs():
        if job.get("permissions", {}).get("id-token") != "write":
            continue
        for run in runs(job):
            assert "scripts/setup" not in run and "pip" not in run and ".venv" not in run, (name, run)
            assert "npm" not in run or run == "npm ci --ignore-scripts --no-audit --no-fund", (name, run)


def test_only_the_jobs_that_call_aws_can_get_an_oidc_token():
    holders = {name for name, job in all_jobs() if job.get("permissions", {}).get("id-token") == "write"}
    assert holders == {"ci:diff", "deploy:deploy"}
    assert WORKFLOW["permissions"] == DEPLOY["permissions"] == {"contents": "read"}
    for name, job in all_jobs():
        assert uses(job, "actions/checkout")["with"]["persist-credentials"] is False, name


def test_test_job_sets_up_synthesizes_every_environment_and_runs_the_tests():
    steps = runs(WORKFLOW["jobs"]["test"])
    assert "scripts/setup" in steps and "bash .ci/run" in steps
    assert any("npx cdk synth" in step and "environments" in step for step in steps)


def test_every_job_uses_the_current_node_lts_and_shows_end_of_life_banners():
    for name, job in all_jobs():
        node = uses(job, "actions/setup-node")
        assert int(node["with"]["node-version"]) >= 22, name
        assert "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION" not in job.get("env", {})


def test_diff_job_runs_only_for_pull_requests_with_an_oidc_role_configured():
    diff = WORKFLOW["jobs"]["diff"]
    assert diff["if"].startswith("github.event_name == 'pull_request' && vars.AWS_DIFF_ROLE_ARN != ''")
    assert diff["permissions"] == {"contents": "read", "id-token": "write"}
    credentials = uses(diff, "aws-actions/configure-aws-credentials")["with"]
    assert credentials["role-to-assume"] == "${{ vars.AWS_DIFF_ROLE_ARN }}"


def test_diff_job_installs_and_reads_settings_only_from_the_base_branch_while_it_holds_a_token():
    """A pull request's own lockfile or cdk.json (a CLI plugin) must not run where a token can be minted."""
    diff = WORKFLOW["jobs"]["diff"]
    [checkout] = [step for step in steps_of(diff) if step.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"


def test_diff_job_compares_the_test_jobs_assemblies_so_the_read_only_diff_role_suffices():
    # passwordless-diff may read deployed templates and nothing else: no change set, no assets
    diff, test = WORKFLOW["jobs"]["diff"], WORKFLOW["jobs"]["test"]
    assert diff["needs"] == "test"
    assert diff["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.test.outputs.matrix) }}"
    assert runs(diff)[-1] == (
        'npx cdk diff --app "assemblies/$ENVIRONMENT" --method=template "$ENVIRONMENT-Passwordless"'
    )
    assert (
        uses(test, "actions/upload-artifact")["with"]["name"] == uses(diff, "actions/download-artifact")["with"]["name"]
    )
    assert "stacks.ci_plan pull_request" in " ".join(runs(test))


def test_deploy_runs_on_pushes_to_main_releases_and_manual_runs_for_a_named_environment():
    on = triggers(DEPLOY)
    assert on["push"] == {"branches": ["main"]}
    assert on["release"] == {"types": ["published"]}
    choice = on["workflow_dispatch"]["inputs"]["environment"]
    assert (choice["type"], choice["required"]) == ("string", True)  # any environment of cdk.json: plan checks it
    assert set(on) == {"push", "release", "workflow_dispatch"}  # never pull_request: no deploys from PRs


def test_the_plan_job_reads_the_environments_from_cdk_json_and_cannot_get_credentials():
    plan = DEPLOY["jobs"]["plan"]
    assert plan["permissions"] == {"contents": "read"}
    (step,) = [step for step in steps_of(plan) if "stacks.ci_plan" in step.get("run", "")]
    assert step["run"] == '.venv/bin/python -m stacks.ci_plan "$EVENT" --environment "$CHOSEN" >> "$GITHUB_OUTPUT"'
    assert step["env"] == {
        "EVENT": "${{ github.event_name }}",
        "CHOSEN": "${{ inputs.environment }}",
        "VARS": "${{ toJSON(vars) }}",
    }
    assert plan["outputs"]["matrix"] == "${{ steps.plan.outputs.matrix }}"
    assert any(
        'npx cdk synth --strict --quiet -c env="$env" -o "assemblies/$env" "$env-Passwordless"' in run
        for run in runs(plan)
    )
    assert uses(plan, "actions/upload-artifact")["with"]["path"] == "assemblies"


def test_each_environment_deploys_its_assembly_with_its_own_role_and_region_one_at_a_time():
    deploy = DEPLOY["jobs"]["deploy"]
    assert deploy["needs"] == "plan" and deploy["if"] == "needs.plan.outputs.matrix != '[]'"
    assert deploy["strategy"] == {
        "max-parallel": 1,
        "fail-fast": True,
        "matrix": {"include": "${{ fromJSON(needs.plan.outputs.matrix) }}"},
    }
    assert uses(deploy, "aws-actions/configure-aws-credentials")["with"] == {
        "role-to-assume": "${{ vars[matrix.role_variable] }}",
        "aws-region": "${{ matrix.region || vars.AWS_REGION }}",
    }
    assert runs(deploy) == [
        "npm ci --ignore-scripts --no-audit --no-fund",
        'npx cdk deploy --app "assemblies/$ENVIRONMENT" "$ENVIRONMENT-Passwordless" --require-approval never',
    ]
    assert uses(deploy, "actions/download-artifact")["with"] == {"name": "cloud-assemblies", "path": "assemblies"}


def test_an_environment_deploy_is_gated_by_its_github_environment_one_at_a_time():
    deploy = DEPLOY["jobs"]["deploy"]
    assert deploy["environment"] == "${{ matrix.name }}"  # the deploy role trusts only this environment
    assert deploy["concurrency"] == {"group": "deploy-${{ matrix.name }}", "cancel-in-progress": False}
    assert deploy["permissions"] == {"contents": "read", "id-token": "write"}


def test_credentials_come_only_from_github_oidc():
    for name in ("ci.yml", "deploy.yml"):
        text = (WORKFLOWS / name).read_text()
        assert "secrets." not in text and "aws-access-key-id" not in text


def test_the_cdk_cli_the_jobs_install_is_pinned_by_the_root_lock():
    lock = json.loads((ROOT / "package-lock.json").read_text())
    package = json.loads((ROOT / "package.json").read_text())
    assert set(package) - {"name", "private", "description"} == {"devDependencies"}
    (version,) = package["devDependencies"].values()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)  # exact, not a range
    assert lock["packages"]["node_modules/aws-cdk"]["version"] == version

"""The GitHub Actions workflow users keep: tests on every change; cdk diff only with AWS access."""

from pathlib import Path

import yaml

WORKFLOW = yaml.safe_load((Path(__file__).resolve().parents[2] / ".github/workflows/ci.yml").read_text())


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

"""The GitHub Actions workflow users keep: tests on every change; cdk diff only with AWS access."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())


def test_test_job_sets_up_synthesizes_every_environment_and_runs_the_tests():
    steps = [step.get("run", "") for step in WORKFLOW["jobs"]["test"]["steps"]]
    assert "scripts/setup" in steps and "scripts/test" in steps
    assert any("npx cdk synth" in step and "environments" in step for step in steps)


def test_diff_job_runs_only_for_pull_requests_with_an_oidc_role_configured():
    diff = WORKFLOW["jobs"]["diff"]
    assert diff["if"] == "github.event_name == 'pull_request' && vars.AWS_DIFF_ROLE_ARN != ''"
    assert diff["permissions"]["id-token"] == "write"
    credentials = next(step for step in diff["steps"] if "configure-aws-credentials" in step.get("uses", ""))
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DIFF_ROLE_ARN }}"
    assert any("npx cdk diff" in step.get("run", "") for step in diff["steps"])


def test_diff_job_skips_the_local_emulator_environment():
    (run,) = [step["run"] for step in WORKFLOW["jobs"]["diff"]["steps"] if "npx cdk diff" in step.get("run", "")]
    (program,) = re.findall(r'\.venv/bin/python -c "([^"]+)"', run)
    listed = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=True)
    assert listed.stdout.split() == ["dev", "staging", "prod"]

"""cfn-lint, the CloudFormation linter, finds nothing in any synthesized template."""

import json

import pytest
from cfnlint.api import ManualArgs, lint

# W3005 (a DependsOn that a GetAtt already implies): CDK's Function always adds DependsOn on
# its role and the role's default policy, so the policy exists before the first invocation;
# the duplicate edge is harmless and not ours to remove.
CONFIG = ManualArgs(regions=["us-east-1", "eu-west-1"], ignore_checks=["W3005"])


@pytest.mark.parametrize("environment", ["dev", "staging", "prod", "byosecret", "snapstart"])
def test_template_passes_cfn_lint(templates, environment):
    matches = lint(json.dumps(templates[environment]), config=CONFIG)
    assert [f"{match.rule.id} {match.message}" for match in matches] == []


def test_cfn_lint_reports_a_broken_template():
    broken = {"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.13"}}}}
    assert lint(json.dumps(broken), config=ManualArgs(regions=["us-east-1"]))

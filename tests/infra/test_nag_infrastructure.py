"""cdk-nag's AwsSolutions rules pass on every environment, and each acknowledgement says why."""

import aws_cdk as cdk
from aws_cdk import aws_secretsmanager as secretsmanager
from cdk_nag import AwsSolutionsChecks

from stacks.nag import ACKNOWLEDGEMENTS, unacknowledged_findings


def test_every_environment_passes_aws_solutions_checks(synthesized):
    assert unacknowledged_findings(str(synthesized.directory)) == []


def test_the_nag_report_was_produced_by_the_aws_solutions_plugin(synthesized):
    import json
    from pathlib import Path

    report = json.loads(Path(synthesized.directory, "validation-report.json").read_text())
    # beside it, "Construct Annotations" reports the config warnings (example values in prod)
    assert "AwsSolutions" in [plugin["pluginName"] for plugin in report["pluginReports"]]


def test_an_unacknowledged_finding_fails_the_check(tmp_path):
    app = cdk.App(outdir=str(tmp_path), analytics_reporting=False)
    stack = cdk.Stack(app, "Probe")  # top level, as the app builds it
    secretsmanager.Secret(stack, "NeverRotated")
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks())
    # Outside the CLI, synth itself raises; under the CLI it writes the report app.py reads.
    try:
        findings = unacknowledged_findings(app.synth().directory)
    except RuntimeError as error:
        findings = str(error).splitlines()
    assert any("AwsSolutions-SMG4" in line for line in findings)


def test_every_acknowledgement_carries_a_reviewable_reason():
    for rule, reason in ACKNOWLEDGEMENTS.items():
        assert rule.startswith("AwsSolutions::AwsSolutions-")
        assert len(reason.split()) >= 15, rule

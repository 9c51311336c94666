#!/usr/bin/env python3
"""The CDK app: the stack of the environment named by ``-c env=NAME`` (default ``dev``)."""

import sys

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.bundling import BundlingError, bundle_note, require_reproducible_bundles
from stacks.config import ConfigError, refuse_near_misses, select_environment
from stacks.nag import unacknowledged_findings
from stacks.passwordless_stack import PasswordlessStack


def main() -> None:
    app = cdk.App()
    try:
        refuse_near_misses(app.node.get_all_context())
    except ConfigError as error:
        sys.exit(str(error))
    try:
        config = select_environment(app.node.try_get_context)
    except ConfigError as error:
        sys.exit(f"cdk.json: {error}")
    try:
        require_reproducible_bundles(config.name)
        PasswordlessStack(app, config=config)
    except BundlingError as error:
        sys.exit(f"bundling: {error}")
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks())
    note = bundle_note()
    if note:
        print(note, file=sys.stderr)
    try:
        findings = unacknowledged_findings(app.synth().directory)
    except RuntimeError as error:  # outside the CLI, CDK raises on a failed validation itself
        if "ValidationFailed" not in str(error):
            raise
        findings = [str(error)]
    if findings:
        sys.exit("cdk-nag found problems:\n" + "\n".join(findings))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The CDK app: the stack of the environment named by ``-c env=NAME`` (default ``dev``), or with
``-c ci=github`` only the stack of CI roles (stacks/github_ci.py)."""

import sys

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.bundling import BundlingError, bundle_note, require_reproducible_bundles
from stacks.config import ConfigError, refuse_near_misses, select_environment
from stacks.github_ci import CONTEXT_KEYS as CI_CONTEXT_KEYS
from stacks.github_ci import GitHubCiStack, select_github_ci
from stacks.nag import unacknowledged_findings
from stacks.passwordless_stack import PasswordlessStack


def main(app: cdk.App | None = None) -> None:
    """Build and synthesize; tests pass an ``app`` with their own context and output directory."""
    app = app or cdk.App()
    try:
        refuse_near_misses(app.node.get_all_context(), also_known=CI_CONTEXT_KEYS)
    except ConfigError as error:
        sys.exit(str(error))
    try:
        ci = select_github_ci(app.node.try_get_context)
        config = None if ci else select_environment(app.node.try_get_context)
    except ConfigError as error:
        sys.exit(f"cdk.json: {error}")
    if ci:
        GitHubCiStack(app, config=ci)
    elif config:
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

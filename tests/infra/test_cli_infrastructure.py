"""The CDK CLI's plain commands see each environment's stack: no stack pattern is needed, so a
plain ``cdk diff -c env=staging`` can never report "0 stacks" and mean "nothing will change"."""

import os
import subprocess

from stacks.config import stack_name
from tests.infra.conftest import ROOT


def test_the_cli_lists_every_environment_stack_at_the_top_level(synthesized):
    result = subprocess.run(
        ["npx", "--no-install", "cdk", "list", "--app", str(synthesized.directory)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CDK_DISABLE_VERSION_CHECK": "true"},
    )

    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.split()) == sorted(stack_name(name) for name in synthesized.configs)

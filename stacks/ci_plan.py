"""Which environments a GitHub Actions run deploys (or diffs), read from ``cdk.json``: adding an
environment there is the only edit the workflows need.

``python -m stacks.ci_plan EVENT [--environment NAME]`` prints two lines for ``$GITHUB_OUTPUT``:
``environments=dev staging`` (what the plan job synthesizes) and ``matrix=[...]`` (one entry per
environment: ``name``, ``region``, ``role_variable``), in ``cdk.json``'s order.

* ``push`` (to main): every environment that is not ``production``;
* ``release``: every ``production`` environment;
* ``workflow_dispatch``: the one named with ``--environment``;
* ``pull_request``: every environment, to diff (with the one diff role, ``AWS_DIFF_ROLE_ARN``).

Local emulator environments are never planned. ``region`` is the environment's own (empty when
it has none: the workflow then uses the repository variable ``AWS_REGION``). A deploy's role is
the repository variable ``AWS_DEPLOY_ROLE_ARN_<NAME>`` (upper case, ``-`` as ``_``), the name the
CI roles stack's outputs give; an environment whose variable is not set (the JSON of the
repository variables comes in ``VARS``) is left out, so its deploy is skipped, not failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stacks.cdk_json import CDK_JSON, CdkJsonError, load
from stacks.config import ENVIRONMENTS_KEY, ConfigError, EnvironmentConfig, parse_environment

EVENTS = ("push", "release", "workflow_dispatch", "pull_request")
DIFF_ROLE_VARIABLE = "AWS_DIFF_ROLE_ARN"


def deploy_role_variable(environment: str) -> str:
    """The repository variable holding ``environment``'s deploy role (stacks/github_ci.py's output)."""
    return f"AWS_DEPLOY_ROLE_ARN_{environment.upper().replace('-', '_')}"


def plan(
    environments: Mapping[str, Any], event: str, chosen: str | None, variables: Mapping[str, str]
) -> list[dict[str, str]]:
    """The matrix of ``event``: one entry per environment to deploy (or diff), in order."""
    if event not in EVENTS:
        raise ConfigError(f"event must be one of {', '.join(EVENTS)}, got {event!r}")
    configs = [parse_environment(name, raw) for name, raw in environments.items()]
    deployable = [config for config in configs if not config.local_emulator]
    if event == "workflow_dispatch":
        names = [config.name for config in deployable]
        if chosen not in names:
            raise ConfigError(f"environment must be one of {', '.join(names)} (cdk.json), got {chosen!r}")
        targets = [config for config in deployable if config.name == chosen]
    elif event == "push":
        targets = [config for config in deployable if not config.production]
    elif event == "release":
        targets = [config for config in deployable if config.production]
    else:
        return [_entry(config, DIFF_ROLE_VARIABLE) for config in deployable]
    return [
        _entry(config, deploy_role_variable(config.name))
        for config in targets
        if variables.get(deploy_role_variable(config.name))
    ]


def _entry(config: EnvironmentConfig, role_variable: str) -> dict[str, str]:
    return {"name": config.name, "region": config.region or "", "role_variable": role_variable}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stacks.ci_plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("event", help=f"the GitHub event: {', '.join(EVENTS)}")
    parser.add_argument("--environment", help="the environment a workflow_dispatch run chose")
    parser.add_argument("--cdk-json", type=Path, default=CDK_JSON, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    try:
        variables = json.loads(os.environ.get("VARS") or "{}")
        environments = load(arguments.cdk_json)["context"][ENVIRONMENTS_KEY]
        matrix = plan(environments, arguments.event, arguments.environment or None, variables)
    except (CdkJsonError, ConfigError, KeyError, TypeError, ValueError) as error:
        print(f"ci_plan: {error}", file=sys.stderr)
        return 1
    print("environments=" + " ".join(entry["name"] for entry in matrix))
    print("matrix=" + json.dumps(matrix, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())

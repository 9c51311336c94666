"""Shared by every test: the repository root on sys.path, and the session's one synth.

The synth builds every environment in cdk.json, plus one variant that brings its own secret,
in a single app with cdk-nag attached, exactly as app.py builds each: the infrastructure tests
read its templates and the end-to-end tests deploy its local stack. That one's Authsignal URL is
given as with ``-c authsignalUrl=...``: a free port, so that test runs side by side never collide.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stacks.cdk_json import load as load_cdk_json  # noqa: E402 - after the path is set

CONTEXT = load_cdk_json(ROOT / "cdk.json")["context"]
EXISTING_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:authsignal/prod-AbCdEf"


@dataclass(frozen=True)
class Synthesized:
    assembly: Any  # aws_cdk.cx_api.CloudAssembly
    configs: dict[str, Any]  # name -> stacks.config.EnvironmentConfig
    templates: dict[str, dict[str, Any]]


@pytest.fixture(scope="session")
def local_authsignal_url() -> str:
    """Where the local stack's Lambdas find the fake Authsignal (which the e2e tests start there)."""
    from e2e.emulator import HOST, free_port

    return f"http://{HOST}:{free_port()}/v1"


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory, local_authsignal_url: str) -> Synthesized:
    import aws_cdk as cdk
    from cdk_nag import AwsSolutionsChecks

    from stacks.config import AUTHSIGNAL_URL_OVERRIDE_KEY, parse_environment, select_environment
    from stacks.passwordless_stack import PasswordlessStack

    configs = {name: parse_environment(name, raw) for name, raw in CONTEXT["environments"].items()}
    configs["local"] = select_environment({**CONTEXT, "env": "local",
                                           AUTHSIGNAL_URL_OVERRIDE_KEY: local_authsignal_url}.get)
    configs["byosecret"] = replace(configs["dev"], name="byosecret", authsignal_secret_arn=EXISTING_SECRET_ARN)
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("cdk.out")), analytics_reporting=False, context=CONTEXT)
    stacks = {name: PasswordlessStack(app, config=config) for name, config in configs.items()}
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks())
    assembly = app.synth()
    templates = {
        name: json.loads(Path(assembly.directory, stack.template_file).read_text())
        for name, stack in stacks.items()
    }
    return Synthesized(assembly=assembly, configs=configs, templates=templates)


# Under ``-n`` (pytest-xdist; scripts/test uses 2 workers) the suite splits in two groups, one per
# worker, each keeping its costly session fixture to itself: the end-to-end tests (one sandbox:
# emulator, bootstrap, deploy, and the emulator's own processes), and the infrastructure tests (one
# synth) with the runtime tests. Measured on 2 idle cores: 63-65 s, against 75 s in one process.
_WORKER_GROUPS = {"e2e": "sandbox", "lambdas": "synth", "infra": "synth"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = item.path.relative_to(ROOT).parts
        if len(parts) > 2 and parts[0] == "tests" and parts[1] in _WORKER_GROUPS:
            item.add_marker(pytest.mark.xdist_group(_WORKER_GROUPS[parts[1]]))

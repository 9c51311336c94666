"""Views of the session's one synth (tests/conftest.py) for the infrastructure tests."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from stacks.config import EnvironmentConfig
from tests.conftest import CONTEXT, EXISTING_SECRET_ARN, ROOT, Synthesized  # noqa: F401 - re-exported

_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")


def run_app(context: dict[str, Any], outdir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``python app.py`` as the CDK CLI runs it, with ``context`` (as ``-c`` would give it), its
    assembly in ``outdir`` and ``env`` added to the environment."""
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "CDK_CONTEXT_JSON": json.dumps(context),
            "CDK_OUTDIR": str(outdir),
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
            **env,
        },
    )


@pytest.fixture(scope="session")
def templates(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    return synthesized.templates


@pytest.fixture(scope="session")
def configs(synthesized: Synthesized) -> dict[str, EnvironmentConfig]:
    return synthesized.configs


@pytest.fixture(scope="session")
def template(templates: dict[str, dict[str, Any]]):
    """``template("prod")``: the CDK assertions view of one environment's template."""
    cache: dict[str, Template] = {}

    def get(name: str) -> Template:
        if name not in cache:
            cache[name] = Template.from_json(templates[name])
        return cache[name]

    return get


def resources(template_json: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """The template's resources of one CloudFormation type, by logical id."""
    return {key: value for key, value in template_json["Resources"].items() if value["Type"] == kind}


def functions_by_handler(template_json: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each Lambda function by its handler (``triggers.pre_sign_up.handler``, ...): its logical id
    and its resource."""
    return {
        resource["Properties"]["Handler"]: (logical_id, resource)
        for logical_id, resource in resources(template_json, "AWS::Lambda::Function").items()
    }


def normalised(template_json: dict[str, Any]) -> dict[str, Any]:
    """The template with asset hashes replaced, so a snapshot changes only with infrastructure."""
    return json.loads(_ASSET_HASH.sub("<asset-hash>", json.dumps(template_json)))

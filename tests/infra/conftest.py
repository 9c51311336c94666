"""One synth per test session: every environment in cdk.json, plus one variant that brings
its own secret, in a single app with cdk-nag attached, exactly as app.py builds it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from stacks.config import EnvironmentConfig, parse_environment
from stacks.stage import PasswordlessStage

ROOT = Path(__file__).resolve().parents[2]
CONTEXT = json.loads((ROOT / "cdk.json").read_text())["context"]
EXISTING_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:authsignal/prod-AbCdEf"
_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")


@dataclass(frozen=True)
class Synthesized:
    assembly: cdk.cx_api.CloudAssembly
    configs: dict[str, EnvironmentConfig]
    templates: dict[str, dict[str, Any]]


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    configs = {name: parse_environment(name, raw) for name, raw in CONTEXT["environments"].items()}
    configs["byosecret"] = replace(configs["dev"], name="byosecret", authsignal_secret_arn=EXISTING_SECRET_ARN)
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("cdk.out")), analytics_reporting=False, context=CONTEXT)
    stages = {name: PasswordlessStage(app, config=config) for name, config in configs.items()}
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks())
    assembly = app.synth()
    templates = {
        name: json.loads(Path(assembly.directory, f"assembly-{name}", f"{stage.stack.artifact_id}.template.json")
                         .read_text())
        for name, stage in stages.items()
    }
    return Synthesized(assembly=assembly, configs=configs, templates=templates)


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


def resources(template_json: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """The template's resources of one CloudFormation type, by logical id."""
    return {key: value for key, value in template_json["Resources"].items() if value["Type"] == kind}


def normalised(template_json: dict[str, Any]) -> dict[str, Any]:
    """The template with asset hashes replaced, so a snapshot changes only with infrastructure."""
    return json.loads(_ASSET_HASH.sub("<asset-hash>", json.dumps(template_json)))

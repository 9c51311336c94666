"""A team's own cdk.json: an added environment and changed values synthesize, and the stacks follow
the changed values, so such an edit needs only the snapshots updated (never a test)."""

from __future__ import annotations

import copy
import json
from typing import Any

from stacks.config import parse_environment, stack_name
from tests.conftest import CONTEXT, synthesize
from tests.infra.conftest import functions_by_handler, resources


def edited_context() -> dict[str, Any]:
    """cdk.json's context as a team would edit it: a ``qa`` environment copied from the first
    non-production one with other values, and production's tokens and sign-in rate changed."""
    context = copy.deepcopy(CONTEXT)
    environments = context["environments"]
    production = next(name for name, raw in environments.items() if raw.get("production"))
    template = next(raw for raw in environments.values() if not raw.get("production") and not raw.get("localEmulator"))
    environments["qa"] = {
        **template,
        "attemptLimit": 5,
        "logRetentionDays": 14,
        "corsOrigins": ["https://qa.acme.io"],
        "signInRequestsPer5MinutesPerIp": 150,
        "alarmsEnabled": True,
    }
    environments[production] = {
        **environments[production],
        "accessTokenValidityMinutes": 10,
        "idTokenValidityMinutes": 10,
        "signInRequestsPer5MinutesPerIp": 150,
    }
    return context


def test_cdk_json_with_an_added_environment_and_changed_values_synthesizes(tmp_path):
    context = edited_context()
    production = next(name for name, raw in context["environments"].items() if raw.get("production"))
    configs = {name: parse_environment(name, context["environments"][name]) for name in ("qa", production)}

    synthesize(configs, tmp_path, context=context)

    for name, config in configs.items():
        template = json.loads((tmp_path / f"{stack_name(name)}.template.json").read_text())
        (client,) = resources(template, "AWS::Cognito::UserPoolClient").values()
        assert (client["Properties"]["AccessTokenValidity"], client["Properties"]["IdTokenValidity"]) == (
            config.access_token_validity_minutes,
            config.id_token_validity_minutes,
        )
        (acl,) = resources(template, "AWS::WAFv2::WebACL").values()
        [limit] = [
            rule["Statement"]["RateBasedStatement"]["Limit"]
            for rule in acl["Properties"]["Rules"]
            if "RateBasedStatement" in rule["Statement"]
        ]
        assert limit == 150
        _, custom_auth = functions_by_handler(template)["triggers.custom_auth.handler"]
        variables = custom_auth["Properties"]["Environment"]["Variables"]
        assert variables["ATTEMPT_LIMIT"] == str(config.attempt_limit)

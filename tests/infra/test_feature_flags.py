"""cdk.json sets every feature flag the installed aws-cdk-lib recommends, as ``cdk init`` would,
so an upgrade of aws-cdk-lib that brings new flags fails here until they are set and reviewed."""

from __future__ import annotations

import json
import tarfile
from importlib import resources
from typing import Any

import pytest

from tests.conftest import CONTEXT

# Flags deliberately left off their recommended value, each with the reason. Empty: every
# recommended flag is taken. An entry here must say why the recommended value cannot be.
NOT_TAKEN: dict[str, str] = {}


def recommended_flags() -> dict[str, Any]:
    """The recommended flags shipped inside the installed aws-cdk-lib (read offline from its jsii bundle)."""
    (bundle,) = [entry for entry in resources.files("aws_cdk._jsii").iterdir() if entry.name.endswith(".jsii.tgz")]
    with tarfile.open(str(bundle)) as archive:
        member = archive.extractfile("package/recommended-feature-flags.json")
        assert member is not None
        return json.load(member)


@pytest.fixture(scope="module")
def recommended() -> dict[str, Any]:
    return recommended_flags()


def test_the_library_ships_a_recommended_flag_list(recommended):
    assert len(recommended) > 50
    assert recommended["@aws-cdk/aws-lambda:useCdkManagedLogGroup"] is True


def test_cdk_json_sets_every_recommended_flag_to_its_recommended_value(recommended):
    wrong = {
        flag: (CONTEXT.get(flag, "<unset>"), value)
        for flag, value in recommended.items()
        if flag not in NOT_TAKEN and CONTEXT.get(flag, "<unset>") != value
    }
    assert wrong == {}, "cdk.json context (set, recommended): " + json.dumps(wrong)


def test_every_flag_not_taken_is_still_recommended_and_says_why(recommended):
    for flag, reason in NOT_TAKEN.items():
        assert flag in recommended, f"{flag} is no longer a recommended flag: drop it from NOT_TAKEN"
        assert len(reason.split()) >= 10, flag

"""Whole templates, reviewed when they change. Asset hashes are normalised, so a snapshot
changes when the infrastructure does, not when a Lambda's code does."""

import pytest

from tests.infra.conftest import normalised


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_template_matches_the_reviewed_snapshot(templates, snapshot, environment):
    assert normalised(templates[environment]) == snapshot


def test_normalising_replaces_asset_hashes_only():
    template = {"Code": {"S3Key": "a" * 64 + ".zip"}, "Name": "b" * 63}
    assert normalised(template) == {"Code": {"S3Key": "<asset-hash>.zip"}, "Name": "b" * 63}

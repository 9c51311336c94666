"""The cold-start settings of an environment (memory per function, SnapStart, provisioned
concurrency) stop synth with one line naming the key and what it allows."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import LAMBDA_MEMORY_DEFAULTS_MB, ConfigError, parse_environment
from tests.conftest import CONTEXT

VALID = CONTEXT["environments"]["dev"]


def _with(**settings: Any) -> dict[str, Any]:
    return {**VALID, **settings}


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("lambdaMemoryMb", 1024, "an object of memory sizes in MB by function"),
        ("lambdaMemoryMb", {"customAuth": 511}, "a whole number from 512 to 10240"),
        ("lambdaMemoryMb", {"api": 10_241}, "a whole number from 512 to 10240"),
        ("lambdaMemoryMb", {"preSignUp": "512"}, "a whole number from 512 to 10240"),
        ("lambdaMemoryMb", {"preSignUp": True}, "a whole number from 512 to 10240"),
        ("lambdaMemoryMb", {"verify": 512}, "is not a function; allowed: customAuth, api, preSignUp"),
        ("snapStart", "yes", "true or false"),
        ("provisionedConcurrency", -1, "a whole number from 0 to 1000"),
        ("provisionedConcurrency", 1001, "a whole number from 0 to 1000"),
    ],
)
def test_a_bad_cold_start_setting_names_the_key_and_what_is_allowed(key: str, value: Any, allowed: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_environment("dev", _with(**{key: value}))

    assert f"environments.dev.{key}" in str(error.value)
    assert allowed in str(error.value)


def test_memory_set_for_one_function_leaves_the_others_at_their_defaults() -> None:
    config = parse_environment("dev", _with(lambdaMemoryMb={"customAuth": 2048}))

    assert config.lambda_memory_mb == {**LAMBDA_MEMORY_DEFAULTS_MB, "customAuth": 2048}


def test_memory_goes_from_what_the_timeouts_need_to_lambdas_largest() -> None:
    sizes = {"customAuth": 512, "api": 10_240, "preSignUp": 512}

    assert parse_environment("dev", _with(lambdaMemoryMb=sizes)).lambda_memory_mb == sizes


def test_snapstart_and_provisioned_concurrency_are_refused_together() -> None:
    with pytest.raises(ConfigError, match=r"environments.dev.provisionedConcurrency must be 0 when snapStart is true"):
        parse_environment("dev", _with(snapStart=True, provisionedConcurrency=2))


def test_provisioned_concurrency_above_the_reserved_concurrency_is_refused() -> None:
    with pytest.raises(
        ConfigError,
        match=r"environments.dev.provisionedConcurrency must be at most "
        r"triggerReservedConcurrency \(5\), got 6",
    ):
        parse_environment("dev", _with(triggerReservedConcurrency=5, provisionedConcurrency=6))


def test_each_cold_start_setting_is_off_or_default_when_absent() -> None:
    config = parse_environment(
        "dev",
        {
            key: value
            for key, value in VALID.items()
            if key not in ("lambdaMemoryMb", "snapStart", "provisionedConcurrency")
        },
    )

    assert (config.lambda_memory_mb, config.snap_start, config.provisioned_concurrency) == (
        LAMBDA_MEMORY_DEFAULTS_MB,
        False,
        0,
    )

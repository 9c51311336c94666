"""Shared by every test: the repository root on sys.path, the session's one synth, and how
pytest-xdist shares the work between its workers (scripts/test runs two).

The synth builds every environment in cdk.json, plus one variant that brings its own secret (and
sets an Authsignal tenant id and turns email magic links on), in a single app with cdk-nag
attached, exactly as app.py builds each: the infrastructure tests read its templates and the
end-to-end tests deploy its local stack. That one's Authsignal URL and app origin are given as
with ``-c authsignalUrl=... -c appOrigin=...``: free ports, so that test runs side by side never
collide. Under scripts/test both are made once per run, by whichever worker asks first; the
other reads what it wrote.
"""

from __future__ import annotations

import fcntl
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stacks.cdk_json import load as load_cdk_json  # noqa: E402 - after the path is set
from stacks.config import stack_name  # noqa: E402

CONTEXT = load_cdk_json(ROOT / "cdk.json")["context"]
EXISTING_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:authsignal/prod-AbCdEf"
EXAMPLE_TENANT_ID = "3f2b8c1e-9a4d-4e7f-8b6a-1c2d3e4f5a6b"  # not a real tenant
# A variant of dev with SnapStart, and memory sizes no environment ships.
SNAPSTART_MEMORY_MB = {"customAuth": 1536, "api": 1792, "preSignUp": 768}


@dataclass(frozen=True)
class Synthesized:
    directory: Path  # the cloud assembly (cdk.out)
    configs: dict[str, Any]  # name -> stacks.config.EnvironmentConfig
    templates: dict[str, dict[str, Any]]

    @cached_property
    def assembly(self) -> Any:  # aws_cdk.cx_api.CloudAssembly, loaded only by the tests that read it
        from aws_cdk import cx_api

        return cx_api.CloudAssembly(str(self.directory))


def shared_directory(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where this process keeps what it makes once: the run's own temporary directory, shared by
    the workers of scripts/test's scheduler (below), else this process's own. Under any other
    xdist mode the end-to-end tests may be split, and each part needs its own fake Authsignal
    port, so its own synth."""
    base = tmp_path_factory.getbasetemp()
    worker = getattr(config, "workerinput", {}).get("workerid")
    if worker and getattr(config.option, "loadgroup", False) and base.name == f"popen-{worker}":
        return base.parent  # the run's directory, which the controller made for this run alone
    return base


def made_once(request: pytest.FixtureRequest, name: str, make: Callable[[Path], None]) -> Path:
    """The directory ``name`` that ``make`` filled exactly once in this test run: when the
    workers share it, the first to ask makes it while the others wait on a file lock, then read it."""
    base = shared_directory(request.config, request.getfixturevalue("tmp_path_factory"))
    made, done = base / name, base / f"{name}.done"
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            made.mkdir(exist_ok=True)
            make(made)
            done.touch()
    return made


@pytest.fixture(scope="session")
def local_authsignal_url(request: pytest.FixtureRequest) -> str:
    """Where the local stack's Lambdas find the fake Authsignal (which the e2e tests start there)."""
    from e2e.emulator import HOST, free_port

    def choose(directory: Path) -> None:
        (directory / "url").write_text(f"http://{HOST}:{free_port()}/v1")

    return (made_once(request, "local-authsignal", choose) / "url").read_text()


@pytest.fixture(scope="session")
def local_app_origin(request: pytest.FixtureRequest) -> str:
    """Where the e2e sandbox serves the web app (a free port), given to synth as ``-c appOrigin``."""
    from e2e.app_server import APP_HOST
    from e2e.emulator import free_port

    def choose(directory: Path) -> None:
        (directory / "origin").write_text(f"http://{APP_HOST}:{free_port()}")

    return (made_once(request, "local-app", choose) / "origin").read_text()


@pytest.fixture(scope="session")
def synthesized(request: pytest.FixtureRequest, local_authsignal_url: str, local_app_origin: str) -> Synthesized:
    from stacks.config import (
        APP_ORIGIN_OVERRIDE_KEY,
        AUTHSIGNAL_URL_OVERRIDE_KEY,
        parse_environment,
        select_environment,
    )

    configs = {name: parse_environment(name, raw) for name, raw in CONTEXT["environments"].items()}
    configs["local"] = select_environment(
        {
            **CONTEXT,
            "env": "local",
            AUTHSIGNAL_URL_OVERRIDE_KEY: local_authsignal_url,
            APP_ORIGIN_OVERRIDE_KEY: local_app_origin,
        }.get
    )
    # A team's own settings, made outside cdk.json: its existing secret and its tenant id; and
    # what is off by default turned on (magic links).
    configs["byosecret"] = replace(
        configs["dev"],
        name="byosecret",
        authsignal_secret_arn=EXISTING_SECRET_ARN,
        authsignal_tenant_id=EXAMPLE_TENANT_ID,
        email_magic_link_enabled=True,
    )
    configs["snapstart"] = replace(
        configs["dev"], name="snapstart", snap_start=True, lambda_memory_mb=SNAPSTART_MEMORY_MB
    )
    directory = made_once(request, "cdk.out", lambda outdir: synthesize(configs, outdir))
    artifacts = json.loads((directory / "manifest.json").read_text())["artifacts"]
    templates = {
        name: json.loads((directory / artifacts[stack_name(name)]["properties"]["templateFile"]).read_text())
        for name in configs
    }
    return Synthesized(directory=directory, configs=configs, templates=templates)


def synthesize(configs: dict[str, Any], outdir: Path, context: dict[str, Any] = CONTEXT) -> None:
    """One app with a stack per config, cdk-nag attached, as app.py builds each, written to ``outdir``."""
    import aws_cdk as cdk
    from cdk_nag import AwsSolutionsChecks

    from stacks.passwordless_stack import PasswordlessStack

    app = cdk.App(outdir=str(outdir), analytics_reporting=False, context=context)
    for config in configs.values():
        PasswordlessStack(app, config=config)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks())
    app.synth()


# Where the end-to-end run spends its time (seconds from the sandbox's start, tests/e2e/conftest.py),
# printed at the end of the run; under xdist it comes from the worker that ran them.
SANDBOX_TIMINGS: dict[str, float] = {}


def pytest_sessionfinish(session: pytest.Session) -> None:
    if SANDBOX_TIMINGS and hasattr(session.config, "workeroutput"):
        session.config.workeroutput["sandbox_timings"] = SANDBOX_TIMINGS


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    SANDBOX_TIMINGS.update(getattr(node, "workeroutput", {}).get("sandbox_timings", {}))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SANDBOX_TIMINGS:
        terminalreporter.write_line(
            "e2e sandbox, done after: "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in SANDBOX_TIMINGS.items())
        )


# How scripts/test's two workers (pytest-xdist, ``--dist loadgroup``) share the tests: the
# end-to-end tests stay together on one worker, because they share one sandbox (emulator,
# bootstrap, deploy); every other test module goes to whichever worker is free. The two longest
# units go out first, so that the short ones fill the end. (xdist 3.8's own ``xdist_group`` marks
# cannot do it under pytest 9.2: xdist renames each test's ``_nodeid``, which pytest 9.2 no longer
# reads.)
SANDBOX = "tests/e2e"
LONGEST_FIRST = (SANDBOX, "tests/infra/test_benchmark_report.py")


def sharing_scope(nodeid: str) -> str:
    """The unit of work a test goes out in: the end-to-end package, or its own module."""
    return SANDBOX if nodeid.startswith(SANDBOX + "/") else nodeid.split("::", 1)[0]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class LongestFirst(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return sharing_scope(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            for scope in reversed(LONGEST_FIRST):
                if scope in self.workqueue:
                    self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)

    return LongestFirst(config, log)

"""Write the web app's ``config.json`` for an environment, from the deployed stack's outputs.

    scripts/web-config ENV [--region REGION] [--out PATH]      (a real environment, via CloudFormation)
    scripts/web-config --sandbox [--state PATH] [--out PATH]   (the running sandbox's state file)

The app reads ``config.json`` next to its ``index.html`` (default path: web/public/config.json,
which the build copies into web/dist). Only the public settings a browser needs are written,
picked by name from an allowlist: the client id, region and API URL, the Authsignal tenant id and
client API URL, and the attempt limit. A real environment's calls use your default AWS
credentials (``AWS_PROFILE``, ``AWS_REGION``, ...).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ops.stack_outputs import stack_outputs as read_outputs
from stacks.config import stack_name

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "web" / "public" / "config.json"
STATE_VERSION = 1

# config.json key -> the stack output it comes from. Nothing else ever reaches the browser.
FROM_OUTPUTS = {
    "userPoolClientId": "UserPoolClientId",
    "apiUrl": "ApiUrl",
    "authsignalTenantId": "AuthsignalTenantId",
    "authsignalClientUrl": "AuthsignalClientUrl",
    "attemptLimit": "AttemptLimit",
}
# Every key config.json may hold: the above, the region, and the local emulator's endpoint.
ALLOWED_KEYS = frozenset({*FROM_OUTPUTS, "region", "cognitoEndpoint"})


class WebConfigError(Exception):
    """No config was written; the message says what is missing and what to do."""


def config_from_outputs(outputs: dict[str, str], region: str) -> dict[str, Any]:
    """The app's config from a stack's outputs (output name -> value) in ``region``."""
    missing = [output for output in FROM_OUTPUTS.values() if not outputs.get(output)]
    if missing:
        hint = (
            " (set authsignalTenantId for this environment in cdk.json and deploy)"
            if "AuthsignalTenantId" in missing
            else " (deploy the stack with this version first)"
        )
        raise WebConfigError(f"the stack has no {', '.join(missing)} output{hint}")
    config: dict[str, Any] = {key: outputs[output] for key, output in FROM_OUTPUTS.items()}
    try:
        config["attemptLimit"] = int(config["attemptLimit"])
    except ValueError:
        raise WebConfigError(f"the stack's AttemptLimit output is not a number: {config['attemptLimit']!r}") from None
    config["region"] = region
    return config


def config_from_state(state: dict[str, Any]) -> dict[str, Any]:
    """The app's config for the running sandbox, from its state file's content: the local
    stack's outputs, with the fake Authsignal's tenant and client API and the emulator's endpoint."""
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        raise WebConfigError(f"the sandbox state is not version {STATE_VERSION}: restart scripts/sandbox")
    try:
        outputs = {
            **state["outputs"],
            "AuthsignalTenantId": state["authsignalTenantId"],
            "AuthsignalClientUrl": state["authsignalClientUrl"],
        }
        config = config_from_outputs(outputs, state["region"])
        config["cognitoEndpoint"] = state["endpoint"]
    except (KeyError, TypeError) as missing:
        raise WebConfigError(f"the sandbox state has no {missing}: restart scripts/sandbox") from None
    return config


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    """A deployed stack's outputs, output name -> value."""
    return read_outputs(cloudformation, stack, WebConfigError)


def write(config: dict[str, Any], out: Path) -> None:
    """Write ``config`` to ``out``, refusing any key outside the allowlist."""
    extra = sorted(set(config) - ALLOWED_KEYS)
    if extra:
        raise WebConfigError(f"refusing to write {', '.join(extra)}: not a public setting of the app")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/web-config",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("environment", metavar="ENV", nargs="?", help="the environment in cdk.json, e.g. staging")
    parser.add_argument("--sandbox", action="store_true", help="read the running sandbox's state file instead")
    parser.add_argument(
        "--state",
        type=Path,
        help="the sandbox's state file (default: .sandbox/state.json, or $PASSWORDLESS_SANDBOX_STATE)",
    )
    parser.add_argument("--region", help="the stack's AWS region (default: your AWS configuration's)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write (default: %(default)s)")
    options = parser.parse_args(argv)
    if bool(options.sandbox) == bool(options.environment):
        parser.error("give either ENV or --sandbox")
    try:
        if options.sandbox:
            from e2e.sandbox_state import SandboxStateError, read_state

            try:
                state = read_state(options.state)
            except SandboxStateError as error:
                raise WebConfigError(str(error)) from None
            config = config_from_state(state)
        else:
            import boto3
            from botocore.exceptions import BotoCoreError

            session = boto3.session.Session(region_name=options.region)
            try:
                outputs = stack_outputs(session.client("cloudformation"), stack_name(options.environment))
            except BotoCoreError as error:
                raise WebConfigError(f"could not read the stack: {error}") from None
            config = config_from_outputs(outputs, outputs.get("Region") or session.region_name or "")
        write(config, options.out)
    except WebConfigError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"wrote {options.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The web app's configuration (``config.json``), from a deployed stack's outputs or from a
running sandbox's state file: nothing in it is secret, all of it reaches the browser."""

from __future__ import annotations

from typing import Any


def config_from_outputs(outputs: dict[str, str], region: str) -> dict[str, Any]:
    """The app's config from the stack's outputs (real AWS: no Cognito endpoint of its own)."""
    return {"region": region, "userPoolClientId": outputs.get("UserPoolClientId"), "apiUrl": outputs.get("ApiUrl"),
            "authsignalTenantId": outputs.get("AuthsignalTenantId"),
            "authsignalClientUrl": outputs.get("AuthsignalClientUrl")}


def config_from_state(state: dict[str, Any]) -> dict[str, Any]:
    """The app's config for a sandbox: its stack's outputs, its fake Authsignal (URL and tenant,
    which only the sandbox knows) and its emulator as the Cognito endpoint."""
    return config_from_outputs(state["outputs"], state["region"]) | {
        "authsignalTenantId": state["authsignalTenantId"], "authsignalClientUrl": state["authsignalClientUrl"],
        "cognitoEndpoint": state["endpoint"]}

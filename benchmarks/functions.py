"""The deployed functions and the handlers they serve, by the names the figures use.

``FUNCTIONS``: what synth deploys, with its handler module and whether its bundle carries the
Authsignal SDK (and so the secret); ``build.check_deployed`` compares it with what synth
deploys, so the benchmark cannot measure something else. ``HANDLERS``: each trigger or route,
the module that implements it, the function that serves it, whether importing that module loads
the SDK (define's does not, though its function's bundle carries it), and whether it is a
function's handler module, whose import is Lambda's init (``shared/init_phase.py``: the SDK,
botocore, the clients and the key).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Function:
    module: str
    sdk: bool

    @property
    def handler(self) -> str:
        return f"{self.module}.handler"


@dataclass(frozen=True)
class Handler:
    module: str
    function: str
    imports_sdk: bool
    init: bool = False


FUNCTIONS: dict[str, Function] = {
    "pre_sign_up": Function("triggers.pre_sign_up", sdk=False),
    "custom_auth": Function("triggers.custom_auth", sdk=True),
    "authenticators": Function("api.authenticators", sdk=True),
}
HANDLERS: dict[str, Handler] = {
    "pre_sign_up": Handler("triggers.pre_sign_up", "pre_sign_up", imports_sdk=False),
    "custom_auth": Handler("triggers.custom_auth", "custom_auth", imports_sdk=True, init=True),
    "define_auth_challenge": Handler("triggers.define_auth_challenge", "custom_auth", imports_sdk=False),
    "create_auth_challenge": Handler("triggers.create_auth_challenge", "custom_auth", imports_sdk=True),
    "verify_auth_challenge": Handler("triggers.verify_auth_challenge", "custom_auth", imports_sdk=True),
    "authenticators": Handler("api.authenticators", "authenticators", imports_sdk=True, init=True),
}
SDK_FUNCTIONS = [name for name, function in FUNCTIONS.items() if function.sdk]
SDK_HANDLERS = [name for name, handler in HANDLERS.items() if handler.imports_sdk and not handler.init]
INIT_HANDLERS = [name for name, handler in HANDLERS.items() if handler.init]
LIGHT_HANDLERS = [name for name, handler in HANDLERS.items() if not handler.imports_sdk]
# What Cognito invokes, each served by its function's handler (custom_auth for the three triggers).
INVOKED = [name for name in HANDLERS if name != "custom_auth"]

"""The deployed functions, by the name the figures use: their handler module and whether their
bundle carries the Authsignal SDK (and so the secret). ``build.check_deployed`` compares this
with what synth deploys, so the benchmark cannot measure something else."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Function:
    module: str
    sdk: bool

    @property
    def handler(self) -> str:
        return f"{self.module}.handler"


FUNCTIONS: dict[str, Function] = {
    "pre_sign_up": Function("triggers.pre_sign_up", sdk=False),
    "define_auth_challenge": Function("triggers.define_auth_challenge", sdk=False),
    "create_auth_challenge": Function("triggers.create_auth_challenge", sdk=True),
    "verify_auth_challenge": Function("triggers.verify_auth_challenge", sdk=True),
    "authenticators": Function("api.authenticators", sdk=True),
}
SDK_FUNCTIONS = [name for name, function in FUNCTIONS.items() if function.sdk]
PLAIN_FUNCTIONS = [name for name, function in FUNCTIONS.items() if not function.sdk]

"""``cdk.json`` read with its mistakes located: line and column of invalid JSON.

The CDK CLI stops on a broken ``cdk.json`` before ``app.py`` runs, saying only "Unexpected
token"; ``scripts/setup`` (which every script runs first) checks the file with this module, so
the mistake is named where it is: ``python -m stacks.cdk_json`` prints
``cdk.json: line L column C: ...`` and exits 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


class CdkJsonError(Exception):
    """``cdk.json`` is missing or not valid JSON; the message names the line and column."""


def load(path: Path = CDK_JSON) -> dict[str, Any]:
    """The parsed ``cdk.json``."""
    try:
        parsed: dict[str, Any] = json.loads(path.read_text())
    except OSError as error:
        raise CdkJsonError(f"{path.name}: cannot be read: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise CdkJsonError(f"{path.name}: line {error.lineno} column {error.colno}: {error.msg}") from None
    return parsed


def main() -> int:
    try:
        load(Path(sys.argv[1]) if len(sys.argv) > 1 else CDK_JSON)
    except CdkJsonError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m benchmarks.compare BEFORE.json AFTER.json [...]``: the figures of several runs side
by side as a Markdown table (how benchmarks/RESULTS.md's before/after table is made)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _cell(figure: dict[str, Any] | None) -> str:
    if figure is None or figure["value"] is None:
        return "-"
    value = figure["value"]
    text = f"{int(value):,}" if figure["unit"] in ("bytes", "calls", "reads") else f"{value:g}"
    return text + (" ✗" if figure["status"] == "fail" else "")


def markdown(runs: list[dict[str, Any]], names: list[str]) -> str:
    keys = list(dict.fromkeys(key for run in runs for key in run["figures"]))
    lines = ["| figure | unit | budget | " + " | ".join(names) + " |",
             "| --- | --- | --- |" + " ---: |" * len(runs)]
    for key in keys:
        first = next(run["figures"][key] for run in runs if key in run["figures"])
        cells = [_cell(run["figures"].get(key)) for run in runs]
        lines.append(f"| {first['label']} | {first['unit']} | {first['budget'] or ''} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    paths = [Path(argument) for argument in sys.argv[1:]]
    if len(paths) < 2:
        sys.exit(__doc__)
    print(markdown([json.loads(path.read_text()) for path in paths], [path.stem for path in paths]))


if __name__ == "__main__":
    main()

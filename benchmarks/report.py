"""Figures, their budgets, the table on stdout and the JSON file.

A figure without a budget is a reference point or a detail (``info``); one that was not
measured in this run (``--quick``, ``--no-suite``) is ``skipped`` but still present, so
the JSON always has every key.
"""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_COMPARE = {"<=": operator.le, "<": operator.lt, "==": operator.eq}


@dataclass(frozen=True)
class Figure:
    """One number, its unit, and its budget (``compare`` ``limit``) when it is held to one."""

    key: str
    label: str
    value: float | None
    unit: str
    limit: float | None = None
    compare: str = "<="
    note: str = ""

    @property
    def budget(self) -> str | None:
        if self.limit is None:
            return None
        limit = f"{int(self.limit):,}" if self.limit >= 1000 else f"{self.limit:g}"
        return f"{self.compare} {limit} {self.unit}"

    @property
    def status(self) -> str:
        if self.value is None:
            return "skipped"
        if self.limit is None:
            return "info"
        return "pass" if _COMPARE[self.compare](self.value, self.limit) else "fail"

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "value": self.value,
            "unit": self.unit,
            "budget": self.budget,
            "limit": self.limit,
            "compare": self.compare if self.limit is not None else None,
            "status": self.status,
            "note": self.note,
        }


def _number(value: float, unit: str = "") -> str:
    if unit in ("bytes", "calls", "reads", "writes"):
        return f"{int(value):,}"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"


def table(figures: list[Figure]) -> str:
    """Figure, value, budget and result, one line each, grouped as measured."""
    rows = [("figure", "value", "budget", "result")]
    rows += [
        (
            figure.label,
            f"{_number(figure.value, figure.unit)} {figure.unit}" if figure.value is not None else "-",
            figure.budget or "",
            figure.status,
        )
        for figure in figures
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    lines = [
        "  ".join(
            cell.ljust(width) if column != 1 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def summary(figures: list[Figure]) -> str:
    budgeted = [figure for figure in figures if figure.limit is not None and figure.value is not None]
    failed = [figure.label for figure in budgeted if figure.status == "fail"]
    text = f"{len(budgeted) - len(failed)} of {len(budgeted)} measured budgets met"
    return text + (f"; not met: {', '.join(failed)}" if failed else "")


def write_json(path: Path, figures: list[Figure], meta: dict[str, Any]) -> None:
    keys = [figure.key for figure in figures]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate figure keys")
    document = {"meta": meta, "figures": {figure.key: figure.as_json() for figure in figures}}
    path.write_text(json.dumps(document, indent=2) + "\n")

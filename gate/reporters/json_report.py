"""The JSON reporter: the report document itself, canonically serialised (SPEC 6)."""

from __future__ import annotations

from typing import Any

from gate.report import dumps


def render(report: dict[str, Any]) -> str:
    return dumps(report)

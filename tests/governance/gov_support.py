"""Helpers for the governance tests: paths, a CLI runner that fails loudly, waiver builders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from gate.cli import main

DATA = Path(__file__).resolve().parent / "data"
EXAMPLE = DATA / "example.jsonl"
AS_OF = "2026-01-20"  # after the example's last event (2026-01-10)


def waiver_yaml(**fields: Any) -> str:
    """One waiver list item; defaults make a valid 10-day waiver approved on 2026-01-15.
    Pass `key=...` (Ellipsis) to leave a default key out."""
    base: dict[str, Any] = {
        "approved_by": "alice@example.com",
        "reason": "reviewed with the data team",
        "approved": "2026-01-15",
        "expires": "2026-01-25",
    }
    base.update(fields)
    lines = []
    for i, (k, v) in enumerate((k, v) for k, v in base.items() if v is not ...):
        prefix = "- " if i == 0 else "  "
        lines.append(f"{prefix}{k}: {json.dumps(v)}")
    return "\n".join(lines) + "\n"


def invoke(args: list[Any], expect: int) -> Result:
    """Run the CLI in-process; on an unexpected exit code, show everything it printed."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exit_code != expect:
        raise AssertionError(
            f"exit {result.exit_code}, expected {expect}\n--- stdout\n{result.stdout}"
            f"\n--- stderr\n{result.stderr}"
            + (f"\n--- exception\n{result.exception!r}" if result.exception else "")
        )
    return result


def blocking_ids(report: dict[str, Any]) -> list[str]:
    return [c["id"] for c in report["verdict"]["blocking"]]

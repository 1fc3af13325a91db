"""Reporters: pure functions `render(report: dict) -> str`, one module each; the CLI's --format choice is built from
the keys of REPORTERS. Adding a reporter = one module plus one line here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gate.reporters import comment, github, json_report, markdown, text

Reporter = Callable[[dict[str, Any]], str]

REPORTERS: dict[str, Reporter] = {
    "text": text.render,
    "json": json_report.render,
    "github": github.render,
    "markdown": markdown.render,
    "comment": comment.render,
}

"""The root click group. Command modules under `gate/cli/` attach their commands to `main`."""

from __future__ import annotations

import click

from gate import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="synapse-gate")
def main() -> None:
    """synapse-gate: a release gate for spec-locked fine-tuning.

    Collects events (files, eval outputs, CI artifacts, URLs), derives meaning through the policy's
    time-windowed rules, and exits 1 when a blocking conclusion holds (0 pass, 2 invalid input,
    3 unreadable evidence or internal error).
    """

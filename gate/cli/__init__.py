"""The command-line interface: thin click commands over `gate.run` (one module per command group)."""

import os
import sys
import traceback

# Each import attaches its commands to `main`; adding a command group = one module + one line.
from gate.cli import check as _check  # noqa: F401
from gate.cli import events as _events  # noqa: F401
from gate.cli import policy as _policy  # noqa: F401
from gate.cli import waive as _waive  # noqa: F401
from gate.cli.app import main
from gate.errors import EXIT_UNREADABLE


def run() -> None:
    """The console entry point: `main`, with any exception that escapes click mapped to exit 3.
    Python's own exit status for an uncaught exception is 1, which here means "blocked"."""
    try:
        main()
    except Exception as e:  # noqa: BLE001 - fail closed with the right code, never a bare traceback
        if os.environ.get("SYNAPSE_GATE_DEBUG"):
            traceback.print_exc()
        sys.stderr.write(
            f"synapse-gate: internal error: {type(e).__name__}: {e} (set SYNAPSE_GATE_DEBUG=1 for a traceback)\n"
        )
        sys.exit(EXIT_UNREADABLE)


__all__ = ["main", "run"]

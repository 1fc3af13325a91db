"""The command-line interface: thin click commands over `gate.run` (one module per command group)."""

import gc
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
    Python's own exit status for an uncaught exception is 1, which here means "blocked".

    A one-shot process: the cyclic garbage collector stays off (nothing here builds reference
    cycles, and rescanning millions of live events costs seconds), and once the output is flushed
    the process ends without tearing down every object one by one."""
    gc.disable()
    _check.ONE_SHOT = True
    try:
        main()
        code: object = 0
    except SystemExit as e:
        code = e.code
    except Exception as e:  # noqa: BLE001 - fail closed with the right code, never a bare traceback
        if os.environ.get("SYNAPSE_GATE_DEBUG"):
            traceback.print_exc()
        sys.stderr.write(
            f"synapse-gate: internal error: {type(e).__name__}: {e} (set SYNAPSE_GATE_DEBUG=1 for a traceback)\n"
        )
        code = EXIT_UNREADABLE
    if code is None:
        code = 0
    elif not isinstance(code, int):
        sys.stderr.write(f"{code}\n")
        code = 1 if code else 0
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # e.g. a closed pipe: the output could not be delivered
        code = code or EXIT_UNREADABLE
    os._exit(code)


__all__ = ["main", "run"]

"""The command-line interface: thin click commands over `gate.run` (one module per command group)."""

# Each import attaches its commands to `main`; adding a command group = one module + one line.
from gate.cli import check as _check  # noqa: E402,F401
from gate.cli import events as _events  # noqa: E402,F401
from gate.cli import policy as _policy  # noqa: E402,F401
from gate.cli import waive as _waive  # noqa: E402,F401
from gate.cli.app import main

__all__ = ["main"]

"""Shared pieces of the fuzz suite: hypothesis settings, hostile seeds, and the one outcome check.

Every parser is held to the same contract: it returns a value, or it raises a `GateError` of the
expected exit code whose message starts with the document's name. Anything else (a KeyError, a
TypeError, a RecursionError...) would reach the user as "internal error" and fails the test.

Run a longer session with `SYNAPSE_FUZZ_EXAMPLES=5000 SYNAPSE_FUZZ_SEED=random` (tests/README.md).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings

from gate.errors import GateError

T = TypeVar("T")

EXAMPLES = int(os.environ.get("SYNAPSE_FUZZ_EXAMPLES", "40"))
RANDOM = os.environ.get("SYNAPSE_FUZZ_SEED", "") == "random"

# Fixed seed (derandomize) and a bounded example count: the folder runs in well under 3 minutes.
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=not RANDOM,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

GOOD = b'{"type":"run_started","timestamp":"2024-05-01T10:00:00Z","id":"e1","props":{"run":"r1"}}'
TS = "2024-05-01T10:00:00Z"
HUGE_DIGITS = "9" * 5000
BILLION_LAUGHS = b'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + b"".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n".encode() for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


def outcome(
    fn: Callable[[], T], name: str, *, exit_code: int | tuple[int, ...] = 2, line: bool = False
) -> T | GateError:
    """Run one parse. Returns its value, or the GateError it raised after checking that the error
    has the expected exit code, names `name` first (and a line after it when `line`), is one line,
    and says something."""
    try:
        return fn()
    except GateError as e:
        codes = exit_code if isinstance(exit_code, tuple) else (exit_code,)
        assert e.exit_code in codes, f"exit {e.exit_code} for: {e.message}"
        assert e.message.startswith(name), f"the message does not start with {name!r}: {e.message}"
        if line:
            assert re.match(re.escape(name) + r":\d+", e.message), f"no line number: {e.message}"
        assert "\n" not in e.message, e.message
        assert len(e.message) > len(name) + 5, e.message
        assert "Traceback" not in e.message
        return e


def timed(fn: Callable[[], Any], limit: float) -> Any:
    """Run `fn` and assert it took under `limit` seconds (used only where a blow-up is the threat)."""
    started = time.monotonic()
    result = fn()
    elapsed = time.monotonic() - started
    assert elapsed < limit, f"took {elapsed:.1f}s (limit {limit}s)"
    return result


def mutate(data: bytes, kind: int, pos: int, blob: bytes) -> bytes:
    """One structural mutation of a valid document: truncate, insert, overwrite or delete at `pos`."""
    if not data:
        return blob
    pos %= len(data) + 1
    if kind == 0:
        return data[:pos]
    if kind == 1:
        return data[:pos] + blob + data[pos:]
    if kind == 2:
        return data[:pos] + blob + data[pos + len(blob) :]
    return data[:pos] + data[pos + max(1, len(blob)) :]

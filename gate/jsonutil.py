"""Strict JSON decoding shared by every reader: duplicate keys, NaN/Infinity and out-of-range
numbers are refused instead of being silently resolved (which of two values would count?)."""

from __future__ import annotations

import json
from typing import Any


def no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """object_pairs_hook: a dict, or ValueError naming the first key given twice."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise ValueError(f"duplicate key {k!r}")
            seen.add(k)
    return out


def reject_constant(name: str) -> Any:
    """parse_constant: NaN, Infinity and -Infinity are not JSON."""
    raise ValueError(f"{name} is not valid JSON")


def finite_float(text: str) -> float:
    """parse_float (called for literals with a fraction or an exponent): 1e400 is refused, not clamped."""
    value = float(text)
    if value - value != 0.0:
        raise ValueError(f"the number {text[:40]} is out of range (beyond about 1.8e308)")
    return value


STRICT = json.JSONDecoder(
    object_pairs_hook=no_duplicate_keys, parse_constant=reject_constant, parse_float=finite_float
)

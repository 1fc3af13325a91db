"""Load a policy (built-in name or YAML file), validate it, and compile it to `gate.policy.model`.

Errors name file, line and the key path: `policy.yaml:12: rules[1].when.within: ...`.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from gate.errors import PolicyError
from gate.policy.model import (
    DEFAULT_BLOCKING,
    AllOf,
    AnyOf,
    Composition,
    Condition,
    Derive,
    Pattern,
    PeerTerm,
    Policy,
    Requirement,
    Rule,
)
from gate.schemautil import common_message, first_error, most_specific
from gate.timefmt import TimeFormatError, parse_duration
from gate.yamlutil import (
    MAX_DEPTH,
    Path_,
    format_path,
    json_problem,
    line_for,
    load_located,
)

DEFAULT_POLICY = "spec-locked-drift"
_DURATION_PATTERN = "^[0-9]+[smhdw]$"
MAX_RULES = 1_000  # rules + patterns + compositions; the default of `Limits.max_rules` (--max-rules)


def builtin_names() -> list[str]:
    folder = resources.files("gate.policy") / "builtin"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def builtin_text(name: str) -> bytes:
    return (resources.files("gate.policy") / "builtin" / f"{name}.yaml").read_bytes()


@lru_cache(maxsize=1)
def policy_schema() -> dict[str, Any]:
    return json.loads((resources.files("gate") / "schemas" / "policy.schema.json").read_text("utf-8"))


def load_policy(ref: str, max_rules: int = MAX_RULES, max_depth: int = MAX_DEPTH) -> Policy:
    """A built-in policy name, or a path to a policy YAML file."""
    if ref in builtin_names() and not Path(ref).exists():
        return parse_policy(builtin_text(ref), f"builtin:{ref}", max_rules, max_depth)
    path = Path(ref)
    if not path.is_file():
        raise PolicyError(
            f"{ref}: no such policy file, and not a built-in policy (built-ins: {', '.join(builtin_names())})"
        )
    try:
        data = path.read_bytes()
    except OSError as e:
        raise PolicyError(f"{ref}: cannot read: {e.strerror}") from None
    return parse_policy(data, ref, max_rules, max_depth)


def parse_policy(data: bytes, name: str, max_rules: int = MAX_RULES, max_depth: int = MAX_DEPTH) -> Policy:
    obj, lines, fail = load_located(data, name, PolicyError, max_depth)

    if not isinstance(obj, dict):
        raise PolicyError(f"{name}:1: a policy must be a YAML mapping")
    for path in lines:
        if path and path[-1] in ("on", "On", "ON"):  # YAML 1.1 reads a bare `on` key as the boolean true
            raise fail(path, "a bare `on:` key is read by YAML 1.1 as the boolean true; rules use `anchors:`")
    _schema_check(obj, fail)
    problem = json_problem(obj)  # e.g. `props: {x: .nan}`: every report must stay valid JSON
    if problem is not None:
        raise fail(*problem)
    count = sum(len(obj.get(k) or ()) for k in ("rules", "patterns", "compositions"))
    if count > max_rules:
        raise PolicyError(
            f"{name}:{line_for(lines, ('rules',))}: rules: {count} rules, patterns and compositions, "
            f"over the {max_rules} cap (max_rules)",
            hint="raise the cap with --max-rules if this policy is trusted",
        )
    return _compile(obj, data, name, fail)


def _schema_check(obj: dict[str, Any], fail: Any) -> None:
    err = first_error(policy_schema(), obj)
    if err is None:
        return
    err = most_specific(err)
    path = tuple(err.absolute_path)
    if err.validator == "pattern" and err.validator_value == _DURATION_PATTERN:
        try:
            parse_duration(err.instance)
        except TimeFormatError as e:
            raise fail(path, str(e)) from None
    common = common_message(err)
    if common is not None:
        raise fail(*common)
    if (
        err.validator == "oneOf"
        and isinstance(err.instance, dict)
        and {"at_least", "exactly"} <= set(err.instance)
    ):
        raise fail(path, "give either at_least or exactly, not both")
    if err.validator == "oneOf" and isinstance(err.instance, dict) and "peers" in err.instance:
        raise fail(path, "a peer term needs at_least or exactly")
    raise fail(path, err.message)


def _compile(obj: dict[str, Any], data: bytes, name: str, fail: Any) -> Policy:
    types: dict[str, str] = dict(obj["types"])

    def known(t: str, path: Path_) -> str:
        if t not in types:
            hint = difflib.get_close_matches(t, sorted(types), n=1)
            more = f"; did you mean {hint[0]!r}?" if hint else ""
            raise fail(path, f"unknown type {t!r} (declare it under types{more})")
        return t

    ids: dict[str, Path_] = {}

    def unique(i: str, path: Path_) -> str:
        if i in ids:
            raise fail(path, f"duplicate id {i!r} (also at {format_path(ids[i])})")
        ids[i] = path
        return i

    def derive(d: dict[str, Any], path: Path_) -> Derive:
        t = known(d["type"], (*path, "type"))
        return Derive(type=t, domain=d.get("domain", types[t]), props=dict(d.get("props") or {}))

    def condition(c: dict[str, Any], path: Path_) -> Condition:
        if "any" in c:
            return AnyOf(tuple(condition(x, (*path, "any", i)) for i, x in enumerate(c["any"])))
        if "all" in c:
            return AllOf(tuple(condition(x, (*path, "all", i)) for i, x in enumerate(c["all"])))
        return PeerTerm(
            peers=known(c["peers"], (*path, "peers")),
            within=parse_duration(c["within"]),
            within_text=c["within"],
            at_least=c.get("at_least"),
            exactly=c.get("exactly"),
            where=tuple(sorted((c.get("where") or {}).items())),
            domain=c.get("domain"),
        )

    rules = []
    for i, r in enumerate(obj.get("rules") or []):
        p: Path_ = ("rules", i)
        unique(r["id"], (*p, "id"))
        anchors = tuple(known(a, (*p, "anchors", j)) for j, a in enumerate(r["anchors"]))
        rules.append(
            Rule(
                id=r["id"],
                anchors=anchors,
                when=condition(r["when"], (*p, "when")),
                derive=derive(r["derive"], (*p, "derive")),
                pairing=r.get("pairing", "any"),
                description=r.get("description", ""),
            )
        )
    patterns = []
    for i, pt in enumerate(obj.get("patterns") or []):
        p = ("patterns", i)
        unique(pt["id"], (*p, "id"))
        patterns.append(
            Pattern(
                id=pt["id"],
                watch=tuple(known(w, (*p, "watch", j)) for j, w in enumerate(pt["watch"])),
                depth=pt["depth"],
                min_count=pt["min_count"],
                domains=tuple(pt["domains"]) if "domains" in pt else None,
                description=pt.get("description", ""),
            )
        )
    pattern_ids = {pt.id for pt in patterns}
    compositions = []
    for i, c in enumerate(obj.get("compositions") or []):
        p = ("compositions", i)
        unique(c["id"], (*p, "id"))
        reqs = []
        for j, rq in enumerate(c["requires"]):
            if rq["pattern"] not in pattern_ids:
                hint = difflib.get_close_matches(rq["pattern"], sorted(pattern_ids), n=1)
                more = (
                    f"did you mean {hint[0]!r}?"
                    if hint
                    else f"patterns: {', '.join(sorted(pattern_ids)) or 'none'}"
                )
                raise fail((*p, "requires", j, "pattern"), f"unknown pattern {rq['pattern']!r} ({more})")
            reqs.append(Requirement(rq["pattern"], rq["min_occurrences"]))
        compositions.append(
            Composition(
                id=c["id"],
                requires=tuple(reqs),
                within=parse_duration(c["within"]),
                within_text=c["within"],
                derive=derive(c["derive"], (*p, "derive")),
                description=c.get("description", ""),
            )
        )
    blocking = tuple(obj.get("blocking", DEFAULT_BLOCKING))
    for j, t in enumerate(blocking):
        known(t, ("blocking", j))
    warning = tuple(obj.get("warning", ()))
    for j, t in enumerate(warning):
        known(t, ("warning", j))
        if t in blocking:
            raise fail(("warning", j), f"{t!r} is listed as both blocking and warning")
    return Policy(
        name=obj["name"],
        types=types,
        rules=tuple(rules),
        patterns=tuple(patterns),
        compositions=tuple(compositions),
        blocking=blocking,
        warning=warning,
        sha256=hashlib.sha256(data).hexdigest(),
        source=name,
        description=obj.get("description", ""),
        waiver_max_days=(obj.get("waivers") or {}).get("max_days", 30),
        text=data.decode("utf-8"),
    )

"""`policy init`: write a commented starter policy and one scenario folder that `policy test` passes.

Nothing existing is overwritten: if any target file exists, nothing at all is written.
"""

from __future__ import annotations

from pathlib import Path

from gate.errors import UsageError

STARTER_POLICY = """\
# A starter policy written by `synapse-gate policy init`. Edit it, then run:
#   synapse-gate policy lint policy.yaml       # likely mistakes
#   synapse-gate policy test policy.yaml       # the scenarios under ./scenarios
#   synapse-gate policy show --mermaid policy.yaml
# The format, key by key, is in docs/policies.md of synapse-gate.
version: 1
name: starter-release-gate
description: >-
  Starter: eval regressions that cluster within 6h, corroborated by a safety flag within 48h, are a
  release risk; the same risk recurring twice within 14 days blocks the release.

# Every type the policy knows, leaf (facts your systems emit) and derived (what rules conclude),
# with its default domain. Events of a type not listed here are kept but no rule sees them.
types:
  eval_regression_observed: eval       # leaf: one eval task dropped below its baseline
  safety_flag_raised: safety           # leaf: a red-team or classifier flag on the candidate model
  eval_regression_cluster: eval        # derived by rule eval_regression_cluster
  release_risk: governance             # derived by rule release_risk
  release_blocked: governance          # derived by composition release_blocked

# An unwaived event of a blocking type fails the gate (exit 1); warning types are only reported.
blocking: [release_blocked]
warning: [release_risk]

# Rules run in this order for every event whose type is among their anchors. A rule that fires
# derives one event and consumes its evidence: consumed events are never peers again.
rules:
  - id: eval_regression_cluster
    description: two regressions within 6 hours are a cluster, not noise
    anchors: [eval_regression_observed]
    # The anchor plus at least 1 other regression within 6h (both bounds inclusive).
    when: {peers: eval_regression_observed, at_least: 1, within: 6h}
    derive: {type: eval_regression_cluster}

  - id: release_risk
    description: a regression cluster corroborated by a safety flag, in either order
    anchors: [eval_regression_cluster, safety_flag_raised]
    # cross-type: a cluster must meet a safety flag (and a flag a cluster); two flags are not enough.
    pairing: cross-type
    when:
      any:
        - {peers: eval_regression_cluster, at_least: 1, within: 48h}
        - {peers: safety_flag_raised, at_least: 1, within: 48h}
    derive: {type: release_risk, props: {reason: regressions corroborated by a safety flag}}

# A pattern watcher counts rule-derived events by their shape (type, domain and the shapes of their
# children, `depth` levels down); the min_count-th occurrence of a shape, and every later one, matches.
patterns:
  - {id: risk_repeats, watch: [release_risk], depth: 2, min_count: 2}

# A composition fires when every required pattern has matched within its window (once per window).
compositions:
  - id: release_blocked
    requires: [{pattern: risk_repeats, min_occurrences: 1}]
    within: 14d
    derive: {type: release_blocked}
"""

STARTER_EVENTS = """\
# The leaf events of one scenario: a YAML list here; JSON Lines and JSON arrays work as well.
# Week 1: two regressions 3h apart (a cluster), a safety flag the next day (a release risk).
- {type: eval_regression_observed, timestamp: "2026-03-02T09:00:00Z", id: w1-reg-1, props: {task: mmlu}}
- {type: eval_regression_observed, timestamp: "2026-03-02T12:00:00Z", id: w1-reg-2, props: {task: gsm8k}}
- {type: safety_flag_raised, timestamp: "2026-03-03T10:00:00Z", id: w1-flag, props: {source: red-team}}
# Week 2: the same story again, so the second release risk has the same shape as the first.
- {type: eval_regression_observed, timestamp: "2026-03-09T09:00:00Z", id: w2-reg-1, props: {task: mmlu}}
- {type: eval_regression_observed, timestamp: "2026-03-09T14:00:00Z", id: w2-reg-2, props: {task: arc}}
- {type: safety_flag_raised, timestamp: "2026-03-10T08:00:00Z", id: w2-flag, props: {source: classifier}}
"""

STARTER_EXPECT = """\
# What `policy test` checks for this scenario (schema: expect.schema.json of synapse-gate).
description: >-
  The same risk two weeks running: each week two regressions cluster and a safety flag corroborates
  them; the second release_risk has the same shape as the first, so risk_repeats matches and the
  release is blocked.
verdict: blocked
counts:
  eval_regression_cluster: 2
  release_risk: 2
  release_blocked: 1
conclusions:
  - type: release_risk
    timestamp: 2026-03-03T10:00:00Z
    leaves: [w1-reg-1, w1-reg-2, w1-flag]
  - type: release_blocked
    timestamp: 2026-03-10T08:00:00Z
    includes: [w2-reg-1, w2-reg-2, w2-flag]
pattern_matches:
  - {watcher: risk_repeats, timestamp: 2026-03-10T08:00:00Z, occurrence: 2}
"""

SCENARIO = "scenarios/risk_repeats_blocks"


def starter_files() -> dict[str, str]:
    """Relative path -> content of everything `policy init` writes."""
    return {
        "policy.yaml": STARTER_POLICY,
        f"{SCENARIO}/events.yaml": STARTER_EVENTS,
        f"{SCENARIO}/expect.yaml": STARTER_EXPECT,
    }


def write_starter(target: Path) -> list[Path]:
    """Write the starter into `target` (created if missing); refuse if any file already exists."""
    files = {target / rel: text for rel, text in starter_files().items()}
    existing = [p for p in files if p.exists()]
    if existing:
        raise UsageError(
            f"{existing[0].as_posix()}: already exists; policy init never overwrites "
            f"({len(existing)} of {len(files)} files exist; choose another DIR)"
        )
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target.as_posix()}: exists and is not a directory")
    written = []
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "x", encoding="utf-8") as f:  # "x": fail rather than overwrite a racing writer
                f.write(text)
            written.append(path)
    except OSError as e:
        raise UsageError(f"{e.filename}: cannot write: {e.strerror}") from None
    return written

"""The engine: pure, deterministic evaluation of a policy over leaf events (SPEC 3).

No clock, environment, files or network are used under this package (a test enforces it).
"""

from gate.engine.evaluate import (
    Evaluation,
    PartitionResult,
    engine_types,
    evaluate,
    evaluate_partition,
    leaves_below,
    partition_events,
)

__all__ = [
    "Evaluation",
    "PartitionResult",
    "engine_types",
    "evaluate",
    "evaluate_partition",
    "leaves_below",
    "partition_events",
]

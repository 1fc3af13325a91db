"""synapse-gate: a release gate for spec-locked fine-tuning (sources -> engine -> verdict -> reporters)."""

__version__ = "0.2.0"

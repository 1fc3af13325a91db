"""Policies: load, validate and compile the hierarchy of rules (built-ins ship as package data)."""

from gate.policy.loader import DEFAULT_POLICY, builtin_names, load_policy, parse_policy
from gate.policy.model import Policy

__all__ = ["DEFAULT_POLICY", "Policy", "builtin_names", "load_policy", "parse_policy"]

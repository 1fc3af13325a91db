"""Fixtures of the action tests; the fake GitHub API and the runner environment are in action_support."""

from __future__ import annotations

from action_support import github, workspace

__all__ = ["github", "workspace"]

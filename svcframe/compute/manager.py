"""The reference compute manager."""

from __future__ import annotations

from svcframe import manager


class ComputeManager(manager.Manager):
    """Runs the compute side of the reference workload."""

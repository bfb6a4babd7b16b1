"""The reference conductor manager."""

from __future__ import annotations

from svcframe import manager


class ConductorManager(manager.Manager):
    """Runs the conductor side of the reference workload."""

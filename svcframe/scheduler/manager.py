"""The reference scheduler manager."""

from __future__ import annotations

from svcframe import manager


class SchedulerManager(manager.Manager):
    """Runs the scheduler side of the reference workload."""

"""What the launcher runs: any object with these, not only svcframe.service.Service.

Service, WSGIService, AllInOneService and CompositeService all qualify.
"""

from __future__ import annotations

from typing import Protocol


class Launchable(Protocol):
    """A service the runner starts and the supervisor forks."""

    binary: str

    def start(self) -> None:
        """Begin work; may block (a broker that is down), and may raise."""

    def stop(self) -> None:
        """Stop all work; safe before start() finished, and twice."""

    def wait(self) -> None:
        """Block until stop() has finished."""

    def reset(self) -> None:
        """Take reloaded configuration (SIGHUP)."""

"""Host weighers: rank the hosts that passed the filters, best first.

Each weigher scores every host; the scores are scaled to 0..1 across the
hosts and summed, each times the weigher's ``multiplier``. A plugin
registers a subclass of BaseHostWeigher in the entry-point namespace
``svcframe.scheduler.weighers`` and names it in ``[scheduler] weighers``.
"""

from __future__ import annotations

from oslo_config import cfg

from svcframe.scheduler.host_state import HostState, RequestSpec

NAMESPACE = 'svcframe.scheduler.weighers'


class BaseHostWeigher:
    """Built once per scheduler process with its configuration."""

    multiplier: float = 1.0

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.conf = conf

    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        """Higher is better."""
        raise NotImplementedError


class FreeMemoryWeigher(BaseHostWeigher):
    """``free_memory``: the most free memory first, which spreads instances."""

    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        return host.free_memory_mb


def normalized(scores: list[float]) -> list[float]:
    """Scores scaled to 0..1, so that weighers of different units add up."""
    low, high = min(scores), max(scores)
    if high == low:
        return [0.0] * len(scores)
    return [(score - low) / (high - low) for score in scores]

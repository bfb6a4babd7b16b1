"""HostSelector: the filters and weighers that ``[scheduler]`` names, applied."""

from __future__ import annotations

from oslo_config import cfg

from svcframe import plugins
from svcframe.scheduler import filters as host_filters
from svcframe.scheduler import weighers as host_weighers
from svcframe.scheduler.host_state import HostState, RequestSpec


class HostSelector:

    def __init__(self, filters: list[host_filters.BaseHostFilter],
                 weighers: list[host_weighers.BaseHostWeigher]) -> None:
        self.filters = filters
        self.weighers = weighers

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts) -> HostSelector:
        """Load the configured plugins; ConfigError naming the installed ones."""
        filters = [plugins.load_subclass(host_filters.NAMESPACE, name,
                                         '[scheduler] enabled_filters',
                                         host_filters.BaseHostFilter)(conf)
                   for name in conf.scheduler.enabled_filters]
        weighers = [plugins.load_subclass(host_weighers.NAMESPACE, name,
                                          '[scheduler] weighers',
                                          host_weighers.BaseHostWeigher)(conf)
                    for name in conf.scheduler.weighers]
        return cls(filters, weighers)

    def select(self, hosts: list[HostState], spec: RequestSpec,
               excluded: frozenset[str] = frozenset()) -> list[HostState]:
        """The hosts that pass every filter, best first."""
        passed = [host for host in hosts if host.host not in excluded
                  and all(f.host_passes(host, spec) for f in self.filters)]
        if len(passed) < 2 or not self.weighers:
            return passed
        totals = [0.0] * len(passed)
        for weigher in self.weighers:
            scores = host_weighers.normalized([weigher.weigh(h, spec) for h in passed])
            totals = [total + weigher.multiplier * score
                      for total, score in zip(totals, scores, strict=True)]
        ranked = sorted(range(len(passed)), key=totals.__getitem__, reverse=True)
        return [passed[index] for index in ranked]


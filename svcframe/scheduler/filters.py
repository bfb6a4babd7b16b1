"""Host filters: a host passes every enabled filter or is not chosen.

A plugin registers a subclass of BaseHostFilter in the entry-point namespace
``svcframe.scheduler.filters`` and names it in ``[scheduler] enabled_filters``.
"""

from __future__ import annotations

from oslo_config import cfg

from svcframe.scheduler.host_state import HostState, RequestSpec

NAMESPACE = 'svcframe.scheduler.filters'


class BaseHostFilter:
    """Built once per scheduler process with its configuration."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.conf = conf

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        raise NotImplementedError


class EnabledFilter(BaseHostFilter):
    """``enabled``: the host's compute service is not disabled."""

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.enabled


class UpFilter(BaseHostFilter):
    """``up``: the host's compute service reported within service_down_time."""

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.up


class CapacityFilter(BaseHostFilter):
    """``capacity``: the host has the vcpus and the memory the request asks for."""

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.free_vcpus >= spec.vcpus and host.free_memory_mb >= spec.memory_mb

"""A scheduler filter and a compute driver from outside svcframe."""

import os

from oslo_config import cfg

from svcframe.compute import driver
from svcframe.scheduler import filters

OPTS = [
    cfg.ListOpt('avoid_hosts', default=[],
                help='Hosts the avoid filter never lets through.'),
    cfg.StrOpt('driver_events_file', help='File the recording driver appends to.'),
]
cfg.CONF.register_opts(OPTS, group='acme')


class AvoidHostFilter(filters.BaseHostFilter):
    """Lets through every host except those in [acme] avoid_hosts."""

    def host_passes(self, host, spec) -> bool:
        return host.host not in self.conf.acme.avoid_hosts


class RecordingDriver(driver.ComputeDriver):
    """Reports 4 vcpus and 4 GB, and writes each build and teardown to a file."""

    def capacity(self) -> driver.Capacity:
        return driver.Capacity(vcpus=4, memory_mb=4096)

    def _record(self, *words: object) -> None:
        line = ' '.join(str(word) for word in (os.getpid(), *words))
        with open(self.conf.acme.driver_events_file, 'a') as events:
            events.write(line + '\n')

    def spawn(self, instance) -> None:
        self._record('spawn', instance['name'], self.host)

    def destroy(self, instance) -> None:
        self._record('destroy', instance['uuid'], self.host)

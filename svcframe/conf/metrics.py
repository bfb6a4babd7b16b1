"""[metrics] options: the Prometheus endpoint every binary may serve."""

from __future__ import annotations

from oslo_config import cfg

from svcframe.conf import groups

GROUP_NAME = 'metrics'
GROUP_TITLE = 'Prometheus metrics'

OPTS = [
    cfg.HostAddressOpt(
        'listen',
        default='127.0.0.1',
        help='Address /metrics is served on. Metrics say a lot about a '
             'deployment: keep them on loopback or a management network.'),
    cfg.PortOpt(
        'port',
        default=0,
        help='Port of /metrics (Prometheus text format); 0 serves none. A '
             'binary with several workers serves one endpoint, from its '
             'supervisor, covering all of them. Each binary on a host needs '
             'a port of its own.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    groups.register(conf, GROUP_NAME, GROUP_TITLE, OPTS)


def list_opts() -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    return groups.listing(GROUP_NAME, GROUP_TITLE, OPTS)

"""oslo.messaging's [DEFAULT] transport options, with svcframe's defaults.

The default transport is in memory (``fake://``), so that svcframe-all runs
with no broker; separate binaries must name a broker in ``transport_url``,
and warn when they don't. The control exchange is ``svcframe``. The sample
config lists these options under oslo.messaging's namespace, with these
defaults (the ``oslo.config.opts.defaults`` entry point).
"""

from __future__ import annotations

from oslo_config import cfg
from oslo_messaging import opts as messaging_opts

from svcframe import reach

CONTROL_EXCHANGE = 'svcframe'
DEFAULT_TRANSPORT_URL = 'fake://'


def set_library_defaults() -> None:
    """For the sample config: oslo.messaging's own option objects get svcframe's defaults."""
    reach.set_messaging_sample_defaults(CONTROL_EXCHANGE, DEFAULT_TRANSPORT_URL)


def register_opts(conf: cfg.ConfigOpts) -> None:
    for group, opts in messaging_opts.list_opts():
        if group is None:
            conf.register_opts(opts)
    # On this ConfigOpts only: the library's option objects keep their own
    # defaults, so that nothing else in the process sees svcframe's.
    conf.set_default('control_exchange', CONTROL_EXCHANGE)
    conf.set_default('transport_url', DEFAULT_TRANSPORT_URL)
    for group, opts in reach.messaging_client_opts():
        conf.register_opts(opts, group=group)


def list_opts() -> list:
    return []

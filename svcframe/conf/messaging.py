"""oslo.messaging's [DEFAULT] transport options, with svcframe's defaults.

The default transport is in memory (``fake://``), so that svcframe-all runs
with no broker; separate binaries must name a broker in ``transport_url``,
and warn when they don't. The control exchange is ``svcframe``. The sample
config lists these options under oslo.messaging's namespace, with these
defaults (the ``oslo.config.opts.defaults`` entry point).
"""

from __future__ import annotations

import oslo_messaging as messaging
from oslo_config import cfg
from oslo_messaging import opts as messaging_opts
from oslo_messaging import transport as messaging_transport
from oslo_messaging._metrics import client as messaging_metrics
from oslo_messaging._tracing import client as messaging_tracing

CONTROL_EXCHANGE = 'svcframe'
DEFAULT_TRANSPORT_URL = 'fake://'


def set_library_defaults() -> None:
    """Give oslo.messaging's own option objects svcframe's defaults."""
    messaging.set_transport_defaults(control_exchange=CONTROL_EXCHANGE)
    # oslo.messaging has no setter for this default; its option list is the
    # one its own list_opts() and get_rpc_transport() use.
    cfg.set_defaults(messaging_transport._transport_opts,
                     transport_url=DEFAULT_TRANSPORT_URL)


def register_opts(conf: cfg.ConfigOpts) -> None:
    set_library_defaults()
    for group, opts in messaging_opts.list_opts():
        if group is None:
            conf.register_opts(opts)
    # oslo.messaging registers its tracing and metrics options on the global
    # CONF only, yet its RPC client reads them from the ConfigOpts it is
    # given; they are not in its list_opts(), hence the private imports.
    conf.register_opts(messaging_tracing.oslo_messaging_tracing,
                       group='oslo_messaging_tracing')
    conf.register_opts(messaging_metrics.oslo_messaging_metrics,
                       group='oslo_messaging_metrics')


def list_opts() -> list:
    return []

"""oslo.service's own [DEFAULT] options (graceful_shutdown_timeout, log_options).

svcframe runs its own launcher, so no oslo.service launcher registers these;
they are registered here so operators keep the option names they know. The
sample config lists them under the oslo.service.service namespace.
"""

from __future__ import annotations

from oslo_config import cfg
from oslo_service import opts as oslo_service_opts


def register_opts(conf: cfg.ConfigOpts) -> None:
    oslo_service_opts.register_service_opts(conf)

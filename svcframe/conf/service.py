"""oslo.service's own [DEFAULT] options that svcframe honours.

svcframe runs its own launcher, so no oslo.service launcher registers these;
they are registered here so operators keep the option names they know:
``graceful_shutdown_timeout`` and ``log_options``. oslo.service's backdoor
options are not supported and so not listed.
"""

from __future__ import annotations

from oslo_config import cfg
from oslo_service import opts as oslo_service_opts

HONOURED = ('graceful_shutdown_timeout', 'log_options')


def register_opts(conf: cfg.ConfigOpts) -> None:
    oslo_service_opts.register_service_opts(conf)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    # Imported here: oslo_service.service picks its backend when imported,
    # and only the sample generator needs these option objects.
    from oslo_service import service as oslo_service

    opts = [opt for _group, group_opts in oslo_service.list_opts()
            for opt in group_opts if opt.name in HONOURED]
    return [('DEFAULT', opts)]

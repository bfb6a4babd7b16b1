"""Where svcframe reaches past a library's public API, or changes process-wide state.

One function per reach. Each docstring names the library, what is touched
and why no public API serves; tests/unit/test_reach.py calls each against
the installed library, so an upgrade that breaks one fails there, naming it.

Called only while configuration is registered and parsed (svcframe.conf,
svcframe.config) and by the sample config's defaults entry point. Like
svcframe.exception it imports nothing from svcframe, so that svcframe.conf
may call it as it calls a library.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import oslo_messaging as messaging
from oslo_config import cfg
from oslo_log import _options as log_options
from oslo_log import log
from oslo_messaging import transport as messaging_transport
from oslo_messaging._metrics import client as messaging_metrics
from oslo_messaging._tracing import client as messaging_tracing


def mutate_config_files(conf: cfg.ConfigOpts, check: Callable[[], None]) -> None:
    """oslo.config: ``conf.mutate_config_files()``, undone when ``check()`` raises.

    oslo.config has no public way to undo mutate_config_files(): the values
    it re-reads replace ``ConfigOpts._mutable_ns``, so that namespace is kept
    and put back. Registering nothing is the one public call that clears the
    values oslo.config cached from the rejected files.

    It clears them once the new files are in, too: mutate_config_files()
    empties its cache only before it reads the files, so a native thread that
    reads an option meanwhile (an RPC call, say) caches the old value for
    good. Green threads never run in between: file reads do not yield.
    """
    previous = conf._mutable_ns
    try:
        conf.mutate_config_files()
        conf.register_opts([])
        check()
    except Exception:
        conf._mutable_ns = previous
        conf.register_opts([])
        raise


def registered_opts(conf: cfg.ConfigOpts, group: str | None = None) -> list[cfg.Opt]:
    """oslo.config: the Opt objects registered on ``conf`` in ``group`` (None: DEFAULT).

    oslo.config lists option names publicly (iterating ``conf`` or
    ``conf[group]``) but not the Opt behind a name, with its type and
    deprecated names; oslo.db reads ``_opts`` the same way. The public
    ``ConfigOpts.export_state()`` does list them, but it refuses a conf with
    a config source loaded and pickles every option, so one plugin option of
    an unpicklable type would break ``svcframe-manage config check``.
    """
    infos = conf._opts if group is None else conf._get_group(group)._opts
    return [info['opt'] for info in infos.values()]


def messaging_client_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """oslo.messaging: its tracing and metrics options, from private modules.

    oslo.messaging registers them at import on the global CONF only and
    leaves them out of its list_opts(), yet its RPC client reads them from
    the ConfigOpts it is given: every ConfigOpts of svcframe registers them.
    """
    return [('oslo_messaging_tracing', messaging_tracing.oslo_messaging_tracing),
            ('oslo_messaging_metrics', messaging_metrics.oslo_messaging_metrics)]


def set_messaging_sample_defaults(control_exchange: str, transport_url: str | None) -> None:
    """oslo.messaging, process-wide: its own [DEFAULT] options get svcframe's defaults.

    For the sample config only (the ``oslo.config.opts.defaults`` entry
    point): oslo-config-generator lists copies of oslo.messaging's
    module-level Opt objects, so only a change to those shows. A service
    sets these defaults on its own ConfigOpts (svcframe.conf.messaging).
    set_transport_defaults() covers control_exchange; transport_url has no
    setter, hence ``transport._transport_opts``.
    """
    messaging.set_transport_defaults(control_exchange=control_exchange)
    cfg.set_defaults(messaging_transport._transport_opts, transport_url=transport_url)


def set_log_sample_defaults(context_format: str, default_format: str,
                            exception_prefix: str) -> None:
    """oslo.log, process-wide: its own format options get svcframe's defaults.

    For the sample config only, as set_messaging_sample_defaults(). oslo.log's
    set_defaults() covers only the context format; the other two are set on
    ``oslo_log._options.log_opts``, the list its list_opts() copies.
    """
    log.set_defaults(logging_context_format_string=context_format)
    cfg.set_defaults(log_options.log_opts,
                     logging_default_format_string=default_format,
                     logging_exception_prefix=exception_prefix)


def stop_naming_threads() -> None:
    """The standard library's logging, process-wide: records stop looking up their thread.

    ``logging.logThreads = False``: no log format of svcframe's names the
    thread, and finding it costs a tenth of a request under eventlet
    (bench/http_bench.py). svcframe.wsgi.access_sinks honours the flag.
    """
    logging.logThreads = False


def rpc_server_class() -> type:
    """oslo.messaging: the RPC server class get_rpc_server() builds by default.

    svcframe passes get_rpc_server() a ``server_cls`` that wraps the
    dispatcher it is given (to measure each request, svcframe.rpc), then
    builds that same class; oslo.messaging exports it only from its
    ``rpc.server`` module.
    """
    from oslo_messaging.rpc import server
    return server.RPCServer

"""[DEFAULT] options every svcframe binary reads."""

from __future__ import annotations

import os
import socket

from oslo_config import cfg

BUILTIN_MANAGERS = ('compute', 'conductor', 'scheduler')


def _default_state_path() -> str:
    # systemd's StateDirectory= sets STATE_DIRECTORY for the unit.
    if os.environ.get('STATE_DIRECTORY'):
        return os.environ['STATE_DIRECTORY'].split(':')[0]
    base = os.environ.get('XDG_STATE_HOME') or os.path.expanduser(
        '~/.local/state')
    return os.path.join(base, 'svcframe')


def _manager_opt(topic: str) -> cfg.Opt:
    return cfg.StrOpt(
        '%s_manager' % topic,
        default=topic,
        help='Name of the manager that svcframe-%s runs: an entry point in '
             'the svcframe.managers namespace. Built in: %s; a plugin '
             'package adds its own names.'
             % (topic, ', '.join(BUILTIN_MANAGERS)))


OPTS = [
    cfg.HostDomainOpt(
        'host',
        default=socket.gethostname(),
        sample_default='<the machine hostname>',
        help='Name of this host. Services on this host register under it and '
             'receive RPC addressed to it, so it must be unique in the '
             'deployment and stable across restarts.'),
    cfg.StrOpt(
        'state_path',
        default=_default_state_path(),
        sample_default='$STATE_DIRECTORY, $XDG_STATE_HOME/svcframe or '
                       '~/.local/state/svcframe',
        help='Writable directory where svcframe keeps local state, such as '
             'the embedded SQLite database.'),
    *[_manager_opt(topic) for topic in BUILTIN_MANAGERS],
    cfg.FloatOpt(
        'hub_block_warning_seconds',
        default=2.0,
        min=0,
        help='A service whose event hub is blocked this long (a plugin calling '
             'a C library, or time.sleep() without monkey-patching: nothing '
             'else runs meanwhile) logs one WARNING with the stack of the code '
             'that held it, once the hub runs again. 0 turns this off. '
             'The eventlet backend only: native threads have no hub.'),
    cfg.IntOpt(
        'report_interval',
        default=10,
        min=1,
        mutable=True,
        help='Seconds between two heartbeats a service writes to the service '
             'registry. Keep it well below service_down_time.'),
    cfg.IntOpt(
        'service_down_time',
        default=60,
        min=1,
        mutable=True,
        help='Seconds since its last heartbeat after which a service is '
             'considered down.'),
    cfg.BoolOpt(
        'enable_new_services',
        default=True,
        mutable=True,
        help='Whether a service registering for the first time starts enabled. '
             'With False, an operator enables each new service (svcframe-manage '
             'service enable, or the services API) before it takes work.'),
    cfg.BoolOpt(
        'periodic_enable',
        default=True,
        help='Run the periodic tasks of the managers.'),
    cfg.IntOpt(
        'periodic_fuzzy_delay',
        default=60,
        min=0,
        help='Largest random delay, in seconds, before the first periodic '
             'task run, so services started together do not run their tasks '
             'in lock-step. 0 starts them at once.'),
    cfg.IntOpt(
        'periodic_interval_max',
        default=60,
        min=1,
        mutable=True,
        help='Longest sleep, in seconds, between two runs of the periodic '
             'task scheduler.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [('DEFAULT', OPTS)]

"""[conductor] options."""

from __future__ import annotations

from oslo_config import cfg

from svcframe.conf import groups
from svcframe.conf import workers

GROUP_NAME = 'conductor'
GROUP_TITLE = 'svcframe-conductor options'

OPTS = [
    workers.workers_opt('svcframe-conductor'),
    cfg.IntOpt(
        'lease_seconds',
        default=30,
        min=3,
        mutable=True,
        help='How long a conductor holds an instance it is scheduling or '
             'has just been sent, without renewing the hold (it renews '
             'every third of this). An instance whose conductor died is '
             'taken over by another conductor (or the same one restarted) '
             'this long after the last renewal.'),
    cfg.IntOpt(
        'host_step_timeout',
        default=120,
        min=1,
        mutable=True,
        help='Seconds a compute host may take to build or tear down an '
             'instance. A step not reported by then (the compute was killed '
             'and restarted meanwhile, or a message was lost) is sent again; '
             'a build sent [scheduler] max_attempts times in all ends in '
             'state error.'),
    cfg.IntOpt(
        'action_timeout',
        default=600,
        min=10,
        mutable=True,
        help='The most an accepted create or delete may take while the '
             'services run: an instance still building or deleting this '
             'many seconds after the request is put in state error by a '
             'conductor, with a fault that says what happened.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    groups.register(conf, GROUP_NAME, GROUP_TITLE, OPTS)


def list_opts() -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    return groups.listing(GROUP_NAME, GROUP_TITLE, OPTS)

"""RecorderManager writes each hook it sees to a file the tests read."""

import ctypes
import os
import sys
import time

from oslo_config import cfg
from oslo_service import periodic_task

from svcframe import backend
from svcframe import manager

OPTS = [
    cfg.StrOpt('events_file', help='File each event is appended to.'),
    cfg.StrOpt('greeting', default='hello', mutable=True,
               help='A mutable option; reset() records its value.'),
    cfg.FloatOpt('cleanup_seconds', default=0, min=0,
                 help='How long cleanup_host() takes.'),
    cfg.BoolOpt('fail_init', default=False,
                help='Make init_host() raise.'),
    cfg.StrOpt('block_hub_file',
               help='When this file exists, the next tick removes it and blocks '
                    'the event hub for block_hub_seconds, as a C call would.'),
    cfg.FloatOpt('block_hub_seconds', default=3.0, min=0),
]
cfg.CONF.register_opts(OPTS, group='recorder')


class RecorderManager(manager.Manager):

    def _record(self, *words: object) -> None:
        line = ' '.join(str(word) for word in (os.getpid(), *words))
        with open(self.conf.recorder.events_file, 'a') as events:
            events.write(line + '\n')

    def init_host(self) -> None:
        if self.conf.recorder.fail_init:
            raise RuntimeError('init_host was told to fail')
        self._record('init_host', self.service_name, self.host,
                     self.conf.recorder.greeting)
        self._record('backend', backend.current(),
                     'eventlet-loaded' if sys.modules.get('eventlet') else 'no-eventlet')

    @periodic_task.periodic_task(spacing=1, run_immediately=True)
    def tick(self, context) -> None:
        self._record('tick', context.is_admin)
        block_file = self.conf.recorder.block_hub_file
        if block_file and os.path.exists(block_file):
            os.unlink(block_file)
            self._record('blocking_hub')
            block_hub_like_a_c_call(self.conf.recorder.block_hub_seconds)
            self._record('hub_unblocked')

    def reset(self) -> None:
        self._record('reset', self.conf.recorder.greeting)

    def slow_echo(self, context, value: str, seconds: float) -> str:
        """An RPC method that takes a while, recording when it starts and ends."""
        self._record('slow_echo_started', value, context.request_id)
        time.sleep(seconds)
        self._record('slow_echo_done', value)
        return value

    def cleanup_host(self) -> None:
        time.sleep(self.conf.recorder.cleanup_seconds)
        self._record('cleanup_host')


def block_hub_like_a_c_call(seconds: float) -> None:
    """A C call that holds up the whole process: nothing else runs meanwhile.

    Under eventlet the unpatched time.sleep holds the hub; native threads
    all stop only for a C call that keeps the GIL: libc's sleep() through
    ctypes.PyDLL, which does not release it.
    """
    if backend.current() == backend.EVENTLET:
        from eventlet import patcher
        patcher.original('time').sleep(seconds)
    else:
        ctypes.PyDLL(None).usleep(int(seconds * 1e6))


class NotAManager:
    """Registered under svcframe.managers but not a Manager subclass."""

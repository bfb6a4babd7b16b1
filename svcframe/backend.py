"""The process-wide backend: eventlet's green threads (the default) or native threads.

``SVCFRAME_BACKEND=eventlet|threading`` in the environment chooses it. Each
console script calls ``setup()`` first thing in main(), before any other
module is imported, because both choices change the whole process:

* eventlet monkey-patches the standard library, so that ``threading``,
  ``time.sleep`` and sockets are green from then on;
* threading keeps eventlet out: importing it fails as if it were not
  installed (libraries such as futurist then take their plain paths), and
  oslo.service is told to use its threading backend.

Code that runs under both asks ``current()``, which reads what the process
did rather than the environment, so it also holds for svcframe used as a
library (gunicorn threads, the tests). Like svcframe.cmd.eventlet_patch this
module imports nothing from svcframe's other modules or from oslo at import.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

ENVIRONMENT = 'SVCFRAME_BACKEND'
EVENTLET = 'eventlet'
THREADING = 'threading'
CHOICES = (EVENTLET, THREADING)
DEFAULT = EVENTLET


class UnknownBackend(ValueError):
    pass


def from_environment(environ: Mapping[str, str] = os.environ) -> str:
    """The backend SVCFRAME_BACKEND names (unset or empty: the default)."""
    value = environ.get(ENVIRONMENT, '') or DEFAULT
    if value not in CHOICES:
        raise UnknownBackend('%s = %r is not a backend: use %s'
                             % (ENVIRONMENT, value, ' or '.join(CHOICES)))
    return value


def setup(binary: str, green_threads: bool = True) -> str:
    """Put this process on the backend SVCFRAME_BACKEND names; its name.

    An unknown name is one line on stderr and exit status 1.
    ``green_threads=False``: a command that runs once and needs no green
    threads (svcframe-manage) is not monkey-patched under eventlet.
    """
    try:
        name = from_environment()
    except UnknownBackend as error:
        sys.stderr.write('%s: %s\n' % (binary, error))
        sys.exit(1)
    if name == EVENTLET:
        from svcframe.cmd import eventlet_patch
        if green_threads:
            eventlet_patch.monkey_patch()
        else:
            eventlet_patch.silence_deprecation_notice()
    else:
        keep_eventlet_out()
        from oslo_service import backend as oslo_service_backend
        oslo_service_backend.init_backend(oslo_service_backend.BackendType.THREADING)
    return name


def keep_eventlet_out() -> None:
    """Make ``import eventlet`` fail in this process, as if it were not installed.

    A ``None`` in sys.modules is Python's documented way to stop an import
    (it raises ImportError). Libraries that use eventlet when they can
    import it (futurist, oslo.utils) then run as they would without it, and
    a plugin that imports it directly fails at once, naming it, rather than
    mixing green and native threads.
    """
    if 'eventlet' in sys.modules and sys.modules['eventlet'] is not None:
        raise RuntimeError('eventlet was imported before svcframe.backend.setup()')
    sys.modules['eventlet'] = None  # type: ignore[assignment]


def current() -> str:
    """The backend this process runs on: eventlet once it monkey-patched threads."""
    patcher = sys.modules.get('eventlet.patcher')
    if patcher is not None and patcher.is_monkey_patched('thread'):
        return EVENTLET
    return THREADING

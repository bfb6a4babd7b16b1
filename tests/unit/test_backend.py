"""svcframe.backend: SVCFRAME_BACKEND read once, an unknown name refused in one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from svcframe import backend


@pytest.mark.parametrize('environ, expected', [
    ({}, 'eventlet'),
    ({'SVCFRAME_BACKEND': ''}, 'eventlet'),
    ({'SVCFRAME_BACKEND': 'eventlet'}, 'eventlet'),
    ({'SVCFRAME_BACKEND': 'threading'}, 'threading'),
])
def test_the_environment_names_the_backend(environ: dict, expected: str) -> None:
    assert backend.from_environment(environ) == expected


def test_an_unknown_backend_is_named_with_the_allowed_ones() -> None:
    with pytest.raises(backend.UnknownBackend) as raised:
        backend.from_environment({'SVCFRAME_BACKEND': 'Threading'})
    assert str(raised.value) == ("SVCFRAME_BACKEND = 'Threading' is not a backend: "
                                 "use eventlet or threading")


def run(code: str, backend_name: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          env={'SVCFRAME_BACKEND': backend_name, 'PATH': '/usr/bin:/bin'},
                          timeout=60)


def test_setup_refuses_an_unknown_backend_in_one_line_with_exit_status_1() -> None:
    done = run('from svcframe import backend; backend.setup("svcframe-compute")', 'green')

    assert done.returncode == 1
    assert done.stderr == ("svcframe-compute: SVCFRAME_BACKEND = 'green' is not a backend: "
                           "use eventlet or threading\n")


def test_setup_keeps_eventlet_out_of_a_threading_process() -> None:
    done = run('from svcframe import backend; print(backend.setup("x"), backend.current())\n'
               'import futurist, oslo_messaging\n'
               'from oslo_service import loopingcall\n'
               'try:\n'
               '    import eventlet\n'
               'except ImportError:\n'
               '    print("no eventlet")\n', 'threading')

    assert done.returncode == 0, done.stderr
    assert done.stdout.split('\n')[:2] == ['threading threading', 'no eventlet']


def test_setup_monkey_patches_an_eventlet_process() -> None:
    done = run('from svcframe import backend; print(backend.setup("x"), backend.current())\n'
               'import threading, eventlet.green.threading as green\n'
               'print(threading.Lock is green.Lock)\n', 'eventlet')

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ['eventlet', 'eventlet', 'True']

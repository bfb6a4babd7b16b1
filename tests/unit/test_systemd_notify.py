"""Notifier: what svcframe tells systemd, read once from the environment."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from svcframe.launch.systemd_notify import Notifier


def test_the_environment_is_read_once_and_taken_out_for_children() -> None:
    environ = {'NOTIFY_SOCKET': '/run/notify', 'WATCHDOG_USEC': '30000000',
               'WATCHDOG_PID': str(os.getpid()), 'PATH': '/bin'}

    notifier = Notifier.from_environ(environ)

    assert (notifier.address, notifier.watchdog_seconds) == ('/run/notify', 30.0)
    assert environ == {'PATH': '/bin'}


def test_no_watchdog_without_its_interval_or_for_another_pid() -> None:
    assert Notifier.from_environ({'NOTIFY_SOCKET': '/run/n'}).watchdog_seconds is None
    assert Notifier.from_environ({'NOTIFY_SOCKET': '/run/n', 'WATCHDOG_USEC': '1000000',
                                  'WATCHDOG_PID': '1'}).watchdog_seconds is None
    assert Notifier.from_environ({'NOTIFY_SOCKET': '/run/n', 'WATCHDOG_USEC': 'x'}
                                 ).watchdog_seconds is None
    assert Notifier.from_environ({'WATCHDOG_USEC': '1000000'}).watchdog_seconds is None


def test_messages_reach_the_socket_and_nothing_breaks_without_one(tmp_path: Path) -> None:
    path = tmp_path / 'notify.sock'
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(path))
        notifier = Notifier(str(path), 2.0)
        notifier.ready()
        notifier.watchdog()
        assert [listener.recv(64), listener.recv(64)] == [b'READY=1', b'WATCHDOG=1']

    Notifier(None, None).ready()  # outside a unit: nothing to do
    Notifier(str(tmp_path / 'gone.sock'), 1.0).watchdog()  # systemd gone: no error

from __future__ import annotations

import os
import signal
import threading

import pytest
from oslo_config import cfg

from svcframe import exception
from svcframe import exit_codes
from svcframe import launch
from svcframe.launch.runner import ServiceRunner
from svcframe.launch.signal_loop import SignalLoop
from svcframe.launch.signal_pipe import SignalPipe


class FakeService:
    binary = 'svcframe-fake'

    def __init__(self, fail_start: bool = False, block_start: bool = False) -> None:
        self.fail_start = fail_start
        self.start_may_finish = threading.Event()
        if not block_start:
            self.start_may_finish.set()
        self.calls: list[str] = []

    def start(self) -> None:
        self.calls.append('start')
        self.start_may_finish.wait(timeout=30)
        if self.fail_start:
            raise RuntimeError('no database')

    def stop(self) -> None:
        self.calls.append('stop')

    def wait(self) -> None:
        self.calls.append('wait')

    def reset(self) -> None:
        self.calls.append('reset')


def send_later(*signals: int) -> threading.Thread:
    """Send signals to this process, one by one, from another thread."""
    def send() -> None:
        for signo in signals:
            threading.Event().wait(0.1)
            os.kill(os.getpid(), signo)
    thread = threading.Thread(target=send)
    thread.start()
    return thread


def test_signal_pipe_reports_each_signal_by_number() -> None:
    pipe = SignalPipe((signal.SIGHUP, signal.SIGUSR1))
    pipe.open()
    try:
        os.kill(os.getpid(), signal.SIGHUP)
        os.kill(os.getpid(), signal.SIGUSR1)
        received, readable = pipe.wait(timeout=5)
    finally:
        pipe.close()

    assert received == [signal.SIGHUP, signal.SIGUSR1]
    assert readable == []
    assert signal.getsignal(signal.SIGHUP) == signal.SIG_DFL


def test_signal_pipe_wait_reports_other_readable_fds() -> None:
    read_fd, write_fd = os.pipe()
    pipe = SignalPipe((signal.SIGHUP,))
    pipe.open()
    try:
        os.close(write_fd)
        received, readable = pipe.wait(timeout=5, also=(read_fd,))
    finally:
        pipe.close()
        os.close(read_fd)

    assert (received, readable) == ([], [read_fd])


@pytest.mark.parametrize('stop_signal', [signal.SIGTERM, signal.SIGINT])
def test_runner_reloads_on_hup_and_stops_on_term_or_int(
        conf: cfg.ConfigOpts, stop_signal: int) -> None:
    service = FakeService()
    reloads: list[str] = []

    sender = send_later(signal.SIGHUP, stop_signal)
    code = ServiceRunner(service, conf, lambda: reloads.append('reload')).run(
        on_ready=lambda: service.calls.append('ready'))
    sender.join()

    assert code == exit_codes.OK
    assert reloads == ['reload']
    assert service.calls == ['start', 'ready', 'reset', 'stop', 'wait']


def test_runner_stops_a_service_whose_start_still_blocks(conf: cfg.ConfigOpts) -> None:
    service = FakeService(block_start=True)

    sender = send_later(signal.SIGTERM)
    code = ServiceRunner(service, conf, lambda: None).run(
        on_ready=lambda: service.calls.append('ready'))
    sender.join()
    service.start_may_finish.set()

    assert code == exit_codes.OK
    assert service.calls == ['start', 'stop', 'wait']


def test_runner_skips_reset_when_the_reload_is_refused(conf: cfg.ConfigOpts) -> None:
    service = FakeService()

    def refuse() -> None:
        raise exception.ConfigError('bad value')

    sender = send_later(signal.SIGHUP, signal.SIGTERM)
    code = ServiceRunner(service, conf, refuse).run(on_ready=lambda: None)
    sender.join()

    assert code == exit_codes.OK
    assert service.calls == ['start', 'stop', 'wait']


def test_runner_stops_when_the_supervisor_is_gone(conf: cfg.ConfigOpts) -> None:
    service = FakeService()
    read_fd, write_fd = os.pipe()
    os.close(write_fd)

    try:
        code = ServiceRunner(service, conf, lambda: None,
                                      parent_fd=read_fd).run(on_ready=lambda: None)
    finally:
        os.close(read_fd)

    assert code == exit_codes.OK
    assert service.calls == ['start', 'stop', 'wait']


def test_runner_stops_the_service_and_raises_when_start_fails(conf: cfg.ConfigOpts) -> None:
    service = FakeService(fail_start=True)

    with pytest.raises(exception.ServiceStartError) as raised:
        ServiceRunner(service, conf, lambda: None).run(on_ready=lambda: None)

    assert str(raised.value) == 'svcframe-fake failed to start: no database'
    assert isinstance(raised.value.__cause__, RuntimeError)
    assert service.calls == ['start', 'stop', 'wait']


def test_launch_in_one_process_returns_3_when_start_fails(conf: cfg.ConfigOpts) -> None:
    code = launch.launch(FakeService(fail_start=True), conf, lambda: None, workers=1)

    assert code == exit_codes.START_FAILED


def test_sighup_while_starting_reloads_at_once_and_resets_once_started(
        conf: cfg.ConfigOpts) -> None:
    service = FakeService(block_start=True)
    reloads: list[str] = []

    def wait_for(condition) -> None:
        while not condition():
            threading.Event().wait(0.02)

    def drive() -> None:
        wait_for(lambda: 'start' in service.calls)
        os.kill(os.getpid(), signal.SIGHUP)
        wait_for(lambda: reloads)
        service.calls.append('reloaded while starting')
        service.start_may_finish.set()
        wait_for(lambda: 'ready' in service.calls)
        os.kill(os.getpid(), signal.SIGTERM)

    driver = threading.Thread(target=drive)
    driver.start()
    code = ServiceRunner(service, conf, lambda: reloads.append('reload')).run(
        on_ready=lambda: service.calls.append('ready'))
    driver.join()

    assert code == exit_codes.OK
    assert service.calls == ['start', 'reloaded while starting', 'reset', 'ready',
                             'stop', 'wait']


def test_runner_writes_a_report_on_usr2_and_keeps_running(
        conf: cfg.ConfigOpts, tmp_path) -> None:
    conf.set_override('log_dir', str(tmp_path), group='oslo_reports')
    service = FakeService()

    sender = send_later(signal.SIGUSR2, signal.SIGTERM)
    code = ServiceRunner(service, conf, lambda: None).run(on_ready=lambda: None)
    sender.join()

    assert code == exit_codes.OK
    assert service.calls == ['start', 'stop', 'wait']  # not stopped by the report
    [report] = list(tmp_path.iterdir())
    assert report.name.startswith('svcframe-fake.%d_gurumeditation_' % os.getpid())
    text = report.read_text()
    sections = [line.strip('= ') for line in text.splitlines() if line.startswith('==== ')]
    assert sections == ['Guru Meditation', 'Package', 'Threads', 'Green Threads',
                        'Processes', 'Configuration']
    assert 'product = svcframe' in text


def test_runner_writes_a_report_while_start_still_blocks(
        conf: cfg.ConfigOpts, tmp_path) -> None:
    conf.set_override('log_dir', str(tmp_path), group='oslo_reports')
    service = FakeService(block_start=True)

    sender = send_later(signal.SIGUSR2, signal.SIGTERM)
    code = ServiceRunner(service, conf, lambda: None).run(on_ready=lambda: None)
    sender.join()
    service.start_may_finish.set()

    assert code == exit_codes.OK
    [report] = list(tmp_path.iterdir())
    # The stack of the thread stuck in start() is in it.
    assert 'start_may_finish.wait' in report.read_text()


def test_the_signal_loop_dispatches_through_its_table_in_order_until_done() -> None:
    calls: list[str] = []
    loop = SignalLoop({signal.SIGUSR1: lambda: calls.append('usr1'),
                       signal.SIGWINCH: lambda: calls.append('winch')})
    loop.open()
    try:
        os.kill(os.getpid(), signal.SIGWINCH)
        os.kill(os.getpid(), signal.SIGUSR1)
        os.kill(os.getpid(), signal.SIGWINCH)
        # Done after two: the third signal, noted already, is not handled.
        loop.run_until(lambda: len(calls) == 2)
    finally:
        loop.close()

    assert calls == ['winch', 'usr1']

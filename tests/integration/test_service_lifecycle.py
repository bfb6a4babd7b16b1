"""A plugin manager run by the real service binaries, driven by real signals."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
from collections.abc import Iterator

import pytest

from tests.integration.conftest import ServiceRunner, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

RECORDER = '[DEFAULT]\ncompute_manager = recorder\nconductor_manager = recorder\n'


def inits_of(services: ServiceRunner, count: int) -> list[tuple[int, str, list[str]]]:
    """Wait until ``count`` processes have run init_host(); their events."""
    return wait_until(lambda: len(services.events.of('init_host')) == count and
                      services.events.of('init_host'), what='%d init_host calls' % count)


def test_the_binary_runs_on_the_backend_its_environment_names(services: ServiceRunner) -> None:
    services.write_config(RECORDER)
    compute = services.start('svcframe-compute')

    seen = wait_until(lambda: services.events.of('backend'), what='the backend recorded')
    # Under threading eventlet is never imported, by svcframe or any library.
    loaded = 'eventlet-loaded' if services.backend == 'eventlet' else 'no-eventlet'
    assert seen == [(compute.pid, 'backend', [services.backend, loaded])]
    assert 'runs on the %s backend (SVCFRAME_BACKEND)' % services.backend in compute.stdout


def test_plugin_manager_runs_its_init_host_and_periodic_task(services: ServiceRunner) -> None:
    services.write_config(RECORDER + '[recorder]\ngreeting = first\n')
    compute = services.start('svcframe-compute')

    init = wait_until(lambda: services.events.of('init_host'), what='init_host')
    assert init == [(compute.pid, 'init_host', ['compute', socket.gethostname(), 'first'])]
    ticks = wait_until(lambda: len(services.events.of('tick', compute.pid)) >= 3,
                       what='three periodic ticks')
    assert ticks
    # The periodic task is handed an admin context.
    assert {tuple(args) for _, _, args in services.events.of('tick')} == {('True',)}
    assert compute.running()


def test_sighup_applies_a_changed_mutable_option_in_the_same_process(
        services: ServiceRunner) -> None:
    services.write_config(RECORDER + '[recorder]\ngreeting = before\n')
    compute = services.start('svcframe-compute')
    wait_until(lambda: services.events.of('init_host'), what='init_host')

    services.write_config(RECORDER + '[recorder]\ngreeting = after\n')
    compute.send(signal.SIGHUP)

    resets = wait_until(lambda: services.events.of('reset'), what='reset()')
    assert resets == [(compute.pid, 'reset', ['after'])]
    assert compute.running()
    assert len(services.events.of('init_host')) == 1  # not restarted
    ticks_after_reset = len(services.events.of('tick'))
    assert wait_until(lambda: len(services.events.of('tick')) > ticks_after_reset,
                      what='ticks after the reload')


def test_sighup_with_a_now_invalid_option_keeps_the_service_running(
        services: ServiceRunner) -> None:
    services.write_config(RECORDER)
    compute = services.start('svcframe-compute')
    wait_until(lambda: services.events.of('init_host'), what='init_host')

    services.write_config(RECORDER + '[DEFAULT]\nservice_down_time = never\n')
    compute.send(signal.SIGHUP)

    wait_until(lambda: 'service_down_time' in compute.stdout, what='the reload error')
    assert services.events.of('reset') == []
    assert compute.running()

    # The service keeps the values it had: a later good reload works.
    services.write_config(RECORDER + '[recorder]\ngreeting = fixed\n')
    compute.send(signal.SIGHUP)
    assert wait_until(lambda: services.events.of('reset'), what='reset()') == [
        (compute.pid, 'reset', ['fixed'])]
    compute.send(signal.SIGTERM)
    assert compute.wait() == 0


@pytest.mark.parametrize('signo', [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_runs_cleanup_host_and_exits_zero(
        services: ServiceRunner, signo: int) -> None:
    services.write_config(RECORDER + '[recorder]\ncleanup_seconds = 0.5\n')
    compute = services.start('svcframe-compute')
    wait_until(lambda: services.events.of('tick'), what='a tick')

    compute.send(signo)

    # graceful_shutdown_timeout is 60 s: an idle service that slept through
    # the signal would not exit within this bound.
    assert compute.wait(timeout=10) == 0
    events = services.events.all()
    assert events[-1] == (compute.pid, 'cleanup_host', [])
    assert 'Traceback' not in compute.stderr + compute.stdout


def test_stop_that_overruns_graceful_shutdown_timeout_exits_4(services: ServiceRunner) -> None:
    services.write_config(RECORDER + 'graceful_shutdown_timeout = 1\n'
                          '[recorder]\ncleanup_seconds = 60\n')
    compute = services.start('svcframe-compute')
    wait_until(lambda: services.events.of('init_host'), what='init_host')

    compute.send(signal.SIGTERM)

    assert compute.wait(timeout=20) == 4
    assert services.events.of('cleanup_host') == []
    assert 'graceful_shutdown_timeout exceeded' in compute.stderr


def test_manager_that_fails_to_start_exits_3(services: ServiceRunner) -> None:
    services.write_config(RECORDER + '[recorder]\nfail_init = true\n')
    compute = services.start('svcframe-compute')

    assert compute.wait(timeout=20) == 3
    assert 'init_host was told to fail' in compute.stdout


@contextlib.contextmanager
def notify_socket(services: ServiceRunner) -> Iterator[tuple[socket.socket, dict[str, str]]]:
    """A NOTIFY_SOCKET to listen on, as systemd would, and the env naming it."""
    path = services.tmp_path / 'notify.sock'
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(path))
    listener.settimeout(20)
    try:
        yield listener, services.env(NOTIFY_SOCKET=str(path))
    finally:
        listener.close()


def test_systemd_is_told_ready_once_the_service_runs(services: ServiceRunner) -> None:
    with notify_socket(services) as (listener, env):
        services.write_config(RECORDER)
        compute = services.start('svcframe-compute', env=env)
        message = listener.recv(1024)
    assert message == b'READY=1'
    # READY comes after init_host, once the service runs.
    assert services.events.of('init_host', compute.pid)


def test_supervisor_tells_systemd_ready_once_every_worker_runs(services: ServiceRunner) -> None:
    with notify_socket(services) as (listener, env):
        services.write_config(RECORDER + '[conductor]\nworkers = 3\n')
        conductor = services.start('svcframe-conductor', env=env)
        message = listener.recv(1024)
        inits_at_ready = services.events.of('init_host')
        listener.settimeout(1)
        with pytest.raises(socket.timeout):
            listener.recv(1024)  # workers do not notify on their own
    assert message == b'READY=1'
    assert len(inits_at_ready) == 3
    assert {pid for pid, _, _ in inits_at_ready} == conductor.children()


def test_conductor_runs_its_workers_and_replaces_a_killed_one(services: ServiceRunner) -> None:
    services.write_config(RECORDER + '[conductor]\nworkers = 2\n')
    conductor = services.start('svcframe-conductor')

    inits = inits_of(services, 2)
    workers = {pid for pid, _, _ in inits}
    assert conductor.pid not in workers
    assert conductor.children() == workers

    victim = sorted(workers)[0]
    os.kill(victim, signal.SIGKILL)

    try:
        replaced = inits_of(services, 3)  # the replacement
    except AssertionError as error:
        # Seen once in CI and never since: keep what the processes said.
        raise AssertionError('%s; events: %s; supervisor children: %s; output:\n%s\n%s'
                             % (error, services.events.all(), conductor.children(),
                                conductor.stdout[-3000:], conductor.stderr[-3000:])) from None
    new_workers = {pid for pid, _, _ in replaced} - workers
    assert len(new_workers) == 1
    assert wait_until(lambda: conductor.children() == (workers - {victim}) | new_workers,
                      what='the supervisor to hold the new worker set')


def test_conductor_sighup_reaches_every_worker_without_restarting_them(
        services: ServiceRunner) -> None:
    services.write_config(RECORDER + '[conductor]\nworkers = 2\n[recorder]\ngreeting = a\n')
    conductor = services.start('svcframe-conductor')
    inits = inits_of(services, 2)
    workers = {pid for pid, _, _ in inits}

    services.write_config(RECORDER + '[conductor]\nworkers = 2\n[recorder]\ngreeting = b\n')
    conductor.send(signal.SIGHUP)

    resets = wait_until(lambda: len(services.events.of('reset')) == 2 and
                        services.events.of('reset'), what='reset in both workers')
    assert {(pid, tuple(args)) for pid, _, args in resets} == {(pid, ('b',)) for pid in workers}
    assert conductor.children() == workers
    assert conductor.running()


def test_conductor_sigterm_stops_every_worker_and_exits_zero(services: ServiceRunner) -> None:
    services.write_config(RECORDER + '[conductor]\nworkers = 2\n')
    conductor = services.start('svcframe-conductor')
    inits = inits_of(services, 2)
    workers = {pid for pid, _, _ in inits}

    conductor.send(signal.SIGTERM)

    assert conductor.wait(timeout=10) == 0
    assert {pid for pid, _, _ in services.events.of('cleanup_host')} == workers
    assert conductor.children() == set()


def test_worker_that_cannot_start_stops_the_supervisor_with_3(services: ServiceRunner) -> None:
    services.write_config(RECORDER + '[conductor]\nworkers = 4\n[recorder]\nfail_init = true\n')
    conductor = services.start('svcframe-conductor')

    assert conductor.wait(timeout=30) == 3
    assert conductor.children() == set()


def test_scheduler_honours_its_own_workers_option(services: ServiceRunner) -> None:
    services.write_config('[DEFAULT]\nscheduler_manager = recorder\n[scheduler]\nworkers = 3\n')
    scheduler = services.start('svcframe-scheduler')

    inits = inits_of(services, 3)
    assert {args[0] for _, _, args in inits} == {'scheduler'}
    scheduler.send(signal.SIGTERM)
    assert scheduler.wait(timeout=10) == 0


def test_sigusr2_writes_a_report_and_the_service_keeps_running(
        services: ServiceRunner) -> None:
    services.write_config(RECORDER)
    compute = services.start('svcframe-compute')
    wait_until(lambda: services.events.of('init_host'), what='init_host')

    compute.send(signal.SIGUSR2)

    report = wait_until(lambda: 'Configuration' in compute.stderr and compute.stderr,
                        what='a Guru Meditation Report on stderr')
    assert 'Guru Meditation' in report
    assert 'Green Threads' in report
    assert 'compute_manager = recorder' in report  # the configuration in effect
    assert compute.running()
    ticks = len(services.events.of('tick'))
    assert wait_until(lambda: len(services.events.of('tick')) > ticks,
                      what='periodic ticks after the report')
    compute.send(signal.SIGTERM)
    assert compute.wait() == 0


def test_sigusr2_to_a_supervisor_reaches_every_worker(services: ServiceRunner,
                                                      tmp_path) -> None:
    report_dir = tmp_path / 'reports'
    report_dir.mkdir()
    services.write_config(RECORDER + '[conductor]\nworkers = 2\n'
                          '[oslo_reports]\nlog_dir = %s\n' % report_dir)
    conductor = services.start('svcframe-conductor')
    workers = {pid for pid, _, _ in inits_of(services, 2)}

    conductor.send(signal.SIGUSR2)

    reports = wait_until(lambda: len(list(report_dir.iterdir())) == 3 and
                         list(report_dir.iterdir()), what='three reports')
    assert {path.name.split('_gurumeditation_')[0] for path in reports} == {
        'svcframe-conductor.%d' % pid for pid in workers | {conductor.pid}}
    assert conductor.children() == workers  # nobody restarted
    assert conductor.running()

"""The systemd watchdog: fed only while the event hub runs, in one process or in workers.

The test plays systemd: a NOTIFY_SOCKET of its own and WATCHDOG_USEC of one
second. The recorder plugin then blocks its hub for 3 s the way a C call
does (the unpatched time.sleep): the pings must stop meanwhile, and the
process must log the stack of the code that blocked it.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from tests.integration.conftest import ServiceRunner, wait_until
from tests.integration.test_service_lifecycle import notify_socket

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

BLOCK_SECONDS = 3.0
WATCHDOG_USEC = '1000000'


def config(block_file: Path, extra: str = '') -> str:
    return ('[DEFAULT]\ncompute_manager = recorder\nconductor_manager = recorder\n'
            'hub_block_warning_seconds = 1\n'
            '[recorder]\nblock_hub_file = %s\nblock_hub_seconds = %s\n%s'
            % (block_file, BLOCK_SECONDS, extra))


class Pings:
    """WATCHDOG=1 messages as they arrive, with when."""

    def __init__(self, listener: socket.socket) -> None:
        self.listener = listener
        self.times: list[float] = []

    def read_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.listener.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                message = self.listener.recv(1024)
            except TimeoutError:
                return
            if message == b'WATCHDOG=1':
                self.times.append(time.monotonic())

    def read_until(self, condition, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, 'timed out reading pings'
            self.read_for(0.2)

    def longest_silence(self) -> float:
        return max(b - a for a, b in zip(self.times, self.times[1:]))


def wait_ready(listener: socket.socket) -> None:
    """READY=1 comes once the service runs; pings may come before it."""
    while (message := listener.recv(1024)) != b'READY=1':
        assert message == b'WATCHDOG=1', message


def blocked_and_back(services: ServiceRunner, pings: Pings, block_file: Path) -> None:
    """Have the plugin block its hub; read pings until it is back and pinging."""
    pings.read_for(3)
    assert len(pings.times) >= 3, 'no steady pings before the block'
    assert pings.longest_silence() < 2.0  # every 0.5 s, with room for a busy machine
    block_file.touch()
    pings.read_until(lambda: services.events.of('hub_unblocked'))
    after = len(pings.times)
    pings.read_until(lambda: len(pings.times) >= after + 2)


def test_a_blocked_hub_stops_the_pings_and_its_stack_is_logged(services: ServiceRunner) -> None:
    block_file = services.tmp_path / 'block'
    with notify_socket(services) as (listener, env):
        services.write_config(config(block_file))
        env['WATCHDOG_USEC'] = WATCHDOG_USEC
        compute = services.start('svcframe-compute', env=env)
        wait_ready(listener)
        pings = Pings(listener)

        blocked_and_back(services, pings, block_file)

    # Nothing ran while the hub was held, the pings included: systemd,
    # with WatchdogSec=1, would have restarted the process.
    assert pings.longest_silence() >= BLOCK_SECONDS - 0.5
    if services.backend != 'eventlet':
        return  # no hub: the stack warning is eventlet's (hub_block_warning_seconds)
    warning = wait_until(lambda: 'event hub was blocked' in compute.stdout and compute.stdout,
                         what='the blocked-hub warning')
    [line] = [line for line in warning.splitlines() if 'event hub was blocked' in line]
    assert ' WARNING ' in line
    assert 'block_hub_like_a_c_call' in warning  # the stack names the culprit


def test_one_blocked_worker_stops_its_supervisors_pings(services: ServiceRunner) -> None:
    block_file = services.tmp_path / 'block'
    with notify_socket(services) as (listener, env):
        services.write_config(config(block_file, '[conductor]\nworkers = 2\n'))
        env['WATCHDOG_USEC'] = WATCHDOG_USEC
        conductor = services.start('svcframe-conductor', env=env)
        wait_ready(listener)
        pings = Pings(listener)

        blocked_and_back(services, pings, block_file)

    assert len(services.events.of('blocking_hub')) == 1  # one worker of the two
    assert pings.longest_silence() >= BLOCK_SECONDS - 1.0
    assert 'stopped saying their event hub runs' in conductor.stdout

"""Log lines name their binary and host; JSON logs are one option away."""

from __future__ import annotations

import json
import re
import signal

import pytest

from tests.integration.conftest import ServiceRunner, wait_until

pytestmark = pytest.mark.integration

RECORDER = '[DEFAULT]\ncompute_manager = recorder\nhost = node-%s\n' % 'log'


def run_until_started_and_stopped(services: ServiceRunner) -> str:
    compute = services.start('svcframe-compute')
    wait_until(lambda: services.events.of('init_host'), what='init_host')
    compute.send(signal.SIGTERM)
    assert compute.wait() == 0
    return compute.stdout + compute.stderr


def test_every_text_line_names_the_binary_and_host(services: ServiceRunner) -> None:
    services.write_config(RECORDER)

    output = run_until_started_and_stopped(services)

    lines = [line for line in output.splitlines() if line.strip()]
    assert any('Starting svcframe-compute' in line for line in lines)
    prefix = re.compile(r'^\S+ \S+ \d+ [A-Z]+ svcframe-compute node-log \S+ \[')
    assert [line for line in lines if not prefix.match(line)] == []


def test_use_json_makes_every_line_a_json_document(services: ServiceRunner) -> None:
    services.write_config(RECORDER + 'use_json = true\n')

    output = run_until_started_and_stopped(services)

    documents = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert any(doc['message'].startswith('Starting svcframe-compute') for doc in documents)
    assert {(doc['extra']['binary'], doc['extra']['host']) for doc in documents} == {
        ('svcframe-compute', 'node-log')}
    assert all(doc['levelname'] in ('DEBUG', 'INFO', 'WARNING', 'ERROR') for doc in documents)

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from oslo_config import cfg

from svcframe import conf as svcframe_conf
from svcframe.cmd import manage_commands
from svcframe.db import compute_nodes
from svcframe.db import instances
from svcframe.db import migration
from svcframe.db.api import Database


def test_service_list_shows_every_record_however_small_the_api_pages(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    conf = cfg.ConfigOpts()
    svcframe_conf.register_all(conf)
    conf.register_cli_opt(manage_commands.CATEGORY)
    conf(['service', 'list'], project='svcframe-unit-tests', default_config_files=[])
    conf.set_override('state_path', str(tmp_path))
    conf.set_override('max_limit', 1, group='api')
    database = Database(conf)
    try:
        migration.sync(database)
        for index in range(3):
            database.service_create('node-%d' % index, 'svcframe-compute', 'compute')

        assert manage_commands.service_list(conf, database) == 0
    finally:
        database.close()

    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split()[0] == 'id'
    assert [row.split()[2] for row in rows] == ['node-0', 'node-1', 'node-2']


@pytest.fixture
def registry(tmp_path: Path):
    """A migrated SQLite registry and a config file that points at it."""
    config_file = tmp_path / 'svcframe.conf'
    config_file.write_text('[DEFAULT]\nstate_path = %s\n' % tmp_path)
    conf = cfg.ConfigOpts()
    svcframe_conf.register_all(conf)
    conf([], project='svcframe-unit-tests', default_config_files=[str(config_file)])
    database = Database(conf)
    migration.sync(database)
    yield config_file, database
    database.close()


def manage(config_file: Path, *args: str) -> int:
    conf = cfg.ConfigOpts()
    svcframe_conf.register_all(conf)
    return manage_commands.run(['--config-file', str(config_file), *args], conf)


def test_service_list_escapes_the_control_characters_of_stored_text(
        registry, capsys: pytest.CaptureFixture) -> None:
    config_file, database = registry
    forged = database.service_create('node\x1b]0;pwned\x07', 'svcframe-compute', 'compute')
    database.service_update(forged.id, {'disabled': True,
                                        'disabled_reason': 'swap\n9  svcframe-x  evil\x1b[2J'})
    database.service_create('node-2', 'svcframe-compute', 'compute')

    assert manage(config_file, 'service', 'list') == 0

    out = capsys.readouterr().out
    header, first, second = out.splitlines()
    assert 'node\\x1b]0;pwned\\x07' in first
    assert first.endswith('swap\\x0a9  svcframe-x  evil\\x1b[2J')
    assert second.split()[2] == 'node-2'
    assert not any(char in out for char in '\x1b\x07')


@pytest.mark.parametrize('reason, problem', [
    ('x' * 256, 'must be a string of at most 255 characters'),
    ('swap\nforged', 'it holds U+000A at position 4'),
    ('\x1b[31mred', 'it holds U+001B at position 0'),
    ('bad\udcffbyte', 'it holds U+DCFF at position 3'),  # an undecodable argv byte
])
def test_service_disable_holds_reason_to_the_api_rule(
        registry, capsys: pytest.CaptureFixture, reason: str, problem: str) -> None:
    config_file, database = registry
    service = database.service_create('node-1', 'svcframe-compute', 'compute')

    code = manage(config_file, 'service', 'disable', str(service.id), '--reason', reason)

    assert code == 1
    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    assert line.startswith('svcframe-manage: error: --reason "')
    assert line.endswith(problem) and '\x1b' not in line
    assert len(line) < 300
    assert database.service_get(service.id).disabled is False


def test_service_disable_takes_a_reason_the_api_takes(registry) -> None:
    config_file, database = registry
    service = database.service_create('node-1', 'svcframe-compute', 'compute')
    reason = 'r\u00e9paration \\ disque ' + 'x' * 235

    assert manage(config_file, 'service', 'disable', str(service.id), '--reason', reason) == 0

    stored = database.service_get(service.id)
    assert (stored.disabled, stored.disabled_reason) == (True, reason)


def test_quota_set_and_show(registry, capsys: pytest.CaptureFixture[str]) -> None:
    config_file, database = registry
    assert manage(config_file, 'quota', 'set', 'p1', '--vcpus', '8', '--memory-mb', '-1') == 0

    assert manage(config_file, 'quota', 'show', 'p1') == 0

    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert rows == [['resource', 'limit', 'in_use'], ['instances', '10', '0'],
                    ['vcpus', '8', '0'], ['memory_mb', '-1', '0']]


@pytest.mark.parametrize('args, message', [
    (('--vcpus', '-2'), '--vcpus must be an integer from -1'),
    ((), 'give one or more of --instances, --vcpus, --memory-mb'),
])
def test_quota_set_refuses_bad_limits_with_one_line(
        registry, capsys: pytest.CaptureFixture[str], args: tuple[str, ...],
        message: str) -> None:
    config_file, _ = registry
    assert manage(config_file, 'quota', 'set', 'p1', *args) == 1
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and message in err


def test_quota_set_with_a_non_integer_is_a_usage_error(registry) -> None:
    config_file, _ = registry
    with pytest.raises(SystemExit) as raised:
        manage(config_file, 'quota', 'set', 'p1', '--vcpus', 'many')
    assert raised.value.code == 2


def test_instance_audit_reports_a_leaked_claim_and_repair_fixes_it(
        registry, capsys: pytest.CaptureFixture) -> None:
    config_file, database = registry
    for host in ('node-1', 'node-2'):
        service = database.service_create(host, 'svcframe-compute', 'compute')
        database.service_report(service.id)
        compute_nodes.report(database, host, vcpus=8, memory_mb=8192)
    uuid = instances.create(database, 'vm', 2, 1024, 'p', 'u').uuid
    assert instances.claim(database, uuid, 'node-1', 2, 1024, datetime.datetime(2000, 1, 1))
    with database.engine.begin() as connection:  # a claim nothing holds
        connection.execute(sa.update(instances.NODES).where(instances.NODES.c.host == 'node-2')
                           .values(vcpus_used=1, memory_mb_used=512))

    assert manage(config_file, 'instance', 'audit') == 6
    assert manage(config_file, 'instance', 'audit', '--repair') == 0
    assert manage(config_file, 'instance', 'audit') == 0

    first, repaired, second = [out.splitlines() for out in
                               capsys.readouterr().out.split('host ')[1:]]
    assert first[1].split() == ['node-1', '2', '2', '1024', '1024', 'ok']
    assert first[2].split() == ['node-2', '1', '0', '512', '0', 'differs']
    assert repaired[2].split() == ['node-2', '1', '0', '512', '0', 'repaired']
    assert second[2].split() == ['node-2', '0', '0', '0', '0', 'ok']

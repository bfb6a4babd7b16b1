"""The commands of svcframe-manage; each returns the exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import sqlalchemy
from oslo_config import cfg
from oslo_db import exception as db_exception

from svcframe import config
from svcframe import config_check as svcframe_config_check
from svcframe import exception
from svcframe import exit_codes
from svcframe import log_text
from svcframe import servicegroup
from svcframe.api import quotas as quotas_api
from svcframe.api import services as services_api
from svcframe.db import api as db_api
from svcframe.db import compute_nodes
from svcframe.db import migration
from svcframe.db import quotas
from svcframe.db.api import Database

LIST_COLUMNS = ('id', 'binary', 'host', 'topic', 'status', 'state', 'forced_down',
                'report_count', 'updated_at', 'disabled_reason')


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    db = subparsers.add_parser('db', help='the database schema').add_subparsers(
        dest='action', required=True)
    db.add_parser('sync', help='create or upgrade the schema to this release')
    db.add_parser('version', help='print the schema revision')

    service = subparsers.add_parser('service', help='the service registry').add_subparsers(
        dest='action', required=True)
    listing = service.add_parser('list', help='every service, with its state')
    # Named apart from the [DEFAULT] host option, which they would shadow.
    listing.add_argument('--host', dest='service_host')
    listing.add_argument('--binary', dest='service_binary')
    service.add_parser('enable', help='let a service take work').add_argument(
        'id', type=int)
    disable = service.add_parser('disable', help='stop sending a service new work')
    disable.add_argument('id', type=int)
    disable.add_argument('--reason', help='why, shown in service list: at most %d characters, '
                         'no control characters' % services_api.MAX_REASON_LENGTH)
    force_down = service.add_parser('force-down', help='mark a service down now')
    force_down.add_argument('id', type=int)
    force_down.add_argument('--unset', action='store_true',
                            help='clear the mark; the heartbeats decide again')
    service.add_parser('delete', help='remove a service record').add_argument(
        'id', type=int)

    quota = subparsers.add_parser('quota', help='per-project quotas').add_subparsers(
        dest='action', required=True)
    quota.add_parser('show', help='a project\'s limits and usage').add_argument('project')
    quota_set = quota.add_parser('set', help='set a project\'s own limits (-1: no limit)')
    quota_set.add_argument('project')
    for resource in quotas.RESOURCES:
        quota_set.add_argument('--' + resource.replace('_', '-'), dest='limit_' + resource,
                               type=int, metavar='N')

    instance = subparsers.add_parser('instance', help='the instances').add_subparsers(
        dest='action', required=True)
    audit = instance.add_parser(
        'audit', help='compare each host\'s recorded usage with its instances')
    audit.add_argument('--repair', action='store_true',
                       help='set each differing usage to what the instances hold')

    config_commands = subparsers.add_parser(
        'config', help='the configuration files').add_subparsers(dest='action', required=True)
    config_commands.add_parser(
        'check', help='report unknown options and invalid values in the config files')


CATEGORY = cfg.SubCommandOpt('category', title='Commands', handler=add_parsers)


def db_sync(conf: cfg.ConfigOpts, database: Database) -> int:
    migration.sync(database)
    print('database %s is at revision %s' % (database.safe_url, migration.version(database)))
    return exit_codes.OK


def db_version(conf: cfg.ConfigOpts, database: Database) -> int:
    print(migration.version(database) or 'none: run "svcframe-manage db sync"')
    return exit_codes.OK


def service_list(conf: cfg.ConfigOpts, database: Database) -> int:
    args = conf.category
    rows: list[tuple[object, ...]] = [LIST_COLUMNS]
    cutoff = servicegroup.up_cutoff(conf)
    for service in database.service_get_all(host=args.service_host,
                                            binary=args.service_binary):
        rows.append((service.id, service.binary, service.host, service.topic,
                     'disabled' if service.disabled else 'enabled',
                     servicegroup.state(service, conf, cutoff=cutoff), service.forced_down,
                     service.report_count, service.updated_at or '',
                     service.disabled_reason or ''))
    # Stored text came from API clients: its control characters are escaped,
    # so a reason cannot break the table or send escape sequences to the terminal.
    table = [[log_text.escape(str(value)) for value in row] for row in rows]
    widths = [max(len(row[column]) for row in table) for column in range(len(LIST_COLUMNS))]
    for row in table:
        cells = (value.ljust(width) for value, width in zip(row, widths, strict=True))
        print('  '.join(cells).rstrip())
    return exit_codes.OK


def service_enable(conf: cfg.ConfigOpts, database: Database) -> int:
    database.service_update(conf.category.id, {'disabled': False, 'disabled_reason': None})
    return exit_codes.OK


def service_disable(conf: cfg.ConfigOpts, database: Database) -> int:
    reason = conf.category.reason
    problem = None if reason is None else services_api.reason_problem(reason)
    if problem:
        # The API's rule for disabled_reason, in the contract's one line.
        shown = reason if len(reason) <= 72 else reason[:64] + '...'
        print('svcframe-manage: error: --reason "%s": %s' % (log_text.escape(shown), problem),
              file=sys.stderr)
        return exit_codes.CONFIG_ERROR
    database.service_update(conf.category.id, {'disabled': True,
                                               'disabled_reason': conf.category.reason})
    return exit_codes.OK


def service_force_down(conf: cfg.ConfigOpts, database: Database) -> int:
    database.service_update(conf.category.id, {'forced_down': not conf.category.unset})
    return exit_codes.OK


def service_delete(conf: cfg.ConfigOpts, database: Database) -> int:
    database.service_destroy(conf.category.id)
    return exit_codes.OK


def quota_show(conf: cfg.ConfigOpts, database: Database) -> int:
    project = conf.category.project
    problem = quotas_api.project_id_problem(project)
    if problem:
        return _fail(exception.SvcframeError('project "%s": %s' % (project, problem)),
                     exit_codes.CONFIG_ERROR)
    limits = quotas.get_limits(database, project, quotas.defaults(conf))
    usage = quotas.get_usage(database, project)
    _print_table([('resource', 'limit', 'in_use')] + [
        (resource, str(limits[resource]), str(usage[resource]))
        for resource in quotas.RESOURCES])
    return exit_codes.OK


def quota_set(conf: cfg.ConfigOpts, database: Database) -> int:
    args = conf.category
    problem = quotas_api.project_id_problem(args.project)
    if problem:
        return _fail(exception.SvcframeError('project "%s": %s' % (args.project, problem)),
                     exit_codes.CONFIG_ERROR)
    limits = {resource: getattr(args, 'limit_' + resource) for resource in quotas.RESOURCES
              if getattr(args, 'limit_' + resource) is not None}
    if not limits:
        return _fail(exception.SvcframeError(
            'quota set: give one or more of --instances, --vcpus, --memory-mb'),
            exit_codes.CONFIG_ERROR)
    for resource, limit in limits.items():
        problem = quotas_api.limit_problem(limit)
        if problem:
            return _fail(exception.SvcframeError(
                '--%s %s' % (resource.replace('_', '-'), problem)), exit_codes.CONFIG_ERROR)
    quotas.set_limits(database, args.project, limits)
    return exit_codes.OK


def instance_audit(conf: cfg.ConfigOpts, database: Database) -> int:
    """Each host's usage against the sum of the instances placed on it.

    Exit 0 when they all match (or were repaired), AUDIT_MISMATCH when one
    differs and --repair was not given.
    """
    repair = conf.category.repair
    rows = [('host', 'vcpus_used', 'vcpus_held', 'memory_mb_used', 'memory_mb_held',
             'result')]
    left_wrong = False
    for usage in compute_nodes.audit(database):
        result = 'ok'
        if usage.vcpus_used is None:
            result, left_wrong = 'no compute_nodes record', True
        elif not usage.matches and repair:
            usage = compute_nodes.repair(database, usage.host) or usage
            result = 'repaired'
        elif not usage.matches:
            result, left_wrong = 'differs', True
        rows.append((usage.host, _count(usage.vcpus_used), str(usage.vcpus_held),
                     _count(usage.memory_mb_used), str(usage.memory_mb_held), result))
    _print_table(rows)
    return exit_codes.AUDIT_MISMATCH if left_wrong else exit_codes.OK


def _count(value: int | None) -> str:
    return '-' if value is None else str(value)


def _print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        print('  '.join(value.ljust(width) for value, width in zip(row, widths, strict=True))
              .rstrip())


def config_check(conf: cfg.ConfigOpts, database: Database) -> int:
    files = svcframe_config_check.config_files(conf)
    if not files:
        return _fail(exception.ConfigError(
            'no config file to check: name one with --config-file or --config-dir'),
            exit_codes.CONFIG_ERROR)
    problems = svcframe_config_check.check(conf)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print('%d problem(s) in %s' % (len(problems), ', '.join(files)), file=sys.stderr)
        return exit_codes.CONFIG_ERROR
    print('no problems in %s' % ', '.join(files))
    return exit_codes.OK


COMMANDS: dict[tuple[str, str], Callable[[cfg.ConfigOpts, Database], int]] = {
    ('db', 'sync'): db_sync,
    ('db', 'version'): db_version,
    ('service', 'list'): service_list,
    ('service', 'enable'): service_enable,
    ('service', 'disable'): service_disable,
    ('service', 'force-down'): service_force_down,
    ('service', 'delete'): service_delete,
    ('quota', 'show'): quota_show,
    ('quota', 'set'): quota_set,
    ('instance', 'audit'): instance_audit,
    ('config', 'check'): config_check,
}

# The commands that work on a database whatever its schema (or none); the
# others refuse one that is not at this release's revision.
SCHEMA_FREE = frozenset({('db', 'sync'), ('db', 'version'), ('config', 'check')})


def run(args: list[str], conf: cfg.ConfigOpts | None = None) -> int:
    conf = cfg.CONF if conf is None else conf
    conf.register_cli_opt(CATEGORY)
    try:
        config.parse_args(args, 'svcframe-manage', conf)
    except exception.InvalidOptionValue as error:
        # config check reports this value with every other problem.
        if not _checking_config(conf):
            return _fail(error, exit_codes.CONFIG_ERROR)
    except exception.ConfigError as error:
        return _fail(error, exit_codes.CONFIG_ERROR)
    database = Database(conf)
    key = (conf.category.name, conf.category.action)
    command = COMMANDS[key]
    try:
        if key not in SCHEMA_FREE:
            migration.check(database)
        return command(conf, database)
    except exception.SchemaMismatch as error:
        return _fail(error, exit_codes.CONFIG_ERROR)
    except exception.DatabaseUnavailable as error:
        return _fail(error, exit_codes.START_FAILED)
    except (db_exception.DBConnectionError, sqlalchemy.exc.OperationalError) as error:
        return _fail(db_api.unavailable(database, error), exit_codes.START_FAILED)
    except exception.SvcframeError as error:
        return _fail(error, exit_codes.CONFIG_ERROR)
    finally:
        database.close()


def _checking_config(conf: cfg.ConfigOpts) -> bool:
    return (conf.category.name, conf.category.action) == ('config', 'check')


def _fail(error: Exception, code: int) -> int:
    print('svcframe-manage: error: %s' % log_text.escape(str(error)), file=sys.stderr)
    return code

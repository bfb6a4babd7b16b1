"""parse_args(): the one place that builds a binary's configuration and logging.

It registers every svcframe option, parses the command line and the config
files the oslo.config way for project ``svcframe``, checks every value once so
that a bad one is reported at start-up rather than when first read, and sets
up oslo.log.
"""

from __future__ import annotations

import glob
import importlib.metadata
import os
from collections.abc import Iterator

from oslo_config import cfg
from oslo_config import types
from oslo_log import log

from svcframe import conf as svcframe_conf
from svcframe import exception
from svcframe import logs
from svcframe import reach

PROJECT = 'svcframe'

# What each binary does: the top of its --help.
DESCRIPTIONS = {
    'svcframe-api': 'svcframe-api: serves the HTTP API (the paste app "api", [wsgi] '
                    'api_paste_config) on svcframe\'s WSGI server, in [api] workers '
                    'processes; it forwards work to the other services over RPC.',
    'svcframe-compute': 'svcframe-compute: runs the compute service: builds and tears '
                        'down instances on this host with the [compute] driver, and '
                        'reports the host\'s capacity and heartbeats through the conductor.',
    'svcframe-conductor': 'svcframe-conductor: runs the conductor service: owns the '
                          'database, the service registry and the instances, and drives '
                          'each build from scheduling to its compute host.',
    'svcframe-scheduler': 'svcframe-scheduler: runs the scheduler service: picks a '
                          'compute host for each new instance with [scheduler] '
                          'enabled_filters and weighers.',
    'svcframe-all': 'svcframe-all: runs conductor, scheduler, compute and the API in '
                    'one process, by default on the in-memory transport and a SQLite '
                    'file under state_path, migrated on start.',
    'svcframe-manage': 'svcframe-manage: operator commands on the database schema, the '
                       'service registry, quotas and the config files.',
}
GENERIC_DESCRIPTION = ('%(binary)s: runs a service built on svcframe (topic '
                       '%(topic)s, manager [DEFAULT] %(topic)s_manager).')


def parse_args(args: list[str], binary: str,
               conf: cfg.ConfigOpts | None = None) -> cfg.ConfigOpts:
    """Parse ``args`` (without the program name) into ``conf`` for ``binary``.

    ``conf`` defaults to the global ``cfg.CONF``, the object plugins register
    their own options on. Raises ConfigError; argparse usage errors exit 2.
    """
    conf = cfg.CONF if conf is None else conf
    # Before svcframe's: svcframe.conf.log sets its defaults on these.
    log.register_options(conf)
    svcframe_conf.register_all(conf)
    try:
        conf(args, project=PROJECT, prog=binary, version=version(),
             description=describe_binary(binary))
    except cfg.ConfigFilesNotFoundError as error:
        raise exception.ConfigFileNotFound(error.config_files) from None
    except cfg.ConfigDirNotFoundError as error:
        raise exception.ConfigFileNotFound([error.config_dir]) from None
    except cfg.ConfigFileParseError as error:
        raise exception.ConfigFileParseError(
            error.config_file, error.msg) from None
    check_values(conf)
    log.setup(conf, binary)
    logs.stamp_handlers(binary, conf.host)
    logs.quiet_broker_cancel_on_close()
    reach.stop_naming_threads()
    return conf


def describe_binary(binary: str) -> str:
    """What ``binary`` does, in a sentence or two, for the top of its --help."""
    if binary in DESCRIPTIONS:
        return DESCRIPTIONS[binary]
    # A plugin's binary: Service.create() derives the topic from the name.
    topic = binary.rsplit('-', 1)[-1]
    return GENERIC_DESCRIPTION % {'binary': binary, 'topic': topic}


def reload(conf: cfg.ConfigOpts) -> None:
    """Re-read the config files after SIGHUP; mutable options change.

    All or nothing: when the files now hold a bad value, or no longer parse,
    the previous values stay in effect and ConfigError is raised.
    """
    try:
        reach.mutate_config_files(conf, lambda: check_values(conf))
    except exception.ConfigError:
        raise
    except (cfg.Error, ValueError) as error:
        raise exception.ConfigError(
            'config files cannot be reloaded: %s' % error) from None


def check_values(conf: cfg.ConfigOpts) -> None:
    """Read every registered option once; raise InvalidOptionValue on the first bad one.

    Call again after importing plugins, whose options register late.
    """
    for error in _invalid_values(conf):
        raise error


def invalid_values(conf: cfg.ConfigOpts) -> list[exception.InvalidOptionValue]:
    """Every registered option whose configured value is not valid."""
    return list(_invalid_values(conf))


def _invalid_values(conf: cfg.ConfigOpts) -> Iterator[exception.InvalidOptionValue]:
    for group_name, group in _groups(conf):
        for name in list(group):
            try:
                group[name]
            except (cfg.ConfigFileValueError, cfg.ConfigSourceValueError,
                    ValueError):
                yield _invalid_value(conf, group_name, name)


def describe_type(opt_type: types.ConfigType) -> str:
    """What a person may write for an option of ``opt_type``."""
    choices = getattr(opt_type, 'choices', None)
    if choices:
        return 'one of: %s' % ', '.join(str(choice) for choice in choices)
    if isinstance(opt_type, types.Boolean):
        return 'true or false'
    if isinstance(opt_type, (types.Integer, types.Float)):
        kind = 'an integer' if isinstance(opt_type, types.Integer) else 'a number'
        return kind + _describe_range(opt_type.min, opt_type.max)
    if isinstance(opt_type, (types.HostAddress, types.HostDomain)):
        return 'a host name or an IP address'
    if isinstance(opt_type, types.IPAddress):
        return 'an IP address'
    return 'a valid %s' % getattr(opt_type, 'type_name', 'value')


def _describe_range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return ' from %s to %s' % (low, high)
    if low is not None:
        return ' >= %s' % low
    if high is not None:
        return ' <= %s' % high
    return ''


def _groups(conf: cfg.ConfigOpts):
    """Yield (group name, mapping of option name to value) for every group."""
    yield 'DEFAULT', conf
    for name in list(conf):
        try:
            value = conf[name]
        except (cfg.ConfigFileValueError, ValueError):
            continue  # a bad DEFAULT option; reported from the DEFAULT pass
        if isinstance(value, cfg.ConfigOpts.GroupAttr):
            yield name, value


def _invalid_value(conf: cfg.ConfigOpts, group: str,
                   name: str) -> exception.InvalidOptionValue:
    registered = reach.registered_opts(conf, None if group == 'DEFAULT' else group)
    opt = next(candidate for candidate in registered if candidate.dest == name)
    raw, source = _raw_value(conf, group, name)
    return exception.InvalidOptionValue(
        group, name, raw, describe_type(opt.type), source)


def _raw_value(conf: cfg.ConfigOpts, group: str,
               name: str) -> tuple[object, str | None]:
    """The text the operator wrote for an option, and where it is written.

    oslo.config reports neither for a value it cannot convert, so they are
    looked up again in its order: the environment, then the config files,
    later ones winning.
    """
    variable = 'OS_%s__%s' % (group.upper(), name.upper())
    if variable in os.environ:
        return os.environ[variable], 'environment variable %s' % variable
    found: tuple[object, str | None] = ('<unreadable>', None)
    for path in _config_files(conf):
        sections: dict = {}
        try:
            cfg.ConfigParser(path, sections).parse()
        except (OSError, cfg.ParseError):
            continue
        values = sections.get(group, {}).get(name)
        if values:
            found = (values[-1], path)
    return found


def _config_files(conf: cfg.ConfigOpts) -> list[str]:
    files = list(conf.config_file or [])
    for directory in conf.config_dir or []:
        files.extend(sorted(glob.glob(os.path.join(directory, '*.conf'))))
    return files


def version() -> str:
    """svcframe's installed version ('unknown' from a source tree not installed)."""
    try:
        return importlib.metadata.version(PROJECT)
    except importlib.metadata.PackageNotFoundError:
        return 'unknown'

"""``svcframe-manage config check``: every problem in the config files, at once.

A binary stops at the first bad value it meets, and an option it does not
know (a typo, an option of another release) it ignores in silence. This check
reports both kinds, for every file the command line names, before a
deployment restarts anything.

An option is known when svcframe or one of the libraries it configures
declares it (the namespaces of the sample config), or when a plugin the
files name registers it on import.
"""

from __future__ import annotations

import difflib
import glob
import importlib.metadata
import os
from collections.abc import Iterable, Iterator

import stevedore
from oslo_config import cfg

from svcframe import config
from svcframe import exception
from svcframe import manager as svcframe_manager
from svcframe import reach

# The namespaces of etc/svcframe-config-generator.conf, which a test
# keeps in step with this list.
# keystonemiddleware's is listed when the keystone extra is installed.
NAMESPACES = ('svcframe', 'oslo.log', 'oslo.service.periodic_task', 'oslo.messaging',
              'oslo.db', 'oslo.middleware.http_proxy_to_wsgi',
              'oslo.middleware.sizelimit', 'oslo.policy', 'oslo.reports',
              'keystonemiddleware.auth_token')
# auth_token logs in to Keystone with a keystoneauth plugin ([keystone_authtoken]
# auth_type) whose options (auth_url, username, ...) are declared by the plugin.
KEYSTONE_GROUP = 'keystone_authtoken'
MANAGER_TOPICS = ('compute', 'conductor', 'scheduler')


def config_files(conf: cfg.ConfigOpts) -> list[str]:
    """The files the command line named, then those of the config dirs, in load order."""
    files = list(conf.config_file or [])
    directories = conf.config_dir or []
    # A list in recent oslo.config releases, one string in older ones.
    for directory in [directories] if isinstance(directories, str) else directories:
        files.extend(sorted(glob.glob(os.path.join(directory, '*.conf'))))
    return files


def check(conf: cfg.ConfigOpts) -> list[str]:
    """One line per problem in the files ``conf`` was parsed from.

    Managers that cannot be loaded first, then unknown options, then invalid
    values.
    """
    problems = list(_load_managers(conf))
    known = _known_options(conf)
    for path in config_files(conf):
        problems.extend(_unknown_options(path, known))
    problems.extend(str(error) for error in config.invalid_values(conf))
    return problems


def _load_managers(conf: cfg.ConfigOpts) -> Iterator[str]:
    """Import the configured managers, so that their own options are registered."""
    for topic in MANAGER_TOPICS:
        try:
            svcframe_manager.load_manager(topic, conf)
        except exception.ConfigError as error:
            yield str(error)


def _known_options(conf: cfg.ConfigOpts) -> dict[str, set[str]]:
    """Group name -> option names (deprecated names too) that something declares."""
    known: dict[str, set[str]] = {}
    for group, opts in _declared(conf):
        names = known.setdefault(group, set())
        for opt in opts:
            names.add(opt.dest)
            for old in opt.deprecated_opts:
                names.add((old.name or opt.name).replace('-', '_'))
                if old.group and old.group != group:
                    known.setdefault(old.group, set()).add(
                        (old.name or opt.name).replace('-', '_'))
    return known


def _keystone_plugin_opts() -> list[cfg.Opt]:
    """The options of every keystoneauth plugin installed (none without the extra)."""
    try:
        from keystoneauth1 import loading
    except ImportError:
        return []
    opts: list[cfg.Opt] = []
    # The entry points' names, not get_available_plugin_names(): that one
    # loads every plugin and logs an ERROR for each that cannot load here.
    for name in {point.name for point in importlib.metadata.entry_points(
            group='keystoneauth1.plugin')}:
        try:
            opts.extend(loading.get_auth_plugin_conf_options(name))
        except Exception:  # a plugin that cannot load here declares nothing
            continue
    return opts


def _declared(conf: cfg.ConfigOpts) -> Iterable[tuple[str, list[cfg.Opt]]]:
    for namespace in NAMESPACES:
        manager = stevedore.NamedExtensionManager(
            'oslo.config.opts', names=[namespace], invoke_on_load=True)
        for extension in manager:
            for group, opts in extension.obj:
                yield _group_name(group), list(opts)
    yield KEYSTONE_GROUP, _keystone_plugin_opts()
    # What is registered now: svcframe's own, and what plugins registered.
    yield 'DEFAULT', reach.registered_opts(conf)
    for name in list(conf):
        try:
            value = conf[name]
        except (cfg.ConfigFileValueError, ValueError):
            continue  # an option with a bad value, not a group
        if isinstance(value, cfg.ConfigOpts.GroupAttr):
            yield name, reach.registered_opts(conf, name)


def _group_name(group: str | cfg.OptGroup | None) -> str:
    if group is None:
        return 'DEFAULT'
    return group.name if isinstance(group, cfg.OptGroup) else group


def _unknown_options(path: str, known: dict[str, set[str]]) -> Iterator[str]:
    sections: dict[str, dict[str, list[str]]] = {}
    cfg.ConfigParser(path, sections).parse()
    for section, values in sections.items():
        for name in values:
            if name.replace('-', '_') not in known.get(section, ()):
                yield '%s: [%s] %s: unknown option%s' % (
                    path, section, name, _did_you_mean(name, known.get(section, set())))


def _did_you_mean(name: str, candidates: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(candidates), n=1)
    return ' (did you mean %s?)' % close[0] if close else ''

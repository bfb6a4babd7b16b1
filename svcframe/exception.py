"""The one error tree of svcframe.

Every error keeps its data as attributes and renders one line that names the
bad input and what would have been accepted, so a console script can print
``str(error)`` and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable


class SvcframeError(Exception):
    """Base of every error svcframe raises on purpose."""


class ConfigError(SvcframeError):
    """A configuration problem; console scripts exit with status 1."""


class ConfigFileNotFound(ConfigError):
    def __init__(self, paths: Iterable[str]) -> None:
        self.paths = list(paths)
        super().__init__(
            'config file not found: %s (check --config-file and --config-dir)'
            % ', '.join(self.paths))


class ConfigFileParseError(ConfigError):
    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__('config file %s cannot be parsed: %s' % (path, reason))


class InvalidOptionValue(ConfigError):
    """An option whose value does not fit its type."""

    def __init__(self, group: str, name: str, value: object, allowed: str,
                 source: str | None = None) -> None:
        self.group = group
        self.name = name
        self.value = value
        self.allowed = allowed
        self.source = source
        where = ' (from %s)' % source if source else ''
        super().__init__('[%s] %s = %r is not valid%s: must be %s'
                         % (group, name, value, where, allowed))


class PluginNotFound(ConfigError):
    """A configured plugin name that no installed package registers."""

    def __init__(self, option: str, name: str, namespace: str,
                 installed: Iterable[str]) -> None:
        self.option = option
        self.name = name
        self.namespace = namespace
        self.installed = sorted(installed)
        super().__init__(
            '%s = %r is not installed; installed names in entry-point '
            'namespace %s: %s'
            % (option, name, namespace, ', '.join(self.installed) or 'none'))


class PluginLoadError(ConfigError):
    """A plugin that is registered but cannot be imported or is the wrong kind.

    The original exception stays chained as ``__cause__``.
    """

    def __init__(self, option: str, name: str, target: str,
                 reason: str) -> None:
        self.option = option
        self.name = name
        self.target = target
        self.reason = reason
        super().__init__('%s = %r (%s) cannot be loaded: %s'
                         % (option, name, target, reason))


class ServiceStartError(SvcframeError):
    """A service that could not start; console scripts exit with status 3."""

    def __init__(self, binary: str, reason: str) -> None:
        self.binary = binary
        self.reason = reason
        super().__init__('%s failed to start: %s' % (binary, reason))


class PasteConfigNotFound(ConfigError):
    def __init__(self, name: str, searched: list[str]) -> None:
        self.name = name
        self.searched = searched
        super().__init__(
            '[wsgi] api_paste_config = %r: no such file (looked in: %s)'
            % (name, ', '.join(searched)))


class PasteAppNotFound(ConfigError):
    def __init__(self, path: str, name: str) -> None:
        self.path = path
        self.name = name
        super().__init__(
            'paste file %s has no app named %r: define [composite:%s], '
            '[pipeline:%s] or [app:%s] in it' % (path, name, name, name, name))


class PasteAppLoadError(ConfigError):
    """The paste file names the app but it cannot be built; cause chained."""

    def __init__(self, path: str, name: str, reason: str) -> None:
        self.path = path
        self.name = name
        self.reason = reason
        super().__init__('app %r of paste file %s cannot be loaded: %s'
                         % (name, path, reason))


class NotFound(SvcframeError):
    """A record that does not exist; the API answers 404."""


class ServiceNotFound(NotFound):
    def __init__(self, service_id: object) -> None:
        self.service_id = service_id
        super().__init__('no service with id %s' % service_id)


class ServiceExists(SvcframeError):
    def __init__(self, host: str, binary: str) -> None:
        self.host = host
        self.binary = binary
        super().__init__('a %s service on host %s is already registered' % (binary, host))


class DatabaseUnavailable(SvcframeError):
    """The database cannot be reached; the cause is chained."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__('database %s is unreachable: %s' % (url, reason))


class InstanceNotFound(NotFound):
    def __init__(self, instance_id: object) -> None:
        self.instance_id = instance_id
        super().__init__('no instance with id %s' % instance_id)


class NoValidHost(SvcframeError):
    """No compute host passes the filters and has room for a request."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__('No valid host was found. %s' % reason)


class QuotaExceeded(SvcframeError):
    """A request would take a project past one of its quotas."""

    def __init__(self, project_id: str, resource: str, in_use: int, requested: int,
                 limit: int) -> None:
        self.project_id = project_id
        self.resource = resource
        self.in_use = in_use
        self.requested = requested
        self.limit = limit
        super().__init__('quota %s of project %s exceeded: %d in use + %d requested > limit %d'
                         % (resource, project_id, in_use, requested, limit))


class SchemaMismatch(DatabaseUnavailable):
    """The database answers, but its schema is not the one this release uses.

    A DatabaseUnavailable, so that what waits out an unreachable database
    (heartbeats, the API's 503) waits this out too, naming the fix; at start
    the binaries that use the database exit 1 on it. ``found`` is None for
    a database never migrated; ``unknown`` is true for a revision this
    release does not know, as a newer svcframe migrated it; ``table`` names
    a table found missing. ``remedy`` is what an operator must do.
    """

    SYNC = 'run "svcframe-manage db sync"'

    def __init__(self, url: str, found: str | None, wanted: str,
                 unknown: bool = False, table: str | None = None) -> None:
        self.url = url
        self.found = found
        self.wanted = wanted
        self.unknown = unknown
        self.table = table
        if found is None:
            self.reason = 'no svcframe schema (revision none, this release needs %s)' % wanted
        elif unknown:
            self.reason = ('schema revision %s, which this release does not know (it needs %s): '
                           'the database is newer than this svcframe' % (found, wanted))
        elif found != wanted:
            self.reason = 'schema revision %s, older than the %s this release needs' % (
                found, wanted)
        else:
            self.reason = 'schema revision %s, the one this release needs, but no table %s' % (
                found, table)
        if unknown:
            self.remedy = 'upgrade svcframe on this host, not the database'
        elif found == wanted:
            self.remedy = 'restore the table: it was dropped outside svcframe-manage'
        else:
            self.remedy = self.SYNC
        SvcframeError.__init__(self, 'database %s has %s: %s' % (url, self.reason, self.remedy))

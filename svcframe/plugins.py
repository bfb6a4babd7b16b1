"""Load one named plugin from an entry-point namespace through stevedore.

stevedore caches entry points on disk keyed on file times packed as 32-bit
floats (about two minutes of resolution), so after a plugin package is
installed or changed it can serve a stale list. A service loads each plugin
once at start-up, so svcframe reads the entry points afresh every time.
"""

from __future__ import annotations

import importlib.metadata

from stevedore import driver

from svcframe import exception


class _FreshDriverManager(driver.DriverManager):
    """A DriverManager that reads entry points without stevedore's cache."""

    def list_entry_points(self) -> list[importlib.metadata.EntryPoint]:
        return list(_entry_points(self.namespace).values())


def _entry_points(namespace: str) -> dict[str, importlib.metadata.EntryPoint]:
    # A package installed both in site-packages and on sys.path (editable
    # checkouts) lists its entry points twice; keep the first of each name.
    found: dict[str, importlib.metadata.EntryPoint] = {}
    for entry_point in importlib.metadata.entry_points(group=namespace):
        found.setdefault(entry_point.name, entry_point)
    return found


def installed_names(namespace: str) -> list[str]:
    return sorted(_entry_points(namespace))


def load_plugin(namespace: str, name: str, option: str) -> object:
    """Return the object that entry point ``name`` of ``namespace`` names.

    ``option`` is the option that chose ``name``, for the error message.
    Raises PluginNotFound or PluginLoadError (with the import error chained).
    """
    entry_points = _entry_points(namespace)
    if name not in entry_points:
        raise exception.PluginNotFound(option, name, namespace, entry_points)

    def reraise(_manager: object, entry_point: importlib.metadata.EntryPoint,
                error: BaseException) -> None:
        raise exception.PluginLoadError(
            option, name, entry_point.value,
            '%s: %s' % (type(error).__name__, error)) from error

    manager = _FreshDriverManager(namespace, name, invoke_on_load=False,
                                  on_load_failure_callback=reraise)
    return manager.driver


def load_subclass(namespace: str, name: str, option: str, base: type) -> type:
    """Like load_plugin(), for a class that must subclass ``base``."""
    loaded = load_plugin(namespace, name, option)
    if not (isinstance(loaded, type) and issubclass(loaded, base)):
        raise exception.PluginLoadError(
            option, name, repr(loaded),
            'it is not a subclass of %s.%s' % (base.__module__, base.__qualname__))
    return loaded

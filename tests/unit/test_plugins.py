from __future__ import annotations

import importlib.metadata

import pytest

from svcframe import exception
from svcframe import plugins

NAMESPACE = 'svcframe.tests.things'


class Thing:
    pass


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch):
    """Stand-in entry points for NAMESPACE, as importlib.metadata would list them."""
    entry_points = [
        importlib.metadata.EntryPoint('thing', __name__ + ':Thing', NAMESPACE),
        importlib.metadata.EntryPoint('thing', 'shadowed.copy:Thing', NAMESPACE),
        importlib.metadata.EntryPoint('broken', 'svcframe_no_such_module:Thing', NAMESPACE),
    ]
    real = importlib.metadata.entry_points

    def entry_points_for(**select):
        if select.get('group') == NAMESPACE:
            return importlib.metadata.EntryPoints(entry_points)
        return real(**select)

    monkeypatch.setattr(importlib.metadata, 'entry_points', entry_points_for)
    return entry_points


def test_load_plugin_returns_the_named_object(registered) -> None:
    assert plugins.load_plugin(NAMESPACE, 'thing', 'opt') is Thing


def test_installed_names_are_sorted_and_unique(registered) -> None:
    assert plugins.installed_names(NAMESPACE) == ['broken', 'thing']


def test_unknown_name_lists_installed_names(registered) -> None:
    with pytest.raises(exception.PluginNotFound) as raised:
        plugins.load_plugin(NAMESPACE, 'nosuch', '[DEFAULT] thing_driver')

    assert raised.value.installed == ['broken', 'thing']
    assert str(raised.value) == (
        "[DEFAULT] thing_driver = 'nosuch' is not installed; installed names in "
        'entry-point namespace svcframe.tests.things: broken, thing')


def test_plugin_that_fails_to_import_keeps_the_import_error_chained(registered) -> None:
    with pytest.raises(exception.PluginLoadError) as raised:
        plugins.load_plugin(NAMESPACE, 'broken', '[DEFAULT] thing_driver')

    assert isinstance(raised.value.__cause__, ModuleNotFoundError)
    assert raised.value.target == 'svcframe_no_such_module:Thing'
    assert 'ModuleNotFoundError' in str(raised.value)


def test_entry_points_are_read_afresh_on_every_load(registered) -> None:
    registered.append(importlib.metadata.EntryPoint('late', __name__ + ':Thing', NAMESPACE))

    assert plugins.load_plugin(NAMESPACE, 'late', 'opt') is Thing

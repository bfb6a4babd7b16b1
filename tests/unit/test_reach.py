"""Each reach of svcframe.reach, run against the installed library.

When an upgrade of the library breaks one, its test fails with a message
that names the library, what svcframe reached for and the function to fix.
"""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Iterator
from pathlib import Path

import oslo_messaging as messaging
import pytest
from oslo_config import cfg

from svcframe import reach


def broken(library: str, what: str, function: str) -> str:
    return '%s no longer offers %s as svcframe.reach.%s expects: it needs a new way' % (
        library, what, function)


def library_defaults(namespace: str, group: str | None = None) -> dict[str, object]:
    """The defaults oslo-config-generator shows for a library's options."""
    (point,) = [point for point in importlib.metadata.entry_points(group='oslo.config.opts')
                if point.name == namespace]
    for listed_group, opts in point.load()():
        if listed_group == group:
            return {opt.dest: opt.default for opt in opts}
    return {}


def test_a_rejected_reload_puts_the_previous_values_back(tmp_path: Path) -> None:
    path = tmp_path / 'a.conf'
    path.write_text('[DEFAULT]\nlimit = 3\n')
    conf = cfg.ConfigOpts()
    conf.register_opt(cfg.IntOpt('limit', mutable=True))
    conf(['--config-file', str(path)], default_config_files=[])
    message = broken('oslo.config', 'ConfigOpts._mutable_ns', 'mutate_config_files')
    assert hasattr(conf, '_mutable_ns'), message

    path.write_text('[DEFAULT]\nlimit = 4\n')
    reach.mutate_config_files(conf, lambda: None)
    assert conf.limit == 4, message

    def reject() -> None:
        assert conf.limit == 5  # the check sees the new value
        raise ValueError('rejected')

    path.write_text('[DEFAULT]\nlimit = 5\n')
    with pytest.raises(ValueError, match='rejected'):
        reach.mutate_config_files(conf, reject)
    assert conf.limit == 4, message


def test_a_value_read_while_the_files_are_reread_is_not_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / 'a.conf'
    path.write_text('[DEFAULT]\nlimit = 3\n')
    conf = cfg.ConfigOpts()
    conf.register_opt(cfg.IntOpt('limit', mutable=True))
    conf(['--config-file', str(path)], default_config_files=[])
    reread = cfg.ConfigOpts._reload_config_files
    assert callable(reread), broken('oslo.config', 'ConfigOpts._reload_config_files',
                                    'mutate_config_files (in this test)')

    def reread_while_a_thread_reads(self: cfg.ConfigOpts) -> object:
        assert self.limit == 3  # a native thread's read, between cache clear and swap
        return reread(self)

    monkeypatch.setattr(cfg.ConfigOpts, '_reload_config_files', reread_while_a_thread_reads)
    path.write_text('[DEFAULT]\nlimit = 4\n')
    reach.mutate_config_files(conf, lambda: None)

    assert conf.limit == 4


def test_registered_opts_are_the_objects_registered(tmp_path: Path) -> None:
    conf = cfg.ConfigOpts()
    top = cfg.IntOpt('limit', min=1)
    grouped = cfg.StrOpt('colour', choices=['red'], deprecated_name='color')
    conf.register_opt(top)
    conf.register_opt(grouped, group='paint')
    conf([], default_config_files=[])

    assert any(opt is top for opt in reach.registered_opts(conf)), broken(
        'oslo.config', 'ConfigOpts._opts', 'registered_opts')
    assert [opt for opt in reach.registered_opts(conf, 'paint')] == [grouped], broken(
        'oslo.config', 'ConfigOpts._get_group(name)._opts', 'registered_opts')


def test_messaging_client_opts_let_an_rpc_client_run_on_a_conf_of_its_own() -> None:
    try:
        listed = reach.messaging_client_opts()
    except AttributeError as error:
        raise AssertionError(broken(
            'oslo.messaging', '_tracing.client.oslo_messaging_tracing and '
            '_metrics.client.oslo_messaging_metrics', 'messaging_client_opts')) from error
    conf = cfg.ConfigOpts()
    for group, opts in listed:
        conf.register_opts(opts, group=group)
    conf([], default_config_files=[])
    transport = messaging.get_rpc_transport(conf, url='fake://')
    try:
        client = messaging.get_rpc_client(transport, messaging.Target(topic='reach'))
        # Casting reads both groups (tracing, then metrics) from this conf.
        client.cast({}, 'ping')
    except cfg.NoSuchOptError as error:
        raise AssertionError(broken(
            'oslo.messaging', 'every option its RPC client reads',
            'messaging_client_opts') + ': %s' % error) from error
    finally:
        transport.cleanup()


@pytest.fixture
def messaging_defaults() -> Iterator[dict[str, object]]:
    before = library_defaults('oslo.messaging')
    yield before
    # Other tests build transports, which register oslo.messaging's own
    # option objects next to copies taken earlier: they must stay equal.
    reach.set_messaging_sample_defaults(before['control_exchange'], before['transport_url'])


def test_messaging_sample_defaults_reach_the_generator(messaging_defaults: dict) -> None:
    reach.set_messaging_sample_defaults('sample-exchange', 'fake://sample')

    shown = library_defaults('oslo.messaging')
    assert shown['control_exchange'] == 'sample-exchange', broken(
        'oslo.messaging', 'set_transport_defaults()', 'set_messaging_sample_defaults')
    assert shown['transport_url'] == 'fake://sample', broken(
        'oslo.messaging', 'transport._transport_opts, the list its list_opts() copies',
        'set_messaging_sample_defaults')


@pytest.fixture
def log_defaults() -> Iterator[dict[str, object]]:
    before = library_defaults('oslo.log')
    yield before
    reach.set_log_sample_defaults(before['logging_context_format_string'],
                                  before['logging_default_format_string'],
                                  before['logging_exception_prefix'])


def test_log_sample_defaults_reach_the_generator(log_defaults: dict) -> None:
    reach.set_log_sample_defaults('context %(message)s', 'default %(message)s', 'prefix ')

    shown = library_defaults('oslo.log')
    assert shown['logging_context_format_string'] == 'context %(message)s', broken(
        'oslo.log', 'log.set_defaults(logging_context_format_string=)',
        'set_log_sample_defaults')
    assert (shown['logging_default_format_string'], shown['logging_exception_prefix']) == (
        'default %(message)s', 'prefix '), broken(
        'oslo.log', '_options.log_opts, the list its list_opts() copies',
        'set_log_sample_defaults')


def test_records_stop_naming_their_thread() -> None:
    before = logging.logThreads
    try:
        reach.stop_naming_threads()
        record = logging.makeLogRecord({'msg': 'x'})
    finally:
        logging.logThreads = before
    assert (record.thread, record.threadName) == (None, None), broken(
        'the standard library\'s logging', 'logging.logThreads', 'stop_naming_threads')

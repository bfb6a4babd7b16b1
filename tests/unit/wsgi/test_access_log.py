"""The access line: its shape, where it goes, what it escapes, when it is off."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from oslo_config import cfg
from oslo_context import context as context_utils
from oslo_log import log

from svcframe import conf as svcframe_conf
from svcframe import exception
from svcframe import logs
from svcframe.conf import wsgi as wsgi_conf
from svcframe.wsgi import access_log
from svcframe.wsgi import access_sinks

BINARY = 'svcframe-api'
HOST = 'node-1'
REQUEST_ID = 'req-2dc764dc-a832-4bc1-9064-dab9f164a3ce'
REQUEST = ('10.0.0.1', 'GET', '/v1/services?host=a', 'HTTP/1.1', 200, 327, 0.0036228)
MESSAGE = ('10.0.0.1 "GET /v1/services?host=a HTTP/1.1" status: 200 len: 327 '
           'time: 0.0036228 request_id: ')


class DetachedContext(context_utils.RequestContext):
    """A request-id-only context that does not become the thread's current one."""

    def update_store(self) -> None:
        pass


@pytest.fixture(autouse=True)
def logging_state() -> Iterator[None]:
    """oslo.log's set-up changes process-wide logging state: put it back."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    loggers = {name: logger.level for name, logger in logging.Logger.manager.loggerDict.items()
               if isinstance(logger, logging.Logger)}
    root_level, log_threads, excepthook = root.level, logging.logThreads, sys.excepthook
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(root_level)
    for name, logger in logging.Logger.manager.loggerDict.items():
        if isinstance(logger, logging.Logger):
            logger.setLevel(loggers.get(name, logging.NOTSET))
    access = logging.getLogger(access_log.LOGGER_NAME)
    access.filters.clear()
    logging.logThreads, sys.excepthook = log_threads, excepthook


def setup_oslo_log(tmp_path: Path, *args: str) -> tuple[cfg.ConfigOpts, Path]:
    """Logging as svcframe.config.parse_args sets it up, to a --log-file in tmp_path."""
    conf = cfg.ConfigOpts()
    log.register_options(conf)
    svcframe_conf.register_all(conf)
    log_file = tmp_path / 'svcframe-api.log'
    conf(['--log-file', str(log_file), *args], project='svcframe-unit-tests',
         default_config_files=[])
    conf.set_override('host', HOST)
    log.setup(conf, BINARY)
    logs.stamp_handlers(BINARY, HOST)
    logging.logThreads = False
    return conf, log_file


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def oslo_line(message: str, request_id: str) -> None:
    """The line oslo.log itself writes for the message, with a request-id-only context."""
    log.getLogger(access_log.LOGGER_NAME).info(
        '%s', message, context=DetachedContext(request_id=request_id, overwrite=False))


class Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def standalone(*handlers: logging.Handler) -> logging.Logger:
    """A logger outside the global hierarchy, with these handlers only."""
    logger = logging.Logger('svcframe.wsgi.access')
    for handler in handlers:
        logger.addHandler(handler)
    return logger


# --- the text line of the default set-up -------------------------------------------

def test_text_line_is_the_one_oslo_would_write(tmp_path: Path) -> None:
    conf, log_file = setup_oslo_log(tmp_path)
    access = access_log.AccessLog.from_conf(conf, BINARY)
    assert access is not None
    assert [type(sink) for sink in access.sinks] == [access_sinks.TextSink]

    before = time.time()
    access.write(*REQUEST, REQUEST_ID)
    after = time.time()
    oslo_line(MESSAGE + REQUEST_ID, REQUEST_ID)

    ours, oslos = lines(log_file)
    match = re.fullmatch(
        r'(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d{3}) (\d+) INFO svcframe-api node-1 '
        r'svcframe\.wsgi\.access \[None %s - - - - - -\] (.*)' % REQUEST_ID, ours)
    assert match, ours
    stamp = time.mktime(time.strptime(match.group(1), '%Y-%m-%d %H:%M:%S'))
    assert before - 0.001 <= stamp + int(match.group(2)) / 1000 <= after
    assert int(match.group(3)) == os.getpid()
    assert match.group(4) == MESSAGE + REQUEST_ID
    # Past the time stamp, character for character what oslo.log wrote.
    assert ours[23:] == oslos[23:]


def test_text_line_without_a_request_id_has_oslos_empty_context(tmp_path: Path) -> None:
    conf, log_file = setup_oslo_log(tmp_path)
    access = access_log.AccessLog.from_conf(conf, BINARY)
    assert access is not None
    access.write(*REQUEST, None)
    [line] = lines(log_file)
    assert line.endswith(' INFO svcframe-api node-1 svcframe.wsgi.access [-] '
                         + MESSAGE + '-')


def test_a_format_of_the_operators_own_falls_back_to_oslos_formatter(tmp_path: Path) -> None:
    config_file = tmp_path / 'svcframe.conf'
    config_file.write_text('[DEFAULT]\nlogging_context_format_string = '
                           'CUSTOM %(levelname)s %(request_id)s %(message)s\n')
    conf, log_file = setup_oslo_log(tmp_path, '--config-file', str(config_file))
    access = access_log.AccessLog.from_conf(conf, BINARY)
    assert access is not None
    assert [type(sink) for sink in access.sinks] == [access_sinks.RecordSink]
    access.write(*REQUEST, REQUEST_ID)
    assert lines(log_file) == ['CUSTOM INFO %s %s%s' % (REQUEST_ID, MESSAGE, REQUEST_ID)]


# --- JSON ----------------------------------------------------------------------------

def test_json_line_has_oslos_members_in_oslos_order(tmp_path: Path) -> None:
    conf, log_file = setup_oslo_log(tmp_path, '--use-json')
    access = access_log.AccessLog.from_conf(conf, BINARY)
    assert access is not None
    assert [type(sink) for sink in access.sinks] == [access_sinks.JsonSink]

    access.write(*REQUEST, REQUEST_ID)
    access.write(*REQUEST, None)
    oslo_line(MESSAGE + REQUEST_ID, REQUEST_ID)

    ours, without_id, oslos = (json.loads(line) for line in lines(log_file))
    assert list(ours) == list(oslos)
    assert ours['message'] == ours['msg'] == MESSAGE + REQUEST_ID
    assert (ours['name'], ours['levelname'], ours['levelno']) == (
        'svcframe.wsgi.access', 'INFO', logging.INFO)
    assert ours['process'] == os.getpid()
    assert ours['context']['request_id'] == REQUEST_ID
    assert ours['context'] == oslos['context']
    assert ours['extra'] == {'binary': BINARY, 'host': HOST}
    assert ours['hostname'] == oslos['hostname']
    assert abs(ours['created'] - oslos['created']) < 5
    assert without_id['context'] == {}
    assert without_id['message'] == MESSAGE + '-'


# --- what a client sent ---------------------------------------------------------------

@pytest.mark.parametrize('text, escaped', [
    ('/v1/services', '/v1/services'),
    ('/a\x1b[2J\r\nb', '/a\\x1b[2J\\x0d\\x0ab'),
    ('\x00\x7f\x80\x85\x9f', '\\x00\\x7f\\x80\\x85\\x9f'),
    ('/a\\x41', '/a\\\\x41'),
    ('/caf\u00e9 \u00a0', '/caf\u00e9 \u00a0'),
])
def test_escape(text: str, escaped: str) -> None:
    assert access_log.escape(text) == escaped


def test_control_characters_in_method_path_and_request_id_are_escaped(tmp_path: Path) -> None:
    conf, log_file = setup_oslo_log(tmp_path)
    conf.set_override('wsgi_log_format',
                      '%(method)s %(path)s "%(request_line)s" %(request_id)s', 'wsgi')
    access = access_log.AccessLog.from_conf(conf, BINARY)
    assert access is not None
    access.write('10.0.0.1', 'GE\x85T', '/x\n2026-01-01 forged\\?q=\x1b', 'HTTP/1.1',
                 400, 0, 0.1, 'req-\r1')

    [line] = lines(log_file)  # the newline did not make a second line
    assert not re.search('[\x00-\x1f\x7f-\x9f]', line)
    assert line.endswith('[None req-\\x0d1 - - - - - -] GE\\x85T /x\\x0a2026-01-01 forged\\\\ '
                         '"GE\\x85T /x\\x0a2026-01-01 forged\\\\?q=\\x1b HTTP/1.1" req-\\x0d1')


# --- when nothing is written ----------------------------------------------------------

def test_default_log_levels_can_turn_the_line_off(tmp_path: Path) -> None:
    config_file = tmp_path / 'svcframe.conf'
    config_file.write_text('[DEFAULT]\ndefault_log_levels = svcframe.wsgi.access=WARN\n')
    conf, log_file = setup_oslo_log(tmp_path, '--config-file', str(config_file))
    access = access_log.AccessLog.from_conf(conf, BINARY)
    assert access is not None
    access.write(*REQUEST, REQUEST_ID)
    log.getLogger('svcframe.test').info('another line')
    [line] = lines(log_file)
    assert ' svcframe.test [' in line and line.endswith('] another line')


def test_a_level_set_after_construction_is_respected(tmp_path: Path) -> None:
    conf, log_file = setup_oslo_log(tmp_path)
    access = access_log.AccessLog.from_conf(conf, BINARY)
    assert access is not None
    logging.getLogger(access_log.LOGGER_NAME).setLevel(logging.WARNING)
    access.write(*REQUEST, REQUEST_ID)
    logging.getLogger(access_log.LOGGER_NAME).setLevel(logging.NOTSET)
    access.write(*REQUEST, 'req-2')
    assert [line.rsplit(' ', 1)[-1] for line in lines(log_file)] == ['req-2']


def test_a_handler_above_info_gets_nothing(tmp_path: Path) -> None:
    conf, log_file = setup_oslo_log(tmp_path)
    access = access_log.AccessLog.from_conf(conf, BINARY)
    assert access is not None
    logging.getLogger().handlers[0].setLevel(logging.WARNING)
    access.write(*REQUEST, REQUEST_ID)
    assert lines(log_file) == []


def test_a_logger_filter_can_drop_the_line(tmp_path: Path) -> None:
    conf, log_file = setup_oslo_log(tmp_path)
    access = access_log.AccessLog.from_conf(conf, BINARY)
    assert access is not None
    logging.getLogger(access_log.LOGGER_NAME).addFilter(lambda record: False)
    access.write(*REQUEST, REQUEST_ID)
    assert lines(log_file) == []


def test_access_log_false_gives_none(conf: cfg.ConfigOpts) -> None:
    conf.set_override('access_log', False, 'wsgi')
    assert access_log.AccessLog.from_conf(conf, BINARY) is None


# --- the format ------------------------------------------------------------------------

def test_an_unknown_key_is_an_invalid_option_naming_it(conf: cfg.ConfigOpts) -> None:
    conf.set_override('wsgi_log_format', '%(client_ip)s %(user_agent)s', 'wsgi')
    with pytest.raises(exception.InvalidOptionValue) as caught:
        access_log.AccessLog.from_conf(conf, BINARY)
    error = caught.value
    assert (error.group, error.name, error.value) == (
        'wsgi', 'wsgi_log_format', '%(client_ip)s %(user_agent)s')
    assert "unknown key 'user_agent'" in str(error)
    assert 'request_line' in error.allowed


@pytest.mark.parametrize('log_format', [
    '%s', '%(client_ip)s %s', '%(client_ip)d', '%(status_code)', '%(wall_seconds)*f'])
def test_a_bad_format_is_an_invalid_option(log_format: str) -> None:
    with pytest.raises(exception.InvalidOptionValue) as caught:
        access_log.check_log_format(log_format)
    assert caught.value.value == log_format


@pytest.mark.parametrize('log_format', [
    wsgi_conf.DEFAULT_LOG_FORMAT, '100%% %(status_code)d %(body_length)05d', 'static'])
def test_good_formats_pass(log_format: str) -> None:
    access_log.check_log_format(log_format)


def test_the_keys_are_the_options_keys() -> None:
    assert set(access_log.KEYS) == set(wsgi_conf.LOG_FORMAT_KEYS)


def test_date_time_path_and_repeated_keys() -> None:
    collector = Collector()
    second = 1767225600  # 2026-01-01 00:00:00 UTC
    access = access_log.AccessLog.for_logger(
        '[%(date_time)s] %(method)s %(path)s %(method)s %(status_code)03d',
        standalone(collector), BINARY, HOST, clock=lambda: second * 10**9 + 5)
    access.write('10.0.0.1', 'PUT', '/v1/services/7?x=1', 'HTTP/1.1', 99, 0, 0.0, None)
    [record] = collector.records
    assert record.getMessage() == '[01/Jan/2026 00:00:00] PUT /v1/services/7 PUT 099'


# --- any other handler ------------------------------------------------------------------

def test_any_other_handler_gets_a_record() -> None:
    collector = Collector()
    access = access_log.AccessLog.for_logger(
        wsgi_conf.DEFAULT_LOG_FORMAT, standalone(collector), BINARY, HOST)
    assert [type(sink) for sink in access.sinks] == [access_sinks.RecordSink]
    access.write(*REQUEST, REQUEST_ID)
    access.write(*REQUEST, None)
    with_id, without_id = collector.records
    assert (with_id.name, with_id.levelno) == ('svcframe.wsgi.access', logging.INFO)
    assert with_id.getMessage() == MESSAGE + REQUEST_ID
    assert with_id.context['request_id'] == REQUEST_ID
    assert without_id.context == {}  # not the thread's current context


# --- logrotate --------------------------------------------------------------------------

def test_a_rotated_file_is_followed_within_a_second(tmp_path: Path) -> None:
    conf, log_file = setup_oslo_log(tmp_path)
    now = [1767225600 * 10**9]
    access = access_log.AccessLog.for_logger(
        '%(request_id)s', logging.getLogger(access_log.LOGGER_NAME), BINARY, HOST,
        clock=lambda: now[0])
    access.write(*REQUEST, 'req-1')
    rotated = log_file.rename(tmp_path / 'svcframe-api.log.1')
    access.write(*REQUEST, 'req-2')  # same second: no stat, still the old file
    now[0] += 10**9
    access.write(*REQUEST, 'req-3')
    assert [line.rsplit(' ', 1)[-1] for line in lines(rotated)] == ['req-1', 'req-2']
    assert [line.rsplit(' ', 1)[-1] for line in lines(log_file)] == ['req-3']

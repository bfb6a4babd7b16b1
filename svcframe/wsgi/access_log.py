"""The access log: one INFO line per HTTP request, at a few microseconds each.

The line is ``[wsgi] wsgi_log_format % values`` on logger
``svcframe.wsgi.access``, and it goes where oslo.log sends the service's
lines. Formatting it through oslo.log would cost more than the rest of a
small request; svcframe.wsgi.access_sinks writes it straight to the streams
of the handlers oslo.log set up, as those handlers would have written it.

A client chooses the method, the target and (through a proxy) the request
id: their control characters (C0, DEL and C1) are written as ``\\xNN``, and
a backslash as two, so no line can be forged or hide terminal escapes.
"""

from __future__ import annotations

import logging
import operator
import re
import time
from collections.abc import Callable

from oslo_config import cfg

from svcframe import exception
from svcframe.conf import wsgi as wsgi_conf
from svcframe.log_text import escape
from svcframe.wsgi import access_sinks

LOGGER_NAME = 'svcframe.wsgi.access'
# The server sets this in the WSGI environ of every request it writes an
# access line for; svcframe.api.request_log then writes none of its own.
ENVIRON_KEY = 'svcframe.access_logged'

INFO = logging.INFO
# eventlet's date_time: English month names whatever the locale, in UTC.
_MONTHS = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')
# A spec in a %-format: '%%', or '%' and what follows it.
_SPEC = re.compile(r'%(%|\()?')
_KEYED_SPEC = re.compile(r'%(?:%|\(([^)]*)\))')
# The values write() computes, in this order.
KEYS = ('client_ip', 'date_time', 'method', 'path', 'request_line', 'status_code',
        'body_length', 'wall_seconds', 'request_id')
# The types write() gives each key, so a format that cannot take them fails at start-up.
_SAMPLE = {'client_ip': '127.0.0.1', 'date_time': '01/Jan/2026 00:00:00', 'method': 'GET',
           'path': '/', 'request_line': 'GET / HTTP/1.1', 'status_code': 200,
           'body_length': 0, 'wall_seconds': 0.0, 'request_id': '-'}


def format_keys(log_format: str) -> frozenset[str]:
    """The keys ``log_format`` uses; raises InvalidOptionValue like check_log_format."""
    keys = _KeyRecorder(_SAMPLE)
    try:
        for match in _SPEC.finditer(log_format):
            if match.group(1) is None:
                raise ValueError('a spec without a key: every % needs a (key), '
                                 'or %% for a percent sign')
        log_format % keys
    except KeyError as error:
        raise _invalid(log_format, 'unknown key %s' % error) from None
    except (ValueError, TypeError) as error:
        raise _invalid(log_format, '%s: %s' % (type(error).__name__, error)) from None
    return frozenset(keys.used)


def check_log_format(log_format: str) -> None:
    """Raise InvalidOptionValue for a bad %-format or a key it may not use."""
    format_keys(log_format)


def _invalid(log_format: str, problem: str) -> exception.InvalidOptionValue:
    return exception.InvalidOptionValue(
        'wsgi', 'wsgi_log_format', log_format,
        'a %%-format whose keys are among %s (%s)'
        % (', '.join(wsgi_conf.LOG_FORMAT_KEYS), problem))


class _KeyRecorder(dict):
    def __init__(self, sample: dict[str, object]) -> None:
        super().__init__(sample)
        self.used: set[str] = set()

    def __getitem__(self, key: str) -> object:
        self.used.add(key)
        return super().__getitem__(key)


def positional(log_format: str) -> tuple[str, tuple[int, ...]]:
    """``log_format`` with its keys taken out, and their places in KEYS.

    A positional %-format is a third faster than one looking keys up in a
    dict. Call it only on a format check_log_format accepted.
    """
    places: list[int] = []

    def unkey(match: re.Match) -> str:
        if match.group(1) is None:
            return '%%'
        places.append(KEYS.index(match.group(1)))
        return '%'

    return _KEYED_SPEC.sub(unkey, log_format), tuple(places)


class AccessLog:
    """Writes the access line of each request to the sinks it was built with.

    Build a new one when the logging set-up or the options change (the
    server does on SIGHUP): the handlers are read once, by ``from_conf``.
    """

    def __init__(self, log_format: str, logger: logging.Logger,
                 sinks: list[access_sinks.Sink],
                 clock: Callable[[], int] = time.time_ns) -> None:
        self.log_format = log_format
        self.logger = logger
        self.sinks = sinks
        self.clock = clock
        keys = format_keys(log_format)
        self._format, places = positional(log_format)
        self._pick: Callable[[tuple], tuple] = (
            (lambda values: (values[places[0]],)) if len(places) == 1
            else (lambda values: ()) if not places
            else operator.itemgetter(*places))
        self._wants_path = 'path' in keys
        self._wants_date = 'date_time' in keys
        self._date: access_sinks.Clock = (-1, '')

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts, binary: str,
                  defer: access_sinks.Defer | None = None) -> AccessLog | None:
        """None when [wsgi] access_log is False.

        ``defer`` lets a server batch the writes (see access_sinks). Raises
        svcframe.exception.InvalidOptionValue for a wsgi_log_format with an
        unknown key.
        """
        if not conf.wsgi.access_log:
            return None
        log_format = conf.wsgi.wsgi_log_format
        check_log_format(log_format)
        return cls.for_logger(log_format, logging.getLogger(LOGGER_NAME), binary, conf.host,
                              defer=defer)

    @classmethod
    def for_logger(cls, log_format: str, logger: logging.Logger, binary: str, host: str,
                   clock: Callable[[], int] = time.time_ns,
                   defer: access_sinks.Defer | None = None) -> AccessLog:
        """An access log on ``logger``'s handlers (and its ancestors'), as set up now.

        ``clock`` gives the time in nanoseconds since the epoch.
        """
        return cls(log_format, logger, access_sinks.build_sinks(logger, binary, host, defer),
                   clock)

    def flush(self) -> None:
        """Write the lines a deferring sink still holds (before a stop, say)."""
        for sink in self.sinks:
            sink.flush()

    def write(self, client_ip: str, method: str, target: str, version: str, status: int,
              length: int, seconds: float, request_id: str | None) -> None:
        """Write one request's line. ``version`` is like 'HTTP/1.1'."""
        logger = self.logger
        if not logger.isEnabledFor(INFO):  # a cached look-up
            return
        ns = self.clock()
        request_line = f'{method} {target} {version}'
        if not request_line.isprintable() or '\\' in request_line:
            method, target, version = escape(method), escape(target), escape(version)
            request_line = f'{method} {target} {version}'
        if request_id:
            if not request_id.isprintable() or '\\' in request_id:
                request_id = escape(request_id)
        message = self._format % self._pick((
            client_ip,
            self._date_time(ns // 1_000_000_000) if self._wants_date else '',
            method,
            target.partition('?')[0] if self._wants_path else '',
            request_line,
            status, length, seconds, request_id or '-'))
        if logger.filters and not logger.filter(
                access_sinks.make_record(logger, message, request_id, {})):
            return  # oslo.log's rate limit, say
        for sink in self.sinks:
            sink.emit(ns, message, request_id)

    def _date_time(self, second: int) -> str:
        date = self._date
        if date[0] != second:
            utc = time.gmtime(second)
            date = self._date = (second, '%02d/%s/%04d %02d:%02d:%02d' % (
                utc.tm_mday, _MONTHS[utc.tm_mon - 1], utc.tm_year,
                utc.tm_hour, utc.tm_min, utc.tm_sec))
        return date[1]

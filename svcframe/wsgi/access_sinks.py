"""Where an access line goes: one sink per way of writing it to a handler.

oslo.log formats a record in tens of microseconds (ContextFormatter copies
the request context onto it, computes an ISO time with dateutil, picks its
format per record). An access line has one shape, so for the handlers
oslo.log makes for ``log_file`` and ``use_stderr``, with its text or its JSON
formatter, the line is written here directly, under the handler's lock.
A server may batch the writes: with ``defer``, the lines of a turn of its
event loop are written together, in one write, at the next turn.

A handler gets a fast sink only once that sink has rendered two probe lines
(with and without a request id) exactly as the handler's own formatter
formats the same records. Anything else (an operator's own
``logging_context_format_string``, the journal, syslog, rotating files, a
handler with filters of its own) gets a LogRecord, the slow and sure way.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import logging.handlers
import os
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from oslo_context import context as context_utils
from oslo_log import formatters

from svcframe import logs

INFO = logging.INFO
# Handlers that do nothing but write the formatted line and a terminator to
# their stream. Subclasses (oslo's ColorHandler, the rotating handlers) do
# more, so the check is on the exact type.
PLAIN_STREAM_HANDLERS = (logging.StreamHandler, logging.FileHandler,
                         logging.handlers.WatchedFileHandler)
PROBE_MESSAGE = 'probe 100% "\\x1b" \u00e9'
PROBE_REQUEST_ID = 'req-00000000-0000-0000-0000-000000000000'
FUNC_NAME = 'write'

Clock = tuple[int, str]  # (second, its time string): one attribute, no torn reads
MSECS = tuple('%03d' % msecs for msecs in range(1000))
Defer = Callable[[Callable[[], None]], None]  # runs a callback soon, from the same thread
NS_PER_SECOND = 1_000_000_000
NS_PER_MSEC = 1_000_000
MSECS_FLOAT = tuple(repr(float(msecs)) for msecs in range(1000))


class Sink(Protocol):
    def emit(self, ns: int, message: str, request_id: str | None) -> None:
        """Write the line of a request logged at ``ns`` (time.time_ns())."""

    def flush(self) -> None:
        """Write what is deferred now."""


class _ProcessId:
    """os.getpid() is a system call; the id changes only in a forked child."""

    def __init__(self) -> None:
        self.value = os.getpid()
        os.register_at_fork(after_in_child=self._renew)

    def _renew(self) -> None:
        self.value = os.getpid()


_process = _ProcessId()


class _TemplateContext(context_utils.RequestContext):
    """A request-id-only context that never becomes the thread's current one."""

    def update_store(self) -> None:
        pass


class _Dashes(dict):
    """oslo.log's user identity rule: a missing or empty value is '-'."""

    def __getitem__(self, key: str) -> Any:
        return dict.get(self, key) or '-'


def context_values() -> dict[str, Any]:
    """What oslo.log copies onto a record whose context has only a request id."""
    return _TemplateContext(request_id=PROBE_REQUEST_ID,
                            overwrite=False).get_logging_values()


def make_record(logger: logging.Logger, message: str, request_id: str | None,
                template: dict[str, Any]) -> logging.LogRecord:
    """The record of ``LOG.info(message)`` with a request-id-only context."""
    record = logger.makeRecord(logger.name, INFO, __file__, 0, message, (), None,
                               func=FUNC_NAME)
    # An empty context also keeps the thread's current one (set by the
    # application for this or another request) off the line.
    record.context = {**template, 'request_id': request_id} if request_id else {}
    return record


class RecordSink:
    """Handlers without a fast sink: one LogRecord per line, shared by them all."""

    def __init__(self, logger: logging.Logger, handlers: list[logging.Handler],
                 template: dict[str, Any]) -> None:
        self.logger = logger
        self.handlers = handlers
        self.template = template

    def emit(self, ns: int, message: str, request_id: str | None) -> None:
        record = make_record(self.logger, message, request_id, self.template)
        for handler in self.handlers:
            if INFO >= handler.level:
                handler.handle(record)

    def flush(self) -> None:
        pass  # nothing is deferred


class _StreamSink:
    """What the fast sinks share: the handler, its time format, following logrotate."""

    def __init__(self, handler: logging.StreamHandler, fallback: RecordSink,
                 defer: Defer | None = None) -> None:
        formatter = handler.formatter
        self.handler = handler
        self._fallback = fallback
        self._defer = defer
        self._pending: list[tuple[str, int, str, str | None]] = []
        self._datefmt: str = getattr(formatter, 'datefmt', None) or ''
        self._converter: Callable[[float], time.struct_time] = getattr(
            formatter, 'converter', time.localtime)
        self._watched = isinstance(handler, logging.handlers.WatchedFileHandler)
        self._clock: Clock = (-1, '')

    def _tick(self, second: int) -> Clock:
        clock = self._clock = (
            second, time.strftime(self._datefmt, self._converter(second)))
        if self._watched:
            # A WatchedFileHandler stats its file before every line; once a
            # second is soon enough to follow logrotate.
            _locked(self.handler, self.handler.reopenIfNeeded)
        return clock

    def _write(self, line: str, ns: int, message: str, request_id: str | None) -> None:
        if self._defer is None:
            # Native threads write at once: the pending list, swapped
            # without a lock, is for the lines of one green hub's turn.
            self._write_lines([(line, ns, message, request_id)])
            return
        pending = self._pending
        pending.append((line, ns, message, request_id))
        if len(pending) == 1:
            self._defer(self.flush)

    def flush(self) -> None:
        """Write the pending lines: one lock, one write, one flush for them all."""
        lines, self._pending = self._pending, []
        if lines:
            self._write_lines(lines)

    def _write_lines(self, lines: list[tuple[str, int, str, str | None]]) -> None:
        """Under the handler's lock, so that lines from several threads never interleave."""
        handler = self.handler
        lock = handler.lock  # svcframe.logs renews it after a fork: read it each time
        stream = None
        lock.acquire()
        try:
            stream = handler.stream
            if stream is not None:
                stream.write(''.join([line[0] for line in lines]))
                stream.flush()
        except RecursionError:
            raise
        except Exception:
            # What StreamHandler.emit does: report it on stderr, never raise.
            handler.handleError(logging.makeLogRecord({'msg': lines[0][0].rstrip('\n')}))
        finally:
            lock.release()
        if stream is None:
            # Closed, or a reopen failed: the handler knows how to reopen.
            for _line, ns, message, request_id in lines:
                self._fallback.emit(ns, message, request_id)


class TextSink(_StreamSink):
    """The line oslo's ContextFormatter writes with svcframe's default formats."""

    def __init__(self, handler: logging.StreamHandler, fallback: RecordSink,
                 logger_name: str, binary: str, host: str, identity: str,
                 global_request_id: object, defer: Defer | None = None) -> None:
        super().__init__(handler, fallback, defer)
        self._head = ' INFO %s %s %s ' % (binary, host, logger_name)
        self._with_id = '[%s ' % (global_request_id,)
        self._after_id = ' %s] ' % identity
        # (second, pid, the line up to the milliseconds, from them to the
        # request id, from them to the message when there is no request id)
        self._stamp: tuple[int, int, str, str, str] = (-1, -1, '', '', '')

    def emit(self, ns: int, message: str, request_id: str | None) -> None:
        handler = self.handler
        if handler.level > INFO:
            return
        second, rest = divmod(ns, NS_PER_SECOND)
        process = _process.value
        stamp = self._stamp
        if stamp[0] != second or stamp[1] != process:
            stamp = self._restamp(second, process)
        if request_id:
            line = ''.join((stamp[2], MSECS[rest // NS_PER_MSEC], stamp[3], request_id,
                            self._after_id, message, handler.terminator))
        else:
            line = ''.join((stamp[2], MSECS[rest // NS_PER_MSEC], stamp[4], message,
                            handler.terminator))
        self._write(line, ns, message, request_id)

    def _restamp(self, second: int, process: int) -> tuple[int, int, str, str, str]:
        clock = self._clock if self._clock[0] == second else self._tick(second)
        after_msecs = ' %d%s' % (process, self._head)
        stamp = self._stamp = (second, process, clock[1] + '.',
                               after_msecs + self._with_id, after_msecs + '[-] ')
        return stamp


class JsonSink(_StreamSink):
    """The document oslo's JSONFormatter writes, member for member and in its order."""

    def __init__(self, handler: logging.StreamHandler, fallback: RecordSink,
                 logger_name: str, extra: dict[str, Any], template: dict[str, Any],
                 start: float, process_name: str | None,
                 defer: Defer | None = None) -> None:
        super().__init__(handler, fallback, defer)
        # oslo dumps with json's defaults (ASCII, ', ' and ': '); encode() of
        # a str is one C call.
        self._encode = encode = json.JSONEncoder().encode
        self._start = start
        self._name = ', "name": %s, "msg": ' % encode(logger_name)
        self._record = (
            ', "args": [], "levelname": "INFO", "levelno": %d, "pathname": %s, '
            '"filename": %s, "module": %s, "lineno": 0, "funcname": %s, "created": '
            % (INFO, encode(__file__), encode(os.path.basename(__file__)),
               encode(__name__.rpartition('.')[2]), encode(FUNC_NAME)))
        self._process_name = ', "process_name": %s, "process": ' % encode(process_name)
        self._hostname = (', "traceback": null, "hostname": %s, "error_summary": "", '
                          '"context": ' % encode(getattr(handler.formatter, 'hostname', None)))
        with_probe = encode({**template, 'request_id': PROBE_REQUEST_ID})
        self._context_head, _sep, self._context_tail = with_probe.partition(
            encode(PROBE_REQUEST_ID))
        self._extra = ', "extra": %s}' % encode(extra)

    def emit(self, ns: int, message: str, request_id: str | None) -> None:
        handler = self.handler
        if handler.level > INFO:
            return
        second, rest = divmod(ns, NS_PER_SECOND)
        clock = self._clock
        if clock[0] != second:
            clock = self._tick(second)
        created = ns / NS_PER_SECOND
        encode = self._encode
        text = encode(message)
        if request_id:
            context = self._context_head + encode(request_id) + self._context_tail
        else:
            context = '{}'
        process = _process.value if logging.logProcesses else None
        line = ''.join((
            '{"message": ', text, ', "asctime": ', encode(clock[1]), self._name, text,
            self._record, repr(created), ', "msecs": ', MSECS_FLOAT[rest // NS_PER_MSEC],
            ', "relative_created": ', repr((created - self._start) * 1000),
            _thread_members(), self._process_name,
            'null' if process is None else str(process), self._hostname, context,
            self._extra, handler.terminator))
        self._write(line, ns, message, request_id)


def _thread_members() -> str:
    if not logging.logThreads:  # svcframe.reach.stop_naming_threads() turns them off
        return ', "thread": null, "thread_name": null'
    return ', "thread": %d, "thread_name": %s' % (
        threading.get_ident(), json.dumps(threading.current_thread().name))


def _locked(handler: logging.Handler, action: Callable[[], object]) -> None:
    handler.acquire()
    try:
        action()
    except Exception:
        handler.handleError(logging.makeLogRecord({'msg': 'reopening the log file'}))
    finally:
        handler.release()


def build_sinks(logger: logging.Logger, binary: str, host: str,
                defer: Defer | None = None) -> list[Sink]:
    """The sinks of every handler a line of ``logger`` reaches, as set up now."""
    template = context_values()
    reference = make_record(logger, PROBE_MESSAGE, None, template)
    start = reference.created - reference.relativeCreated / 1000
    sinks: list[Sink] = []
    slow: list[logging.Handler] = []
    for handler in reached_handlers(logger):
        fallback = RecordSink(logger, [handler], template)
        make: Callable[[logging.StreamHandler], _StreamSink] | None = None
        formatter = handler.formatter
        if not _plain(handler):
            pass
        elif type(formatter) is formatters.ContextFormatter:
            conf = getattr(formatter, 'conf', None)
            identity = conf.logging_user_identity_format % _Dashes(template) if conf else ''
            make = functools.partial(TextSink, fallback=fallback, logger_name=logger.name,
                                     binary=binary, host=host, identity=identity,
                                     global_request_id=template.get('global_request_id'))
        elif type(formatter) is formatters.JSONFormatter:
            make = functools.partial(JsonSink, fallback=fallback, logger_name=logger.name,
                                     extra={'binary': binary, 'host': host},
                                     template=template, start=start,
                                     process_name=reference.processName)
        if make is not None and _writes_like(make, handler, logger, template, start):
            sinks.append(make(handler, defer=defer))
        else:
            slow.append(handler)
    if slow:
        sinks.append(RecordSink(logger, slow, template))
    return sinks


def reached_handlers(logger: logging.Logger) -> list[logging.Handler]:
    """The handlers Logger.callHandlers would call, in its order."""
    found: list[logging.Handler] = []
    current: logging.Logger | None = logger
    while current is not None:
        found.extend(current.handlers)
        if not current.propagate:
            break
        current = current.parent
    return found


def _plain(handler: logging.Handler) -> bool:
    # svcframe's ServiceIdentity only stamps binary and host, which the fast
    # sinks write themselves; any other filter may drop or change a record.
    return (type(handler) in PLAIN_STREAM_HANDLERS and bool(handler.filters)
            and all(type(f) is logs.ServiceIdentity for f in handler.filters))


def _writes_like(make: Callable[[logging.StreamHandler], _StreamSink],
                 handler: logging.Handler, logger: logging.Logger,
                 template: dict[str, Any], start: float) -> bool:
    """Whether a sink writes what ``handler`` writes, for two probe lines.

    A twin of the sink writes to a buffer; the handler's formatter formats
    records of the same instant. JSON documents must have the same members
    with the same values in the same order; text lines must be equal.
    """
    buffer = io.StringIO()
    twin_handler = logging.StreamHandler(buffer)
    twin_handler.setFormatter(handler.formatter)
    twin_handler.terminator = getattr(handler, 'terminator', '\n')
    twin = make(twin_handler)
    second = int(time.time())
    for request_id in (PROBE_REQUEST_ID, None):
        record = make_record(logger, PROBE_MESSAGE, request_id, template)
        # Half a second: no rounding can differ between a float and nanoseconds.
        record.created, record.msecs = second + 0.5, 500.0
        record.relativeCreated = (record.created - start) * 1000
        buffer.seek(0)
        buffer.truncate()
        try:
            handler.filter(record)
            expected = handler.format(record) + twin_handler.terminator
            twin.emit(second * NS_PER_SECOND + NS_PER_SECOND // 2, PROBE_MESSAGE, request_id)
            written = buffer.getvalue()
            if isinstance(twin, JsonSink):
                same = list(json.loads(expected).items()) == list(json.loads(written).items())
            else:
                same = expected == written
        except Exception:
            return False
        if not same:
            return False
    return True

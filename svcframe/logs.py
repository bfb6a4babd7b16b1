"""Every log line names the binary and the host that wrote it.

With four binaries on many hosts feeding one log store, a line that says
only its process id is hard to place. svcframe's default formats
(svcframe/conf/log.py) add ``%(binary)s %(host)s`` after the level; a filter
on every root handler sets both on each record, and lists them in
``extra_keys``, which oslo.log's JSON formatter (``[DEFAULT] use_json =
True``) copies into each line's ``extra``.
The request id is oslo.log's own ``%(request_id)s``: the context travels with
every RPC message, so the conductor, scheduler and compute lines of one API
request carry the id that request's response had.
BrokerCancelOnClose keeps one expected amqp warning out of every stop.
"""

from __future__ import annotations

import logging

IDENTITY_KEYS = ('binary', 'host')

# amqp's warning for a method that reaches a channel it is closing, and the
# method: basic.cancel (class 60, method 30).
AMQP_CLOSING_NOTICE = 'Received method %s during closing channel %s'
BASIC_CANCEL = (60, 30)


class ServiceIdentity(logging.Filter):
    """Stamps each record with the binary and host of this process."""

    def __init__(self, binary: str, host: str) -> None:
        super().__init__()
        self.binary = binary
        self.host = host

    def filter(self, record: logging.LogRecord) -> bool:
        record.binary = self.binary
        record.host = self.host
        keys = getattr(record, 'extra_keys', None)
        if keys is None:
            record.extra_keys = list(IDENTITY_KEYS)
        elif 'binary' not in keys:
            record.extra_keys = [*keys, *IDENTITY_KEYS]
        return True


def stamp_handlers(binary: str, host: str) -> None:
    """Add the filter to every handler oslo.log set up on the root logger."""
    identity = ServiceIdentity(binary, host)
    for handler in logging.getLogger().handlers:
        handler.filters = [f for f in handler.filters if not isinstance(f, ServiceIdentity)]
        handler.addFilter(identity)


def renew_handler_locks() -> None:
    """Give this (just forked) process handler locks of its own.

    Under eventlet, oslo.log makes each handler's lock a pipe holding one
    token. A forked worker inherits the pipe, so every process of a service
    would share one lock, and a worker killed while it writes a line would
    take the token with it: the next line of every other process, the
    supervisor's included, would wait for ever. (Python's at-fork renewal
    of handler locks does not know oslo.log's lock.)
    """
    for handler in _every_handler():
        inherited = handler.lock
        handler.createLock()
        if inherited is not None and hasattr(inherited, 'close'):
            inherited.close()  # this process's copy of the pipe only


def _every_handler() -> list[logging.Handler]:
    loggers = [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)]
    seen: dict[int, logging.Handler] = {}
    for logger in loggers:
        for handler in logger.handlers:
            seen[id(handler)] = handler
    return list(seen.values())


class BrokerCancelOnClose(logging.Filter):
    """Drops amqp's warning that the broker cancelled a consumer on a closing channel.

    When oslo.messaging's rabbit driver closes a connection it deletes the
    service's own fanout queue without cancelling the consumer on it first;
    RabbitMQ then tells the consumer, with basic.cancel, that its queue is
    gone, which arrives while the channel closes, and amqp warns of it on
    every stop of every service. Nothing is lost: the queue was deleted on
    purpose. The cause is inside oslo.messaging (Connection.close), so this
    drops that one warning and lets any other method through.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not _is_cancel_on_close(record)


def _is_cancel_on_close(record: logging.LogRecord) -> bool:
    if not (isinstance(record.msg, str) and record.msg.startswith(AMQP_CLOSING_NOTICE)):
        return False
    args = record.args
    return isinstance(args, tuple) and len(args) == 2 and args[0] == BASIC_CANCEL


def quiet_broker_cancel_on_close() -> None:
    """Install BrokerCancelOnClose on logger ``amqp``, once."""
    amqp = logging.getLogger('amqp')
    if not any(isinstance(f, BrokerCancelOnClose) for f in amqp.filters):
        amqp.addFilter(BrokerCancelOnClose())

from __future__ import annotations

import logging

import pytest

from svcframe import logs


def record(**extra: object) -> logging.LogRecord:
    made = logging.LogRecord('svcframe.test', logging.INFO, __file__, 1, 'hello', None, None)
    made.__dict__.update(extra)
    return made


def test_stamps_binary_and_host_and_lists_them_for_the_json_formatter() -> None:
    stamped = record()
    assert logs.ServiceIdentity('svcframe-compute', 'node-1').filter(stamped)
    assert (stamped.binary, stamped.host) == ('svcframe-compute', 'node-1')
    assert stamped.extra_keys == ['binary', 'host']


def test_keeps_the_extra_keys_a_logging_call_gave() -> None:
    stamped = record(extra_keys=['instance_uuid'])
    logs.ServiceIdentity('svcframe-api', 'node-2').filter(stamped)
    assert stamped.extra_keys == ['instance_uuid', 'binary', 'host']


def test_stamp_handlers_replaces_a_previous_identity() -> None:
    handler = logging.NullHandler()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        logs.stamp_handlers('svcframe-manage', 'a')
        logs.stamp_handlers('svcframe-manage', 'b')
        identities = [f for f in handler.filters if isinstance(f, logs.ServiceIdentity)]
        assert [identity.host for identity in identities] == ['b']
    finally:
        root.removeHandler(handler)


def amqp_record(method: tuple[int, int]) -> logging.LogRecord:
    # What amqp's AbstractChannel.dispatch_method logs for a method that
    # reaches a channel it is closing.
    return logging.LogRecord(
        'amqp', logging.WARNING, __file__, 1,
        'Received method %s during closing channel %s. This method will be ignored',
        (method, 1), None)


def test_drops_the_brokers_basic_cancel_on_a_closing_channel() -> None:
    assert not logs.BrokerCancelOnClose().filter(amqp_record((60, 30)))


@pytest.mark.parametrize('method', [(60, 60), (20, 40), (60, 31)])
def test_keeps_any_other_method_on_a_closing_channel(method: tuple[int, int]) -> None:
    assert logs.BrokerCancelOnClose().filter(amqp_record(method))


def test_keeps_other_amqp_lines_that_merely_name_basic_cancel() -> None:
    other = logging.LogRecord('amqp', logging.WARNING, __file__, 1,
                              'Consumer cancelled by broker: %s', ((60, 30),), None)
    assert logs.BrokerCancelOnClose().filter(other)


def test_the_filter_sits_on_the_amqp_logger_once(caplog: pytest.LogCaptureFixture) -> None:
    amqp = logging.getLogger('amqp')
    before = list(amqp.filters)
    try:
        logs.quiet_broker_cancel_on_close()
        logs.quiet_broker_cancel_on_close()
        assert len([f for f in amqp.filters if isinstance(f, logs.BrokerCancelOnClose)]) == 1
        with caplog.at_level(logging.WARNING, logger='amqp'):
            amqp.handle(amqp_record((60, 30)))
            amqp.handle(amqp_record((60, 60)))
        assert [r.args[0] for r in caplog.records if r.name == 'amqp'] == [(60, 60)]
    finally:
        amqp.filters = before

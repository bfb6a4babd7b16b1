from __future__ import annotations

import logging

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

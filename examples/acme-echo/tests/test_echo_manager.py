"""The manager on its own: its methods called directly, no service running."""

from svcframe.testing import make_manager

from acme_echo.manager import EchoManager


def test_echo_puts_the_prefix_in_front(svcframe_conf, svcframe_context):
    svcframe_conf.set_override('prefix', '> ', group='acme_echo')
    echo = make_manager(EchoManager, svcframe_conf)

    answer = echo.echo(svcframe_context, 'hello')

    assert answer == {'text': '> hello', 'host': 'test-host',
                      'request_id': svcframe_context.request_id}


def test_the_periodic_task_counts_each_run_and_records_the_time(
        svcframe_conf, svcframe_context):
    echo = make_manager(EchoManager, svcframe_conf, clock=lambda: 1000.0)

    echo.periodic_tasks(svcframe_context)  # run_immediately: due at once

    assert echo.ticks(svcframe_context) == {'count': 1, 'last': 1000.0}


def test_a_changed_prefix_is_used_by_the_next_echo(svcframe_conf, svcframe_context):
    echo = make_manager(EchoManager, svcframe_conf)

    svcframe_conf.set_override('prefix', 'again: ', group='acme_echo')
    echo.reset()

    assert echo.echo(svcframe_context, 'hi')['text'] == 'again: hi'

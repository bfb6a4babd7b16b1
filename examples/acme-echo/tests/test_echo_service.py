"""The manager run by svcframe-compute's Service, called over RPC."""

from svcframe.testing import wait_until

from acme_echo.rpcapi import EchoAPI


def test_compute_runs_the_plugin_by_its_entry_point_name(
        svcframe_conf, svcframe_services, svcframe_context):
    svcframe_conf.set_override('compute_manager', 'acme_echo')
    services = svcframe_services(['svcframe-compute'])
    api = EchoAPI(services.transport, svcframe_conf, timeout=10)

    answer = api.echo(svcframe_context, 'test-host', 'over rpc')

    assert answer == {'text': 'echo: over rpc', 'host': 'test-host',
                      'request_id': svcframe_context.request_id}


def test_the_periodic_task_runs_in_the_service(
        svcframe_conf, svcframe_services, svcframe_context):
    svcframe_conf.set_override('compute_manager', 'acme_echo')
    services = svcframe_services(['svcframe-compute'])
    api = EchoAPI(services.transport, svcframe_conf, timeout=10)

    def ticked():
        ticks = api.ticks(svcframe_context, 'test-host')
        return ticks if ticks['count'] else None

    ticks = wait_until(ticked, what='the first tick')

    assert isinstance(ticks['last'], float)


def test_with_a_conductor_compute_registers_in_the_database(
        svcframe_conf, svcframe_services):
    svcframe_conf.set_override('compute_manager', 'acme_echo')
    services = svcframe_services(['svcframe-conductor', 'svcframe-compute'])

    def registered():
        return {service.binary for service in services.database.service_get_all()}

    wait_until(lambda: 'svcframe-compute' in registered(), what='compute to register')
    assert registered() == {'svcframe-conductor', 'svcframe-compute'}

"""svcframe-scheduler: the scheduler service."""


def main() -> None:
    from svcframe.cmd import eventlet_patch
    eventlet_patch.monkey_patch()

    from svcframe.cmd import service_main

    service_main.serve('svcframe-scheduler', workers_group='scheduler')

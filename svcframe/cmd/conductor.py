"""svcframe-conductor: the conductor service."""


def main() -> None:
    from svcframe.cmd import eventlet_patch
    eventlet_patch.monkey_patch()

    from svcframe.cmd import service_main

    service_main.serve('svcframe-conductor', workers_group='conductor')

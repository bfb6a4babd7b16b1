"""svcframe-conductor: the conductor service."""


def main() -> None:
    from svcframe import backend
    backend.setup('svcframe-conductor')

    from svcframe.cmd import service_main

    service_main.serve('svcframe-conductor', workers_group='conductor')

"""svcframe-compute: the compute service."""


def main() -> None:
    from svcframe import backend
    backend.setup('svcframe-compute')

    from svcframe.cmd import service_main

    # compute runs in one process: it owns its host's resources.
    service_main.serve('svcframe-compute')

"""The ``oslo.config.opts`` entry point: every option svcframe defines.

The options of oslo.service that svcframe honours are listed here too;
the libraries' own options (oslo.log, oslo.middleware, ...) come from their
namespaces. etc/svcframe-config-generator.conf names every namespace
of the sample config.

``python -m svcframe.conf.opts --config-file etc/svcframe-config-generator.conf``
is oslo-config-generator, quiet: it imports svcframe (whose import hides
eventlet's deprecation notice) before any namespace is loaded. Plain
oslo-config-generator loads the namespaces in the order their packages are
installed, and oslo.messaging's may import eventlet before svcframe is.
"""

from __future__ import annotations

import sys

from oslo_config import cfg

from svcframe.conf import GROUP_MODULES
from svcframe.conf import log
from svcframe.conf import messaging


def set_library_defaults() -> None:
    """The ``oslo.config.opts.defaults`` entry point: svcframe's defaults for
    the libraries' options, so that the sample config shows them."""
    messaging.set_library_defaults()
    log.set_library_defaults()


def list_opts() -> list[tuple[str | cfg.OptGroup, list[cfg.Opt]]]:
    listed: list[tuple[str | cfg.OptGroup, list[cfg.Opt]]] = []
    for module in GROUP_MODULES:
        listed.extend(module.list_opts())
    return listed


def generate(args: list[str]) -> None:
    """Run oslo-config-generator with ``args`` (without the program name)."""
    from oslo_config import generator
    generator.main(args)


if __name__ == '__main__':
    generate(sys.argv[1:])

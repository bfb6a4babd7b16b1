"""CompositeService: several services run in one process as one.

The launcher runs one service object; this one starts its parts in the order
given and stops them in the reverse order, so a part starts only once those
it relies on run, and stops while they still do. svcframe-all (embedded.py)
passes conductor, scheduler, compute and the API in that order: the API
serves last and drains first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from oslo_log import log as logging

LOG = logging.getLogger(__name__)


class Part(Protocol):
    """What the launcher needs of a service; stop() must be safe before start()."""

    binary: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def wait(self) -> None: ...

    def reset(self) -> None: ...


class CompositeService:
    """Starts ``parts`` in order, stops them in reverse, resets them all."""

    def __init__(self, binary: str, parts: Sequence[Part]) -> None:
        self.binary = binary
        self.parts = tuple(parts)
        self._stopping = False

    def start(self) -> None:
        """Start each part once the one before it has started.

        A stop() that comes meanwhile (the launcher calls it from another
        thread while a part is slow to start) ends the sequence: the parts
        after it are not started.
        """
        for part in self.parts:
            if self._stopping:
                return
            part.start()

    def stop(self, graceful: bool = True) -> None:
        """Stop every part, last first, even when one of them fails to.

        Parts that were never started are stopped too: that releases what
        they hold from before start(), such as the API's listening socket.
        The first error is raised once all parts had their turn.
        """
        self._stopping = True
        first_error: Exception | None = None
        for part in reversed(self.parts):
            try:
                part.stop()
            except Exception as error:  # noqa: BLE001 - raised below
                LOG.exception('%s: %s failed to stop', self.binary, part.binary)
                first_error = first_error or error
        if first_error is not None:
            raise first_error

    def wait(self) -> None:
        for part in reversed(self.parts):
            part.wait()

    def reset(self) -> None:
        """Pass a configuration reload on to every part, first to last.

        A part that fails to apply it is logged with its traceback and the
        others still get it: one plugin's broken reset() must not stop the
        services that share its process.
        """
        for part in self.parts:
            try:
                part.reset()
            except Exception:  # noqa: BLE001 - logged; the others carry on
                LOG.exception('%s: %s failed to apply the reloaded configuration',
                              self.binary, part.binary)

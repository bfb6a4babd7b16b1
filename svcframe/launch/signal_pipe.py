"""Signals delivered as bytes on a pipe that a loop can wait on."""

from __future__ import annotations

import os
import select
import signal


class SignalPipe:
    """Python's wakeup fd writes each signal's number into our pipe.

    The handlers themselves do nothing, so nothing runs in signal context;
    ``wait()`` returns the numbers in the order they arrived.
    """

    def __init__(self, signals: tuple[int, ...]) -> None:
        self.signals = signals
        self._read_fd = -1
        self._write_fd = -1

    def open(self) -> None:
        """Install the handlers, then unblock the signals.

        A supervisor blocks them across fork() so that a new worker cannot
        be killed by a signal before its own handlers are in place.
        """
        self._read_fd, self._write_fd = os.pipe()
        for fd in (self._read_fd, self._write_fd):
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(self._write_fd)
        for signo in self.signals:
            signal.signal(signo, _note_signal)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, self.signals)

    def close(self) -> None:
        for signo in self.signals:
            signal.signal(signo, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        for fd in (self._read_fd, self._write_fd):
            if fd >= 0:
                os.close(fd)
        self._read_fd = self._write_fd = -1

    def wait(self, timeout: float | None = None,
             also: tuple[int, ...] = ()) -> tuple[list[int], list[int]]:
        """Wait for signals or for one of the ``also`` fds to be readable.

        Returns (signal numbers received, ``also`` fds that are readable).
        """
        try:
            readable, _, _ = select.select(
                [self._read_fd, *also], [], [], timeout)
        except InterruptedError:
            readable = []
        received: list[int] = []
        if self._read_fd in readable:
            received = list(os.read(self._read_fd, 512))
        return received, [fd for fd in readable if fd != self._read_fd]


def _note_signal(signo: int, frame: object) -> None:
    """Nothing to do: the wakeup fd has already recorded the signal."""

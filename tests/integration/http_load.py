"""Keep-alive HTTP clients in threads that count what happened to each request."""

from __future__ import annotations

import http.client
import threading
from collections import Counter


class LoadClient(threading.Thread):
    """Sends GET ``path`` over one keep-alive connection until stopped.

    A request is *failed* when it was sent and no complete response came back
    (reset, end of file) or the response was a 5xx; a connection that is
    *refused* sent nothing, which is what a stopped server must do.
    """

    def __init__(self, port: int, path: str, counts: Counter, lock: threading.Lock,
                 stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.path = path
        self.counts = counts
        self.lock = lock
        self.stop_event = stop
        self.failures: list[str] = []

    def _count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1

    def run(self) -> None:
        connection = http.client.HTTPConnection('127.0.0.1', self.port, timeout=30)
        while not self.stop_event.is_set():
            try:
                if connection.sock is None:
                    connection.connect()
            except OSError:  # refused, or reset before a request was sent
                self._count('refused')
                return
            try:
                connection.request('GET', self.path)
                response = connection.getresponse()
                response.read()
            except Exception as error:  # noqa: BLE001 - every failure counts
                self.failures.append('%s: %s' % (type(error).__name__, error))
                self._count('failed')
                connection.close()
                continue
            if response.status >= 500:
                self.failures.append('status %d' % response.status)
                self._count('failed')
            else:
                self._count('ok')
            if response.getheader('Connection', '').lower() == 'close':
                self._count('closed by server')
                connection.close()
        connection.close()


class Load:
    """``clients`` fast clients on ``fast_path`` and ``slow_clients`` on ``slow_path``."""

    def __init__(self, port: int, clients: int, fast_path: str = '/',
                 slow_clients: int = 0, slow_path: str = '/slow') -> None:
        self.counts: Counter = Counter()
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.clients = [LoadClient(port, fast_path, self.counts, self.lock, self.stop_event)
                        for _ in range(clients)]
        self.clients += [LoadClient(port, slow_path, self.counts, self.lock, self.stop_event)
                         for _ in range(slow_clients)]

    def start(self) -> None:
        for client in self.clients:
            client.start()

    def ok(self) -> int:
        with self.lock:
            return self.counts['ok']

    def stop(self) -> Counter:
        self.stop_event.set()
        for client in self.clients:
            client.join(timeout=60)
        return self.counts

    def failures(self) -> list[str]:
        return [failure for client in self.clients for failure in client.failures]

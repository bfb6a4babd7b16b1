"""A throwaway RabbitMQ node of a test module's own, to stop and start at will.

The machine's shared RabbitMQ serves other tests at the same time, so a test
that takes the broker away from running services starts its own node: its
own node name, AMQP and distribution ports on 127.0.0.1, no plugins, and its
database, logs, config and Erlang cookie in a temporary directory.

Every ``rabbitmqctl`` call names the private node (``-n``) and runs with the
private HOME, whose cookie the shared node does not accept: a command meant
for the private node cannot reach the shared one, even by mistake.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

START_TIMEOUT = 120.0
COMMAND_TIMEOUT = 120.0
LOG_TAIL = 3000
# epmd's default port: the node and rabbitmqctl run without ERL_EPMD_PORT.
EPMD_PORT = 4369
SCRIPTS = ('rabbitmq-server', 'rabbitmqctl')
# Debian's /usr/sbin scripts are wrappers that switch to the rabbitmq user,
# whose home holds the shared node's cookie; the real scripts are here.
DEBIAN_BIN_DIR = Path('/usr/lib/rabbitmq/bin')
WRAPPER = 'rabbitmq-script-wrapper'


def find_bin_dir() -> Path | None:
    """The directory of the real rabbitmq-server and rabbitmqctl scripts, not wrappers."""
    candidates = [DEBIAN_BIN_DIR]
    on_path = shutil.which('rabbitmq-server')
    if on_path is not None and Path(on_path).resolve().name != WRAPPER:
        candidates.append(Path(on_path).parent)
    for candidate in candidates:
        if all(os.access(candidate / name, os.X_OK) for name in SCRIPTS):
            return candidate
    return None


def why_unavailable() -> str | None:
    """None when a private node can be started here, else the reason."""
    if find_bin_dir() is None:
        return 'rabbitmq-server and rabbitmqctl are not installed (looked in %s and on PATH)' \
               % DEBIAN_BIN_DIR
    return None


def _inherited_env() -> dict[str, str]:
    """This process's environment without what would point at another node."""
    return {name: value for name, value in os.environ.items()
            if not name.startswith(('RABBITMQ_', 'ERL_')) and name != 'NOTIFY_SOCKET'}


class PrivateRabbitMQ:
    """One RabbitMQ node in ``base_dir``, AMQP on 127.0.0.1:``port``.

    ``start()`` boots it; ``stop_app()``/``start_app()`` may alternate any
    number of times, the Erlang node staying up; ``destroy()`` shuts it down
    and removes the directory.
    """

    def __init__(self, bin_dir: Path, base_dir: Path, port: int, dist_port: int,
                 nodename: str) -> None:
        self.bin_dir = bin_dir
        self.base_dir = base_dir
        self.port = port
        self.dist_port = dist_port
        self.nodename = nodename
        self.process: subprocess.Popen | None = None

    @classmethod
    def create(cls, port: int, dist_port: int) -> PrivateRabbitMQ:
        """A node with a unique name in a new directory (not started)."""
        bin_dir = find_bin_dir()
        assert bin_dir is not None, why_unavailable()
        base_dir = Path(tempfile.mkdtemp(prefix='svcframe-rabbitmq-'))
        nodename = 'svcframe-test-%s@localhost' % secrets.token_hex(6)
        return cls(bin_dir, base_dir, port, dist_port, nodename)

    @property
    def transport_url(self) -> str:
        # guest may log in: the connection comes from loopback.
        return 'rabbit://guest:guest@127.0.0.1:%d/' % self.port

    @property
    def log_path(self) -> Path:
        return self.base_dir / 'log' / ('%s.log' % self.nodename)

    @property
    def stdout_path(self) -> Path:
        return self.base_dir / 'stdout.log'

    def env(self) -> dict[str, str]:
        """The environment of the node and of every rabbitmqctl call on it."""
        base = self.base_dir
        env = _inherited_env()
        env.update(
            HOME=str(base),  # Erlang reads the cookie from $HOME/.erlang.cookie
            RABBITMQ_CONF_ENV_FILE=str(base / 'rabbitmq-env.conf'),
            RABBITMQ_CONFIG_FILE=str(base / 'rabbitmq.conf'),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(base / 'advanced.config'),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(base / 'enabled_plugins'),
            RABBITMQ_MNESIA_BASE=str(base / 'mnesia'),
            RABBITMQ_LOG_BASE=str(base / 'log'),
            RABBITMQ_NODENAME=self.nodename,
            RABBITMQ_NODE_IP_ADDRESS='127.0.0.1',
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}',
            # Any free port for the CLI's own node, not the 35672-35682
            # range that rabbitmqctl calls on the shared node use.
            RABBITMQ_CTL_DIST_PORT_MIN='0',
            RABBITMQ_CTL_DIST_PORT_MAX='0',
            # An epmd the node has to start itself listens on loopback only.
            ERL_EPMD_ADDRESS='127.0.0.1',
        )
        return env

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Boot the node and wait until the broker accepts AMQP connections."""
        self._write_files()
        with open(self.stdout_path, 'wb') as out:
            self.process = subprocess.Popen(
                [str(self.bin_dir / 'rabbitmq-server')], env=self.env(), cwd=self.base_dir,
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        began = time.monotonic()
        self._wait_for_registration(timeout)
        remaining = max(1, int(timeout - (time.monotonic() - began)))
        self._ctl('await_startup', '--timeout', str(remaining), timeout=remaining + 30)

    def stop_app(self) -> None:
        """Stop the broker (connections are cut); the Erlang node stays up."""
        self._ctl('stop_app')

    def start_app(self) -> None:
        """Start the broker again and wait until it has booted."""
        self._ctl('start_app')
        self._ctl('await_startup')

    def app_running(self) -> bool:
        """Whether the broker (not just the Erlang node) is up."""
        result = self._ctl('eval', 'rabbit:is_running().')
        return result.stdout.strip() == 'true'

    def destroy(self) -> None:
        """Shut the node down, kill what is left of it, remove its directory; never raises."""
        try:
            if self.process is not None and self.process.poll() is None:
                self._ctl('shutdown', timeout=60)
        except (RuntimeError, subprocess.SubprocessError, OSError):
            pass
        finally:
            self._kill()
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def log_tail(self) -> str:
        """The end of the node's log and of its console output, for failure messages."""
        parts = []
        for path in (self.log_path, self.stdout_path):
            text = path.read_text(errors='replace') if path.exists() else '(none)'
            parts.append('--- %s ---\n%s' % (path, text[-LOG_TAIL:]))
        return '\n'.join(parts)

    def _write_files(self) -> None:
        base = self.base_dir
        cookie = base / '.erlang.cookie'
        if not cookie.exists():
            # Erlang refuses a cookie file that others may read.
            cookie.write_text(secrets.token_hex(16))
            cookie.chmod(0o400)
        # Empty: /etc/rabbitmq/rabbitmq-env.conf names the shared node.
        (base / 'rabbitmq-env.conf').write_text('')
        (base / 'enabled_plugins').write_text('[].\n')
        (base / 'rabbitmq.conf').write_text(
            'listeners.tcp.1 = 127.0.0.1:%d\nlog.console = false\n'
            'log.file.level = info\n' % self.port)

    def _wait_for_registration(self, timeout: float) -> None:
        """Until epmd knows the node; fails with the log if the node dies or is slow.

        Only then can rabbitmqctl reach it: before, await_startup would give
        up at once rather than wait.
        """
        deadline = time.monotonic() + timeout
        while _epmd_port(self.nodename.split('@')[0]) != self.dist_port:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError('private RabbitMQ node %s exited with status %d while '
                                   'starting\n%s' % (self.nodename, self.process.returncode,
                                                     self.log_tail()))
            if time.monotonic() > deadline:
                raise RuntimeError('private RabbitMQ node %s did not start within %g s\n%s'
                                   % (self.nodename, timeout, self.log_tail()))
            time.sleep(0.2)

    def _ctl(self, *args: str, timeout: float = COMMAND_TIMEOUT
             ) -> subprocess.CompletedProcess:
        argv = [str(self.bin_dir / 'rabbitmqctl'), '-n', self.nodename, *args]
        result = subprocess.run(argv, env=self.env(), cwd=self.base_dir, capture_output=True,
                                text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise RuntimeError('%s failed with status %d: %s%s\n%s' % (
                ' '.join(argv), result.returncode, result.stdout, result.stderr,
                self.log_tail()))
        return result

    def _kill(self) -> None:
        """SIGKILL the node's process group: the shell, beam and their helpers."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass


def _epmd_port(name: str) -> int | None:
    """The distribution port epmd on localhost has for node ``name``, if registered.

    Asked over epmd's own protocol (NAMES_REQ): no Erlang VM to boot per poll.
    """
    try:
        with socket.create_connection(('127.0.0.1', EPMD_PORT), timeout=2.0) as epmd:
            epmd.sendall(b'\x00\x01n')
            reply = b''
            while chunk := epmd.recv(4096):
                reply += chunk
    except OSError:
        return None
    for line in reply[4:].decode(errors='replace').splitlines():
        words = line.split()  # name <name> at port <port>
        if len(words) == 5 and words[1] == name:
            return int(words[4])
    return None

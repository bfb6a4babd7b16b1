"""A throwaway PostgreSQL cluster of a test's own, to stop and start at will.

The machine's shared PostgreSQL serves other tests at the same time, so a
test that takes the database away from running services starts its own
cluster: initdb into a temporary directory, pg_ctl on a free port of
127.0.0.1, its socket in that directory. PostgreSQL refuses to run as root,
so under root the commands run as the ``postgres`` OS user, which owns the
directory.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy

SERVER_USER = 'postgres'
SUPERUSER = 'postgres'
COMMAND_TIMEOUT = 120.0


def find_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's bin directory holding initdb and pg_ctl."""
    candidates = sorted(glob.glob('/usr/lib/postgresql/*/bin'),
                        key=lambda path: int(path.split('/')[-2]) if path.split('/')[-2]
                        .isdigit() else 0)
    for candidate in reversed(candidates):
        if os.access(os.path.join(candidate, 'initdb'), os.X_OK) and \
                os.access(os.path.join(candidate, 'pg_ctl'), os.X_OK):
            return Path(candidate)
    on_path = shutil.which('pg_ctl')
    if on_path and shutil.which('initdb'):
        return Path(on_path).parent
    return None


def why_unavailable() -> str | None:
    """None when a private cluster can be started here, else the reason."""
    if find_bin_dir() is None:
        return 'initdb and pg_ctl are not installed (looked in /usr/lib/postgresql/*/bin ' \
               'and on PATH)'
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return 'running as root and there is no %r OS user to run PostgreSQL as' \
                   % SERVER_USER
        if shutil.which('runuser') is None:
            return 'running as root and runuser is not installed'
    return None


class PrivatePostgres:
    """One PostgreSQL cluster in ``base_dir``, listening on 127.0.0.1:``port``.

    ``init()`` creates it and ``start()``/``stop()`` may alternate any number
    of times on the same port; ``destroy()`` stops it and removes the directory.
    """

    def __init__(self, bin_dir: Path, base_dir: Path, port: int) -> None:
        self.bin_dir = bin_dir
        self.base_dir = base_dir
        self.port = port
        self.running = False

    @classmethod
    def create(cls, port: int) -> PrivatePostgres:
        """A cluster in a new directory that the server's OS user owns.

        Not under pytest's tmp_path: its parents are private to root, and the
        server user could not reach the directory.
        """
        bin_dir = find_bin_dir()
        assert bin_dir is not None, why_unavailable()
        base_dir = Path(tempfile.mkdtemp(prefix='svcframe-pg-'))
        if os.geteuid() == 0:
            user = pwd.getpwnam(SERVER_USER)
            os.chown(base_dir, user.pw_uid, user.pw_gid)
        return cls(bin_dir, base_dir, port)

    @property
    def data_dir(self) -> Path:
        return self.base_dir / 'data'

    @property
    def log_path(self) -> Path:
        return self.base_dir / 'server.log'

    def url(self, database: str = 'postgres') -> str:
        return 'postgresql+psycopg2://%s@127.0.0.1:%d/%s' % (SUPERUSER, self.port, database)

    def init(self) -> None:
        self._run('initdb', '-D', str(self.data_dir), '-U', SUPERUSER, '--auth=trust',
                  '-E', 'UTF8', '--no-sync')

    def start(self) -> None:
        # fsync off: the cluster is thrown away, and the tests run faster.
        options = '-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off' % (
            self.port, self.base_dir)
        self._run('pg_ctl', 'start', '-w', '-t', '60', '-D', str(self.data_dir),
                  '-l', str(self.log_path), '-o', options)
        self.running = True

    def stop(self) -> None:
        """Stop at once: open sessions are cut, as when a server restarts."""
        self._run('pg_ctl', 'stop', '-w', '-t', '60', '-m', 'fast', '-D', str(self.data_dir))
        self.running = False

    def restart(self) -> None:
        self.stop()
        self.start()

    def create_database(self, name: str) -> str:
        """An empty database ``name``; its URL."""
        admin = sqlalchemy.create_engine(self.url(), isolation_level='AUTOCOMMIT')
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql('CREATE DATABASE %s' % name)
        finally:
            admin.dispose()
        return self.url(name)

    def destroy(self) -> None:
        """Stop the server if it may run, and remove its directory; never raises."""
        try:
            if self.data_dir.joinpath('postmaster.pid').exists():
                self._run('pg_ctl', 'stop', '-w', '-t', '60', '-m', 'immediate',
                          '-D', str(self.data_dir))
        except (subprocess.SubprocessError, OSError):
            pass
        finally:
            self.running = False
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        argv = [str(self.bin_dir / program), *args]
        if os.geteuid() == 0:
            argv = ['runuser', '-u', SERVER_USER, '--', *argv]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
                                stdin=subprocess.DEVNULL, cwd=self.base_dir)
        if result.returncode != 0:
            log = self.log_path.read_text(errors='replace') if self.log_path.exists() else ''
            raise RuntimeError('%s failed with status %d: %s%s\n%s' % (
                ' '.join(argv), result.returncode, result.stdout, result.stderr, log[-2000:]))

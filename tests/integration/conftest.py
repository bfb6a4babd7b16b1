"""Fixtures that run svcframe's real console scripts as processes."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy
from oslo_config import cfg

from svcframe import backend
from svcframe import conf as svcframe_conf
from svcframe.db.api import Database
# Re-exported: the integration tests import it from here.
from svcframe.testing.polling import wait_until  # noqa: F401

from tests.real_servers import absent, is_default, service_url

BIN_DIR = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
PLUGIN_SOURCE = Path(__file__).parent / 'plugin'


def script(name: str) -> str:
    path = BIN_DIR / name
    assert path.exists(), '%s is not installed next to %s' % (name, sys.executable)
    return str(path)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def install_plugin(source: Path, target: Path, setup_cfg: str | None = None) -> None:
    """pip-install the plugin package at ``source`` into directory ``target``.

    ``setup_cfg`` replaces the package's setup.cfg, to change its entry points.
    """
    build = target.parent / ('build-' + target.name)
    shutil.rmtree(build, ignore_errors=True)
    shutil.copytree(source, build)
    if setup_cfg is not None:
        (build / 'setup.cfg').write_text(setup_cfg)
    subprocess.run(
        [sys.executable, '-m', 'pip', 'install', '--quiet', '--no-deps',
         '--no-build-isolation', '--upgrade', '--target', str(target), str(build)],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class Events:
    """The lines acme_recorder's manager writes: ``<pid> <event> <args...>``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def all(self) -> list[tuple[int, str, list[str]]]:
        if not self.path.exists():
            return []
        events = []
        for line in self.path.read_text().splitlines():
            pid, event, *args = line.split()
            events.append((int(pid), event, args))
        return events

    def of(self, event: str, pid: int | None = None) -> list[tuple[int, str, list[str]]]:
        return [e for e in self.all() if e[1] == event and pid in (None, e[0])]


class ServiceProcess:
    """One console script run as a process, in a session of its own."""

    def __init__(self, argv: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.argv = argv
        self.stdout_path = log_dir / 'stdout.log'
        self.stderr_path = log_dir / 'stderr.log'
        with open(self.stdout_path, 'wb') as out, open(self.stderr_path, 'wb') as err:
            self.popen = subprocess.Popen(argv, env=env, stdout=out, stderr=err,
                                          stdin=subprocess.DEVNULL,
                                          start_new_session=True)
        self.pid = self.popen.pid

    def send(self, signo: int) -> None:
        os.kill(self.pid, signo)

    def wait(self, timeout: float = 15.0) -> int:
        return self.popen.wait(timeout=timeout)

    def running(self) -> bool:
        return self.popen.poll() is None

    def children(self) -> set[int]:
        """The pids of this process's live children (its workers)."""
        path = Path('/proc/%d/task/%d/children' % (self.pid, self.pid))
        try:
            pids = {int(pid) for pid in path.read_text().split()}
        except FileNotFoundError:
            return set()
        return {pid for pid in pids if _is_alive(pid)}

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    @property
    def stdout(self) -> str:
        """oslo.log writes here when no log file is configured."""
        return self.stdout_path.read_text()

    def kill(self) -> None:
        """Kill the process and any worker it left, by process group."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(timeout=10)


def _is_alive(pid: int) -> bool:
    try:
        state = Path('/proc/%d/stat' % pid).read_text().rsplit(')', 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != 'Z'


@pytest.fixture(scope='session')
def rabbit_url() -> Iterator[str]:
    """A RabbitMQ vhost of this test run's own, as a transport URL."""
    variable = 'SVCFRAME_TEST_TRANSPORT_URL'
    base = urllib.parse.urlsplit(service_url(variable, 'RabbitMQ'))
    vhost = 'svcframe-test-%s' % uuid.uuid4().hex[:12]
    rabbitmqctl = shutil.which('rabbitmqctl')
    if rabbitmqctl is None:
        if is_default(variable):
            absent('no rabbitmqctl to manage the RabbitMQ at %s:%s (set %s)'
                   % (base.hostname, base.port, variable))
        pytest.fail('rabbitmqctl is not installed')
    added = subprocess.run([rabbitmqctl, 'add_vhost', vhost], capture_output=True, text=True)
    if added.returncode != 0 and is_default(variable):
        # Something answers on the default port, but not a RabbitMQ we can manage.
        absent('no usable RabbitMQ at %s:%s: rabbitmqctl add_vhost failed (set %s)'
               % (base.hostname, base.port, variable))
    added.check_returncode()
    subprocess.run([rabbitmqctl, 'set_permissions', '-p', vhost, base.username or 'guest',
                    '.*', '.*', '.*'], check=True, capture_output=True)
    yield urllib.parse.urlunsplit(base._replace(path='/' + vhost))
    subprocess.run([rabbitmqctl, 'delete_vhost', vhost], capture_output=True)


def _admin_engine(variable: str, what: str) -> sqlalchemy.engine.Engine:
    """An AUTOCOMMIT engine on the server ``variable`` names, checked to accept a login."""
    server = sqlalchemy.engine.make_url(service_url(variable, what))
    admin = sqlalchemy.create_engine(server, isolation_level='AUTOCOMMIT')
    try:
        with admin.connect():
            pass
    except sqlalchemy.exc.OperationalError:
        admin.dispose()
        if not is_default(variable):
            raise
        # Something answers on the default port, but it will not let us in.
        absent('no usable %s at %s:%s: %s cannot log in (set %s)'
               % (what, server.host, server.port, server.username, variable))
    return admin


@pytest.fixture(params=['postgresql', 'mysql', 'sqlite'])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of this test's own on each backend, as a connection URL."""
    if request.param == 'sqlite':
        yield 'sqlite:///%s' % (tmp_path / 'svcframe.sqlite')
        return
    what = {'postgresql': 'PostgreSQL', 'mysql': 'MariaDB'}[request.param]
    admin = _admin_engine('SVCFRAME_TEST_%s_URL' % request.param.upper(), what)
    name = 'svcframe_test_%s' % uuid.uuid4().hex[:12]
    with admin.connect() as connection:
        connection.exec_driver_sql('CREATE DATABASE %s' % name)
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        force = ' WITH (FORCE)' if request.param == 'postgresql' else ''
        with admin.connect() as connection:
            connection.exec_driver_sql('DROP DATABASE %s%s' % (name, force))
        admin.dispose()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """svcframe's Database on ``database_url``, schema not yet created."""
    conf = cfg.ConfigOpts()
    svcframe_conf.register_all(conf)
    conf([], project='svcframe-tests', default_config_files=[])
    conf.set_override('connection', database_url, group='database')
    database = Database(conf)
    yield database
    database.close()


@pytest.fixture(scope='session')
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the acme-recorder plugin, installed by pip."""
    target = tmp_path_factory.mktemp('plugin') / 'site'
    install_plugin(PLUGIN_SOURCE, target)
    return target


class ServiceRunner:
    """Starts console scripts with a config file written for the test,
    on the test's backend (SVCFRAME_BACKEND)."""

    def __init__(self, tmp_path: Path, plugin_site: Path,
                 backend_name: str = backend.DEFAULT) -> None:
        self.tmp_path = tmp_path
        self.plugin_site = plugin_site
        self.backend = backend_name
        self.events = Events(tmp_path / 'events.txt')
        self.config_path = tmp_path / 'svcframe.conf'
        self.processes: list[ServiceProcess] = []

    def write_config(self, text: str) -> Path:
        self.config_path.write_text(
            '[DEFAULT]\nperiodic_fuzzy_delay = 0\n'
            '[recorder]\nevents_file = %s\n' % self.events.path + text)
        return self.config_path

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.pop('NOTIFY_SOCKET', None)
        # SVCFRAME_TEST_PYTHONPATH: code to run instead of the installed
        # svcframe (a git worktree under test), ahead of the plugin site.
        paths = [path for path in os.environ.get('SVCFRAME_TEST_PYTHONPATH', '').split(os.pathsep)
                 if path]
        env.update(SVCFRAME_BACKEND=self.backend,
                   PYTHONPATH=os.pathsep.join(paths + [str(self.plugin_site)]),
                   XDG_CACHE_HOME=str(self.tmp_path / 'cache'),
                   XDG_STATE_HOME=str(self.tmp_path / 'state'),
                   HOME=str(self.tmp_path / 'home'))
        env.update(extra)
        return env

    def start(self, binary: str, *args: str, config: bool = True,
              env: dict[str, str] | None = None) -> ServiceProcess:
        argv = [script(binary)]
        if config:
            argv += ['--config-file', str(self.config_path)]
        log_dir = self.tmp_path / ('proc%d' % len(self.processes))
        log_dir.mkdir()
        process = ServiceProcess(argv + list(args), env or self.env(), log_dir)
        self.processes.append(process)
        return process

    def start_command(self, argv: list[str], name: str) -> ServiceProcess:
        """Another server the test needs (Prometheus, say), killed with the rest."""
        log_dir = self.tmp_path / name
        log_dir.mkdir()
        process = ServiceProcess(argv, self.env(), log_dir)
        self.processes.append(process)
        return process

    def sync_database(self) -> None:
        """Migrate the configured database, as an operator does before the
        API or the conductor starts (they refuse one never migrated)."""
        result = self.run('svcframe-manage', 'db', 'sync')
        assert result.returncode == 0, result.stderr

    def run(self, binary: str, *args: str, config: bool = True,
            timeout: float = 30.0) -> subprocess.CompletedProcess:
        """Run a script that is expected to exit by itself."""
        argv = [script(binary)] + (['--config-file', str(self.config_path)]
                                   if config else []) + list(args)
        return subprocess.run(argv, env=self.env(), capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def service_runner(tmp_path: Path, site: Path,
                   backend_name: str = backend.DEFAULT) -> Iterator[ServiceRunner]:
    """The body of a fixture: a ServiceRunner whose processes die with the test."""
    runner = ServiceRunner(tmp_path, site, backend_name)
    (tmp_path / 'home').mkdir()
    yield runner
    for process in runner.processes:
        process.kill()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked both_backends runs once per backend."""
    if ('backend_name' in metafunc.fixturenames
            and metafunc.definition.get_closest_marker('both_backends')):
        metafunc.parametrize('backend_name', backend.CHOICES, indirect=True)


@pytest.fixture
def backend_name(request: pytest.FixtureRequest) -> str:
    """The backend of the binaries a test starts: each in turn for a test
    marked both_backends, else SVCFRAME_BACKEND's (eventlet by default)."""
    return getattr(request, 'param', None) or backend.from_environment()


@pytest.fixture
def services(tmp_path: Path, plugin_site: Path, backend_name: str) -> Iterator[ServiceRunner]:
    yield from service_runner(tmp_path, plugin_site, backend_name)

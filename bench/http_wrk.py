"""wrk for bench/http_bench.py: installed when missing, run, and its output read."""

from __future__ import annotations

import collections
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import time

from http_servers import HOST, BenchError


@dataclasses.dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors plus responses other than 2xx or 3xx


WRK_UNITS_MS = {'us': 0.001, 'ms': 1.0, 's': 1000.0, 'm': 60000.0, 'h': 3600000.0}


def ensure_wrk() -> str:
    """The path of wrk, installed with apt-get when it is missing."""
    wrk = shutil.which('wrk')
    if wrk is None:
        print('wrk is not installed; installing it with apt-get', file=sys.stderr)
        install = ['apt-get', 'install', '-y', 'wrk']
        if apt_get(install) != 0:
            apt_get(['apt-get', 'update'])
            apt_get(install)
        wrk = shutil.which('wrk')
    if wrk is None:
        raise BenchError('wrk is not installed and `apt-get install -y wrk` did not install it; '
                         'install wrk (https://github.com/wg/wrk) and run again')
    return wrk


def apt_get(argv: list[str]) -> int:
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    try:
        return subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL).returncode
    except FileNotFoundError:  # not a Debian-like system
        return 127


def run_wrk(wrk: str, port: int, threads: int, connections: int,
            duration: int) -> tuple[WrkResult, collections.Counter]:
    """Load GET / for ``duration`` s; the result, and connections per server pid half-way."""
    argv = [wrk, '-t%d' % threads, '-c%d' % connections, '-d%ds' % duration,
            '--latency', 'http://%s:%d/' % (HOST, port)]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True) as process:
        try:
            time.sleep(duration / 2)
            per_pid = connections_per_pid(port)
            output, _ = process.communicate(timeout=duration + 60)
        finally:
            if process.poll() is None:
                process.kill()
    if process.returncode != 0:
        raise BenchError('%s exited with %d:\n%s' % (' '.join(argv), process.returncode, output))
    return parse_wrk(output), per_pid


def connections_per_pid(port: int) -> collections.Counter:
    """Established connections to ``port``, counted by the pid that holds each.

    Shows how the kernel and the accept loops spread keep-alive connections
    over the worker processes. Empty when ss (iproute2) is missing.
    """
    if shutil.which('ss') is None:
        return collections.Counter()
    listing = subprocess.run(['ss', '-Htnp', 'state', 'established', '( sport = :%d )' % port],
                             capture_output=True, text=True).stdout
    return collections.Counter(int(pid) for line in listing.splitlines()
                               for pid in set(re.findall(r'pid=(\d+)', line)))


def parse_wrk(output: str) -> WrkResult:
    """Requests/s, p50 and p99 from the output of ``wrk --latency``."""
    rate = re.search(r'^Requests/sec:\s+([\d.]+)', output, re.M)
    p50 = re.search(r'^\s+50%\s+([\d.]+)(us|ms|s|m|h)\s*$', output, re.M)
    p99 = re.search(r'^\s+99%\s+([\d.]+)(us|ms|s|m|h)\s*$', output, re.M)
    if not (rate and p50 and p99):
        raise BenchError('cannot read requests/s, p50 and p99 in this wrk output:\n' + output)
    socket_errors = re.search(r'Socket errors: connect (\d+), read (\d+), write (\d+), '
                              r'timeout (\d+)', output)
    non_2xx = re.search(r'Non-2xx or 3xx responses: (\d+)', output)
    errors = sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return WrkResult(float(rate.group(1)),
                     float(p50.group(1)) * WRK_UNITS_MS[p50.group(2)],
                     float(p99.group(1)) * WRK_UNITS_MS[p99.group(2)], errors)

"""Start-up and stop latency of an idle service: svcframe against oslo.service.

Run from the repository root after `make test` (or any install of svcframe):

    .venv/bin/python bench/lifecycle.py --runs 5

Each run starts the binary, waits for READY=1 on a NOTIFY_SOCKET of our own
(the moment systemd would see the service as started), lets it idle, sends
SIGTERM and waits for it to exit. The reference is an idle
``oslo_service.service.Service`` under ``oslo_service.service.launch()`` with
the eventlet backend (bench/oslo_reference_service.py), run in the same
invocation; figures are reported as medians and as ratios to it.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def measure_once(argv: list[str], idle: float, stop_limit: float) -> tuple[float, float]:
    """Seconds from exec to READY=1, and from SIGTERM to exit."""
    with tempfile.TemporaryDirectory() as scratch:
        notify_path = os.path.join(scratch, 'notify.sock')
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(notify_path)
        listener.settimeout(60)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path,
                   XDG_STATE_HOME=scratch, HOME=scratch)
        started = time.monotonic()
        process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            listener.recv(64)
            ready = time.monotonic() - started
            time.sleep(idle)
            stopping = time.monotonic()
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=stop_limit)
            return ready, time.monotonic() - stopping
        finally:
            listener.close()
            if process.poll() is None:
                process.kill()
                process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=5,
                        help='runs of svcframe (default 5)')
    parser.add_argument('--reference-runs', type=int, default=1,
                        help='runs of the reference; each may take a minute to stop (default 1)')
    parser.add_argument('--idle', type=float, default=2.0,
                        help='seconds the service idles before SIGTERM (default 2)')
    args = parser.parse_args()

    subjects = [
        ('oslo.service launcher (reference)',
         [sys.executable, str(HERE / 'oslo_reference_service.py')], args.reference_runs),
        ('svcframe-compute', [str(BIN / 'svcframe-compute')], args.runs),
        ('svcframe-conductor, 2 workers',
         [str(BIN / 'svcframe-conductor'), '--config-file',
          str(HERE / 'conductor-2-workers.conf')], args.runs),
    ]
    rows = []
    for name, argv, runs in subjects:
        samples = [measure_once(argv, args.idle, stop_limit=120) for _ in range(runs)]
        rows.append((name, runs, statistics.median(s[0] for s in samples),
                     statistics.median(s[1] for s in samples)))

    _, _, ref_ready, ref_stop = rows[0]
    print('%-34s %4s %10s %7s %10s %7s' % ('subject', 'runs', 'ready s', 'ratio',
                                          'stop s', 'ratio'))
    for name, runs, ready, stop in rows:
        print('%-34s %4d %10.3f %7.2f %10.3f %7.3f' % (
            name, runs, ready, ready / ref_ready, stop, stop / ref_stop))


if __name__ == '__main__':
    main()

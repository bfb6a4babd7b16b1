"""The chaos run of issue 16, long: ten minutes of kills and outages under load.

Run from the repository root (needs rabbitmq-server and PostgreSQL's initdb
and pg_ctl installed; it starts a private node and cluster of its own):

    .venv/bin/python bench/chaos.py                 # 600 s of faults
    .venv/bin/python bench/chaos.py --seconds 300 --seed 7

What it does is tests/integration/chaos.py; this prints its report (Markdown
tables) on stdout and its progress on stderr.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

# svcframe's modules import eventlet, which prints a deprecation notice when
# imported; svcframe's binaries silence it the same way (cmd/eventlet_patch.py).
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the driver lives in tests/integration

import harness  # noqa: E402
from tests.integration import chaos  # noqa: E402

SCRIPT = 'chaos.py'


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=float, default=600.0,
                        help='how long faults go on (600)')
    parser.add_argument('--interval', type=float, default=5.0,
                        help='seconds from one fault to the next, at least (5)')
    parser.add_argument('--infra-every', type=int, default=4,
                        help='every Nth fault restarts the broker or the database, '
                             'in turn (4; 0 for never)')
    parser.add_argument('--clients', type=int, default=3, help='client threads (3)')
    parser.add_argument('--seed', type=int, default=0, help='of the fault choice (0)')
    parser.add_argument('--keep', action='store_true',
                        help='keep the scratch directory (process logs) and print its path')
    return parser.parse_args()


def run(args: argparse.Namespace) -> None:
    reason = chaos.why_unavailable()
    if reason is not None:
        raise harness.BenchError('no private RabbitMQ node or PostgreSQL cluster: %s' % reason)
    settings = chaos.Settings(seconds=args.seconds, fault_interval=args.interval,
                              infra_every=args.infra_every, clients=args.clients,
                              seed=args.seed)
    scratch = Path(tempfile.mkdtemp(prefix='svcframe-chaos-'))
    runner = chaos.new_runner(scratch)
    say = lambda message: harness.progress(SCRIPT, message)  # noqa: E731
    try:
        say('starting a private RabbitMQ node and PostgreSQL cluster')
        with chaos.private_servers() as (node, cluster):
            result = chaos.ChaosRun(runner, node, cluster, settings, say).run()
            print(chaos.report(result), flush=True)
    finally:
        for process in runner.processes:
            process.kill()
        if args.keep:
            say('process logs kept in %s' % scratch)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == '__main__':
    options = parse_args()
    harness.main_guard(SCRIPT, lambda: run(options))

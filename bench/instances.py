"""Several instances on one PostgreSQL: runs/s with 1 web + 1 worker against 2 web + 2 workers, at a CPU-bound load.

`python -m bench.instances [--requests 2000] [--clients 32] [--latency 0] [--layouts 1x1,2x2] [--database-url URL]`
makes a throwaway database on the PostgreSQL server (--database-url, default HYPERSIGIL_TEST_POSTGRES_URL or the
local one) for each layout WxM, starts W `python main.py` web processes with `HYPERSIGIL_WORKERS=0` and M
`python main.py worker` processes on it, and sends `--requests` runs with `?wait=30` from `--clients` concurrent
clients spread round-robin over the web processes (after a warm-up). The fake LLM answers at once (`--latency 0`), so
what limits the runs/s is the CPU of the processes, the database and the load client, which all share this machine.
It prints runs/s, the latency p50/p99 and every process's CPU per run for each layout, and the scaling ratio of each
layout against the first (the baseline), measured one after the other in this one run. On one machine the ratio says
what the design costs in coordination; on separate machines each instance would bring its own cores.
"""

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench.api import ROOT, USER_INPUT, serve, setup, timed
from bench.bus import POSTGRES_URL, throwaway_postgres
from bench.engine import fake_llm, percentile, process_cpu_seconds
from bench.load_client import LoadClient
from core.app import build_core
from core.engine.process import event_loop_runner
from core.settings import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--requests', type=int, default=2000, help='runs timed per layout')
    parser.add_argument('--clients', type=int, default=32, help='concurrent clients')
    parser.add_argument('--latency', type=float, default=0.0, help='seconds the fake LLM takes per call')
    parser.add_argument('--layouts', default='1x1,2x2', help='web processes x worker processes, comma-separated')
    parser.add_argument('--database-url', default=POSTGRES_URL, help='a PostgreSQL server to make throwaway databases on')
    args = parser.parse_args(argv)
    results = {}
    for layout in args.layouts.split(','):
        webs, workers = (int(part) for part in layout.strip().split('x'))
        results[layout.strip()] = measure_layout(args, webs, workers)
    report(args, results)


def measure_layout(args, webs: int, workers: int) -> dict:
    with (
        throwaway_postgres(args.database_url) as url,
        tempfile.TemporaryDirectory(prefix='hypersigil-bench-instances-') as directory,
        fake_llm(args.latency) as (fake_url, fake_pid),
        ExitStack() as stack,
    ):
        if url is None:
            raise SystemExit(f'no PostgreSQL server answers at {args.database_url}')
        env = {
            'HYPERSIGIL_DATABASE_URL': url,
            'HYPERSIGIL_SECRET_KEY': 'bench',
            'HYPERSIGIL_PROVIDER_CONCURRENCY': '64',  # the machine is the limit, not the slots
            'OPENAI_API_KEY': 'sk-bench',
            'OPENAI_BASE_URL': f'{fake_url}/v1',
        }
        build_core(Settings.from_env({**env, 'HYPERSIGIL_DATA_DIR': directory})).db.dispose()  # migrated once
        servers = []
        for number in range(webs):  # each machine keeps its own data dir
            web_env = {**env, 'HYPERSIGIL_DATA_DIR': f'{directory}/web{number}', 'HYPERSIGIL_WORKERS': '0'}
            servers.append(stack.enter_context(serve(web_env, Path(directory) / f'web{number}.log')))
        worker_pids = [
            stack.enter_context(worker({**env, 'HYPERSIGIL_DATA_DIR': f'{directory}/worker{number}'}, Path(directory)))
            for number in range(workers)
        ]
        token, _ = setup(Settings.from_env({**env, 'HYPERSIGIL_DATA_DIR': directory}), servers[0][0])
        pids = {f'web{n}': pid for n, (_, pid) in enumerate(servers)} | {f'worker{n}': p for n, p in enumerate(worker_pids)}
        pids['fake LLM'] = fake_pid
        with event_loop_runner() as runner:
            return runner.run(load(args, [api_url for api_url, _ in servers], token, pids))


@contextmanager
def worker(env: dict[str, str], directory: Path):
    """`python main.py worker`, as on a worker machine; yields its pid."""
    server_env = {**{k: v for k, v in os.environ.items() if not k.startswith('NICEGUI_')}, **env}
    log_path = directory / f'{Path(env["HYPERSIGIL_DATA_DIR"]).name}.log'
    with log_path.open('w') as log:
        process = subprocess.Popen(
            [sys.executable, 'main.py', 'worker'], cwd=ROOT, env=server_env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield process.pid
        finally:
            process.terminate()
            process.wait(20)


async def load(args, urls: list[str], token: str, pids: dict[str, int]) -> dict:
    clients = [LoadClient(url, headers={'X-API-Key': token}, connections=args.clients * 2) for url in urls]
    turn = itertools.cycle(clients)

    async def run() -> None:
        response = await next(turn).post('/deployments/bench/run', params={'wait': 30}, json={'userInput': USER_INPUT})
        if response.status_code != 200 or response.json()['status'] != 'completed':
            raise RuntimeError(f'the run did not complete: {response.status_code} {response.text[:300]}')

    try:
        await timed(run, max(200, args.clients * 4), args.clients)  # warm-up: every process, connection and cache
        cpu = {name: process_cpu_seconds(pid) for name, pid in pids.items()}
        latencies, wall = await timed(run, args.requests, args.clients)
        cpu = {name: (process_cpu_seconds(pid) - cpu[name]) / args.requests * 1000 for name, pid in pids.items()}
    finally:
        for client in clients:
            await client.aclose()
    return {'rate': args.requests / wall, 'latencies': latencies, 'cpu': cpu}


def report(args, results: dict) -> None:
    print(
        f'instances: web x worker processes on one PostgreSQL, {args.requests} runs with ?wait from {args.clients} clients, '
        f'fake latency {args.latency * 1000:g} ms, {os.cpu_count()} cores shared by every process, the database and the client'
    )
    base = next(iter(results.values()))['rate']
    for layout, figures in results.items():
        latencies = figures['latencies']
        cpu = ', '.join(f'{name} {ms:.2f}' for name, ms in figures['cpu'].items())
        print(
            f'  {layout:>4}: {figures["rate"]:6.1f} runs/s (x{figures["rate"] / base:.2f} of {next(iter(results))}), '
            f'p50 {percentile(latencies, 50):6.1f} ms, p99 {percentile(latencies, 99):6.1f} ms'
        )
        print(f'        CPU per run (ms): {cpu}')


if __name__ == '__main__':
    main()

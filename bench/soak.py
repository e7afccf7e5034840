"""Memory of the web process: idle, and through a soak of runs at a steady rate.

`python -m bench.soak [--minutes 10] [--rate 50] [--latency 0.05] [--workers auto] [--database-url URL]` starts the
fake LLM and the real `python main.py` (the web process and its supervised workers), reads the web process's resident
memory (RSS, /proc) once it answers and has been idle a few seconds, then sends runs (POST .../run, answered 202) at
`--rate` a second, open loop (each on schedule whatever the previous answers took), for `--minutes`, printing the RSS
each minute. The figures: idle RSS; the growth over the soak against the RSS after its first minute (the baseline:
caches, pools and imported modules are warm by then), and against idle. Then it checks that every run completed.
"""

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench.api import USER_INPUT, serve, setup
from bench.engine import child_pids, fake_llm, percentile
from bench.load_client import ClientError, LoadClient
from core.engine.process import event_loop_runner
from core.settings import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--minutes', type=float, default=10)
    parser.add_argument('--rate', type=float, default=50, help='runs a second')
    parser.add_argument('--latency', type=float, default=0.05, help='seconds the fake LLM takes per call')
    parser.add_argument('--workers', default='auto', help='HYPERSIGIL_WORKERS of the app')
    parser.add_argument('--database-url', help='default: SQLite in a temporary directory')
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix='hypersigil-bench-soak-') as directory, fake_llm(args.latency) as (fake_url, _):
        env = {
            'HYPERSIGIL_DATA_DIR': directory,
            **({'HYPERSIGIL_DATABASE_URL': args.database_url} if args.database_url else {}),
            'HYPERSIGIL_SECRET_KEY': 'bench',
            'HYPERSIGIL_WORKERS': args.workers,
            'HYPERSIGIL_PROVIDER_CONCURRENCY': '64',  # the fake's latency times the rate fits many times over
            'OPENAI_API_KEY': 'sk-bench',
            'OPENAI_BASE_URL': f'{fake_url}/v1',
        }
        with serve(env, Path(directory) / 'server.log') as (api_url, pid):
            time.sleep(5)
            idle = rss_mb(pid)  # answered /health only: what a fresh server holds
            token, _ = setup(Settings.from_env(env), api_url)
            time.sleep(2)
            after_setup = rss_mb(pid)
            workers = child_pids(pid)
            print(
                f'soak: `python main.py`, HYPERSIGIL_WORKERS={args.workers} ({len(workers)} worker process(es)), '
                f'{args.rate:g} runs/s for {args.minutes:g} min, fake latency {args.latency * 1000:g} ms, '
                f'{Settings.from_env(env).database_url.split(":", 1)[0]}'
            )
            print(f'  web process RSS idle {idle:.1f} MB (target <= 150 MB); after the bench set-up {after_setup:.1f} MB')
            with event_loop_runner() as runner:
                samples, latencies, errors, completed, sent = runner.run(soak(args, api_url, token, pid, workers))
    report(idle, samples, latencies, errors, completed, sent)


async def soak(args, api_url: str, token: str, pid: int, workers: list[int]):
    """Runs at the rate for the duration; (RSS samples by minute, latencies, error count, completed, sent)."""
    samples: list[tuple[float, float, list[float]]] = []
    latencies: list[float] = []
    errors = [0]
    async with LoadClient(api_url, headers={'X-API-Key': token}, connections=200) as client:

        async def run() -> None:
            started = time.perf_counter()
            try:
                response = await client.post('/deployments/bench/run', json={'userInput': USER_INPUT})
                ok = response.status_code == 202
            except ClientError:
                ok = False
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors[0] += 1

        total = round(args.minutes * 60 * args.rate)
        tasks: set[asyncio.Task] = set()
        began = time.perf_counter()
        next_sample = 60.0
        for number in range(total):
            due = began + number / args.rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            task = asyncio.create_task(run())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            if time.perf_counter() - began >= next_sample:
                samples.append(sample(next_sample / 60, pid, workers, len(latencies) + errors[0]))
                next_sample += 60
        await asyncio.gather(*tasks)
        samples.append(sample((time.perf_counter() - began) / 60, pid, workers, total))
        completed = await settle(client, total)
    return samples, latencies, errors[0], completed, total


def sample(minute: float, pid: int, workers: list[int], answered: int) -> tuple[float, float, list[float]]:
    rss, worker_rss = rss_mb(pid), [rss_mb(worker) for worker in workers]
    print(
        f'  {minute:5.1f} min: web RSS {rss:6.1f} MB; workers {", ".join(f"{w:.1f}" for w in worker_rss)} MB; '
        f'{answered} runs answered',
        flush=True,
    )
    return minute, rss, worker_rss


async def settle(client: LoadClient, total: int) -> int:
    """Completed runs once none is pending or running (at most 2 minutes after the last was sent)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        busy = 0
        for status in ('pending', 'running'):
            busy += (await client.get('/executions', params={'status': status, 'pageSize': 1})).json()['total']
        if not busy:
            break
        await asyncio.sleep(1)
    return (await client.get('/executions', params={'status': 'completed', 'pageSize': 1})).json()['total']


def report(idle: float, samples, latencies: list[float], errors: int, completed: int, sent: int) -> None:
    first, last = samples[0][1], samples[-1][1]
    growth = (last - first) / first
    verdict = 'met' if growth < 0.10 else 'MISSED'
    print(f'  web RSS after {samples[-1][0]:.1f} min {last:.1f} MB: {growth:+.1%} over the soak from minute 1 ({first:.1f} MB), ')
    print(f'    {(last - idle) / idle:+.1%} from idle ({idle:.1f} MB); the growth target < 10 % is {verdict}')
    if len(samples[0][2]) and len(samples[-1][2]):
        grown = ', '.join(f'{(b - a) / a:+.1%}' for a, b in zip(samples[0][2], samples[-1][2], strict=False))
        print(f'  workers from minute 1: {grown}')
    print(
        f'  runs: {sent} sent, {len(latencies)} accepted (202), {errors} refused or failed, {completed} completed; '
        f'accept p50 {percentile(latencies, 50):.1f} ms, p99 {percentile(latencies, 99):.1f} ms'
    )


def rss_mb(pid: int) -> float:
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
    return 0.0


if __name__ == '__main__':
    main()

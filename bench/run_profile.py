"""Where the web process spends its CPU accepting runs: a sampling profile of `python main.py serve` under load.

`python -m bench.run_profile [--requests 3000] [--clients 20] [--database-url URL] [--wait]` starts the real app
without workers (`HYPERSIGIL_WORKERS=0`: the web process alone, so every sample is the run path's), sends POST
/deployments/{name}/run (answered 202) from concurrent clients while py-spy samples the server (the threads holding
the GIL only: where Python spends CPU), then prints the web process's CPU per run and the functions holding the most
samples, inclusive and self. With `--wait`, the runs wait for their result (`?wait=30`, answered 200) and worker
processes run them (`HYPERSIGIL_WORKERS=auto`): the samples are still the web process's alone. py-spy is a tool,
not a dependency: `pip install py-spy` (it reads the process from outside, so the profile costs the server nothing).
"""

import argparse
import asyncio
import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.api import USER_INPUT, serve, setup, timed
from bench.engine import fake_llm, percentile, process_cpu_seconds
from bench.load_client import LoadClient
from core.settings import Settings

OURS = ('(core/', '(api/', '(data/', '(ui/', '(main.py')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--requests', type=int, default=3000)
    parser.add_argument('--clients', type=int, default=20)
    parser.add_argument('--top', type=int, default=25)
    parser.add_argument('--database-url', help='default: SQLite in a temporary directory')
    parser.add_argument('--stacks', type=Path, help="keep py-spy's raw stacks in this file")
    parser.add_argument(
        '--wait', action='store_true', help='waited runs (?wait, 200) with worker processes: the whole web side of a run'
    )
    args = parser.parse_args(argv)
    py_spy = shutil.which('py-spy') or shutil.which('py-spy', path=str(Path(sys.executable).parent))
    if py_spy is None:
        raise SystemExit('py-spy is not installed: pip install py-spy')
    with tempfile.TemporaryDirectory(prefix='hypersigil-bench-profile-') as directory, fake_llm(0.05) as (fake_url, _):
        env = {
            'HYPERSIGIL_DATA_DIR': directory,
            **({'HYPERSIGIL_DATABASE_URL': args.database_url} if args.database_url else {}),
            'HYPERSIGIL_SECRET_KEY': 'bench',
            'HYPERSIGIL_WORKERS': 'auto' if args.wait else '0',
            'OPENAI_API_KEY': 'sk-bench',
            'OPENAI_BASE_URL': f'{fake_url}/v1',
        }
        with serve(env, Path(directory) / 'server.log') as (api_url, server_pid):
            token, _ = setup(Settings.from_env(env), api_url)
            stacks = Path(directory) / 'stacks.txt'
            # warm-up: connections, caches, and the SDK imports a web process without workers does at start
            asyncio.run(accept_runs(api_url, token, 500, args.clients, server_pid, wait=args.wait))
            record = ['record', '--pid', str(server_pid), '--format', 'raw', '--rate', '250', '--gil', '--output', str(stacks)]
            sampler = subprocess.Popen([py_spy, *record], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                runs = accept_runs(api_url, token, args.requests, args.clients, server_pid, wait=args.wait)
                latencies, cpu_ms = asyncio.run(runs)
            finally:
                sampler.send_signal(2)
                sampler.wait(30)
        print(f'{args.requests} runs {"waited for (200)" if args.wait else "accepted (202)"} by {args.clients} clients')
        print(f'  latency p50 {percentile(latencies, 50):.2f} ms, p99 {percentile(latencies, 99):.2f} ms')
        print(f'  web process CPU per run: {cpu_ms:.2f} ms')
        report(read_stacks(stacks), args.top)
        if args.stacks:
            shutil.copyfile(stacks, args.stacks)


async def accept_runs(
    api_url: str, token: str, n: int, clients: int, server_pid: int, *, wait: bool = False
) -> tuple[list[float], float]:
    """Latencies (ms) of n runs from `clients` concurrent clients (accepted, or waited for), and the web process's CPU
    ms per run."""
    path, expected = ('/deployments/bench/run?wait=30', 200) if wait else ('/deployments/bench/run', 202)
    async with LoadClient(api_url, headers={'X-API-Key': token}, connections=clients * 2) as client:

        async def run() -> None:
            response = await client.post(path, json={'userInput': USER_INPUT})
            if response.status_code != expected:
                raise RuntimeError(f'the run was not accepted: {response.status_code} {response.text[:300]}')

        cpu = process_cpu_seconds(server_pid)
        latencies, _ = await timed(run, n, clients)
        return latencies, (process_cpu_seconds(server_pid) - cpu) / n * 1000


def read_stacks(path: Path) -> list[tuple[list[str], int]]:
    """py-spy's raw format: one line per distinct stack, frames joined by ';' (outermost first), then its count."""
    stacks = []
    for line in path.read_text().splitlines():
        frames, _, count = line.rpartition(' ')
        if frames and count.isdigit():
            stacks.append((frames.split(';'), int(count)))
    return stacks


def report(stacks: list[tuple[list[str], int]], top: int) -> None:
    total = sum(count for _, count in stacks) or 1
    inclusive, own = collections.Counter(), collections.Counter()
    for frames, count in stacks:
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    print(f'\n{total} samples; our functions by inclusive share (what they and their callees cost):')
    for frame, count in [(f, c) for f, c in inclusive.most_common() if any(part in f for part in OURS)][:top]:
        print(f'  {count / total:6.1%}  {frame}')
    print('\nfunctions by self share (where the CPU is spent):')
    for frame, count in own.most_common(top):
        print(f'  {count / total:6.1%}  {frame}')


if __name__ == '__main__':
    main()

"""What anonymous visitors cost the server: its memory (RSS) around rounds of unauthenticated GET /login.

`python -m bench.login_memory [--loads 6000] [--rounds 2] [--clients 8] [--settle 90]`
starts `python main.py serve` (SQLite, no worker, one account so /login shows the form), loads /login 200 times as a
warm-up, waits `--settle` seconds, then per round loads it `--loads` times without cookies (as a scanner or a crowd of
first visits does) and waits `--settle` seconds (longer than NiceGUI keeps a page that never connects). It prints the
server's RSS at each step beside the warm baseline, and the per-browser storage files left in NiceGUI's storage folder.
Memory that anonymous visits keep shows as RSS growing from round to round; a bounded server levels off.
"""

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx

from bench.api import serve
from core import users
from core.app import build_core
from core.permissions import Actor
from core.settings import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--loads', type=int, default=6000, help='GET /login per round')
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--clients', type=int, default=8, help='concurrent loaders')
    parser.add_argument('--settle', type=float, default=90.0, help='seconds to wait after each round')
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix='hypersigil-bench-memory-') as directory:
        storage = Path(directory) / 'nicegui'
        env = {
            'HYPERSIGIL_DATA_DIR': directory,
            'HYPERSIGIL_SECRET_KEY': 'bench',
            'HYPERSIGIL_WORKERS': '0',
            'NICEGUI_STORAGE_PATH': str(storage),
        }
        settings = Settings.from_env(env)
        core = build_core(settings)
        users.create_user(core, Actor.system(), email='ada@example.com', password='correct horse battery', role='admin')
        core.db.dispose()
        with serve(env, Path(directory) / 'server.log') as (api_url, pid):
            base = api_url.removesuffix('/api/v1')
            print(f'login_memory: RSS of `main.py serve` around unauthenticated GET /login ({args.clients} concurrent loaders)')
            asyncio.run(load(base, 200, 1))
            time.sleep(args.settle)
            baseline = rss_mb(pid)
            print(f'  warm baseline: {baseline:6.1f} MB')
            for number in range(1, args.rounds + 1):
                seconds, failed = asyncio.run(load(base, args.loads, args.clients))
                loaded = rss_mb(pid)
                time.sleep(args.settle)
                settled = rss_mb(pid)
                files = len(list(storage.glob('storage-user-*'))) if storage.exists() else 0
                print(
                    f'  round {number}: {args.loads} loads in {seconds:5.1f} s ({failed} not 200); RSS right after '
                    f'{loaded:6.1f} MB (+{loaded - baseline:5.1f}), {args.settle:g} s later {settled:6.1f} MB '
                    f'(+{settled - baseline:5.1f}); per-browser storage files: {files}'
                )


async def load(base: str, loads: int, clients: int) -> tuple[float, int]:
    """GET /login `loads` times, each without cookies, from `clients` concurrent loops; the wall time, the failures."""
    remaining = iter(range(loads))
    failed = 0

    async def loader() -> None:
        nonlocal failed
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            for _ in remaining:
                client.cookies.clear()  # every load is a new, anonymous browser
                response = await client.get('/login')
                failed += response.status_code != 200  # e.g. a page not built within NiceGUI's 3 s under this load

    started = time.perf_counter()
    await asyncio.gather(*(loader() for _ in range(clients)))
    return time.perf_counter() - started, failed


def rss_mb(pid: int) -> float:
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f'no VmRSS for process {pid}')


if __name__ == '__main__':
    main()

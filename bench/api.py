"""Run-endpoint overhead: POST /deployments/{name}/run?wait end to end, against calling the fake provider directly.

`python -m bench.api [--latency 0.1] [--sequential 100] [--requests 1000] [--clients 50] [--database-url URL]`
starts the fake LLM (its own process, fixed latency) and `python main.py serve` (the real app: NiceGUI, the API, the
worker), then times, one client at a time, accepting a run (POST .../run without `wait`, answered 202) beside GET
/health (a database read, without a key: the floor of any answer), and waits until those runs have finished. Then the
same chat two ways in this one run:
  direct: the OpenAI adapter (the SDK, as the worker calls it) straight to the fake;
  api:    POST /api/v1/deployments/{name}/run?wait=30 over HTTP, returning the finished execution (200).
Every request goes through one keep-alive aiohttp client (bench/load_client.py), as the direct calls go through the
SDK's aiohttp transport. It prints the median and p99 of each and of the difference (our added latency), one client
at a time and with `--clients` concurrent clients, and the requests/s at that concurrency, and where the machine's CPU
went per call at that concurrency, each way: the web process, its worker processes, the fake, and this client (the
load generator).
Then the rate limits' admission step: the same run with a key that has requestsPerMinute and concurrentRuns (never
reached) and with one that has none, alternated one by one so the machine's drift falls on both alike.
Then the OpenAI-compatible endpoint beside the native one and the direct call, each non-streamed and streamed (read
to its end), at 1 and `--clients` clients; every client goes through all the ways in turn, so the load and the drift
fall on all of them alike:
  native:        POST /deployments/{name}/run?wait=30         native stream:  ...?stream=true, read to the end
  openai:        POST /openai/chat/completions                openai stream:  ... with "stream": true, to [DONE]
"""

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.engine import child_pids, cpu_seconds, fake_llm, percentile, process_cpu_seconds
from bench.load_client import LoadClient
from core import api_keys
from core.app import build_core
from core.engine.process import event_loop_runner
from core.permissions import Actor
from core.providers.base import ChatRequest
from core.providers.openai import OpenAIAdapter
from core.rate_limits import MAXIMUM
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
MODEL = 'gpt-4o-mini'
TEMPLATE = 'You answer in one short sentence.'
USER_INPUT = 'What is a deployment?'


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--latency', type=float, default=0.1, help='seconds the fake LLM takes per call')
    parser.add_argument('--sequential', type=int, default=100, help='requests timed one at a time, each way')
    parser.add_argument('--requests', type=int, default=1000, help='requests timed under concurrency, each way')
    parser.add_argument('--clients', type=int, default=20, help='concurrent clients')
    parser.add_argument('--database-url', help='default: SQLite in a temporary directory')
    parser.add_argument(
        '--workers', default='auto', help="HYPERSIGIL_WORKERS of the app; several, comma-separated (e.g. 'inline,1,2'), "
        'compares those splits of web process and worker processes one after the other',
    )  # fmt: skip
    args = parser.parse_args(argv)
    for workers in args.workers.split(','):
        measure_split(args, workers.strip())


def measure_split(args: argparse.Namespace, workers: str) -> None:
    with tempfile.TemporaryDirectory(prefix='hypersigil-bench-api-') as directory, fake_llm(args.latency) as (fake_url, fake_pid):
        env = {
            'HYPERSIGIL_DATA_DIR': directory,
            **({'HYPERSIGIL_DATABASE_URL': args.database_url} if args.database_url else {}),
            'HYPERSIGIL_SECRET_KEY': 'bench',
            'HYPERSIGIL_PROVIDER_CONCURRENCY': str(max(64, args.clients * 2)),  # the fake is the limit, not our slots
            'HYPERSIGIL_WORKERS': workers,
            'OPENAI_API_KEY': 'sk-bench',
            'OPENAI_BASE_URL': f'{fake_url}/v1',
        }
        with serve(env, Path(directory) / 'server.log') as (api_url, server_pid):
            token, limited = setup(Settings.from_env(env), api_url)
            with event_loop_runner() as runner:
                results = runner.run(measure_all(args, api_url, token, f'{fake_url}/v1', server_pid, fake_pid))
                results |= runner.run(measure_limits(args, api_url, token, limited))
                results |= runner.run(measure_compatible(args, api_url, token, f'{fake_url}/v1'))
        report(args, Settings.from_env(env), results, workers)
        report_compatible(args, results)


async def measure_all(
    args: argparse.Namespace, api_url: str, token: str, openai_url: str, server_pid: int, fake_pid: int
) -> dict[str, list[float]]:
    """Latencies (ms) per way and concurrency after a warm-up; the wall time of each concurrent batch; server CPU per run."""
    adapter = OpenAIAdapter(api_key='sk-bench', base_url=openai_url)
    async with LoadClient(api_url, headers={'X-API-Key': token}, connections=args.clients * 2) as client:
        messages = [{'role': 'system', 'content': TEMPLATE}, {'role': 'user', 'content': USER_INPUT}]  # what the run sends

        async def direct() -> None:
            await adapter.chat(ChatRequest(model=MODEL, messages=messages))

        async def api() -> None:
            response = await client.post('/deployments/bench/run', params={'wait': 30}, json={'userInput': USER_INPUT})
            if response.status_code != 200 or response.json()['status'] != 'completed':
                raise RuntimeError(f'the run did not complete: {response.status_code} {response.text[:300]}')

        async def accept() -> None:
            response = await client.post('/deployments/bench/run', json={'userInput': USER_INPUT})
            _check(response.status_code == 202, response.text)

        async def health() -> None:
            _check((await client.get('/health')).status_code == 200, 'health')

        results: dict[str, list[float]] = {}
        for way, call in (('health', health), ('accept', accept)):  # one client: what answering costs, and its floor
            await timed(call, 20, 1)
            results[f'{way} 1'] = (await timed(call, args.sequential, 1))[0]
        await drain(client)
        for way, call in (('direct', direct), ('api', api)):
            await timed(call, 20, 5)  # warm-up: connections, caches
            results[f'{way} 1'] = (await timed(call, args.sequential, 1))[0]
            before = cpu_budget(server_pid, fake_pid)
            latencies, wall = await timed(call, args.requests, args.clients)
            results[f'{way} {args.clients}'], results[f'{way} {args.clients} wall'] = latencies, [wall]
            for part, spent in cpu_budget(server_pid, fake_pid).items():
                results[f'{way} {part} cpu'] = [(spent - before[part]) / args.requests * 1000]
        return results


CPU_PARTS = ('web', 'workers', 'fake', 'client')


def cpu_budget(server_pid: int, fake_pid: int) -> dict[str, float]:
    """CPU seconds so far of each part of the run: the web process, its worker processes, the fake, this client."""
    return {
        'web': process_cpu_seconds(server_pid),
        'workers': sum(process_cpu_seconds(child) for child in child_pids(server_pid)),
        'fake': process_cpu_seconds(fake_pid),
        'client': cpu_seconds(),
    }


async def drain(client: LoadClient) -> None:
    """Wait until the accepted runs have finished, so they do not load what is measured next."""
    for _ in range(600):
        busy = 0
        for status in ('pending', 'running'):
            response = await client.get('/executions', params={'status': status, 'pageSize': 1})
            busy += len(response.json()['items']) if response.status_code == 200 else 0
        if not busy:
            return
        await asyncio.sleep(0.1)


async def measure_limits(args: argparse.Namespace, api_url: str, token: str, limited: str) -> dict[str, list[float]]:
    """Latencies (ms) of one client's runs with the unlimited key and with the limited one, alternated."""
    async with LoadClient(api_url) as client:

        async def run(key: str) -> None:
            response = await client.post(
                '/deployments/bench/run', params={'wait': 30}, json={'userInput': USER_INPUT}, headers={'X-API-Key': key}
            )
            if response.status_code != 200:
                raise RuntimeError(f'the run did not complete: {response.status_code} {response.text[:300]}')

        results: dict[str, list[float]] = {'unlimited': [], 'limited': []}
        for number in range(20 + args.sequential):  # the first 20 warm up
            for way, key in (('unlimited', token), ('limited', limited))[:: 1 if number % 2 else -1]:
                started = time.perf_counter()
                await run(key)
                if number >= 20:
                    results[way].append((time.perf_counter() - started) * 1000)
        return {f'{way} key': latencies for way, latencies in results.items()}


async def timed(call: Callable[[], Awaitable[None]], n: int, clients: int) -> tuple[list[float], float]:
    """Run `call` n times from `clients` concurrent loops; each call's latency in ms."""
    remaining = iter(range(n))
    latencies: list[float] = []

    async def client_loop() -> None:
        for _ in remaining:
            started = time.perf_counter()
            await call()
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(clients)))
    return latencies, time.perf_counter() - started


def report(args: argparse.Namespace, settings: Settings, results: dict[str, list[float]], workers: str) -> None:
    database = settings.database_url.split(':', 1)[0]
    setup_line = f'fake latency {args.latency * 1000:g} ms, {database}, {os.cpu_count()} cores, HYPERSIGIL_WORKERS={workers}'
    print(f'api: POST /deployments/{{name}}/run?wait vs the provider called directly; {setup_line}')
    for clients in (1, args.clients):
        direct, api = results[f'direct {clients}'], results[f'api {clients}']
        line = f'  {clients:>3} client(s): '
        for label, p in (('p50', 50), ('p99', 99)):
            ours, theirs = percentile(api, p), percentile(direct, p)
            line += f'{label} direct {theirs:6.1f} ms, api {ours:6.1f} ms, added {ours - theirs:5.1f} ms;  '
        print(line.rstrip('; '))
    slow = sum(latency > 1000 for latency in results[f'api {args.clients}']) / len(results[f'api {args.clients}'])
    print(f'  at {args.clients} clients {slow:.1%} of the api runs took over 1 s')
    health, accept = results['health 1'], results['accept 1']
    print(
        f'  accept (202, no wait), 1 client: p50 {percentile(accept, 50):5.2f} ms, p99 {percentile(accept, 99):5.2f} ms; '
        f'beside GET /health (a database read, no key) p50 {percentile(health, 50):5.2f} ms, p99 {percentile(health, 99):5.2f} ms'
    )
    wall_direct, wall_api = results[f'direct {args.clients} wall'][0], results[f'api {args.clients} wall'][0]
    print(
        f'  throughput at {args.clients} clients: api {args.requests / wall_api:.1f} requests/s, '
        f'direct {args.requests / wall_direct:.1f} requests/s (limit {args.clients / args.latency:.0f}/s at this latency)'
    )
    cpu = results['api web cpu'][0]
    ceiling = f'one process runs on one core: ~{1000 / cpu:.0f} runs/s'
    included = 'its SDK call included' if workers == 'inline' else 'the web process alone: its workers run the SDK calls'
    print(f'  server CPU per run at {args.clients} clients: {cpu:.1f} ms, {included} ({ceiling})')
    for way in ('direct', 'api'):
        parts = ', '.join(f'{part} {results[f"{way} {part} cpu"][0]:.2f}' for part in CPU_PARTS)
        total = sum(results[f'{way} {part} cpu'][0] for part in CPU_PARTS)
        print(f'  CPU ms per call at {args.clients} clients, {way:>6}: {parts}; in all {total:.2f} of {os.cpu_count()} cores')
    line = '  rate limits, 1 client, alternated: '
    for label, p in (('p50', 50), ('p99', 99)):
        without, limited = percentile(results['unlimited key'], p), percentile(results['limited key'], p)
        line += f'{label} key without {without:6.1f} ms, with limits {limited:6.1f} ms, added {limited - without:5.2f} ms;  '
    print(line.rstrip('; '))


COMPARED = ('direct', 'native', 'native stream', 'openai', 'openai stream')


async def measure_compatible(args: argparse.Namespace, api_url: str, token: str, openai_url: str) -> dict[str, list[float]]:
    """Latencies (ms) of each way in COMPARED, one client and `--clients` clients, the ways taken in turn."""
    adapter = OpenAIAdapter(api_key='sk-bench', base_url=openai_url)
    async with LoadClient(api_url, headers={'X-API-Key': token}, connections=args.clients * 2) as client:
        messages = [{'role': 'system', 'content': TEMPLATE}, {'role': 'user', 'content': USER_INPUT}]
        chat = {'model': 'bench', 'messages': [{'role': 'user', 'content': USER_INPUT}]}
        run = {'json': {'userInput': USER_INPUT}}

        async def direct() -> None:
            await adapter.chat(ChatRequest(model=MODEL, messages=messages), on_delta=lambda _text: None)

        async def native() -> None:
            response = await client.post('/deployments/bench/run', params={'wait': 30}, **run)
            _check(response.status_code == 200 and response.json()['status'] == 'completed', response.text)

        async def native_stream() -> None:
            response = await client.post('/deployments/bench/run', params={'stream': 'true'}, **run)  # read to its end
            text = response.text
            _check(response.status_code == 200 and '"status":"completed"' in text.rsplit('event: execution', 1)[-1], text)

        async def compatible() -> None:
            response = await client.post('/openai/chat/completions', json=chat)
            _check(response.status_code == 200 and response.json()['choices'][0]['message']['content'], response.text)

        async def compatible_stream() -> None:
            response = await client.post('/openai/chat/completions', json={**chat, 'stream': True})  # read to its end
            _check(response.status_code == 200 and response.text.endswith('data: [DONE]\n\n'), response.text)

        ways = dict(zip(COMPARED, (direct, native, native_stream, compatible, compatible_stream), strict=True))
        await in_turn(ways, 10, 5)  # warm-up
        alone, concurrent = await in_turn(ways, args.sequential, 1), await in_turn(ways, args.requests, args.clients)
        return {
            f'compared {way} {clients}': latencies[way]
            for clients, latencies in ((1, alone), (args.clients, concurrent))
            for way in ways
        }


async def in_turn(ways: dict[str, Callable[[], Awaitable[None]]], rounds: int, clients: int) -> dict[str, list[float]]:
    """`rounds` rounds, each calling every way once (starting at a different one each round), from `clients` loops."""
    remaining = iter(range(rounds))
    latencies: dict[str, list[float]] = {way: [] for way in ways}
    order = list(ways)

    async def client_loop() -> None:
        for number in remaining:
            for way in order[number % len(order) :] + order[: number % len(order)]:
                started = time.perf_counter()
                await ways[way]()
                latencies[way].append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(client_loop() for _ in range(clients)))
    return latencies


def _check(ok: object, text: str) -> None:
    if not ok:
        raise RuntimeError(f'the run did not complete: {text[:300]}')


def report_compatible(args: argparse.Namespace, results: dict[str, list[float]]) -> None:
    print('openai-compatible: each way to its end (a stream read to its last event), added over the direct provider call')
    for clients in (1, args.clients):
        direct = results[f'compared direct {clients}']
        print(f'  {clients:>3} client(s): direct p50 {percentile(direct, 50):6.1f} ms, p99 {percentile(direct, 99):6.1f} ms')
        added = {}
        for way in COMPARED[1:]:
            ours = results[f'compared {way} {clients}']
            added[way] = percentile(ours, 50) - percentile(direct, 50)
            line = ', '.join(
                f'{label} {percentile(ours, p):6.1f} ms (added {percentile(ours, p) - percentile(direct, p):5.1f})'
                for label, p in (('p50', 50), ('p99', 99))
            )
            print(f'      {way:<14} {line}')
        for kind in ('', ' stream'):
            beyond = added[f'openai{kind}'] - added[f'native{kind}']
            verdict = 'within' if beyond <= 1 else 'OVER'
            print(f'      openai{kind} adds {beyond:+5.1f} ms at p50 beyond native{kind} ({verdict} the 1 ms budget)')


def setup(settings: Settings, api_url: str) -> tuple[str, str]:
    """An admin key and a key with rate limits it never reaches (through core, on the server's database), and a
    deployment named 'bench' (through the API)."""
    core = build_core(settings, migrate=False)
    token = api_keys.create_api_key(core, Actor.system(), name='bench', scopes=['admin']).token
    limits = {'requests_per_minute': MAXIMUM['requestsPerMinute'], 'concurrent_runs': MAXIMUM['concurrentRuns']}
    limited = api_keys.create_api_key(core, Actor.system(), name='bench limited', scopes=['deployments:run'], **limits).token
    core.db.dispose()
    with httpx.Client(base_url=api_url, headers={'X-API-Key': token}, timeout=30) as client:
        prompt = client.post('/prompts', json={'name': 'bench', 'template': TEMPLATE}).raise_for_status().json()
        deployment = {'name': 'bench', 'promptId': prompt['id'], 'provider': 'openai', 'model': MODEL}
        client.post('/deployments', json=deployment).raise_for_status()
    return token, limited


@contextmanager
def serve(env: dict[str, str], log_path: Path) -> Iterator[tuple[str, int]]:
    """`python main.py serve` on a free port; yields the API's base URL and the server's pid."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    server_env = {**{k: v for k, v in os.environ.items() if not k.startswith('NICEGUI_')}, **env, 'HYPERSIGIL_PORT': str(port)}
    with log_path.open('w') as log:
        command = [sys.executable, 'main.py', 'serve']
        process = subprocess.Popen(command, cwd=ROOT, env=server_env, stdout=log, stderr=subprocess.STDOUT)
        url = f'http://127.0.0.1:{port}/api/v1'
        try:
            wait_until_up(url, process, log_path)
            yield url, process.pid
        finally:
            process.terminate()
            process.wait(15)


def wait_until_up(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f'the server exited:\n{log_path.read_text()}')
        try:
            if httpx.get(f'{url}/health', timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f'the server did not answer within 60 s:\n{log_path.read_text()}')


if __name__ == '__main__':
    main()

"""Webhook deliveries: how fast they go out, and what they cost the run endpoint.

`python -m bench.webhooks [--executions 2000] [--clients 50] [--sequential 100] [--latency 0.01] [--database-url URL]`
starts the fake LLM (its own process), two webhook receivers on 127.0.0.1 (one answers at once, one after 200 ms) and
`python main.py serve` (the real app: API, worker, delivery loop), with two deployments: `hooked`, to which both
receivers subscribe, and `plain`, to which none does. In this one run it measures:
  latency: POST /deployments/{name}/run?wait=30, one client, alternating `hooked` and `plain` run by run (so the
           machine's drift falls on both alike): p50/p99 of each and the difference (webhooks on vs off);
  batch:   `--executions` runs queued by `--clients` clients on `plain`, then as many on `hooked`: executions/s of each
           (delivery must not slow execution), and for `hooked` the deliveries/s until both receivers had them all.
"""

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import httpx

from bench.api import serve, timed
from bench.engine import fake_llm, percentile
from core import api_keys
from core.app import build_core
from core.engine.process import event_loop_runner
from core.permissions import Actor
from core.settings import Settings
from core.webhooks import endpoints
from tests.fakes.webhook_receiver import WebhookReceiver

MODEL = 'gpt-4o-mini'
SLOW_RECEIVER_SECONDS = 0.2


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--executions', type=int, default=2000, help='runs queued per deployment in the batch')
    parser.add_argument('--clients', type=int, default=50, help='concurrent clients queueing the batch')
    parser.add_argument('--sequential', type=int, default=100, help='runs timed one at a time, per deployment')
    parser.add_argument('--latency', type=float, default=0.01, help='seconds the fake LLM takes per call')
    parser.add_argument('--database-url', help='default: SQLite in a temporary directory')
    args = parser.parse_args(argv)
    fast, slow = WebhookReceiver().start(), WebhookReceiver().start()
    slow.answer_slowly(SLOW_RECEIVER_SECONDS)
    try:
        with tempfile.TemporaryDirectory(prefix='hypersigil-bench-webhooks-') as directory, fake_llm(args.latency) as (fake, _):
            env = {
                'HYPERSIGIL_DATA_DIR': directory,
                **({'HYPERSIGIL_DATABASE_URL': args.database_url} if args.database_url else {}),
                'HYPERSIGIL_SECRET_KEY': 'bench',
                'HYPERSIGIL_PROVIDER_CONCURRENCY': '64',
                'HYPERSIGIL_WEBHOOK_ALLOW_PRIVATE': '1',
                'OPENAI_API_KEY': 'sk-bench',
                'OPENAI_BASE_URL': f'{fake}/v1',
            }
            with serve(env, Path(directory) / 'server.log') as (api_url, _pid):
                token = setup(Settings.from_env(env), api_url, [fast.url, slow.url])
                with event_loop_runner() as runner:
                    results = runner.run(measure(args, api_url, token, fast, slow))
        report(args, Settings.from_env(env), results)
    finally:
        fast.stop()
        slow.stop()


async def measure(args: argparse.Namespace, api_url: str, token: str, fast: WebhookReceiver, slow: WebhookReceiver) -> dict:
    limits = httpx.Limits(max_connections=args.clients * 2, max_keepalive_connections=args.clients * 2, keepalive_expiry=3)
    async with httpx.AsyncClient(base_url=api_url, headers={'X-API-Key': token}, limits=limits, timeout=60) as client:

        async def run(deployment: str, wait: bool) -> None:
            while True:
                response = await client.post(
                    f'/deployments/{deployment}/run', params={'wait': 30} if wait else {}, json={'userInput': 'hello'}
                )
                if response.status_code != 503:
                    break
                results['busy'][deployment] += 1  # SQLite's write lock held past 0.5 s: retry, as a client would
                await asyncio.sleep(float(response.headers.get('retry-after', 1)))
            if response.status_code != (200 if wait else 202):
                raise RuntimeError(f'the run failed: {response.status_code} {response.text[:300]}')

        results: dict = {'hooked': [], 'plain': [], 'busy': {'hooked': 0, 'plain': 0}}
        for number in range(20 + args.sequential):  # the first 20 warm up
            for deployment in ('hooked', 'plain')[:: 1 if number % 2 else -1]:
                started = time.perf_counter()
                await run(deployment, wait=True)
                if number >= 20:
                    results[deployment].append((time.perf_counter() - started) * 1000)
        await until(lambda: len(fast.requests) >= 20 + args.sequential and len(slow.requests) >= 20 + args.sequential)
        for deployment in ('plain', 'hooked'):
            before = (len(fast.requests), len(slow.requests))
            started = time.perf_counter()
            await timed(lambda d=deployment: run(d, wait=False), args.executions, args.clients)
            queued = time.perf_counter() - started
            await until_completed(client, deployment, 2 * (20 + args.sequential) // 2 + args.executions)
            results[f'{deployment} batch'] = {'queued': queued, 'completed': time.perf_counter() - started}
            if deployment == 'hooked':
                for receiver, already in ((fast, before[0]), (slow, before[1])):
                    await until(lambda r=receiver, a=already: len(r.requests) - a >= args.executions, timeout=600)
                    results[f'{"fast" if receiver is fast else "slow"} delivered'] = time.perf_counter() - started
        results['duplicates'] = sum(len(r.requests) - len({q.headers['webhook-id'] for q in r.requests}) for r in (fast, slow))
        return results


async def until_completed(client: httpx.AsyncClient, deployment: str, total: int) -> None:
    while True:
        found = await client.get('/executions', params={'deployment': deployment, 'status': 'completed', 'pageSize': 1})
        if found.json()['total'] >= total:
            return
        await asyncio.sleep(0.05)


async def until(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f'not reached within {timeout} s')
        await asyncio.sleep(0.01)


def report(args: argparse.Namespace, settings: Settings, results: dict) -> None:
    database = settings.database_url.split(':', 1)[0]
    print(f'webhooks: two receivers (one answers in {SLOW_RECEIVER_SECONDS * 1000:g} ms); {database}, {os.cpu_count()} cores')
    line = '  run?wait, 1 client, alternated: '
    for label, p in (('p50', 50), ('p99', 99)):
        on, off = percentile(results['hooked'], p), percentile(results['plain'], p)
        line += f'{label} webhooks off {off:6.1f} ms, on {on:6.1f} ms, added {on - off:5.2f} ms;  '
    print(line.rstrip('; '))
    for deployment, label in (('plain', 'webhooks off'), ('hooked', 'webhooks on ')):
        batch = results[f'{deployment} batch']
        print(
            f'  {args.executions} runs, {args.clients} clients, {label}: queued in {batch["queued"]:5.1f} s, '
            f'all completed in {batch["completed"]:5.1f} s ({args.executions / batch["completed"]:6.1f} executions/s)'
        )
    for receiver in ('fast', 'slow'):
        seconds = results[f'{receiver} delivered']
        print(
            f'  {receiver} receiver: all {args.executions} deliveries in {seconds:5.1f} s from the first run queued '
            f'({args.executions / seconds:6.1f} deliveries/s)'
        )
    total = 2 * args.executions / max(results['fast delivered'], results['slow delivered'])
    print(f'  both: {total:.1f} deliveries/s; duplicates received: {results["duplicates"]}')
    busy = results['busy']
    print(f'  runs answered 503 database_busy (then retried): webhooks off {busy["plain"]}, on {busy["hooked"]}')


def setup(settings: Settings, api_url: str, urls: list[str]) -> str:
    """An admin key and the two endpoints (through core, on the server's database), the deployments (over the API)."""
    core = build_core(settings, migrate=False)
    token = api_keys.create_api_key(core, Actor.system(), name='bench', scopes=['admin']).token
    with httpx.Client(base_url=api_url, headers={'X-API-Key': token}, timeout=30) as client:
        prompt = client.post('/prompts', json={'name': 'bench', 'template': 'Answer briefly.'}).raise_for_status().json()
        for name in ('hooked', 'plain'):
            deployment = {'name': name, 'promptId': prompt['id'], 'provider': 'openai', 'model': MODEL}
            client.post('/deployments', json=deployment).raise_for_status()
    for url in urls:
        endpoints.create_endpoint(core, Actor.system(), url=url, events=['execution.completed'], deployments=['hooked'])
    core.db.dispose()
    return token


if __name__ == '__main__':
    main()

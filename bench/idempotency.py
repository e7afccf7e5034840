"""Idempotency keys on the run path, in process: a run without a key, with a new key, and a replay of a key.

`python -m bench.idempotency [--n 2000] [--database-url URL]` queues runs through core (no HTTP, no worker) with one
API key, alternating three ways run by run so the machine's drift falls on all alike: no `Idempotency-Key`; a new key
each time (the claim's insert and read, then the run's); the same key and body again (a replay: the claim's insert
and read, and the execution's read). It prints the median and p99 per run of each, and what a key adds.
"""

import argparse
import asyncio
import tempfile
import time
import uuid

from bench.engine import fake_llm, percentile
from core import api_keys, deployments, prompts
from core.app import build_core
from core.executions import run_deployment_with_key
from core.permissions import Actor
from core.settings import Settings

WAYS = ('without', 'new key', 'replay')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--n', type=int, default=2000, help='runs timed per way')
    parser.add_argument('--database-url', help='default: SQLite in a temporary directory')
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix='hypersigil-bench-idempotency-') as directory, fake_llm(0.01) as (fake_url, _):
        env = {'HYPERSIGIL_DATA_DIR': directory, 'HYPERSIGIL_SECRET_KEY': 'bench', 'OPENAI_API_KEY': 'sk-bench'}
        env['OPENAI_BASE_URL'] = f'{fake_url}/v1'  # the deployment's model is checked against the (fake) provider's list
        settings = Settings.from_env(env | ({'HYPERSIGIL_DATABASE_URL': args.database_url} if args.database_url else {}))
        results = asyncio.run(measure(settings, args.n))
    print(f'idempotency: queueing a run through core, {settings.database_url.split(":", 1)[0]}, {args.n} runs per way')
    for label, p in (('p50', 50), ('p99', 99)):
        base = percentile(results['without'], p)
        figures = ', '.join(f'{way} {percentile(results[way], p):6.3f} ms' for way in WAYS)
        added = ', '.join(f'{way} {percentile(results[way], p) - base:+.3f} ms' for way in WAYS[1:])
        print(f'  {label}: {figures}; added: {added}')


async def measure(settings: Settings, n: int) -> dict[str, list[float]]:
    core = build_core(settings)
    system, name = Actor.system(), f'bench-{uuid.uuid4().hex[:8]}'  # a database given may hold an earlier run's
    prompt = prompts.create_prompt(core, system, name=name, template='You answer in one short sentence.')
    await deployments.create_deployment(core, system, name=name, prompt_id=prompt.id, provider='openai', model='gpt-4o-mini')
    token = api_keys.create_api_key(core, system, name='bench', scopes=['deployments:run']).token
    replayed = f'replayed-{uuid.uuid4()}'
    keys = {'without': lambda: None, 'new key': lambda: str(uuid.uuid4()), 'replay': lambda: replayed}
    results: dict[str, list[float]] = {way: [] for way in WAYS}
    for number in range(n + 50):  # the first 50 warm up
        for way in WAYS[number % 3 :] + WAYS[: number % 3]:
            key = keys[way]()
            started = time.perf_counter()
            await run_deployment_with_key(core, token, name, user_input='What is a deployment?', idempotency_key=key)
            if number >= 50:
                results[way].append((time.perf_counter() - started) * 1000)
    core.db.dispose()
    return results


if __name__ == '__main__':
    main()

"""The rate limits' admission step, in process: queueing a run with a key that has limits against one that has none.

`python -m bench.admission [--n 2000] [--database-url URL]` queues runs through core (no HTTP, no worker) for two
keys, alternated one by one so the machine's drift falls on both alike: one without limits (the step costs nothing
but a flag read) and one with requestsPerMinute and concurrentRuns it never reaches (its row locked, the quota spent,
its runs in flight counted). Each run is marked finished, untimed, before the next: a key held to a few runs in flight
has few to count, not thousands. It prints the median and p99 per run of each and their difference.
"""

import argparse
import asyncio
import tempfile
import time
import uuid

import sqlalchemy as sa

from bench.engine import fake_llm, percentile
from core import api_keys, deployments, prompts
from core.app import build_core
from core.executions import run_deployment_with_key
from core.permissions import Actor
from core.rate_limits import MAXIMUM
from core.settings import Settings
from core.vocabulary import ExecutionStatus
from data.tables import Execution

EXECUTION = Execution.__table__
LIMITS = {'requests_per_minute': MAXIMUM['requestsPerMinute'], 'concurrent_runs': MAXIMUM['concurrentRuns']}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--n', type=int, default=2000, help='runs timed per key')
    parser.add_argument('--database-url', help='default: SQLite in a temporary directory')
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix='hypersigil-bench-admission-') as directory, fake_llm(0.01) as (fake_url, _):
        env = {'HYPERSIGIL_DATA_DIR': directory, 'HYPERSIGIL_SECRET_KEY': 'bench', 'OPENAI_API_KEY': 'sk-bench'}
        env['OPENAI_BASE_URL'] = f'{fake_url}/v1'  # the deployment's model is checked against the (fake) provider's list
        settings = Settings.from_env(env | ({'HYPERSIGIL_DATABASE_URL': args.database_url} if args.database_url else {}))
        results = asyncio.run(measure(settings, args.n))
    print(f'admission: queueing a run through core, {settings.database_url.split(":", 1)[0]}, {args.n} runs per key')
    for label, p in (('p50', 50), ('p99', 99)):
        without, limited = percentile(results['without'], p), percentile(results['limited'], p)
        print(f'  {label}: key without limits {without:6.3f} ms, with limits {limited:6.3f} ms, added {limited - without:.3f} ms')


async def measure(settings: Settings, n: int) -> dict[str, list[float]]:
    core = build_core(settings)
    system, name = Actor.system(), f'bench-{uuid.uuid4().hex[:8]}'  # a database given may hold an earlier run's
    prompt = prompts.create_prompt(core, system, name=name, template='You answer in one short sentence.')
    await deployments.create_deployment(core, system, name=name, prompt_id=prompt.id, provider='openai', model='gpt-4o-mini')
    keys = {
        'without': api_keys.create_api_key(core, system, name='without', scopes=['deployments:run']).token,
        'limited': api_keys.create_api_key(core, system, name='limited', scopes=['deployments:run'], **LIMITS).token,
    }
    results: dict[str, list[float]] = {'without': [], 'limited': []}
    for number in range(n + 50):  # the first 50 warm up
        for way in ('without', 'limited')[:: 1 if number % 2 else -1]:
            started = time.perf_counter()
            accepted = await run_deployment_with_key(core, keys[way], name, user_input='What is a deployment?')
            elapsed = (time.perf_counter() - started) * 1000
            finish(core, accepted.execution.id)
            if number >= 50:
                results[way].append(elapsed)
    core.db.dispose()
    return results


def finish(core, execution_id: str) -> None:
    with core.db.begin() as connection:
        connection.execute(sa.update(EXECUTION).where(EXECUTION.c.id == execution_id).values(status=ExecutionStatus.COMPLETED))


if __name__ == '__main__':
    main()

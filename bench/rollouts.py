"""Rollouts' costs: the run path with and without an active rollout, and metrics on a year of one deployment's runs.

`python -m bench.rollouts [--runs 2000] [--rows 1000000] [--postgres URL] [--skip-runs] [--skip-metrics]`

- Run overhead: runs queued through core (no HTTP, no worker), alternated one by one between a deployment without a
  rollout (the baseline) and one whose rollout sends half its runs to the candidate (the extra join, the hash, and on
  the candidate's arm one more read of its prompt version). Prints the median and p99 per run and the difference.
- Metrics: `rows` executions spread evenly over one year for one deployment, made in the database itself; then 30 days
  in hourly buckets: the first read (it rolls the hours up), then 20 reads each through core.metrics and through the
  API endpoint (the dashboard's charts call the same function), against the baseline of reading those 30 days' rows
  into Python (what any aggregation without rollups must at least do). On SQLite, and on PostgreSQL when
  --postgres names a server (a scratch database is created there and dropped).
"""

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.routing import Mount

from api.app import api, bind_core, serve_first
from bench.engine import fake_llm, percentile
from core import api_keys, deployments, metrics, prompts
from core.app import build_core
from core.executions import run_deployment
from core.permissions import Actor
from core.rollouts import service
from core.settings import Settings
from data.tables import Execution

EXECUTION = Execution.__table__
SYSTEM = Actor.system()
END = datetime(2026, 12, 1, tzinfo=UTC)
YEAR = timedelta(days=365)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=2000, help='runs timed per deployment')
    parser.add_argument('--rows', type=int, default=1_000_000, help='executions over the year, for the metrics')
    parser.add_argument('--postgres', help='a PostgreSQL server URL (its database is only used to create a scratch one)')
    parser.add_argument('--skip-runs', action='store_true')
    parser.add_argument('--skip-metrics', action='store_true')
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix='hypersigil-bench-rollouts-') as directory, fake_llm(0.0) as (fake_url, _):
        env = {'HYPERSIGIL_DATA_DIR': directory, 'HYPERSIGIL_SECRET_KEY': 'bench', 'OPENAI_API_KEY': 'sk-bench',
               'OPENAI_BASE_URL': f'{fake_url}/v1'}  # fmt: skip
        urls = [None] + ([args.postgres] if args.postgres else [])
        for url in urls:
            with scratch_database(url) as database_url:
                settings = Settings.from_env(env | ({'HYPERSIGIL_DATABASE_URL': database_url} if database_url else {}))
                kind = settings.database_url.split(':', 1)[0]
                if not args.skip_runs:
                    report_runs(kind, args.runs, asyncio.run(measure_runs(settings, args.runs)))
                if not args.skip_metrics:
                    asyncio.run(measure_metrics(settings, kind, args.rows))


async def measure_runs(settings: Settings, n: int) -> dict[str, list[float]]:
    core = build_core(settings)
    names = {'without': f'plain-{uuid.uuid4().hex[:6]}', 'rollout': f'rolling-{uuid.uuid4().hex[:6]}'}
    prompt = prompts.create_prompt(core, SYSTEM, name=f'bench-{uuid.uuid4().hex[:6]}', template='Answer in one sentence.')
    for name in names.values():
        await deployments.create_deployment(core, SYSTEM, name=name, prompt_id=prompt.id, provider='openai', model='gpt-4o-mini')
    await service.start_rollout(core, SYSTEM, names['rollout'], changes={'model': 'gpt-4o'}, settings={'stages': [50, 100]})
    results: dict[str, list[float]] = {'without': [], 'rollout': []}
    for number in range(n + 50):  # the first 50 warm up
        for way in ('without', 'rollout')[:: 1 if number % 2 else -1]:
            started = time.perf_counter()
            await run_deployment(core, SYSTEM, names[way], user_input='What is a rollout?', trace_id=f'trace-{number}')
            if number >= 50:
                results[way].append((time.perf_counter() - started) * 1000)
    core.db.dispose()
    return results


def report_runs(kind: str, n: int, results: dict[str, list[float]]) -> None:
    print(f'run path: queueing a run through core, {kind}, {n} runs per deployment (rollout at 50 %)')
    for label, p in (('p50', 50), ('p99', 99)):
        without, rollout = percentile(results['without'], p), percentile(results['rollout'], p)
        print(f'  {label}: without a rollout {without:6.3f} ms, with one {rollout:6.3f} ms, added {rollout - without:+.3f} ms')


async def measure_metrics(settings: Settings, kind: str, rows: int) -> None:
    core = build_core(settings)
    prompt = prompts.create_prompt(core, SYSTEM, name=f'year-{uuid.uuid4().hex[:6]}', template='Answer.')
    deployment = await deployments.create_deployment(
        core, SYSTEM, name='a-year', prompt_id=prompt.id, provider='openai', model='gpt-4o-mini'
    )
    started = time.perf_counter()
    await asyncio.to_thread(fill, core, deployment.id, rows)
    print(f'metrics: {rows:,} executions over a year for one deployment, {kind} (made in {time.perf_counter() - started:.0f} s)')
    start, end = END - timedelta(days=30), END

    cpu: list[float] = []  # the calling thread's CPU time: what the read costs whatever the machine's load

    def through_core() -> None:
        started_cpu = time.thread_time()
        metrics.deployment_metrics(core, SYSTEM, 'a-year', start=start, end=end, bucket='hour')
        cpu.append((time.thread_time() - started_cpu) * 1000)

    def rows_into_python() -> None:
        columns = (EXECUTION.c.created_at, EXECUTION.c.status, EXECUTION.c.duration_ms, EXECUTION.c.cost_usd)
        where = (EXECUTION.c.deployment_id == deployment.id) & (EXECUTION.c.created_at >= start) & (EXECUTION.c.created_at < end)
        with core.db.connect() as connection:
            found = connection.execute(sa.select(*columns).where(where)).all()
        sorted(row.duration_ms or 0 for row in found)

    token = api_keys.create_api_key(core, SYSTEM, name='reader', scopes=['deployments:read']).token
    bind_core(core)
    app = Starlette(routes=[Mount('/api/v1', app=api)])
    serve_first(app)
    params = {'from': start.isoformat(), 'to': end.isoformat(), 'bucket': 'hour'}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url='http://bench/api/v1') as client:

        async def through_api() -> None:
            response = await client.get('/deployments/a-year/metrics', params=params, headers={'X-API-Key': token})
            assert response.status_code == 200 and len(response.json()['buckets']) == 720, response.text

        cold = await timed(asyncio.to_thread, through_core)  # the first read rolls up the 720 hours
        print(f'  30 days hourly, first read (rolls up 720 hours) {cold:7.1f} ms')
        timings = {
            'core.metrics': [await timed(asyncio.to_thread, through_core) for _ in range(20)],
            'GET /metrics': [await timed(through_api) for _ in range(21)][1:],
            'baseline: rows into Python': [await timed(asyncio.to_thread, rows_into_python) for _ in range(6)][1:],
        }
    timings["core.metrics, its thread's CPU"] = cpu[1:]
    for label, values in timings.items():
        print(f'  30 days hourly, {label:28} p50 {percentile(values, 50):7.1f} ms, p95 {percentile(values, 95):7.1f} ms')
    core.db.dispose()


async def timed(function, *args) -> float:
    started = time.perf_counter()
    await function(*args)
    return (time.perf_counter() - started) * 1000


def fill(core, deployment_id: str, rows: int) -> None:
    """`rows` runs evenly over the year before END, made by the database (1 in 20 failed, durations 50-5,050 ms)."""
    spacing = YEAR.total_seconds() / rows
    with core.db.begin() as connection:
        if connection.dialect.name == 'sqlite':
            connection.exec_driver_sql(_SQLITE_FILL, (rows - 1, deployment_id, f'{END - YEAR:%Y-%m-%d %H:%M:%S}', spacing))
        else:
            connection.exec_driver_sql(_POSTGRES_FILL, (deployment_id, END - YEAR, spacing, rows - 1))
    with core.db.connect() as connection:
        connection = connection.execution_options(isolation_level='AUTOCOMMIT')
        connection.exec_driver_sql('ANALYZE' if connection.dialect.name == 'sqlite' else 'VACUUM ANALYZE execution')


_SQLITE_FILL = """
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
INSERT INTO execution (id, status, deployment_id, deployment_name, revision, provider, model, options, messages,
    user_input, origin, attempts, created_at, duration_ms, input_tokens, output_tokens, cost_usd)
SELECT printf('%08x-0000-4000-8000-%012d', i, i),
    CASE WHEN i % 20 = 0 THEN 'failed' ELSE 'completed' END, ?2, 'a-year', 1 + i % 3, 'openai', 'gpt-4o-mini', '{}', '[]',
    'hi', 'api', 1, strftime('%Y-%m-%d %H:%M:%f', ?3, '+' || (i * ?4) || ' seconds') || '000',
    50 + abs(random()) % 5000, 100 + i % 200, 200 + i % 300, (100 + i % 200) * 0.00000015 + (200 + i % 300) * 0.0000006
FROM n
"""
_POSTGRES_FILL = """
INSERT INTO execution (id, status, deployment_id, deployment_name, revision, provider, model, options, messages,
    user_input, origin, attempts, created_at, duration_ms, input_tokens, output_tokens, cost_usd)
SELECT gen_random_uuid()::text, CASE WHEN i %% 20 = 0 THEN 'failed' ELSE 'completed' END, %s, 'a-year', 1 + i %% 3,
    'openai', 'gpt-4o-mini', '{}', '[]', 'hi', 'api', 1, %s + make_interval(secs => i * %s),
    50 + floor(random() * 5000)::int, 100 + i %% 200, 200 + i %% 300, (100 + i %% 200) * 0.00000015 + (200 + i %% 300) * 0.0000006
FROM generate_series(0, %s) AS i
"""


class scratch_database:
    """None for SQLite in the data dir; for a PostgreSQL URL, a new database there, dropped afterwards."""

    def __init__(self, url: str | None) -> None:
        self.url, self.name = url, f'hs_bench_{uuid.uuid4().hex[:10]}'

    def __enter__(self) -> str | None:
        if self.url is None:
            return None
        self._admin('CREATE DATABASE {}')
        return sa.make_url(self.url).set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *_) -> None:
        if self.url is not None:
            self._admin('DROP DATABASE IF EXISTS {} WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        engine = sa.create_engine(self.url.replace('postgresql://', 'postgresql+psycopg://'), isolation_level='AUTOCOMMIT')
        with engine.connect() as connection:
            connection.exec_driver_sql(statement.format(self.name))
        engine.dispose()


if __name__ == '__main__':
    main()

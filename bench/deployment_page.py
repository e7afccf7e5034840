"""The dashboard's figures on a year of one deployment's runs: the deployment page's charts and the deployments table.

`python -m bench.deployment_page [--rows 1000000] [--database-url URL]`

`rows` executions spread evenly over the year before now for one deployment (made in the database itself), beside 19
quiet deployments (a table page of 20). Then, each 20 times: what the deployment page's charts read for 24 h, 7 d and
30 d (ui.metrics_charts.chart_data: hourly figures and the revision marks), and what the deployments table reads for
its 24 h columns (core.deployment_health for the page), against the baseline of reading the span's rows into Python
(what any aggregation without the covering index must at least do). Target: p95 < 200 ms for 30 days hourly.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bench.engine import fake_llm
from core import deployments, prompts
from core.app import build_core
from core.deployment_health import deployment_health
from core.permissions import Actor
from core.settings import Settings
from data.tables import Execution
from ui.metrics_charts import chart_data

SYSTEM = Actor.system()
EXECUTION = Execution.__table__
YEAR = timedelta(days=365)
TARGET_MS = 200.0
SPANS = {'24 h': timedelta(hours=24), '7 d': timedelta(days=7), '30 d': timedelta(days=30)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rows', type=int, default=1_000_000)
    parser.add_argument('--repeat', type=int, default=20)
    parser.add_argument('--database-url', help='an empty database to fill (default: a new SQLite file)')
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix='hypersigil-bench-') as directory, fake_llm(0.0) as (fake_url, _):
        env = {'HYPERSIGIL_DATA_DIR': directory, 'HYPERSIGIL_SECRET_KEY': 'bench', 'OPENAI_API_KEY': 'sk-bench',
               'OPENAI_BASE_URL': f'{fake_url}/v1'}  # fmt: skip
        if options.database_url:
            env['HYPERSIGIL_DATABASE_URL'] = options.database_url
        core = build_core(Settings.from_env(env))
        try:
            asyncio.run(measure(core, options.rows, options.repeat))
        finally:
            core.db.dispose()


async def measure(core, rows: int, repeat: int) -> None:
    prompt = prompts.create_prompt(core, SYSTEM, name='bench', template='Answer briefly.')
    made = [
        await deployments.create_deployment(
            core, SYSTEM, name=f'bot-{number:02d}', prompt_id=prompt.id, provider='openai', model='gpt-4o-mini'
        )
        for number in range(20)
    ]
    busy, page = made[0], [deployment.id for deployment in made]
    started = time.perf_counter()
    fill(core, busy.id, rows, end=datetime.now(UTC))
    made_in = time.perf_counter() - started
    print(f'{core.db.dialect.name}: {rows:,} executions over a year for one deployment, made in {made_in:.0f} s')
    print(f'{"read":44} {"median ms":>10} {"p95 ms":>8} {"baseline ms":>12}')
    slowest = 0.0
    for label, span in SPANS.items():
        figures = timings(lambda span=span: chart_data(core, SYSTEM, busy.name, span), repeat)
        baseline = timings(lambda span=span: rows_into_python(core, busy.id, span), max(repeat // 4, 3))
        report(f'deployment page charts, {label} hourly', figures, baseline)
        slowest = max(slowest, percentile(figures, 95))
    health = timings(lambda: deployment_health(core, SYSTEM, page), repeat)
    report(
        'deployments table, 24 h columns of 20 rows', health, timings(lambda: rows_into_python(core, busy.id, SPANS['24 h']), 3)
    )
    verdict = 'meets' if slowest < TARGET_MS else 'MISSES'
    print(f'slowest chart p95 {slowest:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target')


def rows_into_python(core, deployment_id: str, span: timedelta) -> None:
    end = datetime.now(UTC)
    columns = (EXECUTION.c.created_at, EXECUTION.c.status, EXECUTION.c.duration_ms, EXECUTION.c.cost_usd)
    where = (EXECUTION.c.deployment_id == deployment_id) & (EXECUTION.c.created_at >= end - span)
    with core.db.connect() as connection:
        found = connection.execute(sa.select(*columns).where(where)).all()
    sorted(row.duration_ms or 0 for row in found)


def fill(core, deployment_id: str, rows: int, *, end: datetime) -> None:
    """`rows` runs evenly over the year before `end` (1 in 20 failed, durations 50-5,050 ms, three revisions)."""
    spacing = YEAR.total_seconds() / rows
    with core.db.begin() as connection:
        if connection.dialect.name == 'sqlite':
            connection.exec_driver_sql(_SQLITE_FILL, (rows - 1, deployment_id, f'{end - YEAR:%Y-%m-%d %H:%M:%S}', spacing))
        else:
            connection.exec_driver_sql(_POSTGRES_FILL, (deployment_id, end - YEAR, spacing, rows - 1))
    with core.db.connect() as connection:
        connection = connection.execution_options(isolation_level='AUTOCOMMIT')
        connection.exec_driver_sql('ANALYZE' if connection.dialect.name == 'sqlite' else 'VACUUM ANALYZE execution')


def timings(read, repeat: int) -> list[float]:
    values = []
    for _ in range(repeat + 1):  # the first warms the caches
        started = time.perf_counter()
        read()
        values.append((time.perf_counter() - started) * 1000)
    return values[1:]


def report(label: str, values: list[float], baseline: list[float]) -> None:
    print(f'{label:44} {statistics.median(values):10.1f} {percentile(values, 95):8.1f} {statistics.median(baseline):12.1f}')


def percentile(values: list[float], share: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, len(ordered) * share // 100)]


_SQLITE_FILL = """
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
INSERT INTO execution (id, status, deployment_id, deployment_name, revision, provider, model, options, messages,
    user_input, origin, attempts, created_at, duration_ms, input_tokens, output_tokens, cost_usd)
SELECT printf('%08x-0000-4000-8000-%012d', i, i),
    CASE WHEN i % 20 = 0 THEN 'failed' ELSE 'completed' END, ?2, 'bot-00', 1 + i % 3, 'openai', 'gpt-4o-mini', '{}', '[]',
    'hi', 'api', 1, strftime('%Y-%m-%d %H:%M:%f', ?3, '+' || (i * ?4) || ' seconds') || '000',
    50 + abs(random()) % 5000, 100 + i % 200, 200 + i % 300, (100 + i % 200) * 0.00000015 + (200 + i % 300) * 0.0000006
FROM n
"""
_POSTGRES_FILL = """
INSERT INTO execution (id, status, deployment_id, deployment_name, revision, provider, model, options, messages,
    user_input, origin, attempts, created_at, duration_ms, input_tokens, output_tokens, cost_usd)
SELECT gen_random_uuid()::text, CASE WHEN i %% 20 = 0 THEN 'failed' ELSE 'completed' END, %s, 'bot-00', 1 + i %% 3,
    'openai', 'gpt-4o-mini', '{}', '[]', 'hi', 'api', 1, %s + make_interval(secs => i * %s),
    50 + floor(random() * 5000)::int, 100 + i %% 200, 200 + i %% 300, (100 + i %% 200) * 0.00000015 + (200 + i %% 300) * 0.0000006
FROM generate_series(0, %s) AS i
"""

if __name__ == '__main__':
    main()

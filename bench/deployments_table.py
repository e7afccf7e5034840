"""How fast the deployments table answers one page request with 10,000 deployments.

`python -m bench.deployments_table [--deployments N] [--database-url URL]`

It times the exact path the table's request handler runs (ui.deployments_table.deployment_rows: search, sort and
paging in SQL, then the page's prompt names) against a baseline in the same run: loading every deployment and
sorting, filtering and slicing in Python, which is what a client-side table would need. Target: < 100 ms a page.
"""

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import select

from core.app import Core, build_core
from core.permissions import Actor
from core.settings import Settings
from data.tables import Deployment, DeploymentRevision, Prompt, PromptVersion, new_id, utcnow
from ui.deployments_table import SORTABLE, TableRequest, deployment_rows

TARGET_MS = 100.0
PROVIDER_MODELS = {
    'openai': ('gpt-4o-mini', 'gpt-4o'),
    'anthropic': ('claude-sonnet-4-5', 'claude-haiku-4-5'),
    'ollama': ('llama3.2', 'qwen3'),
}
REQUESTS = {
    'first page, by name': TableRequest(),
    'page 250, newest updated first': TableRequest(sort_by='updated', descending=True, page=250),
    'search "bot-012", by model': TableRequest(search='bot-012', sort_by='model'),
    'search "claude", page 50 by created': TableRequest(search='claude', sort_by='created', page=50),
    'last page of 100 rows, by provider desc': TableRequest(sort_by='provider', descending=True, page=100, rows_per_page=100),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--deployments', type=int, default=10_000)
    parser.add_argument('--prompts', type=int, default=200)
    parser.add_argument('--repeat', type=int, default=30)
    parser.add_argument('--database-url', help='an empty database to fill (default: a new SQLite file)')
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix='hypersigil-bench-') as directory:
        settings = Settings.from_env(
            {
                'HYPERSIGIL_DATA_DIR': directory,
                'HYPERSIGIL_DATABASE_URL': options.database_url or f'sqlite:///{Path(directory) / "bench.db"}',
                'HYPERSIGIL_SECRET_KEY': 'bench',
            }
        )
        core = build_core(settings)
        try:
            run(core, options)
        finally:
            core.db.dispose()


def run(core: Core, options: argparse.Namespace) -> None:
    started = time.perf_counter()
    fill(core, deployments=options.deployments, prompts=options.prompts)
    filled = time.perf_counter() - started
    print(f'{core.db.dialect.name}: {options.deployments:,} deployments, {options.prompts} prompts, written in {filled:.1f} s')
    actor = Actor.user('bench', 'bench@example.com', 'viewer')
    print(f'{"request":42} {"rows":>5} {"total":>6} {"median ms":>10} {"p95 ms":>8} {"baseline ms":>12}')
    worst = 0.0
    for label, request in REQUESTS.items():
        rows, total = deployment_rows(core, actor, request)
        timings = measure(lambda r=request: deployment_rows(core, actor, r), options.repeat)
        baseline = measure(lambda r=request: load_everything(core, r), max(3, options.repeat // 10))
        assert [row['id'] for row in rows] == load_everything(core, request), f'{label}: the SQL page differs from the baseline'
        median, p95 = statistics.median(timings), percentile(timings, 95)
        worst = max(worst, p95)
        print(f'{label:42} {len(rows):>5} {total:>6} {median:>10.1f} {p95:>8.1f} {statistics.median(baseline):>12.1f}')
    verdict = 'meets' if worst < TARGET_MS else 'MISSES'
    print(f'slowest p95 {worst:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target')


def fill(core: Core, *, deployments: int, prompts: int) -> None:
    """Prompts and deployments written in bulk (the services would check each model with the provider)."""
    rng = random.Random(7)
    now = utcnow()
    prompt_rows = [
        {'id': new_id(), 'name': f'prompt-{n:04d}', 'latest_version': 1, 'created_at': now, 'updated_at': now}
        for n in range(prompts)
    ]
    version_rows = [
        {
            'id': new_id(),
            'prompt_id': p['id'],
            'version': 1,
            'template': 'Answer: {{input}}',
            'accepts_file': False,
            'created_at': now,
        }
        for p in prompt_rows
    ]
    deployment_rows_, revision_rows = [], []
    for n in range(deployments):
        provider = rng.choice(tuple(PROVIDER_MODELS))
        model = rng.choice(PROVIDER_MODELS[provider])
        created = now - timedelta(minutes=rng.randrange(500_000))
        row = {
            'id': new_id(), 'name': f'bot-{n:05d}', 'prompt_id': rng.choice(prompt_rows)['id'], 'prompt_version': None,
            'provider': provider, 'model': model, 'options': {'temperature': round(rng.random(), 2)}, 'revision': 1,
            'created_by': 'bench', 'created_at': created, 'updated_at': created + timedelta(minutes=rng.randrange(10_000)),
        }  # fmt: skip
        deployment_rows_.append(row)
        config = {
            'promptId': row['prompt_id'],
            'promptVersion': None,
            'provider': provider,
            'model': model,
            'options': row['options'],
        }
        revision_rows.append(
            {
                'id': new_id(),
                'deployment_id': row['id'],
                'revision': 1,
                'config': config,
                'created_by': 'bench',
                'created_at': created,
            }
        )
    with core.session() as session:
        for table, rows in (
            (Prompt, prompt_rows),
            (PromptVersion, version_rows),
            (Deployment, deployment_rows_),
            (DeploymentRevision, revision_rows),
        ):
            session.execute(sa.insert(table), rows)
    with core.db.connect() as connection:
        connection.exec_driver_sql('ANALYZE')


def load_everything(core: Core, request: TableRequest) -> list[str]:
    """Baseline: every deployment into Python, then filter, sort and slice there; returns the page's ids."""
    with core.session() as session:
        items = list(session.exec(select(Deployment)))
    needle = request.search.lower()
    if needle:
        items = [d for d in items if needle in d.name.lower() or needle in d.model.lower() or needle in d.provider.lower()]
    key = _sort_key(SORTABLE.get(request.sort_by, 'name'))
    items.sort(key=lambda d: (key(d), d.id), reverse=request.descending)
    start = (request.page - 1) * request.rows_per_page
    return [d.id for d in items[start : start + request.rows_per_page]]


def _sort_key(order_by: str) -> Callable[[Deployment], object]:
    attribute = {'createdAt': 'created_at', 'updatedAt': 'updated_at'}.get(order_by, order_by)
    return lambda d: getattr(d, attribute)


def measure(call: Callable[[], object], repeat: int) -> list[float]:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


if __name__ == '__main__':
    main()

"""How much the web process's memory grows while it streams a CSV export of 100,000 executions.

`python -m bench.executions_export [--executions N] [--database-url URL]`

It drives the exact body the download route streams (ui.executions_export.csv_chunks: batches read off the event
loop, each turned into CSV text) and samples the process's resident memory (VmRSS) after every chunk; the baseline,
in the same run and after it, is what an unstreamed export would do: read every matching row in one query and build
the whole file in memory. Target: the streamed export grows the process by less than 50 MB.
"""

import argparse
import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from core.app import Core, build_core
from core.permissions import Actor
from core.settings import Settings
from data.tables import Execution, new_id, utcnow
from ui.executions_export import HEADER, csv_chunks, csv_row, csv_text

TARGET_MB = 50.0
FILL_BATCH = 5_000
ACTOR = Actor.user('bench', 'bench@example.com', 'viewer')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--executions', type=int, default=100_000)
    parser.add_argument('--text-chars', type=int, default=400, help='characters of input and of result per execution')
    parser.add_argument('--database-url', help='an empty database of your own, migrated and filled (default: a new SQLite file)')
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
    fill(core, options.executions, options.text_chars)
    print(f'{core.db.dialect.name}: {options.executions:,} executions written in {time.perf_counter() - started:.1f} s')
    streamed = asyncio.run(stream(core))
    baseline = load_everything(core)
    assert streamed[:2] == baseline[:2], 'the streamed CSV differs from the baseline'
    print(f'{"export":28} {"rows":>8} {"MB sent":>8} {"RSS growth MB":>14} {"seconds":>8}')
    for label, (rows, sent, growth, seconds) in (('streamed (the route)', streamed), ('baseline: all in memory', baseline)):
        print(f'{label:28} {rows:>8,} {sent / 1e6:>8.1f} {growth:>14.1f} {seconds:>8.1f}')
    verdict = 'OK' if streamed[2] < TARGET_MB else 'OVER TARGET'
    print(f'target: streamed growth < {TARGET_MB:.0f} MB: {verdict}')


async def stream(core: Core) -> tuple[int, int, float, float]:
    """Rows and bytes the route would send, the most RSS grew over its start while sending, and the seconds taken."""
    before, peak, sent, lines = rss_mb(), 0.0, 0, 0
    started = time.perf_counter()
    async for chunk in await csv_chunks(core, ACTOR, {}):
        sent += len(chunk.encode())
        lines += chunk.count('\r\n')
        peak = max(peak, rss_mb() - before)
    return lines - 1, sent, peak, time.perf_counter() - started


def load_everything(core: Core) -> tuple[int, int, float, float]:
    """The baseline: one query for every row, the whole file built in memory, then sent."""
    from core.execution_listing import _EXPORTED  # the same columns the export reads

    before = rss_mb()
    started = time.perf_counter()
    with core.db.connect() as connection:
        statement = sa.select(*_EXPORTED).order_by(Execution.created_at.desc(), Execution.id.desc())
        rows = connection.execute(statement).mappings().all()
    from core.executions import execution_view

    views = [execution_view(dict(row) | {'messages': []}) for row in rows]
    body = csv_text([HEADER]) + csv_text(csv_row(view) for view in views)
    growth = rss_mb() - before
    return len(views), len(body.encode()), growth, time.perf_counter() - started


def fill(core: Core, count: int, chars: int) -> None:
    text = ('lorem ipsum dolor sit amet ' * (chars // 27 + 1))[:chars]
    start = utcnow() - timedelta(days=30)
    with core.db.begin() as connection:
        for first in range(0, count, FILL_BATCH):
            rows = [
                {
                    'id': new_id(), 'status': 'completed', 'provider': 'openai', 'model': 'gpt-4o', 'options': {},
                    'messages': [{'role': 'user', 'content': text}], 'user_input': f'{number} {text}', 'result': text,
                    'deployment_name': 'bench-bot', 'origin': 'api', 'attempts': 1, 'input_tokens': 100,
                    'output_tokens': 100, 'duration_ms': 900, 'created_at': start + timedelta(seconds=number),
                }
                for number in range(first, min(first + FILL_BATCH, count))
            ]  # fmt: skip
            connection.execute(sa.insert(Execution.__table__), rows)


def rss_mb() -> float:
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
    raise RuntimeError('no VmRSS in /proc/self/status (Linux only)')


if __name__ == '__main__':
    main()

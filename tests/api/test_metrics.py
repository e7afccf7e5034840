"""GET /deployments/{ref}/metrics: figures that match the rows, per bucket, in total and per revision; cost per run."""

import random
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core import pricing
from core.engine.queue import EXECUTION
from core.follow import wait_for_execution
from data.tables import MetricsHour
from tests.api.conftest import assert_error, create_deployment, create_prompt

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
async def bot(client, admin) -> dict:
    prompt = await create_prompt(client, admin)
    return await create_deployment(client, admin, prompt['id'])


def insert_runs(core, deployment: dict, count: int, seed: int = 7) -> list[dict]:
    """Runs over three hours and two revisions, with every status, known durations, tokens and costs (some unknown)."""
    rng = random.Random(seed)
    rows = []
    for number in range(count):
        status = rng.choice(['completed'] * 6 + ['failed', 'cancelled', 'pending'])
        done = status in ('completed', 'failed')
        rows.append({
            'id': f'00000000-0000-4000-8000-{number:012d}', 'status': status, 'deployment_id': deployment['id'],
            'deployment_name': deployment['name'], 'revision': rng.choice([1, 2]), 'provider': 'openai',
            'model': 'gpt-4o-mini', 'options': {}, 'messages': [], 'user_input': 'hi', 'origin': 'api', 'attempts': 1,
            'created_at': START + timedelta(seconds=rng.randrange(3 * 3600)),
            'duration_ms': rng.randrange(50, 5000) if done else None,
            'input_tokens': rng.randrange(10, 200) if done else None,
            'output_tokens': rng.randrange(10, 400) if done else None,
            'cost_usd': rng.choice([None, rng.random() / 100]) if done else None,
        })  # fmt: skip
    with core.db.begin() as connection:
        connection.execute(sa.insert(EXECUTION), rows)
    return rows


def expected(rows: list[dict]) -> dict:
    """The figures computed here from the rows: nearest-rank percentiles over completed runs."""
    durations = sorted(row['duration_ms'] for row in rows if row['status'] == 'completed')
    costs = [row['cost_usd'] for row in rows if row['cost_usd'] is not None]
    return {
        'executions': len(rows),
        'completed': sum(row['status'] == 'completed' for row in rows),
        'failed': sum(row['status'] == 'failed' for row in rows),
        'p50Ms': durations[len(durations) * 50 // 100] if durations else None,
        'p95Ms': durations[len(durations) * 95 // 100] if durations else None,
        'inputTokens': sum(row['input_tokens'] or 0 for row in rows),
        'outputTokens': sum(row['output_tokens'] or 0 for row in rows),
        'costUsd': sum(costs) if costs else None,
    }


def same(actual: dict, wanted: dict) -> None:
    for key, value in wanted.items():
        if isinstance(value, float):
            assert actual[key] == pytest.approx(value), key
        else:
            assert actual[key] == value, key


async def test_counts_percentiles_tokens_and_cost_match_the_rows(client, admin, bot, core):
    rows = insert_runs(core, bot, 6000)  # 4,000 completed: totals counted, not sorted
    params = {'from': START.isoformat(), 'to': (START + timedelta(hours=4)).isoformat(), 'bucket': 'hour'}
    response = await client.get('/deployments/support-bot/metrics', params=params, headers=admin)
    assert response.status_code == 200, response.text
    metrics = response.json()
    assert [bucket['start'] for bucket in metrics['buckets']] == [
        (START + timedelta(hours=hour)).isoformat().replace('+00:00', 'Z') for hour in range(4)
    ]
    for hour, bucket in enumerate(metrics['buckets']):
        begins = START + timedelta(hours=hour)
        same(bucket, expected([row for row in rows if begins <= row['created_at'] < begins + timedelta(hours=1)]))
    assert metrics['buckets'][3]['executions'] == 0 and metrics['buckets'][3]['costUsd'] is None
    same(metrics['totals'], expected(rows))
    assert [item['revision'] for item in metrics['byRevision']] == [1, 2]
    for item in metrics['byRevision']:
        same(item, expected([row for row in rows if row['revision'] == item['revision']]))


async def test_daily_buckets_and_one_revision(client, admin, bot, core):
    rows = insert_runs(core, bot, 200, seed=3)
    params = {'from': START.isoformat(), 'to': (START + timedelta(days=2)).isoformat(), 'bucket': 'day', 'revision': 2}
    metrics = (await client.get('/deployments/support-bot/metrics', params=params, headers=admin)).json()
    assert len(metrics['buckets']) == 3  # 10:00 on the 2nd to 10:00 on the 4th touches three days
    same(metrics['buckets'][0], expected([row for row in rows if row['revision'] == 2]))
    same(metrics['totals'], expected([row for row in rows if row['revision'] == 2]))


@pytest.mark.parametrize(
    ('params', 'field'),
    [
        ({'bucket': 'week'}, 'bucket'),
        ({'from': 'yesterday'}, 'from'),
        ({'from': '2026-03-02T10:00:00Z', 'to': '2026-03-01T10:00:00Z'}, 'from'),
        ({'from': '2020-01-01T00:00:00Z', 'to': '2026-01-01T00:00:00Z'}, 'from'),
        ({'revision': 0}, 'revision'),
    ],
)
async def test_bad_metrics_parameters_are_422_naming_them(client, admin, bot, params, field):
    assert_error(await client.get('/deployments/support-bot/metrics', params=params, headers=admin), 422, 'invalid', field)


async def test_unknown_deployment_metrics_is_404(client, admin):
    assert_error(await client.get('/deployments/nobody/metrics', headers=admin), 404, 'not_found')


async def test_each_run_stores_its_cost_and_a_model_without_a_price_has_none(client, admin, core, fake_llm, worker):
    fake_llm.set_usage(1200, 300)
    prompt = await create_prompt(client, admin)
    await create_deployment(client, admin, prompt['id'], name='priced', provider='openai', model='gpt-4o-mini')
    await create_deployment(client, admin, prompt['id'], name='local', provider='ollama', model='llama3.2')
    costs = {}
    for name in ('priced', 'local'):
        answer = (await client.post(f'/deployments/{name}/run', json={'userInput': 'hi'}, headers=admin)).json()
        await wait_for_execution(core, answer['executionId'], 5)
        execution = (await client.get(f'/executions/{answer["executionId"]}', headers=admin)).json()
        assert execution['status'] == 'completed'
        costs[name] = execution['costUsd']
    price = pricing.cost_usd(provider='openai', model='gpt-4o-mini', input_tokens=1200, output_tokens=300)
    assert costs['priced'] == pytest.approx(float(price)) and costs['priced'] > 0
    assert costs['local'] is None
    totals = (await client.get('/deployments/local/metrics', headers=admin)).json()['totals']
    assert (totals['executions'], totals['inputTokens'], totals['costUsd']) == (1, 1200, None)


async def test_closed_hours_are_rolled_up_once_and_an_hour_with_unfinished_runs_is_made_again(client, admin, bot, core):
    rows = insert_runs(core, bot, 300, seed=11)
    params = {'from': START.isoformat(), 'to': (START + timedelta(hours=4)).isoformat()}

    async def read() -> dict:
        return (await client.get('/deployments/support-bot/metrics', params=params, headers=admin)).json()

    first = await read()
    with core.db.connect() as connection:
        stored = connection.execute(sa.select(MetricsHour.hour, MetricsHour.final).order_by(MetricsHour.hour)).all()
    assert [hour for hour, _ in stored] == [START + timedelta(hours=hour) for hour in range(4)]
    assert [final for _, final in stored] == [False, False, False, True]  # runs still pending in each of the three
    assert await read() == first

    pending = [row['id'] for row in rows if row['status'] == 'pending']
    with core.db.begin() as connection:
        connection.execute(sa.update(EXECUTION).where(EXECUTION.c.id.in_(pending)).values(status='completed', duration_ms=1))
    for row in rows:
        if row['status'] == 'pending':
            row.update(status='completed', duration_ms=1)
    same((await read())['totals'], expected(rows))
    with core.db.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).where(MetricsHour.final == sa.false())).scalar() == 0
    from_rollups = await read()  # now from the rollups alone, each hour's percentiles as stored with it
    same(from_rollups['totals'], expected(rows))
    for hour, bucket in enumerate(from_rollups['buckets']):
        begins = START + timedelta(hours=hour)
        same(bucket, expected([row for row in rows if begins <= row['created_at'] < begins + timedelta(hours=1)]))

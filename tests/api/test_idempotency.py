"""Idempotency-Key on runs: a retry gets the run the first request queued, never a second one (DESIGN §4)."""

import asyncio

import pytest
import sqlalchemy as sa

from data.tables import Execution, IdempotencyKey
from tests.api.conftest import assert_error, create_deployment, create_prompt
from tests.api.test_runs import parse_sse
from tests.clock import Clock

RUN = '/deployments/support-bot/run'
BODY = {'userInput': 'Where is my order?'}


@pytest.fixture
async def deployment(client, admin) -> dict:
    prompt = await create_prompt(client, admin)
    return await create_deployment(client, admin, prompt['id'])


@pytest.fixture
def runner(make_key) -> dict[str, str]:
    return {'Authorization': f'Bearer {make_key("deployments:run")}'}


def executions(core) -> int:
    with core.db.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(Execution)).scalar_one()


def with_key(headers: dict, key: str | bytes) -> dict:
    return {**headers, 'Idempotency-Key': key}


async def test_the_same_key_and_body_twice_queue_one_execution_and_the_second_is_a_replay(client, core, runner, deployment):
    first = await client.post(RUN, json=BODY, headers=with_key(runner, 'order-42'))
    second = await client.post(RUN, json=BODY, headers=with_key(runner, 'order-42'))

    assert (first.status_code, second.status_code) == (202, 202)
    assert second.json()['executionId'] == first.json()['executionId']
    assert 'idempotent-replayed' not in first.headers
    assert second.headers['Idempotent-Replayed'] == 'true'
    assert executions(core) == 1


async def test_a_replay_after_the_run_finished_waits_for_nothing_and_answers_200(client, runner, deployment, worker, fake_llm):
    first = await client.post(f'{RUN}?wait=10', json=BODY, headers=with_key(runner, 'k'))
    second = await client.post(f'{RUN}?wait=10', json=BODY, headers=with_key(runner, 'k'))

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()['id'] == first.json()['id'] and second.json()['result'] == fake_llm.reply_text
    assert second.headers['Idempotent-Replayed'] == 'true'


async def test_a_replay_while_the_run_is_under_way_follows_it_to_the_end(client, runner, deployment, worker, fake_llm):
    fake_llm.latency = 0.5
    first = await client.post(RUN, json=BODY, headers=with_key(runner, 'k'))
    second = await client.post(f'{RUN}?wait=10', json=BODY, headers=with_key(runner, 'k'))

    assert second.status_code == 200
    assert (second.json()['id'], second.json()['status']) == (first.json()['executionId'], 'completed')


async def test_twenty_requests_together_with_one_key_queue_one_execution_and_all_name_it(client, core, runner, deployment):
    answers = await asyncio.gather(*(client.post(RUN, json=BODY, headers=with_key(runner, 'burst')) for _ in range(20)))

    assert [answer.status_code for answer in answers] == [202] * 20
    assert len({answer.json()['executionId'] for answer in answers}) == 1
    assert sum(answer.headers.get('Idempotent-Replayed') == 'true' for answer in answers) == 19
    assert executions(core) == 1


async def test_the_same_key_with_another_body_is_refused_and_writes_nothing(client, core, runner, deployment):
    await client.post(RUN, json=BODY, headers=with_key(runner, 'k'))
    other = await client.post(RUN, json={'userInput': 'Something else'}, headers=with_key(runner, 'k'))

    assert_error(other, 422, 'idempotency_mismatch', 'Idempotency-Key')
    assert executions(core) == 1


async def test_another_api_key_may_use_the_same_key_value(client, core, runner, make_key, deployment):
    other = {'Authorization': f'Bearer {make_key("deployments:run")}'}
    first = await client.post(RUN, json=BODY, headers=with_key(runner, 'shared'))
    second = await client.post(RUN, json=BODY, headers=with_key(other, 'shared'))

    assert second.status_code == 202 and 'idempotent-replayed' not in second.headers
    assert second.json()['executionId'] != first.json()['executionId']
    assert executions(core) == 2


async def test_a_key_expires_after_24_hours_and_then_starts_a_new_execution(client, core, runner, deployment):
    core.clock = clock = Clock()
    first = await client.post(RUN, json=BODY, headers=with_key(runner, 'daily'))
    clock.advance(24 * 3600 - 1)
    still = await client.post(RUN, json={'userInput': 'other'}, headers=with_key(runner, 'daily'))
    clock.advance(1)
    fresh = await client.post(RUN, json={'userInput': 'other'}, headers=with_key(runner, 'daily'))
    again = await client.post(RUN, json={'userInput': 'other'}, headers=with_key(runner, 'daily'))

    assert still.status_code == 422  # within the 24 h, another body is still a mismatch
    assert fresh.status_code == 202 and 'idempotent-replayed' not in fresh.headers
    assert fresh.json()['executionId'] != first.json()['executionId']
    assert again.json()['executionId'] == fresh.json()['executionId'] and again.headers['Idempotent-Replayed'] == 'true'
    assert executions(core) == 2


async def test_a_refused_run_does_not_use_up_its_key(client, core, runner, deployment):
    refused = await client.post(RUN, json={'userInput': 'x', 'options': {'temperature': 5}}, headers=with_key(runner, 'k'))
    fixed = await client.post(RUN, json=BODY, headers=with_key(runner, 'k'))

    assert refused.status_code == 422
    assert fixed.status_code == 202 and 'idempotent-replayed' not in fixed.headers
    with core.db.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(IdempotencyKey)).scalar_one() == 1


@pytest.mark.parametrize('key', ['', 'x' * 256, 'caf\u00e9'.encode(), 'tab\there'])
async def test_a_bad_idempotency_key_is_refused_naming_the_header_and_writes_nothing(client, core, runner, deployment, key):
    response = await client.post(RUN, json=BODY, headers=with_key(runner, key))

    assert_error(response, 422, 'invalid', 'Idempotency-Key')
    assert executions(core) == 0


async def test_a_replay_of_a_finished_run_without_wait_answers_202(client, runner, deployment, worker):
    first = await client.post(f'{RUN}?wait=10', json=BODY, headers=with_key(runner, 'k'))
    second = await client.post(RUN, json=BODY, headers=with_key(runner, 'k'))

    assert (first.status_code, second.status_code) == (200, 202)
    assert second.json() == {'executionId': first.json()['id'], 'status': 'completed', 'deployment': 'support-bot', 'revision': 1}


async def test_a_streamed_replay_follows_the_first_run(client, runner, deployment, worker, fake_llm):
    fake_llm.latency = 0.3
    first = await client.post(RUN, json=BODY, headers=with_key(runner, 'k'))
    second = await client.post(f'{RUN}?stream=true', json=BODY, headers=with_key(runner, 'k'))

    events = parse_sse(second.text)
    assert second.headers['Idempotent-Replayed'] == 'true'
    assert events[-1][0] == 'execution'
    assert (events[-1][1]['id'], events[-1][1]['result']) == (first.json()['executionId'], fake_llm.reply_text)

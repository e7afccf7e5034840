"""Executions over the API: read, list with filters and paging, follow as server-sent events, cancel."""

import asyncio

import pytest

from core.engine.worker import Worker
from tests.api.conftest import assert_error, create_deployment, create_prompt
from tests.api.test_runs import parse_sse

# DESIGN.md §5, word for word
DESIGN_EXECUTION_FIELDS = """
    id status deploymentId deploymentName revision rolloutId arm promptId promptVersion provider model options
    userInput variables messages result resultValid resultValidationMessage error inputTokens outputTokens costUsd
    durationMs attempts traceId fileId origin createdAt startedAt completedAt
"""


@pytest.fixture
async def deployments(client, admin) -> None:
    prompt = await create_prompt(client, admin)
    await create_deployment(client, admin, prompt['id'])
    await create_deployment(client, admin, prompt['id'], name='local', provider='ollama', model='llama3.2')


async def run(client, headers, name='support-bot', **fields) -> str:
    response = await client.post(f'/deployments/{name}/run', json={'userInput': 'hello', **fields}, headers=headers)
    assert response.status_code == 202, response.text
    return response.json()['executionId']


async def test_get_returns_the_whole_record(client, admin, deployments):
    execution_id = await run(client, admin)
    execution = (await client.get(f'/executions/{execution_id}', headers=admin)).json()
    assert set(execution) == set(DESIGN_EXECUTION_FIELDS.split()) | {'attemptTimings'}
    assert execution['attemptTimings'] == []  # not run yet
    assert execution['messages'] == [{'role': 'system', 'content': 'You are terse.'}, {'role': 'user', 'content': 'hello'}]


async def test_get_lists_each_attempt_with_its_times_and_how_it_ended(client, admin, deployments, worker, fake_llm):
    fake_llm.fail(503, times=2, retry_after=0.01, message='Overloaded.')
    waited = await client.post('/deployments/support-bot/run?wait=10', json={'userInput': 'hello'}, headers=admin)
    assert waited.json()['attempts'] == 3
    execution = (await client.get(f'/executions/{waited.json()["id"]}', headers=admin)).json()
    timings = execution['attemptTimings']
    fields = {'number', 'startedAt', 'completedAt', 'durationMs', 'outcome', 'error', 'httpStatus'}
    assert [set(t) for t in timings] == [fields] * 3
    assert [(t['number'], t['outcome'], t['httpStatus']) for t in timings] == [
        (1, 'retried', 503), (2, 'retried', 503), (3, 'succeeded', None)
    ]  # fmt: skip
    assert 'Overloaded.' in timings[0]['error'] and timings[2]['error'] is None
    assert timings[2]['durationMs'] == execution['durationMs']
    assert timings[0]['startedAt'].endswith('Z') or timings[0]['startedAt'].endswith('+00:00')
    assert execution['startedAt'] <= timings[0]['startedAt'] <= timings[0]['completedAt'] <= timings[1]['startedAt']


async def test_list_filters_by_deployment_status_trace_and_origin_and_pages(client, admin, deployments):
    first = await run(client, admin, traceId='t-1')
    await run(client, admin, name='local')
    third = await run(client, admin, traceId='t-1')
    await client.post(f'/executions/{third}/cancel', headers=admin)

    async def ids(**params) -> list[str]:
        page = (await client.get('/executions', params=params, headers=admin)).json()
        return [item['id'] for item in page['items']]

    assert await ids(deployment='support-bot') == [third, first]
    assert await ids(status='cancelled') == [third]
    assert await ids(traceId='t-1', status='pending') == [first]
    assert len(await ids(origin='api')) == 3 and await ids(origin='ui') == []
    page = (await client.get('/executions', params={'pageSize': 2, 'page': 2}, headers=admin)).json()
    assert (page['total'], [item['id'] for item in page['items']]) == (3, [first])


async def test_cancel_a_pending_execution_then_cancelling_again_is_409(client, admin, deployments):
    execution_id = await run(client, admin)
    cancelled = await client.post(f'/executions/{execution_id}/cancel', headers=admin)
    assert cancelled.status_code == 200 and cancelled.json()['status'] == 'cancelled'
    assert (
        'cancelled'
        in assert_error(await client.post(f'/executions/{execution_id}/cancel', headers=admin), 409, 'conflict')['message']
    )


async def test_cancel_a_running_execution(client, admin, deployments, worker, fake_llm):
    fake_llm.hang(30)
    execution_id = await run(client, admin)
    await fake_llm.wait_for_chats(1)
    assert (await client.post(f'/executions/{execution_id}/cancel', headers=admin)).json()['status'] == 'cancelled'
    fake_llm.release()


async def test_events_stream_status_and_deltas_until_the_execution_ends(client, admin, deployments, core, fake_llm):
    execution_id = await run(client, admin)
    stream = asyncio.create_task(client.get(f'/executions/{execution_id}/events', headers=admin))
    await asyncio.sleep(0.2)
    worker = Worker(core)
    await worker.start()
    response = await asyncio.wait_for(stream, 10)
    await worker.stop()
    assert response.headers['content-type'].startswith('text/event-stream')
    events = parse_sse(response.text)
    kinds = [kind for kind, _ in events]
    assert [data['status'] for kind, data in events if kind == 'status'] == ['pending', 'running', 'completed']
    assert kinds.count('delta') >= 3 and kinds[-1] == 'execution'
    assert ''.join(data['text'] for kind, data in events if kind == 'delta') == fake_llm.reply_text
    assert events[-1][1]['status'] == 'completed'


async def test_events_of_a_finished_execution_is_just_its_record(client, admin, deployments):
    execution_id = await run(client, admin)
    await client.post(f'/executions/{execution_id}/cancel', headers=admin)
    events = parse_sse((await client.get(f'/executions/{execution_id}/events', headers=admin)).text)
    assert [(kind, data['status']) for kind, data in events] == [('execution', 'cancelled')]


async def test_events_end_when_the_execution_is_cancelled_from_elsewhere(client, admin, deployments):
    execution_id = await run(client, admin)  # no worker: it stays pending
    stream = asyncio.create_task(client.get(f'/executions/{execution_id}/events', headers=admin))
    await asyncio.sleep(0.2)
    await client.post(f'/executions/{execution_id}/cancel', headers=admin)
    events = parse_sse((await asyncio.wait_for(stream, 5)).text)
    assert events[-1][0] == 'execution' and events[-1][1]['status'] == 'cancelled'


@pytest.mark.parametrize('path', ['/executions/{id}', '/executions/{id}/events'])
async def test_an_unknown_execution_is_404(client, admin, path):
    for unknown in ('0b7f4a0e-3c57-4c3f-9a57-41a3c1e2d111', 'not-an-id'):
        assert_error(await client.get(path.format(id=unknown), headers=admin), 404, 'not_found')
    assert_error(await client.post('/executions/not-an-id/cancel', headers=admin), 404, 'not_found')

"""POST /deployments/{name}/run: queue (202), wait (200 or 202), stream (deltas then the record), and what it stores."""

import base64
import json
from functools import partial

import pytest
import sqlalchemy as sa

from api import streams
from core import executions
from core.follow import wait_for_execution
from core.permissions import Actor
from data.tables import Execution
from tests.api.conftest import assert_error, create_deployment, create_prompt, upload

PNG = b'\x89PNG\r\n\x1a\n' + b'\x00' * 32


@pytest.fixture
async def deployment(client, admin) -> dict:
    prompt = await create_prompt(client, admin)
    return await create_deployment(client, admin, prompt['id'], options={'temperature': 0.3})


async def test_run_answers_202_with_the_execution_id_and_where_to_find_it(client, admin, deployment):
    response = await client.post('/deployments/support-bot/run', json={'userInput': 'hello'}, headers=admin)
    assert response.status_code == 202
    body = response.json()
    assert body == {'executionId': body['executionId'], 'status': 'pending', 'deployment': 'support-bot', 'revision': 1}
    assert response.headers['location'] == f'/api/v1/executions/{body["executionId"]}'


async def test_run_stores_origin_trace_id_and_per_run_options_over_the_deployments(client, admin, deployment):
    body = {'userInput': 'hello', 'traceId': 'order-42', 'options': {'topP': 0.5}}
    run = (await client.post('/deployments/support-bot/run', json=body, headers=admin)).json()
    execution = (await client.get(f'/executions/{run["executionId"]}', headers=admin)).json()
    assert (execution['origin'], execution['traceId']) == ('api', 'order-42')
    assert execution['options'] == {'temperature': 0.3, 'topP': 0.5}
    found = (await client.get('/executions', params={'traceId': 'order-42'}, headers=admin)).json()
    assert [e['id'] for e in found['items']] == [run['executionId']]


async def test_wait_returns_the_finished_execution_in_one_call(client, admin, deployment, worker, fake_llm):
    response = await client.post('/deployments/support-bot/run?wait=10', json={'userInput': 'hello'}, headers=admin)
    assert response.status_code == 200
    execution = response.json()
    assert execution['status'] == 'completed' and execution['result'] == fake_llm.reply_text
    chat = fake_llm.last_chat('openai')
    assert (execution['inputTokens'], execution['outputTokens']) == (chat.input_tokens, chat.output_tokens)
    assert execution['durationMs'] >= 0 and execution['attempts'] == 1


async def test_wait_answers_202_when_the_run_is_not_done_in_time(client, admin, deployment, worker, fake_llm):
    fake_llm.latency = 0.5
    response = await client.post('/deployments/support-bot/run?wait=0.1', json={'userInput': 'hello'}, headers=admin)
    assert response.status_code == 202 and response.json()['status'] in ('pending', 'running')


async def test_stream_sends_delta_events_then_one_execution_event(client, admin, deployment, worker, fake_llm):
    response = await client.post('/deployments/support-bot/run?stream=true', json={'userInput': 'hello'}, headers=admin)
    assert response.status_code == 200 and response.headers['content-type'].startswith('text/event-stream')
    events = parse_sse(response.text)
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == 'execution' and set(kinds[:-1]) == {'delta'} and len(kinds) >= 3
    assert ''.join(data['text'] for kind, data in events[:-1]) == fake_llm.reply_text
    assert events[-1][1]['status'] == 'completed' and events[-1][1]['result'] == fake_llm.reply_text


async def test_a_stream_opened_as_its_run_finishes_still_sends_the_deltas(core, deployment, worker, fake_llm):
    execution_id = executions.new_execution_id()
    queue = partial(executions.run_deployment, core, Actor.system(), 'support-bot', user_input='hello', execution_id=execution_id)
    response = await streams.event_stream(core, execution_id, kinds=streams.DELTAS, queue=queue)  # as the route does
    await wait_for_execution(core, execution_id, 5)  # the run ends before the stream sends anything
    events = parse_sse(b''.join([chunk async for chunk in response.body_iterator]).decode())
    assert ''.join(data['text'] for kind, data in events if kind == 'delta') == fake_llm.reply_text
    assert events[-1][0] == 'execution' and events[-1][1]['status'] == 'completed'


async def test_a_file_reaches_the_provider_as_an_image_input(client, admin, worker, fake_llm):
    prompt = await create_prompt(client, admin, name='describer', template='Describe the image.', acceptsFile=True)
    await create_deployment(client, admin, prompt['id'], name='describe')
    file = (await upload(client, admin, PNG, content_type='image/png', name='dot.png')).json()
    response = await client.post(
        '/deployments/describe/run?wait=10', json={'userInput': 'what is it?', 'fileId': file['id']}, headers=admin
    )
    assert response.status_code == 200 and response.json()['fileId'] == file['id']
    assert base64.b64encode(PNG).decode() in json.dumps(fake_llm.last_chat('openai').body)


@pytest.mark.parametrize(
    ('path', 'body', 'status', 'code', 'field'),
    [
        ('/deployments/no-such-bot/run', {'userInput': 'hi'}, 404, 'not_found', None),
        ('/deployments/support-bot/run', {'userInput': ''}, 422, 'invalid', 'userInput'),
        ('/deployments/support-bot/run', {'userInput': '   '}, 422, 'invalid', 'userInput'),
        ('/deployments/support-bot/run', {}, 422, 'invalid', 'userInput'),
        (
            '/deployments/support-bot/run',
            {'userInput': 'hi', 'options': {'temperature': 1.5}},
            422,
            'invalid',
            'options.temperature',
        ),
        ('/deployments/support-bot/run', {'userInput': 'hi', 'options': {'topK': 5}}, 422, 'invalid', 'options.topK'),
        ('/deployments/support-bot/run', {'userInput': 'hi', 'options': {'seed': 5}}, 422, 'invalid', 'options.seed'),
        (
            '/deployments/support-bot/run',
            {'userInput': 'hi', 'fileId': '0b7f4a0e-3c57-4c3f-9a57-41a3c1e2d111'},
            422,
            'invalid',
            'fileId',
        ),
        ('/deployments/support-bot/run', {'userInput': 'hi', 'fileId': 'not-a-uuid'}, 422, 'invalid', 'fileId'),
        ('/deployments/support-bot/run', {'userInput': 'hi', 'traceId': 'x' * 201}, 422, 'invalid', 'traceId'),
        ('/deployments/support-bot/run', {'userInput': 7}, 422, 'invalid', 'userInput'),
        ('/deployments/support-bot/run', {'user_input': 'hi'}, 422, 'invalid', 'user_input'),
        ('/deployments/support-bot/run?wait=121', {'userInput': 'hi'}, 422, 'invalid', 'wait'),
        ('/deployments/support-bot/run?wait=soon', {'userInput': 'hi'}, 422, 'invalid', 'wait'),
    ],
)
async def test_bad_runs_are_refused_naming_the_field_and_nothing_is_queued(
    client, admin, deployment, core, path, body, status, code, field
):
    assert_error(await client.post(path, json=body, headers=admin), status, code, field)
    assert count_executions(core) == 0


async def test_topk_is_refused_on_openai_and_accepted_on_ollama(client, admin, deployment):
    error = assert_error(
        await client.post('/deployments/support-bot/run', json={'userInput': 'hi', 'options': {'topK': 5}}, headers=admin),
        422,
        'invalid',
    )
    assert 'openai' in error['message'] and 'topK' in error['message']
    prompt = (await client.get('/prompts/greeter', headers=admin)).json()
    await create_deployment(client, admin, prompt['id'], name='local', provider='ollama', model='llama3.2')
    assert (
        await client.post('/deployments/local/run', json={'userInput': 'hi', 'options': {'topK': 5}}, headers=admin)
    ).status_code == 202


async def test_malformed_json_is_422_and_queues_nothing(client, admin, deployment, core):
    response = await client.post(
        '/deployments/support-bot/run', content=b'{"userInput": ', headers={**admin, 'Content-Type': 'application/json'}
    )
    assert 'malformed JSON' in assert_error(response, 422, 'invalid', 'body')['message']
    assert count_executions(core) == 0


def count_executions(core) -> int:
    with core.session() as session:
        return session.execute(sa.select(sa.func.count()).select_from(Execution)).scalar_one()


def parse_sse(text: str) -> list[tuple[str, dict]]:
    """[(event, data)] from a text/event-stream body (comments skipped)."""
    events = []
    for block in text.strip().split('\n\n'):
        lines = [line for line in block.splitlines() if not line.startswith(':')]
        if lines:
            fields = dict(line.split(': ', 1) for line in lines)
            events.append((fields['event'], json.loads(fields['data'])))
    return events

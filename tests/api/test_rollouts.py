"""Rollouts over the API: start, read, act, the run answer's revision, bad input, rollback."""

import pytest

from tests.api.conftest import assert_error, create_deployment, create_prompt


@pytest.fixture
async def bot(client, admin) -> dict:
    prompt = await create_prompt(client, admin)
    return await create_deployment(client, admin, prompt['id'])


async def start(client, headers, body=None):
    return await client.post('/deployments/support-bot/rollouts', json=body or {'changes': {'model': 'gpt-4o'}}, headers=headers)


async def test_a_started_rollout_has_the_documented_shape(client, admin, bot):
    body = {'changes': {'model': 'gpt-4o'}, 'stages': [1, 5, 25, 50, 100], 'stageMinutes': 30, 'minSamples': 20,
            'guardrails': {'failureRate': 0.02, 'p95LatencyMs': 500}, 'onRegression': 'pause'}  # fmt: skip
    response = await start(client, admin, body)
    assert response.status_code == 201, response.text
    rollout = response.json()
    assert {key: rollout[key] for key in ('deployment', 'status', 'stage', 'percent', 'stableRevision', 'candidateRevision')} == {
        'deployment': 'support-bot', 'status': 'running', 'stage': 0, 'percent': 1, 'stableRevision': 1, 'candidateRevision': 2,
    }  # fmt: skip
    assert (rollout['stages'], rollout['stageMinutes'], rollout['minSamples'], rollout['onRegression']) == (
        [1, 5, 25, 50, 100], 30, 20, 'pause'
    )
    assert rollout['guardrails'] == {'failureRate': 0.02, 'p95LatencyMs': 500}
    assert rollout['candidate'] == {'promptId': bot['promptId'], 'promptVersion': None, 'provider': 'openai',
                                    'model': 'gpt-4o', 'options': {}}  # fmt: skip
    assert rollout['arms']['stable'] == {'executions': 0, 'completed': 0, 'failed': 0, 'failureRate': None,
                                         'p50Ms': None, 'p95Ms': None, 'costUsd': None}  # fmt: skip
    assert [entry['status'] for entry in rollout['history']] == ['running'] and rollout['endedAt'] is None
    current = (await client.get('/deployments/support-bot/rollouts/current', headers=admin)).json()
    assert current['id'] == rollout['id']
    assert [item['id'] for item in (await client.get('/deployments/support-bot/rollouts', headers=admin)).json()['items']] == [
        rollout['id']
    ]
    # the deployment stays on its revision until promotion; the candidate is in its history
    assert (await client.get('/deployments/support-bot', headers=admin)).json()['revision'] == 1
    revisions = (await client.get('/deployments/support-bot/revisions', headers=admin)).json()['items']
    assert [(item['revision'], item['config']['model']) for item in revisions] == [(2, 'gpt-4o'), (1, 'gpt-4o-mini')]


async def test_the_run_answer_names_the_revision_that_serves_it(client, admin, bot):
    await start(client, admin, {'changes': {'model': 'gpt-4o'}, 'stages': [50, 100]})
    answers = []
    for number in range(40):
        response = await client.post('/deployments/support-bot/run', json={'userInput': 'hi', 'traceId': f't{number}'},
                                     headers=admin)  # fmt: skip
        assert response.status_code == 202
        answers.append(response.json())
    assert {answer['revision'] for answer in answers} == {1, 2}
    for answer in answers[:10]:
        execution = (await client.get(f'/executions/{answer["executionId"]}', headers=admin)).json()
        arm = {1: 'stable', 2: 'candidate'}[answer['revision']]
        assert (execution['revision'], execution['arm']) == (answer['revision'], arm)
        assert execution['model'] == {1: 'gpt-4o-mini', 2: 'gpt-4o'}[answer['revision']]


async def test_a_second_rollout_is_409_and_one_equal_to_stable_is_422(client, admin, bot):
    assert (await start(client, admin)).status_code == 201
    assert_error(await start(client, admin, {'changes': {'model': 'gpt-4o', 'options': {'temperature': 0.3}}}), 409, 'conflict')
    await client.post('/deployments/support-bot/rollouts/current/abort', headers=admin)
    assert_error(await start(client, admin, {'changes': {'model': 'gpt-4o-mini'}}), 422, 'invalid', 'changes')


@pytest.mark.parametrize(
    ('body', 'field'),
    [
        ({'changes': {'model': 'gpt-4o'}, 'stages': [25, 5, 100]}, 'stages'),
        ({'changes': {'model': 'gpt-4o'}, 'stages': [5, 50]}, 'stages'),
        ({'changes': {'model': 'gpt-4o'}, 'stages': [0, 100]}, 'stages'),
        ({'changes': {'model': 'gpt-4o'}, 'stages': [100]}, 'stages'),
        ({'changes': {'model': 'gpt-4o'}, 'stageMinutes': -1}, 'stageMinutes'),
        ({'changes': {'model': 'gpt-4o'}, 'minSamples': 0}, 'minSamples'),
        ({'changes': {'model': 'gpt-4o'}, 'minSamples': 2.5}, 'minSamples'),
        ({'changes': {'model': 'gpt-4o'}, 'guardrails': {'errorRate': 0.1}}, 'guardrails.errorRate'),
        ({'changes': {'model': 'gpt-4o'}, 'guardrails': {'failureRate': 2}}, 'guardrails.failureRate'),
        ({'changes': {'model': 'gpt-4o'}, 'guardrails': {'p95LatencyMs': -5}}, 'guardrails.p95LatencyMs'),
        ({'changes': {'model': 'gpt-4o'}, 'onRegression': 'explode'}, 'onRegression'),
        ({'changes': {'model': 'gpt-9'}}, 'changes.model'),
        ({'changes': {'provider': 'anthropic'}}, 'changes.model'),
        ({'changes': {'promptVersion': 7}}, 'changes.promptVersion'),
        ({'changes': {'options': {'topK': 3}}}, 'changes.options'),
        ({'changes': {'temperature': 0.5}}, 'changes.temperature'),
        ({'changes': {}}, 'changes'),
        ({'stages': [5, 100]}, 'changes'),
        ({'changes': {'model': 'gpt-4o'}, 'surprise': 1}, 'surprise'),
    ],
)
async def test_bad_input_is_422_naming_the_field_and_writes_nothing(client, admin, bot, body, field):
    error = assert_error(await start(client, admin, body), 422, 'invalid')
    assert any(detail['field'].startswith(field) for detail in error['details']), error
    assert (await client.get('/deployments/support-bot/rollouts', headers=admin)).json()['items'] == []
    assert len((await client.get('/deployments/support-bot/revisions', headers=admin)).json()['items']) == 1


async def test_actions_move_the_rollout_and_answer_409_where_they_do_not_apply(client, admin, bot):
    def act(action):
        return client.post(f'/deployments/support-bot/rollouts/current/{action}', headers=admin)

    assert_error(await act('pause'), 409, 'conflict')  # no rollout yet
    assert_error(await client.get('/deployments/support-bot/rollouts/current', headers=admin), 404, 'not_found')
    candidate = (await start(client, admin)).json()['candidateRevision']
    assert_error(await act('resume'), 409, 'conflict')
    assert (await act('pause')).json()['status'] == 'paused'
    assert_error(await act('pause'), 409, 'conflict')
    assert (await act('resume')).json()['status'] == 'running'
    promoted = (await act('promote')).json()
    assert (promoted['status'], promoted['percent'], promoted['history'][-1]['status']) == ('promoted', 100, 'promoted')
    assert (await client.get('/deployments/support-bot', headers=admin)).json()['revision'] == candidate
    assert_error(await act('abort'), 409, 'conflict')
    assert_error(await client.post('/deployments/support-bot/rollouts/current/explode', headers=admin), 422, 'invalid')


async def test_run_only_and_read_only_keys_cannot_start_or_act(client, make_key, admin, bot):
    await start(client, admin)
    for scopes in (['deployments:run'], ['deployments:read']):
        headers = {'X-API-Key': make_key(*scopes)}
        assert_error(await start(client, headers), 403, 'forbidden')
        assert_error(await client.post('/deployments/support-bot/rollouts/current/abort', headers=headers), 403, 'forbidden')
    assert (await client.get('/deployments/support-bot/rollouts/current', headers=admin)).json()['status'] == 'running'


async def test_rollback_copies_a_revision_and_waits_while_a_rollout_runs(client, admin, bot):
    await client.patch('/deployments/support-bot', json={'model': 'gpt-4o'}, headers=admin)
    response = await client.post('/deployments/support-bot/rollback', json={'revision': 1}, headers=admin)
    assert response.status_code == 200, response.text
    assert (response.json()['revision'], response.json()['model']) == (3, 'gpt-4o-mini')
    def rollback(revision):
        return client.post('/deployments/support-bot/rollback', json={'revision': revision}, headers=admin)

    assert_error(await rollback(0), 422, 'invalid', 'revision')
    assert_error(await rollback(9), 404, 'not_found')
    await start(client, admin)
    assert_error(await rollback(2), 409, 'conflict')

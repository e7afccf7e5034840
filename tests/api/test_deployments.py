"""Deployments over the API: create, read by id or name, list with search/sort/paging, patch, delete, revisions."""

from tests.api.conftest import assert_error, create_deployment, create_prompt


async def test_create_returns_201_with_the_deployment_at_revision_1(client, admin):
    prompt = await create_prompt(client, admin)
    created = await create_deployment(client, admin, prompt['id'], options={'temperature': 0.2, 'topP': 0.9, 'maxTokens': 500})
    assert created['name'] == 'support-bot' and created['revision'] == 1
    assert created['options'] == {'temperature': 0.2, 'topP': 0.9, 'maxTokens': 500}
    assert set(created) == {
        'id',
        'name',
        'promptId',
        'promptVersion',
        'provider',
        'model',
        'options',
        'revision',
        'createdAt',
        'updatedAt',
    }
    assert created['createdAt'].endswith('Z') or created['createdAt'].endswith('+00:00')


async def test_get_finds_a_deployment_by_id_or_by_name(client, admin):
    prompt = await create_prompt(client, admin)
    created = await create_deployment(client, admin, prompt['id'])
    by_id = await client.get(f'/deployments/{created["id"]}', headers=admin)
    by_name = await client.get('/deployments/support-bot', headers=admin)
    assert by_id.json() == by_name.json() == created


async def test_list_searches_sorts_and_pages(client, admin):
    prompt = await create_prompt(client, admin)
    for name, provider, model in [
        ('alpha', 'openai', 'gpt-4o'),
        ('beta', 'anthropic', 'claude-haiku-4-5'),
        ('gamma', 'ollama', 'qwen3'),
    ]:
        await create_deployment(client, admin, prompt['id'], name=name, provider=provider, model=model)
    page = (await client.get('/deployments', params={'orderBy': 'name', 'order': 'desc', 'pageSize': 2}, headers=admin)).json()
    assert [d['name'] for d in page['items']] == ['gamma', 'beta']
    assert (page['total'], page['page'], page['pageSize']) == (3, 1, 2)
    second = (
        await client.get('/deployments', params={'orderBy': 'name', 'order': 'desc', 'pageSize': 2, 'page': 2}, headers=admin)
    ).json()
    assert [d['name'] for d in second['items']] == ['alpha']
    found = (await client.get('/deployments', params={'search': 'CLAUDE'}, headers=admin)).json()
    assert [d['name'] for d in found['items']] == ['beta'] and found['total'] == 1
    by_model = (await client.get('/deployments', params={'orderBy': 'model'}, headers=admin)).json()
    assert [d['model'] for d in by_model['items']] == ['claude-haiku-4-5', 'gpt-4o', 'qwen3']


async def test_patch_writes_a_new_revision_and_revisions_list_newest_first(client, admin):
    prompt = await create_prompt(client, admin)
    await create_deployment(client, admin, prompt['id'])
    patched = await client.patch(
        '/deployments/support-bot', json={'model': 'gpt-4o', 'options': {'temperature': 0.5}}, headers=admin
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()['model'], patched.json()['revision'], patched.json()['options']) == ('gpt-4o', 2, {'temperature': 0.5})
    revisions = (await client.get('/deployments/support-bot/revisions', headers=admin)).json()['items']
    assert [r['revision'] for r in revisions] == [2, 1]
    assert revisions[0]['config']['model'] == 'gpt-4o' and revisions[1]['config']['model'] == 'gpt-4o-mini'
    assert revisions[0]['createdBy'] == 'test key'


async def test_patch_with_the_same_name_is_fine_and_a_new_name_is_422_immutable(client, admin):
    prompt = await create_prompt(client, admin)
    await create_deployment(client, admin, prompt['id'])
    same = await client.patch('/deployments/support-bot', json={'name': 'support-bot', 'model': 'gpt-4o'}, headers=admin)
    assert same.status_code == 200
    renamed = await client.patch('/deployments/support-bot', json={'name': 'helpdesk'}, headers=admin)
    error = assert_error(renamed, 422, 'invalid', 'name')
    assert 'name is immutable' in error['message']
    assert (await client.get('/deployments/support-bot', headers=admin)).json()['revision'] == 2


async def test_patch_promptversion_null_means_latest(client, admin):
    prompt = await create_prompt(client, admin)
    await create_deployment(client, admin, prompt['id'], promptVersion=1)
    patched = await client.patch('/deployments/support-bot', json={'promptVersion': None}, headers=admin)
    assert patched.json()['promptVersion'] is None


async def test_delete_answers_204_then_404_and_the_executions_stay_readable(client, admin):
    prompt = await create_prompt(client, admin)
    await create_deployment(client, admin, prompt['id'])
    run = (await client.post('/deployments/support-bot/run', json={'userInput': 'hi'}, headers=admin)).json()
    deleted = await client.delete('/deployments/support-bot', headers=admin)
    assert deleted.status_code == 204 and deleted.content == b''
    assert_error(await client.get('/deployments/support-bot', headers=admin), 404, 'not_found')
    assert (await client.get(f'/executions/{run["executionId"]}', headers=admin)).json()['deploymentName'] == 'support-bot'


async def test_creating_a_taken_name_is_409(client, admin):
    prompt = await create_prompt(client, admin)
    await create_deployment(client, admin, prompt['id'])
    body = {'name': 'support-bot', 'promptId': prompt['id'], 'provider': 'openai', 'model': 'gpt-4o'}
    assert_error(await client.post('/deployments', json=body, headers=admin), 409, 'conflict')

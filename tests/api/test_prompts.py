"""Prompts over the API: create, read (any version), list, patch (new versions), delete, versions, preview."""

from tests.api.conftest import assert_error, create_deployment, create_prompt


async def test_create_returns_201_with_version_1(client, admin):
    prompt = await create_prompt(client, admin, template='Hi {{name}}', inputSchema={'type': 'object'}, acceptsFile=False)
    assert (prompt['name'], prompt['version'], prompt['template'], prompt['inputSchema']) == (
        'greeter',
        1,
        'Hi {{name}}',
        {'type': 'object'},
    )
    assert set(prompt) == {
        'id',
        'name',
        'version',
        'template',
        'inputSchema',
        'responseSchema',
        'acceptsFile',
        'createdAt',
        'updatedAt',
    }


async def test_patch_makes_a_new_version_and_old_versions_stay_readable(client, admin):
    prompt = await create_prompt(client, admin)
    patched = await client.patch(f'/prompts/{prompt["id"]}', json={'template': 'Be kind.'}, headers=admin)
    assert (patched.json()['version'], patched.json()['template']) == (2, 'Be kind.')
    renamed = await client.patch('/prompts/greeter', json={'name': 'welcomer'}, headers=admin)
    assert (renamed.json()['name'], renamed.json()['version']) == ('welcomer', 2)
    first = await client.get('/prompts/welcomer', params={'version': 1}, headers=admin)
    assert first.json()['template'] == 'You are terse.'
    versions = (await client.get('/prompts/welcomer/versions', headers=admin)).json()['items']
    assert [(v['version'], v['template']) for v in versions] == [(2, 'Be kind.'), (1, 'You are terse.')]


async def test_patch_null_clears_a_schema(client, admin):
    await create_prompt(client, admin, responseSchema={'type': 'object'})
    patched = await client.patch('/prompts/greeter', json={'responseSchema': None}, headers=admin)
    assert patched.json()['responseSchema'] is None and patched.json()['version'] == 2


async def test_list_searches_and_pages(client, admin):
    for name in ('alpha', 'beta', 'alphabet'):
        await create_prompt(client, admin, name=name)
    page = (await client.get('/prompts', params={'search': 'alpha', 'pageSize': 1}, headers=admin)).json()
    assert (page['total'], [p['name'] for p in page['items']]) == (2, ['alpha'])


async def test_preview_shows_the_messages_without_running(client, admin, core):
    await create_prompt(client, admin, template='Greet {{name}} warmly.')
    preview = await client.post('/prompts/greeter/preview', json={'userInput': '{"name": "Ada"}'}, headers=admin)
    assert preview.json() == {'messages': [{'role': 'user', 'content': 'Greet Ada warmly.'}]}
    missing = await client.post('/prompts/greeter/preview', json={'userInput': '{}'}, headers=admin)
    assert 'name' in assert_error(missing, 422, 'invalid', 'variables.name')['message']
    given = await client.post('/prompts/greeter/preview', json={'variables': {'name': 'Bo'}}, headers=admin)
    assert given.json() == {'messages': [{'role': 'user', 'content': 'Greet Bo warmly.'}]}
    not_an_object = await client.post('/prompts/greeter/preview', json={'variables': ['Bo']}, headers=admin)
    assert_error(not_an_object, 422, 'invalid', 'variables')


async def test_delete_is_204_but_409_while_a_deployment_uses_it(client, admin):
    used = await create_prompt(client, admin)
    await create_deployment(client, admin, used['id'])
    assert 'support-bot' in assert_error(await client.delete('/prompts/greeter', headers=admin), 409, 'conflict')['message']
    await create_prompt(client, admin, name='spare')
    assert (await client.delete('/prompts/spare', headers=admin)).status_code == 204
    assert_error(await client.get('/prompts/spare', headers=admin), 404, 'not_found')


async def test_a_taken_name_is_409(client, admin):
    await create_prompt(client, admin)
    assert_error(await client.post('/prompts', json={'name': 'greeter', 'template': 'x'}, headers=admin), 409, 'conflict')

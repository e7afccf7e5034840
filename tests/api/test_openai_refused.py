"""Chats the OpenAI-compatible endpoint refuses are logged for the deployment's page as native runs are: by the
deployment its `model` names, with the key's name, the status the caller got and the message."""

import pytest

from core import api_keys
from core.permissions import Actor
from tests.api.conftest import create_deployment, create_prompt
from tests.api.test_refused_runs import logged

CHAT = '/openai/chat/completions'


@pytest.fixture
async def greeter(client, admin) -> dict:
    prompt = await create_prompt(client, admin, name='greet', template='Say hello to {{name}}.')
    return await create_deployment(client, admin, prompt['id'], name='greeter')


async def chat(client, token: str | None, model='greeter', **body):
    headers = {'Authorization': f'Bearer {token}'} if token else {}
    body = {'model': model, 'messages': [{'role': 'user', 'content': 'hi'}], **body}
    return await client.post(CHAT, json=body, headers=headers)


async def test_an_unknown_model_is_logged_by_the_name_asked_for(client, core, make_key, greeter):
    response = await chat(client, make_key('deployments:run'), model='gretter')
    assert (response.status_code, response.json()['error']['code']) == (404, 'model_not_found')
    assert [row[:4] for row in logged(core)] == [(None, 'gretter', 'test key', 404)]


async def test_a_missing_scope_is_logged_for_the_deployment(client, core, make_key, greeter):
    response = await chat(client, make_key('deployments:read'))
    assert response.status_code == 403
    [(deployment_id, ref, key_name, status, message)] = logged(core)
    assert (deployment_id, ref, key_name, status) == (greeter['id'], 'greeter', 'test key', 403)
    assert message == response.json()['error']['message']


async def test_missing_variables_are_logged_with_the_status_the_caller_got(client, core, make_key, greeter):
    response = await chat(client, make_key('deployments:run'), variables={'other': 1})
    assert response.status_code == 400  # OpenAI's status for a request it cannot take (our native API says 422)
    [(deployment_id, _, _, status, message)] = logged(core)
    assert (deployment_id, status) == (greeter['id'], 400)
    assert message == response.json()['error']['message'] and 'name' in message


async def test_a_body_the_route_cannot_take_is_logged_by_its_model(client, core, make_key, greeter):
    response = await chat(client, make_key('deployments:run'), variables='not an object', n=2)
    assert response.status_code == 400
    [(deployment_id, _, _, status, message)] = logged(core)
    assert (deployment_id, status) == (greeter['id'], 400)
    assert 'variables' in message


async def test_a_rate_limited_chat_and_a_revoked_key_are_logged_too(client, core, make_key, greeter, worker):
    limited = api_keys.create_api_key(
        core, Actor.system(), name='limited', scopes=['deployments:run'], requests_per_minute=1
    ).token
    body = {'variables': {'name': 'Ada'}}
    assert (await chat(client, limited, **body)).status_code == 200
    assert (await chat(client, limited, **body)).status_code == 429
    assert (await chat(client, make_key('deployments:run', revoked=True))).status_code == 401
    assert [(row[0], row[2], row[3]) for row in logged(core)] == [
        (greeter['id'], 'limited', 429),
        (greeter['id'], 'test key', 401),
    ]


async def test_chats_without_our_key_or_a_model_and_model_lookups_are_not_logged(client, core, make_key, greeter):
    token = make_key('deployments:run')
    assert (await chat(client, None)).status_code == 401
    assert (await chat(client, 'hs_' + 'x' * 40)).status_code == 401
    no_model = await client.post(CHAT, json={'messages': []}, headers={'Authorization': f'Bearer {token}'})
    assert no_model.status_code == 400
    assert (await client.get('/openai/models/gretter', headers={'Authorization': f'Bearer {token}'})).status_code == 404
    assert logged(core) == []

"""/webhooks over HTTP: endpoints with their secret shown once, bad input refused with nothing written, unsafe targets
refused naming `url`, and a run's delivery whose `data` is the execution as GET /executions/{id} returns it."""

import asyncio
import json
from dataclasses import replace

import pytest
from standardwebhooks import Webhook

from core.webhooks.deliverer import Deliverer
from tests.api.conftest import assert_error, create_deployment, create_prompt

PUBLIC = 'https://8.8.8.8/hook'  # an address written as such: saving it asks no DNS server
EVENTS = ['execution.completed', 'execution.failed']


@pytest.fixture
async def deployment(client, admin) -> dict:
    prompt = await create_prompt(client, admin)
    return await create_deployment(client, admin, prompt['id'])


@pytest.fixture
async def deliverer(core):
    core.settings = replace(core.settings, webhook_allow_private=True, webhook_retry_seconds=(0.2,))
    deliverer = Deliverer(core, poll_seconds=0.1)
    await deliverer.start()
    yield deliverer
    await deliverer.stop(grace_seconds=0.5)


async def test_create_shows_the_secret_once_and_never_again(client, admin):
    body = {'url': PUBLIC, 'events': EVENTS, 'description': 'billing'}
    response = await client.post('/webhooks', json=body, headers=admin)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created['secret'].startswith('whsec_') and response.headers['cache-control'] == 'no-store'
    assert {k: created[k] for k in ('url', 'events', 'deployments', 'description', 'enabled')} == {
        'url': PUBLIC, 'events': EVENTS, 'deployments': None, 'description': 'billing', 'enabled': True,
    }  # fmt: skip
    for path in ('/webhooks', f'/webhooks/{created["id"]}'):
        text = (await client.get(path, headers=admin)).text
        assert created['id'] in text and 'whsec_' not in text and created['secret'] not in text


async def test_patch_changes_fields_and_rotate_returns_a_new_secret(client, admin, deployment):
    created = (await client.post('/webhooks', json={'url': PUBLIC, 'events': EVENTS}, headers=admin)).json()
    changes = {'deployments': ['support-bot'], 'enabled': False, 'events': ['execution.cancelled']}
    patched = await client.patch(f'/webhooks/{created["id"]}', json=changes, headers=admin)
    assert patched.status_code == 200, patched.text
    assert {k: patched.json()[k] for k in changes} == changes
    rotated = (await client.post(f'/webhooks/{created["id"]}/rotate-secret', headers=admin)).json()
    assert rotated['secret'].startswith('whsec_') and rotated['secret'] != created['secret']
    assert rotated['rotatingUntil'] is not None
    assert (await client.delete(f'/webhooks/{created["id"]}', headers=admin)).status_code == 204
    assert_error(await client.get(f'/webhooks/{created["id"]}', headers=admin), 404, 'not_found')


@pytest.mark.parametrize(
    ('body', 'field'),
    [
        ({'url': PUBLIC, 'events': ['execution.exploded']}, 'events'),
        ({'url': PUBLIC, 'events': []}, 'events'),
        ({'url': PUBLIC}, 'events'),
        ({'url': PUBLIC, 'events': 'execution.failed'}, 'events'),
        ({'url': 'not a url', 'events': EVENTS}, 'url'),
        ({'url': 'example.com/hook', 'events': EVENTS}, 'url'),
        ({'url': 'https://8.8.8.8/' + 'a' * 3000, 'events': EVENTS}, 'url'),
        ({'url': 'ftp://8.8.8.8/', 'events': EVENTS}, 'url'),
        ({'url': 'https://user:pw@8.8.8.8/', 'events': EVENTS}, 'url'),
        ({'url': '', 'events': EVENTS}, 'url'),
        ({'events': EVENTS}, 'url'),
        ({'url': 42, 'events': EVENTS}, 'url'),
        ({'url': PUBLIC, 'events': EVENTS, 'deployments': ['no-such-bot']}, 'deployments'),
        ({'url': PUBLIC, 'events': EVENTS, 'deployments': []}, 'deployments'),
        ({'url': PUBLIC, 'events': EVENTS, 'deployments': [7]}, 'deployments[0]'),
        ({'url': PUBLIC, 'events': EVENTS, 'description': 'x' * 501}, 'description'),
        ({'url': PUBLIC, 'events': EVENTS, 'description': 'a\x00b'}, 'description'),
        ({'url': PUBLIC, 'events': EVENTS, 'enabled': 'yes'}, 'enabled'),
        ({'url': PUBLIC, 'events': EVENTS, 'secret': 'whsec_mine'}, 'secret'),
    ],
)
async def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(client, admin, deployment, body, field):
    assert_error(await client.post('/webhooks', json=body, headers=admin), 422, 'invalid', field)
    assert (await client.get('/webhooks', headers=admin)).json()['items'] == []


async def test_a_bad_patch_changes_nothing(client, admin):
    created = (await client.post('/webhooks', json={'url': PUBLIC, 'events': EVENTS}, headers=admin)).json()
    path = f'/webhooks/{created["id"]}'
    bad = {'description': 'changed', 'url': 'http://10.0.0.1/'}
    assert_error(await client.patch(path, json=bad, headers=admin), 422, 'invalid', 'url')
    assert_error(await client.patch(path, json={'events': ['nope']}, headers=admin), 422, 'invalid', 'events')
    assert (await client.get(path, headers=admin)).json() == {k: v for k, v in created.items() if k != 'secret'}


REFUSED = [
    ('http://127.0.0.1:{port}/', 'must use https'),
    ('https://127.0.0.1:{port}/', '127.0.0.1 is a loopback address'),
    ('https://10.0.0.1/', '10.0.0.1 is a private address'),
    ('https://169.254.169.254/', '169.254.169.254 is a link-local address'),
    ('https://[::1]/', '::1 is a loopback address'),
    ('https://inside.test/', 'inside.test resolves to a loopback address'),
]


@pytest.mark.parametrize(('url', 'why'), REFUSED, ids=[url for url, _ in REFUSED])
async def test_private_targets_are_refused_at_save_without_the_allow_setting(client, admin, dns, url, why):
    dns('inside.test', ['127.0.0.1'])
    response = await client.post('/webhooks', json={'url': url.format(port=8080), 'events': EVENTS}, headers=admin)
    error = assert_error(response, 422, 'invalid', 'url')
    assert why in error['message']


async def test_a_completed_run_delivers_the_execution_as_the_api_returns_it(
    client, admin, deployment, worker, deliverer, webhook_receiver
):
    body = {'url': webhook_receiver.url, 'events': EVENTS, 'deployments': ['support-bot']}
    created = (await client.post('/webhooks', json=body, headers=admin)).json()
    run = await client.post('/deployments/support-bot/run?wait=10', json={'userInput': 'hello'}, headers=admin)
    assert run.status_code == 200, run.text
    [request] = await webhook_receiver.wait_for_requests(1)
    execution = (await client.get(f'/executions/{run.json()["id"]}', headers=admin)).json()
    assert Webhook(created['secret']).verify(request.body, request.headers) == json.loads(request.body)
    assert json.loads(request.body)['data'] == execution
    log = await delivered(client, admin, created['id'])
    assert log['items'][0]['messageId'] == request.headers['webhook-id']
    assert log['items'][0]['log'][0]['statusCode'] == 200


async def test_a_promotion_sends_rollout_updated_with_the_rollout_as_the_api_returns_it(
    client, admin, deployment, deliverer, webhook_receiver
):
    body = {'url': webhook_receiver.url, 'events': ['rollout.updated'], 'deployments': ['support-bot']}
    created = (await client.post('/webhooks', json=body, headers=admin)).json()
    started = await client.post('/deployments/support-bot/rollouts', json={'changes': {'model': 'gpt-4o'}}, headers=admin)
    assert started.status_code == 201, started.text
    promoted = (await client.post('/deployments/support-bot/rollouts/current/promote', headers=admin)).json()
    requests = await webhook_receiver.wait_for_requests(2)  # its start, then its promotion
    sent = {data['status']: (kind, data) for kind, data in (_verified(created, request) for request in requests)}
    assert sent['running'] == ('rollout.updated', started.json())
    assert sent['promoted'] == ('rollout.updated', promoted)
    assert promoted['status'] == 'promoted'  # its arms and history nested in camelCase, as the API writes them


def _verified(created: dict, request) -> tuple[str, dict]:
    sent = Webhook(created['secret']).verify(request.body, request.headers)
    return sent['type'], sent['data']


async def test_send_test_event_and_resend(client, admin, deliverer, webhook_receiver):
    webhook_receiver.script(500)
    created = (await client.post('/webhooks', json={'url': webhook_receiver.url, 'events': EVENTS}, headers=admin)).json()
    test = await client.post(f'/webhooks/{created["id"]}/test', headers=admin)
    assert test.status_code == 202 and test.json()['eventType'] == 'webhook.test'
    log = await delivered(client, admin, created['id'])
    assert [a['statusCode'] for a in log['items'][0]['log']] == [200, 500]
    resent = await client.post(f'/webhooks/{created["id"]}/deliveries/{test.json()["id"]}/resend', headers=admin)
    assert resent.status_code == 202 and resent.json()['status'] == 'pending'
    requests = await webhook_receiver.wait_for_requests(3)
    assert len({r.headers['webhook-id'] for r in requests}) == 1
    missing = await client.post(f'/webhooks/{created["id"]}/deliveries/{created["id"]}/resend', headers=admin)
    assert_error(missing, 404, 'not_found')


async def test_a_disabled_endpoint_refuses_a_test_event(client, admin):
    body = {'url': PUBLIC, 'events': EVENTS, 'enabled': False}
    created = (await client.post('/webhooks', json=body, headers=admin)).json()
    assert_error(await client.post(f'/webhooks/{created["id"]}/test', headers=admin), 409, 'conflict')


async def delivered(client, headers: dict, webhook_id: str, timeout: float = 10.0) -> dict:
    """The delivery log once its newest delivery has settled."""
    for _ in range(int(timeout / 0.05)):
        log = (await client.get(f'/webhooks/{webhook_id}/deliveries', headers=headers)).json()
        if log['items'] and log['items'][0]['status'] in ('delivered', 'failed'):
            return log
        await asyncio.sleep(0.05)
    raise AssertionError(f'no settled delivery within {timeout} s')

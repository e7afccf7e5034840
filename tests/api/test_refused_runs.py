"""Refused run requests are logged for the deployment's page: with the key's name, status and message, bounded."""

import pytest
import sqlalchemy as sa

from core import api_keys, refused_runs
from core.errors import Forbidden
from core.permissions import Actor
from core.refused_runs import refusal_summary
from data.tables import RefusedRun
from tests.api.conftest import create_deployment, create_prompt


@pytest.fixture
async def greeter(client, admin) -> dict:
    prompt = await create_prompt(client, admin, name='greet', template='Say hello to {{name}}.')
    return await create_deployment(client, admin, prompt['id'], name='greeter')


def logged(core) -> list[tuple]:
    columns = (RefusedRun.deployment_id, RefusedRun.deployment_ref, RefusedRun.key_name, RefusedRun.status, RefusedRun.message)
    with core.db.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.select(*columns).order_by(RefusedRun.id))]


async def run(client, token: str | None, name='greeter', body=None, **headers):
    if token:
        headers['Authorization'] = f'Bearer {token}'
    return await client.post(f'/deployments/{name}/run', json=body or {'userInput': '{"other": 1}'}, headers=headers)


async def test_a_missing_variable_is_logged_with_the_key_name_status_and_message(client, core, make_key, greeter):
    response = await run(client, make_key('deployments:run'))
    assert response.status_code == 422
    [(deployment_id, ref, key_name, status, message)] = logged(core)
    assert (deployment_id, ref, key_name, status) == (greeter['id'], 'greeter', 'test key', 422)
    assert message == response.json()['error']['message'] and 'name' in message


async def test_a_missing_scope_a_bad_body_and_a_revoked_key_are_logged_too(client, core, make_key, greeter):
    assert (await run(client, make_key('deployments:read'))).status_code == 403
    assert (await run(client, make_key('deployments:run'), body={'input': 'typo'})).status_code == 422
    assert (await run(client, make_key('deployments:run', revoked=True))).status_code == 401
    assert [row[3] for row in logged(core)] == [403, 422, 401]


async def test_an_unknown_deployment_is_logged_by_the_name_asked_for(client, core, make_key, greeter):
    assert (await run(client, make_key('deployments:run'), name='gretter')).status_code == 404
    assert [row[:2] for row in logged(core)] == [(None, 'gretter')]


async def test_requests_without_one_of_our_keys_and_accepted_runs_are_not_logged(client, core, make_key, greeter):
    assert (await run(client, None)).status_code == 401
    assert (await run(client, 'hs_' + 'x' * 40)).status_code == 401
    ok = await run(client, make_key('deployments:run'), body={'userInput': '{"name": "Ada"}'})
    assert ok.status_code == 202
    assert logged(core) == []


async def test_each_deployment_keeps_its_newest_refusals_only(client, core, make_key, greeter, monkeypatch):
    monkeypatch.setattr(refused_runs, 'KEPT_PER_DEPLOYMENT', 3)
    token = make_key('deployments:run')
    for number in range(5):
        await run(client, token, body={'userInput': f'{{"n": {number}}}'})
    await run(client, token, name='nowhere')
    rows = logged(core)
    assert len([row for row in rows if row[0] == greeter['id']]) == 3
    assert len(rows) == 4


async def test_the_summary_counts_the_last_day_and_names_the_commonest_reason(client, core, make_key, greeter):
    token = make_key('deployments:run')
    for _ in range(3):
        await run(client, token)
    await run(client, make_key('deployments:read'))
    viewer = Actor.user('u-1', 'viewer@example.com', 'viewer')
    summary = refusal_summary(core, viewer, 'greeter')
    assert (summary.last_day, summary.commonest_count) == (4, 3)
    assert 'name' in summary.commonest
    assert [refusal.status for refusal in summary.newest] == [403, 422, 422, 422]
    with pytest.raises(Forbidden):
        refusal_summary(core, Actor.api_key('k', 'runner', ['deployments:run']), 'greeter')


async def test_a_rate_limited_run_and_a_name_with_a_nul_are_logged_too(client, core, greeter):
    limited = api_keys.create_api_key(
        core, Actor.system(), name='limited', scopes=['deployments:run'], requests_per_minute=1
    ).token
    body = {'userInput': '{"name": "Ada"}'}
    assert (await run(client, limited, body=body)).status_code == 202
    assert (await run(client, limited, body=body)).status_code == 429
    assert (await run(client, limited, name='greet%00er', body=body)).status_code in (404, 422, 429)
    rows = logged(core)
    assert [(row[0], row[2], row[3]) for row in rows[:1]] == [(greeter['id'], 'limited', 429)]
    assert rows[1][:2] == (None, 'greeter')

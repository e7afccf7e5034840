"""Keys over the API (admins only, as the permission matrix holds): the key shown once, limits changed, revoked at once."""

import pytest

from tests.api.conftest import assert_error
from tests.api.test_bad_input import row_counts

NEW_KEY = {'name': 'billing', 'scopes': ['deployments:read'], 'expiresDays': 30, 'requestsPerMinute': 120, 'concurrentRuns': 4}
BAD_VALUES = (0, -1, 10**7, True, 2.5, '5')  # JSON's true is no number, nor is 2.5 or a string
BAD_LIMITS = [({field: value}, field) for field in ('requestsPerMinute', 'concurrentRuns') for value in BAD_VALUES]


async def test_a_created_key_is_shown_in_that_answer_only_and_works(client, admin):
    created = await client.post('/keys', json=NEW_KEY, headers=admin)
    assert created.status_code == 201 and created.headers['cache-control'] == 'no-store'
    body = created.json()
    token = body['key']
    assert token.startswith('hs_') and body['hint'] == token[:15] + '…'
    sent = {field: value for field, value in NEW_KEY.items() if field != 'expiresDays'}
    assert {field: body[field] for field in sent} == sent
    assert body['expiresAt'] is not None and body['revokedAt'] is None
    assert (await client.get('/deployments', headers={'X-API-Key': token})).status_code == 200

    listed = await client.get('/keys', headers=admin)
    assert listed.status_code == 200 and token not in listed.text and token[15:] not in listed.text
    mine = next(key for key in listed.json()['items'] if key['id'] == body['id'])
    assert 'key' not in mine and mine['hint'] == body['hint'] and mine['createdBy'] == 'test key'


async def test_an_admin_changes_and_lifts_a_keys_limits(client, admin):
    key = (await client.post('/keys', json=NEW_KEY, headers=admin)).json()
    changed = await client.patch(f'/keys/{key["id"]}', json={'requestsPerMinute': 10}, headers=admin)
    assert changed.status_code == 200 and (changed.json()['requestsPerMinute'], changed.json()['concurrentRuns']) == (10, 4)
    lifted = await client.patch(f'/keys/{key["id"]}', json={'concurrentRuns': None}, headers=admin)
    assert (lifted.json()['requestsPerMinute'], lifted.json()['concurrentRuns']) == (10, None)
    assert 'key' not in lifted.json()


async def test_a_revoked_key_is_refused_at_once_and_stays_listed(client, admin):
    key = (await client.post('/keys', json=NEW_KEY, headers=admin)).json()
    holder = {'Authorization': f'Bearer {key["key"]}'}
    assert (await client.get('/deployments', headers=holder)).status_code == 200
    revoked = await client.delete(f'/keys/{key["id"]}', headers=admin)
    assert revoked.status_code == 204
    assert 'revoked' in assert_error(await client.get('/deployments', headers=holder), 401, 'unauthorized')['message']
    listed = {item['id']: item for item in (await client.get('/keys', headers=admin)).json()['items']}
    assert listed[key['id']]['revokedAt'] is not None
    assert_error(await client.patch(f'/keys/{key["id"]}', json={'concurrentRuns': 1}, headers=admin), 409, 'conflict')


@pytest.mark.parametrize(
    ('change', 'field'),
    [
        ({'name': ''}, 'name'),
        ({'name': 'x' * 201}, 'name'),
        ({'name': '  '}, 'name'),
        ({'name': 'a\x00b'}, 'name'),
        ({'scopes': []}, 'scopes'),
        ({'scopes': ['root']}, 'scopes'),
        ({'scopes': 'admin'}, 'scopes'),
        ({'expiresDays': 0}, 'expiresDays'),
        ({'expiresDays': 3651}, 'expiresDays'),
        ({'expiresDays': True}, 'expiresDays'),
        *BAD_LIMITS,
        ({'key': 'hs_mine'}, 'key'),
    ],
)
async def test_bad_input_for_a_new_key_names_the_field_and_writes_nothing(client, admin, core, change, field):
    before = row_counts(core)
    assert_error(await client.post('/keys', json={**NEW_KEY, **change}, headers=admin), 422, 'invalid', field)
    assert row_counts(core) == before


@pytest.mark.parametrize(
    ('change', 'field'),
    [*BAD_LIMITS, ({'name': 'renamed'}, 'name'), ({'scopes': ['admin']}, 'scopes')],
)
async def test_bad_input_for_a_keys_limits_names_the_field_and_changes_nothing(client, admin, change, field):
    key = (await client.post('/keys', json=NEW_KEY, headers=admin)).json()
    assert_error(await client.patch(f'/keys/{key["id"]}', json=change, headers=admin), 422, 'invalid', field)
    listed = {item['id']: item for item in (await client.get('/keys', headers=admin)).json()['items']}
    assert (listed[key['id']]['requestsPerMinute'], listed[key['id']]['concurrentRuns']) == (120, 4)

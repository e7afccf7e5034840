"""API keys: made and shown once, stored as an HMAC, accepted two ways, refused with the reason, managed by admins."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import api_keys
from core.errors import Forbidden, Invalid, NotFound, Unauthorized
from core.permissions import Actor
from data.tables import ApiKey, utcnow
from tests.api.conftest import assert_error


def test_a_new_key_is_hs_plus_256_random_bits_and_only_its_hmac_is_stored(core):
    created = api_keys.create_api_key(core, Actor.system(), name='ci', scopes=['deployments:run'])
    assert created.token.startswith('hs_') and len(created.token) == 3 + 43  # 32 bytes, base64url
    with core.session() as session:
        row = session.get(ApiKey, created.key.id)
    assert row.key_hash == core.box.mac(created.token)
    assert created.token not in (row.key_hash, row.prefix, row.name)
    assert created.key.hint == created.token[:15] + '…'


def test_authenticate_gives_the_keys_actor_with_its_scopes(core):
    created = api_keys.create_api_key(core, Actor.system(), name='ci', scopes=['prompts:read', 'deployments:run'])
    actor = api_keys.authenticate(core, created.token)
    assert (actor.kind, actor.id, actor.name) == ('api_key', created.key.id, 'ci')
    assert actor.scopes == {'prompts:read', 'deployments:run'}


@pytest.mark.parametrize(
    'mangle', [lambda t: t[:-1] + ('A' if t[-1] != 'A' else 'B'), lambda t: 'hs_short', lambda t: t[3:], lambda t: '']
)
def test_a_wrong_token_is_invalid(core, mangle):
    created = api_keys.create_api_key(core, Actor.system(), name='ci', scopes=['admin'])
    with pytest.raises(Unauthorized, match='invalid'):
        api_keys.authenticate(core, mangle(created.token))


def test_revoked_and_expired_keys_say_why(core):
    revoked = api_keys.create_api_key(core, Actor.system(), name='old', scopes=['admin'])
    api_keys.revoke_api_key(core, Actor.system(), revoked.key.id)
    expired = api_keys.create_api_key(core, Actor.system(), name='temp', scopes=['admin'], expires_days=1)
    with core.session() as session:
        session.execute(sa.update(ApiKey).where(ApiKey.id == expired.key.id).values(expires_at=utcnow() - timedelta(seconds=1)))
    with pytest.raises(Unauthorized, match='revoked'):
        api_keys.authenticate(core, revoked.token)
    with pytest.raises(Unauthorized, match='expired'):
        api_keys.authenticate(core, expired.token)


def test_authenticating_a_recently_used_key_is_one_query(core):
    created = api_keys.create_api_key(core, Actor.system(), name='ci', scopes=['admin'])
    api_keys.authenticate(core, created.token)  # the first use records last_used_at
    statements: list[str] = []
    sa.event.listen(core.db, 'before_cursor_execute', lambda *args: statements.append(args[2]))
    api_keys.authenticate(core, created.token)
    assert len(statements) == 1 and 'WHERE api_key.prefix' in statements[0]


def test_last_used_is_written_once_a_minute_not_on_every_request(core):
    created = api_keys.create_api_key(core, Actor.system(), name='ci', scopes=['admin'])
    api_keys.authenticate(core, created.token)
    first = _last_used(core, created.key.id)
    api_keys.authenticate(core, created.token)
    assert first is not None and _last_used(core, created.key.id) == first
    with core.session() as session:
        session.execute(sa.update(ApiKey).values(last_used_at=utcnow() - timedelta(minutes=2)))
    api_keys.authenticate(core, created.token)
    assert _last_used(core, created.key.id) > first - timedelta(seconds=1)
    assert utcnow() - _last_used(core, created.key.id) < timedelta(seconds=5)


def test_managing_keys_needs_admin(core):
    editor = Actor.api_key('k', 'editor', ['prompts:write', 'deployments:write'])
    with pytest.raises(Forbidden, match='admin'):
        api_keys.create_api_key(core, editor, name='x', scopes=['prompts:read'])
    with pytest.raises(Forbidden):
        api_keys.list_api_keys(core, editor)
    with pytest.raises(Forbidden):
        api_keys.revoke_api_key(core, editor, 'anything')


@pytest.mark.parametrize(
    ('fields', 'field'),
    [
        ({'name': ' ', 'scopes': ['admin']}, 'name'),
        ({'name': 'x', 'scopes': []}, 'scopes'),
        ({'name': 'x', 'scopes': ['prompts:read', 'root']}, 'scopes'),
        ({'name': 'x', 'scopes': ['admin'], 'expires_days': 0}, 'expiresDays'),
    ],
)
def test_bad_key_settings_name_the_field_and_write_nothing(core, fields, field):
    with pytest.raises(Invalid) as raised:
        api_keys.create_api_key(core, Actor.system(), **fields)
    assert raised.value.field == field
    assert api_keys.list_api_keys(core, Actor.system()) == []


def test_listing_shows_revoked_keys_and_revoking_twice_is_harmless(core):
    created = api_keys.create_api_key(core, Actor.system(), name='ci', scopes=['admin'])
    first = api_keys.revoke_api_key(core, Actor.system(), created.key.id)
    again = api_keys.revoke_api_key(core, Actor.system(), created.key.id)
    assert first.revoked_at == again.revoked_at
    assert [key.revoked_at for key in api_keys.list_api_keys(core, Actor.system())] == [first.revoked_at]
    with pytest.raises(NotFound):
        api_keys.revoke_api_key(core, Actor.system(), 'no-such-id')


async def test_the_api_takes_a_key_as_bearer_or_x_api_key(client, make_key):
    token = make_key('deployments:read')
    assert (await client.get('/deployments', headers={'Authorization': f'Bearer {token}'})).status_code == 200
    assert (await client.get('/deployments', headers={'X-API-Key': token})).status_code == 200


async def test_the_api_answers_401_with_the_reason(client, make_key):
    missing = assert_error(await client.get('/deployments'), 401, 'unauthorized')
    assert 'missing' in missing['message']
    invalid = await client.get('/deployments', headers={'X-API-Key': 'hs_not-a-real-key-at-all'})
    assert 'invalid' in assert_error(invalid, 401, 'unauthorized')['message']
    assert invalid.headers['www-authenticate'] == 'Bearer'
    revoked = await client.get('/deployments', headers={'X-API-Key': make_key('admin', revoked=True)})
    assert 'revoked' in assert_error(revoked, 401, 'unauthorized')['message']
    expired = await client.get('/deployments', headers={'X-API-Key': make_key('admin', expired=True)})
    assert 'expired' in assert_error(expired, 401, 'unauthorized')['message']


def _last_used(core, key_id):
    with core.session() as session:
        return session.get(ApiKey, key_id).last_used_at

"""Settings: provider credentials (masked, tested), API keys shown once, users for admins only."""

from nicegui import ui
from nicegui.testing import User

from core import api_keys, credentials, users
from core.permissions import Actor
from tests.ui.conftest import PASSWORD, SLOW, add_user, eventually, marked, signed_in


async def test_a_saved_key_is_masked_and_test_connection_lists_models(user: User, seed, fake_llm) -> None:
    await signed_in(user, seed)
    await user.open('/settings')
    user.find(marker='api-key-openai').type(fake_llm.keys['openai'])
    user.find(marker='save-openai').click()
    await user.should_see('Saved OpenAI credentials')
    info = credentials.credential_info(seed, Actor.system(), 'openai')
    assert info.source == 'database' and marked(user, 'api-key-openai').value == ''
    await user.should_see(f'API key {info.api_key_hint}')
    user.find(marker='test-openai').click()
    await user.should_see('Connected.', retries=SLOW)
    await user.should_see('gpt-4o-mini')


async def test_test_connection_says_why_it_failed(user: User, seed, fake_llm) -> None:
    fake_llm.fail(401, on='models', provider='anthropic', message='invalid x-api-key')
    await signed_in(user, seed)
    await user.open('/settings')
    user.find(marker='test-anthropic').click()
    await user.should_see('Could not connect', retries=SLOW)


async def test_test_connection_tries_the_url_typed_not_the_saved_settings(user: User, seed, fake_llm) -> None:
    await signed_in(user, seed)
    await user.open('/settings')
    user.find(marker='api-key-openai').type(fake_llm.keys['openai'])
    user.find(marker='base-url-openai').type('http://127.0.0.1:9')  # nothing listens there; the settings in use work
    user.find(marker='test-openai').click()
    await user.should_see('Could not connect', retries=SLOW)
    assert credentials.credential_info(seed, Actor.system(), 'openai').source == 'environment'  # testing saves nothing


async def test_test_connection_tries_the_key_typed(user: User, seed, fake_llm) -> None:
    await signed_in(user, seed)
    await user.open('/settings')
    user.find(marker='api-key-openai').type('sk-typed-not-saved-1234')
    user.find(marker='test-openai').click()
    await user.should_see('Connected.', retries=SLOW)
    listed = [r for r in fake_llm.requests if r.path.endswith('/models')]
    assert listed[-1].headers['authorization'] == 'Bearer sk-typed-not-saved-1234'
    assert credentials.credential_info(seed, Actor.system(), 'openai').source == 'environment'  # testing saves nothing


async def test_a_new_url_is_not_tested_with_the_key_in_use(user: User, seed, fake_llm) -> None:
    await signed_in(user, seed)
    await user.open('/settings')
    user.find(marker='base-url-openai').type('http://127.0.0.1:9')
    user.find(marker='test-openai').click()
    await eventually(lambda: 'enter the API key together with a new base URL' in (marked(user, 'api-key-openai').error or ''))
    assert not [r for r in fake_llm.requests if r.path.endswith('/models')]


async def test_an_api_key_is_shown_once_listed_and_revoked(user: User, seed) -> None:
    await signed_in(user, seed)
    await user.open('/settings')
    user.find(marker='key-name').type('billing-service')
    user.find('Create key').click()
    await user.should_see('Copy this key now')
    token = marked(user, 'new-token').content
    assert token.startswith('hs_')
    [key] = api_keys.list_api_keys(seed, Actor.system())
    assert key.name == 'billing-service' and set(key.scopes) == {'deployments:run', 'deployments:read', 'executions:read'}
    assert api_keys.authenticate(seed, token).id == key.id
    user.find('Revoke').click()
    await user.should_see(marker='confirm-yes')
    user.find(marker='confirm-yes').click()
    await user.should_see('Revoked billing-service', retries=SLOW)
    assert api_keys.list_api_keys(seed, Actor.system())[0].revoked_at is not None


async def test_a_key_without_scopes_is_refused(user: User, seed) -> None:
    await signed_in(user, seed)
    await user.open('/settings')
    user.find(marker='key-name').type('nothing')
    for scope in ('deployments:run', 'deployments:read', 'executions:read'):
        user.find(kind=ui.checkbox, content=scope).click()
    user.find('Create key').click()
    await user.should_not_see('Copy this key now')
    assert api_keys.list_api_keys(seed, Actor.system()) == []


async def test_an_admin_adds_a_person_and_changes_their_role(user: User, seed) -> None:
    await signed_in(user, seed)
    await user.open('/settings')
    user.find(marker='user-email').type('bob@example.com')
    user.find(marker='user-password').type(PASSWORD)
    user.find(marker='add-user').click()
    await user.should_see('Added bob@example.com as editor', retries=SLOW)
    bob = next(u for u in users.list_users(seed, Actor.system()) if u.email == 'bob@example.com')
    marked(user, f'role-{bob.email}').value = 'viewer'
    await user.should_see('bob@example.com is now viewer')
    assert role_of(seed, bob.email) == 'viewer'


async def test_the_last_admin_cannot_step_down(user: User, seed) -> None:
    admin = await signed_in(user, seed)
    await user.open('/settings')
    await user.should_see(marker=f'role-{admin.email}')
    marked(user, f'role-{admin.email}').value = 'editor'
    await user.should_see('this is the last active admin')
    assert role_of(seed, admin.email) == 'admin'


async def test_keys_and_users_are_for_admins_only(user: User, seed) -> None:
    await signed_in(user, seed, role='editor')
    add_user(seed, 'ada@example.com', 'admin')
    await user.open('/settings')
    await user.should_see('API keys are managed by admins')
    await user.should_see('Users are managed by admins')
    await user.should_not_see(marker='key-name')
    assert not next(iter(user.find(marker='save-openai').elements)).enabled


def role_of(core, email: str) -> str:
    return next(u.role for u in users.list_users(core, Actor.system()) if u.email == email)


async def test_an_admin_removes_a_saved_key_and_the_environment_applies_again(user: User, seed, fake_llm) -> None:
    credentials.save_credential(seed, Actor.system(), provider='openai', api_key='sk-saved-in-the-dashboard')
    await signed_in(user, seed)
    await user.open('/settings')
    await user.should_see(marker='remove-openai')
    user.find(marker='remove-openai').click()
    await user.should_see(marker='confirm-yes')
    user.find(marker='confirm-yes').click()
    await user.should_see('Removed the saved OpenAI credentials', retries=SLOW)
    info = credentials.credential_info(seed, Actor.system(), 'openai')
    assert info.source == 'environment' and info.api_key_hint == f'…{fake_llm.keys["openai"][-4:]}'
    await user.should_not_see(marker='remove-openai')


async def test_only_admins_are_offered_to_remove_a_saved_key(user: User, seed) -> None:
    credentials.save_credential(seed, Actor.system(), provider='openai', api_key='sk-saved-in-the-dashboard')
    await signed_in(user, seed, role='editor')
    await user.open('/settings')
    await user.should_see('saved here')
    await user.should_not_see(marker='remove-openai')


async def test_an_admin_gives_a_key_rate_limits_and_changes_them(user: User, seed) -> None:
    await signed_in(user, seed)
    await user.open('/settings')
    user.find(marker='key-name').type('billing-service')
    marked(user, 'requests-per-minute').value = 5
    marked(user, 'concurrent-runs').value = 2
    user.find('Create key').click()
    await user.should_see('Copy this key now')
    [key] = api_keys.list_api_keys(seed, Actor.system())
    assert (key.requests_per_minute, key.concurrent_runs) == (5, 2)
    await user.should_see('5 runs/min · 2 at once')

    user.find(marker=f'change-limits-{key.id}').click()
    await user.should_see(marker='save-limits')
    assert marked(user, 'edit-requests-per-minute').value == 5
    marked(user, 'edit-requests-per-minute').value = None  # lifted
    marked(user, 'edit-concurrent-runs').value = 3
    user.find(marker='save-limits').click()
    await user.should_see('Saved the limits of billing-service')
    [key] = api_keys.list_api_keys(seed, Actor.system())
    assert (key.requests_per_minute, key.concurrent_runs) == (None, 3)
    await user.should_see('3 at once')


async def test_a_bad_limit_is_told_at_its_field_and_nothing_is_written(user: User, seed) -> None:
    created = api_keys.create_api_key(seed, Actor.system(), name='ci', scopes=['deployments:run'], concurrent_runs=4)
    await signed_in(user, seed)
    await user.open('/settings')
    user.find(marker='key-name').type('billing-service')
    marked(user, 'requests-per-minute').value = 0
    user.find('Create key').click()
    await eventually(lambda: marked(user, 'requests-per-minute').error)
    assert 'whole number' in marked(user, 'requests-per-minute').error
    assert [key.name for key in api_keys.list_api_keys(seed, Actor.system())] == ['ci']

    await user.should_see(marker=f'change-limits-{created.key.id}', retries=SLOW)  # the keys list is read after the page
    user.find(marker=f'change-limits-{created.key.id}').click()
    await user.should_see(marker='save-limits')
    marked(user, 'edit-concurrent-runs').value = 100_000
    user.find(marker='save-limits').click()
    await eventually(lambda: marked(user, 'edit-concurrent-runs').error)
    assert api_keys.list_api_keys(seed, Actor.system())[0].concurrent_runs == 4

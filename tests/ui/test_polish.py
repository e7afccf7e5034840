"""The small things that read as unprofessional: our own empty notes only, words not ids, provider names as written,
no "vlatest" or "attempt(s)", an honest empty upload box, a read-only prompt for a viewer, and our own icon."""

from nicegui import ui
from nicegui.testing import User

from core import api_keys, deployments
from core.permissions import Actor
from tests.ui.conftest import SLOW, eventually, make_deployment, make_prompt, marked, only, signed_in
from ui import display
from ui.local_time import iso


async def test_tables_show_only_our_empty_note_not_no_data_available(user: User, seed) -> None:
    await signed_in(user, seed)
    for path in ('/deployments', '/executions', '/prompts'):
        await user.open(path)
        assert only(user, ui.table).props.get('hide-no-data') is True, path


async def test_a_deployment_without_runs_says_so_rather_than_no_match(user: User, seed) -> None:
    await make_deployment(seed, 'support-bot', make_prompt(seed))
    await signed_in(user, seed)
    await user.open('/deployments/support-bot')
    await user.should_see('No executions of support-bot yet', retries=SLOW)
    await user.should_not_see('No execution matches these filters.')


async def test_provider_names_are_written_as_the_providers_write_them(user: User, seed) -> None:
    await make_deployment(seed, 'support-bot', make_prompt(seed))
    await signed_in(user, seed)
    await user.open('/deployments')
    await eventually(lambda: [row['provider'] for row in only(user, ui.table).rows] == ['OpenAI'])
    changes = {'provider': 'anthropic', 'model': 'claude-haiku-4-5'}
    await deployments.update_deployment(seed, Actor.system(), 'support-bot', changes=changes)
    await user.open('/deployments/support-bot')
    await user.should_see('OpenAI → Anthropic', retries=SLOW)  # the revisions' changes
    await user.should_see('Anthropic')  # the configuration card
    await user.should_not_see('vlatest')


async def test_try_it_says_one_attempt_in_words(user: User, seed) -> None:
    await make_deployment(seed, 'support-bot', make_prompt(seed))
    await signed_in(user, seed)
    await user.open('/deployments/support-bot')
    user.find(marker='try-input').type('Hello')
    user.find('Run').click()
    await user.should_see('completed in', retries=SLOW)
    status = next(label.text for label in user.find(ui.label).elements if label.text.startswith('completed in'))
    assert status.endswith('· 1 attempt') and 'attempt(s)' not in status


async def test_key_scopes_read_as_words_with_accessible_names_and_an_unused_key_says_so(user: User, seed) -> None:
    api_keys.create_api_key(seed, Actor.system(), name='billing', scopes=['deployments:run'])
    await signed_in(user, seed)
    await user.open('/settings')
    box = marked(user, 'scope-deployments:run')
    assert box.props['aria-label'] == 'Run deployments' and box.text == 'Run deployments (deployments:run)'
    await user.should_see('never used', retries=SLOW)
    await user.should_see('no expiry date')
    await user.should_not_see('last used —')


async def test_the_upload_box_hides_its_empty_progress(user: User, seed) -> None:
    await signed_in(user, seed)
    await user.open('/files')
    assert 'no-progress' in only(user, ui.upload).classes


async def test_a_viewer_sees_the_prompt_read_only_and_why(user: User, seed) -> None:
    prompt = make_prompt(seed, 'Greeter', 'Hello {{input}}')
    await signed_in(user, seed, role='viewer')
    await user.open(f'/prompts/{prompt.id}')
    await user.should_see('Your role can read prompts but not change them.')
    assert marked(user, 'template').props.get('readonly') is True


async def test_the_browser_tab_shows_hypersigils_icon(user: User) -> None:
    response = await user.http_client.get('/favicon.ico')
    assert response.status_code == 200 and '#facc15' in response.text  # our sigil's bolt, not NiceGUI's logo


async def test_times_carry_their_utc_moment_for_the_browser_to_show_locally(user: User, seed) -> None:
    deployment = await make_deployment(seed, 'support-bot', make_prompt(seed))
    await signed_in(user, seed)
    await user.open('/deployments/support-bot')
    await user.should_see(marker='local-time', retries=SLOW)
    updated = next(e for e in user.find(marker='local-time').elements if 'data-short' not in e.props)  # not the revisions'
    assert updated.props['data-utc'] == iso(deployment.updated_at)
    assert updated.props['title'] == display.when(deployment.updated_at)  # UTC on hover

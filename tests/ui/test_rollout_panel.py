"""Gradual rollouts on the dashboard: started from the deployment dialog, followed live on the page, promoted, refused."""

import pytest
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction

from core import api_keys, deployments
from core.permissions import Actor
from core.rollouts import service
from tests.ui.conftest import (
    SLOW,
    choose,
    dialog_open,
    eventually,
    make_deployment,
    make_prompt,
    marked,
    models_loaded,
    signed_in,
)

GRADUAL = 'Roll out gradually: a few calls first'


@pytest.fixture
async def support_bot(seed):
    return await make_deployment(seed, 'support-bot', make_prompt(seed))


async def run_calls(user: User, seed, count: int) -> None:
    """What outside systems do: POST runs with an API key, each with its own trace id (so both versions get some)."""
    token = api_keys.create_api_key(seed, Actor.system(), name='caller', scopes=['deployments:run']).token
    for number in range(count):
        response = await user.http_client.post(
            '/api/v1/deployments/support-bot/run?wait=10',
            json={'userInput': 'Where is my invoice?', 'traceId': f'customer-{number}'},
            headers={'Authorization': f'Bearer {token}'},
        )
        assert response.status_code in (200, 202), response.text


def calls_shown(user: User) -> int:
    """The panel's 'Calls' row, both versions added."""
    row = next(row for row in marked(user, 'rollout-arms').rows if row['figure'] == 'Calls')
    return int(row['stable'].replace(',', '')) + int(row['candidate'].replace(',', ''))


def chart_calls(user: User) -> int:
    """The panel chart's calls, both versions' bars added."""
    series = marked(user, 'rollout-chart').options.get('series') or []
    return sum(value or 0 for line in series if line['name'].endswith('calls') for value in line['data'])


async def open_gradual_edit(user: User) -> None:
    """Edit the deployment to gpt-4o and choose to roll it out gradually."""
    await user.open('/deployments/support-bot')
    user.find('Edit').click()
    await dialog_open(user)
    await models_loaded(user)
    choose(user, 'model', 'gpt-4o')
    UserInteraction(user, user.find(marker='rollout-mode').elements, GRADUAL).click()


async def test_a_rollout_started_from_the_dialog_updates_live_and_is_promoted(user: User, seed, support_bot) -> None:
    await signed_in(user, seed)
    await open_gradual_edit(user)
    choose(user, 'rollout-preset', 'Custom steps')
    user.find(marker='rollout-stages').type('50, 100')
    marked(user, 'rollout-samples').value = 1000  # no step ends by itself: a person promotes
    user.find(marker='save-deployment').click()
    await user.should_see('Rolling out revision 2: 50 % of calls get it first', retries=SLOW)
    await user.should_see('Step 1 of 2: 50 % of calls get the new version', retries=SLOW)
    assert deployments.get_deployment(seed, Actor.system(), 'support-bot').revision == 1  # current until promoted

    await run_calls(user, seed, 6)
    await eventually(lambda: calls_shown(user) == 6)  # no reload: finished runs update the panel
    await eventually(lambda: chart_calls(user) == 6)

    user.find(marker='rollout-promote').click()
    await user.should_see('Give the new version to every call now')
    user.find(marker='confirm-yes').click()
    await user.should_see('Promoted: revision 2', retries=SLOW)
    await eventually(lambda: marked(user, 'rollout-status').text == 'Promoted')
    saved = deployments.get_deployment(seed, Actor.system(), 'support-bot')
    assert (saved.revision, saved.model) == (2, 'gpt-4o')
    await user.should_see('Revision:', retries=SLOW)
    await user.should_not_see(marker='rollout-promote')


async def test_a_guardrail_roll_back_shows_its_reason_in_words(user: User, seed, support_bot, fake_llm) -> None:
    fake_llm.fail_model('gpt-4o', 400)
    await service.start_rollout(
        seed, Actor.system(), 'support-bot', changes={'model': 'gpt-4o'}, settings={'stages': [50, 100], 'minSamples': 1000}
    )
    await signed_in(user, seed)
    await user.open('/deployments/support-bot')
    await user.should_see('Step 1 of 2', retries=SLOW)
    await run_calls(user, seed, 60)
    await eventually(lambda: marked(user, 'rollout-status').text == 'Rolled back', timeout=20)
    assert 'Candidate fails 100 % of runs vs 0 % on stable' in marked(user, 'rollout-verdict').text
    assert 'rolled back at' in marked(user, 'rollout-verdict').text


async def test_a_pause_through_the_api_shows_on_the_open_page(user: User, seed, support_bot) -> None:
    await service.start_rollout(seed, Actor.system(), 'support-bot', changes={'model': 'gpt-4o'})
    await signed_in(user, seed)
    await user.open('/deployments/support-bot')
    await user.should_see('Step 1 of 4', retries=SLOW)
    token = api_keys.create_api_key(seed, Actor.system(), name='ops', scopes=['deployments:write']).token
    response = await user.http_client.post(
        '/api/v1/deployments/support-bot/rollouts/current/pause', headers={'Authorization': f'Bearer {token}'}
    )
    assert response.status_code == 200, response.text
    await eventually(lambda: marked(user, 'rollout-status').text == 'Paused')  # told by the bus, no reload
    await user.should_see(marker='rollout-resume')
    await user.should_not_see(marker='rollout-pause')


async def test_a_viewer_sees_the_panel_without_its_buttons(user: User, seed, support_bot) -> None:
    await service.start_rollout(seed, Actor.system(), 'support-bot', changes={'model': 'gpt-4o'})
    await signed_in(user, seed, role='viewer')
    await user.open('/deployments/support-bot')
    await user.should_see('Step 1 of 4: 5 % of calls get the new version', retries=SLOW)
    for action in ('promote', 'pause', 'resume', 'abort'):
        await user.should_not_see(marker=f'rollout-{action}')
    await user.should_see(marker='rollout-chart')


async def test_pause_then_abort_each_ask_first(user: User, seed, support_bot) -> None:
    await service.start_rollout(seed, Actor.system(), 'support-bot', changes={'model': 'gpt-4o'})
    await signed_in(user, seed)
    await user.open('/deployments/support-bot')
    await user.should_see('Step 1 of 4', retries=SLOW)
    user.find(marker='rollout-pause').click()
    await user.should_see('Pause the rollout?')
    user.find(marker='confirm-no').click()
    await user.should_not_see('Pause the rollout?')
    assert service.current_rollout(seed, Actor.system(), 'support-bot').status == 'running'
    user.find(marker='rollout-pause').click()
    await user.should_see(marker='confirm-yes')
    user.find(marker='confirm-yes').click()
    await eventually(lambda: marked(user, 'rollout-status').text == 'Paused')
    user.find(marker='rollout-abort').click()
    await user.should_see('Abort the rollout?')
    user.find(marker='confirm-yes').click()
    await eventually(lambda: marked(user, 'rollout-status').text == 'Aborted')
    [aborted] = service.list_rollouts(seed, Actor.system(), 'support-bot')
    assert aborted.status == 'aborted' and aborted.history[-1].by == 'admin@example.com'


@pytest.mark.parametrize(
    ('steps', 'field', 'words'),
    [('50, 20, 100', 'rollout-stages', 'must rise'), ('10, 50', 'rollout-stages', 'must end at 100'),
     ('10, half, 100', 'rollout-stages', 'whole percent')],
)  # fmt: skip
async def test_bad_custom_steps_are_named_under_their_field_and_nothing_is_written(
    user: User, seed, support_bot, steps: str, field: str, words: str
) -> None:
    await signed_in(user, seed)
    await open_gradual_edit(user)
    choose(user, 'rollout-preset', 'Custom steps')
    user.find(marker='rollout-stages').type(steps)
    user.find(marker='save-deployment').click()
    await eventually(lambda: words in (marked(user, field).error or ''))
    assert service.list_rollouts(seed, Actor.system(), 'support-bot') == []
    assert deployments.get_deployment(seed, Actor.system(), 'support-bot').revision == 1


async def test_negative_minutes_are_named_under_their_field(user: User, seed, support_bot) -> None:
    await signed_in(user, seed)
    await open_gradual_edit(user)
    marked(user, 'rollout-minutes').value = -5
    user.find(marker='save-deployment').click()
    await eventually(lambda: '0 or more' in (marked(user, 'rollout-minutes').error or ''))
    assert service.list_rollouts(seed, Actor.system(), 'support-bot') == []


async def test_the_guardrails_chosen_in_the_dialog_are_the_rollouts(user: User, seed, support_bot) -> None:
    await signed_in(user, seed)
    await open_gradual_edit(user)
    choose(user, 'rollout-preset', 'Careful: 1 %, then 5 %, 25 %, 50 %, everyone')
    marked(user, 'rollout-failures').value = 2
    marked(user, 'rollout-latency').value = 300
    user.find(marker='save-deployment').click()
    await user.should_see('Step 1 of 5: 1 % of calls get the new version', retries=SLOW)
    rollout = service.current_rollout(seed, Actor.system(), 'support-bot')
    assert (rollout.stages, rollout.guardrails) == ([1, 5, 25, 50, 100], {'failureRate': 0.02, 'p95LatencyMs': 300})


async def test_an_allowance_above_100_points_is_named_under_its_field(user: User, seed, support_bot) -> None:
    await signed_in(user, seed)
    await open_gradual_edit(user)
    marked(user, 'rollout-failures').value = 150
    user.find(marker='save-deployment').click()
    await eventually(lambda: 'from 0 to 100 points' in (marked(user, 'rollout-failures').error or ''))
    assert service.list_rollouts(seed, Actor.system(), 'support-bot') == []


async def test_apply_now_stays_a_plain_edit(user: User, seed, support_bot) -> None:
    await signed_in(user, seed)
    await user.open('/deployments/support-bot')
    user.find('Edit').click()
    await models_loaded(user)
    choose(user, 'model', 'gpt-4o')
    user.find(marker='save-deployment').click()
    await user.should_see('Saved support-bot (revision 2)', retries=SLOW)
    assert service.list_rollouts(seed, Actor.system(), 'support-bot') == []
    await user.should_not_see(marker='rollout-panel')

"""The prompt page lists its deployments, and asks before a new version changes those that follow "latest"."""

import pytest
from nicegui.testing import User

from core import deployments, prompts
from core.permissions import Actor
from core.rollouts import service
from tests.ui.conftest import SLOW, eventually, make_deployment, make_prompt, marked, signed_in


@pytest.fixture
async def helpdesk(seed):
    prompt = make_prompt(seed, 'Helpdesk', 'Answer briefly.')
    await make_deployment(seed, 'support-bot', prompt)
    await make_deployment(seed, 'billing-bot', prompt)
    await make_deployment(seed, 'pinned-bot', prompt, prompt_version=1)
    return prompt


async def save_a_new_template(user: User, prompt) -> None:
    await user.open(f'/prompts/{prompt.id}')
    await user.should_see('follows latest', retries=SLOW)
    user.find(marker='template').type(' Be kind.')
    user.find('Save').click()


async def test_the_page_lists_the_deployments_and_which_follow_latest(user: User, seed, helpdesk) -> None:
    await signed_in(user, seed, role='viewer')
    await user.open(f'/prompts/{helpdesk.id}')
    await user.should_see('support-bot', retries=SLOW)
    await user.should_see('billing-bot')
    await user.should_see('pinned to v1')
    assert len(user.find('follows latest').elements) == 2


async def test_the_question_lists_the_followers_and_rolls_out_gradually(user: User, seed, helpdesk) -> None:
    await signed_in(user, seed)
    await save_a_new_template(user, helpdesk)
    await user.should_see('This new version changes live deployments', retries=SLOW)
    assert marked(user, 'affected-deployments').text.endswith('at once: billing-bot, support-bot.')
    user.find(marker='save-gradual').click()
    await user.should_see('Rolling out version 2 gradually to billing-bot, support-bot', retries=SLOW)
    await eventually(lambda: len(user.find('rolling out').elements) == 2)
    assert prompts.get_prompt(seed, Actor.system(), helpdesk.id).version == 2
    for name in ('billing-bot', 'support-bot'):
        rollout = service.current_rollout(seed, Actor.system(), name)
        assert rollout.percent == 5 and rollout.candidate['promptVersion'] is None
        assert deployments.get_deployment(seed, Actor.system(), name).prompt_version == 1  # stable: the version run now
    assert service.list_rollouts(seed, Actor.system(), 'pinned-bot') == []


async def test_cancel_saves_nothing(user: User, seed, helpdesk) -> None:
    await signed_in(user, seed)
    await save_a_new_template(user, helpdesk)
    await user.should_see(marker='save-cancel', retries=SLOW)
    user.find(marker='save-cancel').click()
    await user.should_not_see('This new version changes live deployments')
    assert prompts.get_prompt(seed, Actor.system(), helpdesk.id).version == 1
    assert deployments.get_deployment(seed, Actor.system(), 'support-bot').revision == 1


async def test_change_now_saves_as_before_without_a_rollout(user: User, seed, helpdesk) -> None:
    await signed_in(user, seed)
    await save_a_new_template(user, helpdesk)
    await user.should_see(marker='save-now', retries=SLOW)
    user.find(marker='save-now').click()
    await user.should_see('Saved as version 2', retries=SLOW)
    assert service.list_rollouts(seed, Actor.system(), 'support-bot') == []
    assert deployments.get_deployment(seed, Actor.system(), 'support-bot').prompt_version is None

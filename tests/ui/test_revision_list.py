"""Revisions: what each changed against the one before, promotions and returns marked, a rollback asked first."""

import pytest
from nicegui.testing import User

from core import deployments
from core.permissions import Actor
from core.rollouts import service
from tests.ui.conftest import SLOW, make_deployment, make_prompt, signed_in
from ui.revision_list import changes

BASE = {'promptId': 'p1', 'promptVersion': None, 'provider': 'openai', 'model': 'gpt-4o-mini', 'options': {}}


@pytest.fixture
async def support_bot(seed):
    return await make_deployment(seed, 'support-bot', make_prompt(seed), options={'temperature': 0.2})


def test_changes_name_each_field_that_differs() -> None:
    after = {**BASE, 'promptVersion': 3, 'model': 'gpt-4o', 'options': {'maxTokens': 200, 'temperature': 0.5}}
    assert changes({**BASE, 'options': {'temperature': 0.2}}, after) == [
        'prompt version: latest → v3', 'model: gpt-4o-mini → gpt-4o', 'temperature: 0.2 → 0.5', 'max tokens: default → 200',
    ]  # fmt: skip
    assert changes(BASE, dict(BASE)) == ['no change']
    assert changes(None, BASE) == ['first configuration']


async def test_the_page_shows_the_diff_and_marks_a_promotion_and_a_return(user: User, seed, support_bot) -> None:
    await deployments.update_deployment(seed, Actor.system(), 'support-bot', changes={'options': {'temperature': 0.7}})
    await service.start_rollout(seed, Actor.system(), 'support-bot', changes={'model': 'gpt-4o'})
    service.act_on_current(seed, Actor.system(), 'support-bot', 'promote')  # revision 3
    await deployments.rollback_deployment(seed, Actor.system(), 'support-bot', revision=1)  # revision 4
    await signed_in(user, seed)
    await user.open('/deployments/support-bot')
    await user.should_see('temperature: 0.2 → 0.7', retries=SLOW)
    await user.should_see('model: gpt-4o-mini → gpt-4o')
    await user.should_see('promoted from a rollout')
    await user.should_see('back to rev 1')


async def test_a_rollback_asks_first_and_cancel_changes_nothing(user: User, seed, support_bot) -> None:
    await deployments.update_deployment(seed, Actor.system(), 'support-bot', changes={'model': 'gpt-4o'})
    await signed_in(user, seed)
    await user.open('/deployments/support-bot')
    await user.should_see('Roll back to rev 1', retries=SLOW)
    user.find('Roll back to rev 1').click()
    await user.should_see('Make revision 1 current again?')
    user.find(marker='confirm-no').click()
    await user.should_not_see('Make revision 1 current again?')
    assert deployments.get_deployment(seed, Actor.system(), 'support-bot').revision == 2

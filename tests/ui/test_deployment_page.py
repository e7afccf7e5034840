"""One deployment's page: edit keeps the name, rollback, delete with confirm, Try it, and what a viewer may do."""

import pytest
from nicegui.testing import User

from core import deployments
from core.errors import Forbidden, NotFound
from core.permissions import Actor
from tests.ui.conftest import SLOW, choose, eventually, make_deployment, make_prompt, marked, models_loaded, signed_in


@pytest.fixture
async def support_bot(seed):
    return await make_deployment(seed, 'support-bot', make_prompt(seed), options={'temperature': 0.2})


async def test_editing_keeps_the_name_and_writes_a_new_revision(user: User, seed, support_bot) -> None:
    await signed_in(user, seed)
    await user.open('/deployments/support-bot')
    user.find('Edit').click()
    await models_loaded(user)
    assert not marked(user, 'deployment-name').enabled
    await user.should_see('The name cannot change')
    choose(user, 'model', 'gpt-4o')
    user.find(marker='save-deployment').click()
    await user.should_see('Saved support-bot (revision 2)', retries=SLOW)
    saved = deployments.get_deployment(seed, Actor.system(), 'support-bot')
    assert (saved.id, saved.name, saved.model, saved.revision) == (support_bot.id, 'support-bot', 'gpt-4o', 2)


async def test_rollback_restores_an_old_revision_as_a_new_one(user: User, seed, support_bot) -> None:
    await deployments.update_deployment(seed, Actor.system(), 'support-bot', changes={'model': 'gpt-4o'})
    await signed_in(user, seed)
    await user.open('/deployments/support-bot')
    await user.should_see('Roll back to rev 1')
    user.find('Roll back to rev 1').click()
    await user.should_see('Make revision 1 current again?')
    user.find(marker='confirm-yes').click()
    await user.should_see('Rolled back to revision 1; saved as revision 3', retries=SLOW)
    saved = deployments.get_deployment(seed, Actor.system(), 'support-bot')
    assert (saved.model, saved.revision) == ('gpt-4o-mini', 3)
    await user.should_see('Roll back to rev 2')


async def test_delete_asks_first(user: User, seed, support_bot) -> None:
    await signed_in(user, seed)
    await user.open('/deployments/support-bot')
    user.find('Delete').click()
    await user.should_see('Delete the deployment support-bot?')
    user.find(marker='confirm-no').click()
    await user.should_not_see('Delete the deployment support-bot?')
    assert deployments.get_deployment(seed, Actor.system(), 'support-bot')
    user.find('Delete').click()
    await user.should_see(marker='confirm-yes')
    user.find(marker='confirm-yes').click()
    await user.should_see('Deleted support-bot', retries=SLOW)
    with pytest.raises(NotFound):
        deployments.get_deployment(seed, Actor.system(), 'support-bot')


async def test_try_it_streams_the_reply_in(user: User, seed, support_bot, fake_llm) -> None:
    fake_llm.reply('Hello from the fake model, streamed in several chunks.')
    await signed_in(user, seed)
    await user.open('/deployments/support-bot')
    user.find(marker='try-input').type('How do I reset my password?')
    user.find('Run').click()
    await user.should_see('Hello from the fake model, streamed in several chunks.', retries=SLOW)
    await user.should_see('completed in', retries=SLOW)
    chat = [r for r in fake_llm.requests if r.path.endswith('/chat/completions')]
    assert chat and chat[-1].body['temperature'] == 0.2


async def test_try_it_shows_a_missing_input_next_to_the_field(user: User, seed, support_bot) -> None:
    await signed_in(user, seed)
    await user.open('/deployments/support-bot')
    user.find('Run').click()
    await eventually(lambda: marked(user, 'try-input').error is not None)


async def test_the_page_shows_snippets_for_this_deployment(user: User, seed, support_bot) -> None:
    await signed_in(user, seed)
    await user.open('/deployments/support-bot')
    await user.should_see('/api/v1/deployments/support-bot/run')


async def test_a_viewer_cannot_edit_even_by_calling_the_handler(user: User, seed, support_bot) -> None:
    viewer = await signed_in(user, seed, role='viewer')
    await user.open('/deployments/support-bot')
    await user.should_see('Your role can view this deployment but not change it.')
    assert not next(iter(user.find('Edit').elements)).enabled
    user.find('Edit').trigger('click')  # what a crafted request could do: the handler runs anyway
    await models_loaded(user)
    choose(user, 'model', 'gpt-4o')
    user.find(marker='save-deployment').click()
    await user.should_see("this needs the 'deployments:write' permission", retries=SLOW)
    assert deployments.get_deployment(seed, Actor.system(), 'support-bot').model == 'gpt-4o-mini'
    with pytest.raises(Forbidden):
        await deployments.update_deployment(seed, viewer.actor, 'support-bot', changes={'model': 'gpt-4o'})

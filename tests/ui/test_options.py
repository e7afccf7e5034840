"""Options in the deployment dialog and Try it: each says its range and purpose, an out-of-range value is refused under
its field and kept as typed (never clamped), and maxTokens reaches the provider."""

from nicegui.testing import User

from core import deployments
from core.permissions import Actor
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


async def open_new_deployment(user: User, seed, provider: str = 'OpenAI') -> None:
    make_prompt(seed, 'Helpdesk')
    await signed_in(user, seed)
    user.find('New deployment').click()
    await dialog_open(user)
    user.find(marker='deployment-name').type('support-bot')
    choose(user, 'prompt', 'Helpdesk')
    choose(user, 'provider', provider)
    await models_loaded(user)
    choose(user, 'model', 'gpt-4o-mini')


async def test_each_option_says_its_range_and_what_it_does(user: User, seed) -> None:
    await open_new_deployment(user, seed)
    assert marked(user, 'temperature').props['hint'].startswith('A number from 0 to 1; higher gives more varied')
    assert marked(user, 'topP').props['hint'].startswith('A number from 0 to 1')
    assert 'longest reply' in marked(user, 'maxTokens').props['hint']
    assert 'max' not in marked(user, 'temperature').props  # a max would make the browser clamp on blur


async def test_an_out_of_range_temperature_is_refused_under_the_field_and_kept_as_typed(user: User, seed) -> None:
    await open_new_deployment(user, seed)
    temperature = user.find(marker='temperature').type('5')
    temperature.trigger('blur')
    assert marked(user, 'temperature').value == 5  # not clamped to 1 behind the person's back
    assert marked(user, 'temperature').error == 'Must be a number from 0 to 1'
    user.find(marker='save-deployment').click()
    await eventually(lambda: marked(user, 'temperature').error == 'must be a number from 0 to 1')
    assert marked(user, 'temperature').value == 5
    assert deployments.list_deployments(seed, Actor.system()).total == 0


async def test_max_tokens_is_saved_with_the_deployment(user: User, seed) -> None:
    await open_new_deployment(user, seed)
    user.find(marker='maxTokens').type('256')
    user.find(marker='save-deployment').click()
    await user.should_see('Saved support-bot (revision 1)', retries=SLOW)
    saved = deployments.get_deployment(seed, Actor.system(), 'support-bot')
    assert saved.options == {'maxTokens': 256}


async def test_a_fractional_max_tokens_is_refused_at_its_field(user: User, seed) -> None:
    await open_new_deployment(user, seed)
    user.find(marker='maxTokens').type('2.5')
    user.find(marker='save-deployment').click()
    await eventually(lambda: marked(user, 'maxTokens').error == 'must be an integer from 1 to 2,147,483,647')
    assert deployments.list_deployments(seed, Actor.system()).total == 0


async def test_try_it_sends_max_tokens_to_the_provider(user: User, seed, fake_llm) -> None:
    await make_deployment(seed, 'support-bot', make_prompt(seed), provider='ollama', model='llama3.2')
    await signed_in(user, seed)
    await user.open('/deployments/support-bot')
    user.find(marker='try-input').type('How do I reset my password?')
    user.find(marker='maxTokens').type('64')
    user.find('Run').click()
    await user.should_see('completed in', retries=SLOW)
    assert fake_llm.last_chat('ollama').body['options'] == {'num_predict': 64}

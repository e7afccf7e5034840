"""Try it and the code snippets follow the template the deployment runs: one input per variable, `variables` sent."""

import pytest
from nicegui import ui
from nicegui.testing import User

from tests.ui.conftest import SLOW, choose, eventually, make_deployment, make_prompt, marked, models_loaded, signed_in

TEMPLATE = 'Answer {{name}} in {{language}}: {{input}}'


@pytest.fixture
async def answerer(seed):
    return await make_deployment(seed, 'answerer', make_prompt(seed, 'Answerer', TEMPLATE))


@pytest.fixture
async def greeter(seed):
    return await make_deployment(seed, 'greeter', make_prompt(seed, 'Greeter', 'Greet {{name}} from {{city}}.'))


def snippet(user: User, language: str) -> str:
    element = marked(user, f'snippet-{language}')
    assert isinstance(element, ui.code)
    return element.content


async def test_try_it_shows_one_input_per_variable_and_sends_them_as_variables(user: User, seed, answerer, fake_llm) -> None:
    fake_llm.reply('Bonjour Ada.')
    await signed_in(user, seed)
    await user.open('/deployments/answerer')
    user.find(marker='try-variable-name').type('Ada')
    user.find(marker='try-variable-language').type('French')
    user.find(marker='try-input').type('Where is my order?')
    user.find('Run').click()
    await user.should_see('Bonjour Ada.', retries=SLOW)
    messages = fake_llm.last_chat('openai').body['messages']
    assert messages == [{'role': 'user', 'content': 'Answer Ada in French: Where is my order?'}]


async def test_try_it_without_input_in_the_template_has_no_input_box(user: User, seed, greeter, fake_llm) -> None:
    await signed_in(user, seed)
    await user.open('/deployments/greeter')
    await user.should_see(marker='try-variable-city')
    await user.should_not_see(marker='try-input')
    user.find(marker='try-variable-name').type('Ada')
    user.find(marker='try-variable-city').type('Oslo')
    user.find('Run').click()
    await user.should_see('completed in', retries=SLOW)
    assert fake_llm.last_chat('openai').body['messages'] == [{'role': 'user', 'content': 'Greet Ada from Oslo.'}]


async def test_try_it_shows_an_empty_input_under_its_field(user: User, seed, answerer) -> None:
    await signed_in(user, seed)
    await user.open('/deployments/answerer')
    user.find(marker='try-variable-name').type('Ada')
    user.find('Run').click()
    await eventually(lambda: marked(user, 'try-input').error is not None)


async def test_the_snippets_send_a_placeholder_per_variable_and_user_input_for_input(user: User, seed, answerer) -> None:
    await signed_in(user, seed)
    await user.open('/deployments/answerer')
    for language in ('curl', 'python', 'javascript'):
        text = snippet(user, language)
        assert 'http://test/api/v1/deployments/answerer/run' in text  # the address the browser uses
        assert 'HYPERSIGIL_API_KEY' in text
        assert '"name": "<name>"' in text and '"language": "<language>"' in text
        assert '"userInput"' in text


async def test_the_snippets_leave_user_input_out_when_the_template_does_not_use_it(user: User, seed, greeter) -> None:
    await signed_in(user, seed)
    await user.open('/deployments/greeter')
    text = snippet(user, 'curl')
    assert '"variables"' in text and '"city": "<city>"' in text
    assert 'userInput' not in text


async def test_after_an_edit_to_another_prompt_try_it_and_the_snippets_follow_its_variables(user: User, seed, greeter) -> None:
    make_prompt(seed, 'Translator', 'Translate into {{language}}: {{input}}')
    await signed_in(user, seed)
    await user.open('/deployments/greeter')
    await user.should_see(marker='try-variable-city')
    user.find('Edit').click()
    await models_loaded(user)
    choose(user, 'prompt', 'Translator')
    user.find(marker='save-deployment').click()
    await user.should_see('Saved greeter (revision 2)', retries=SLOW)
    await user.should_see(marker='try-variable-language')
    await user.should_see(marker='try-input')
    await user.should_not_see(marker='try-variable-city')
    assert '"language": "<language>"' in snippet(user, 'curl') and '<city>' not in snippet(user, 'curl')


AGE_SCHEMA = {'type': 'object', 'properties': {'age': {'type': 'integer'}, 'name': {'type': 'string'}}}


@pytest.fixture
async def ager(seed):
    prompt = make_prompt(seed, 'Ager', '{{name}} is {{age}}.', input_schema=AGE_SCHEMA)
    return await make_deployment(seed, 'ager', prompt)


async def test_try_it_sends_a_value_typed_as_the_input_schema_says(user: User, seed, ager, fake_llm) -> None:
    await signed_in(user, seed)
    await user.open('/deployments/ager')
    await user.should_see('age (integer)')
    user.find(marker='try-variable-name').type('Ada')
    user.find(marker='try-variable-age').type('40')
    user.find('Run').click()
    await user.should_see('completed in', retries=SLOW)
    assert fake_llm.last_chat('openai').body['messages'] == [{'role': 'user', 'content': 'Ada is 40.'}]


async def test_try_it_shows_a_value_the_input_schema_refuses_under_its_input(user: User, seed, ager) -> None:
    await signed_in(user, seed)
    await user.open('/deployments/ager')
    user.find(marker='try-variable-name').type('Ada')
    user.find(marker='try-variable-age').type('forty')
    user.find('Run').click()
    await eventually(lambda: marked(user, 'try-variable-age').error is not None)
    assert 'is not of type' in marked(user, 'try-variable-age').error

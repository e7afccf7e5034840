"""Prompts: create, edit into a new version, variables, preview, and bad input shown on the field."""

from nicegui import ui
from nicegui.testing import User

from core import prompts
from core.permissions import Actor
from tests.ui.conftest import SLOW, make_prompt, marked, signed_in


async def test_create_a_prompt_and_see_its_variables(user: User, seed) -> None:
    await signed_in(user, seed)
    await user.open('/prompts')
    await user.should_see('No prompts yet')
    user.find('New prompt').click()
    await user.should_see('Create prompt')
    user.find('Name').type('Greeter')
    user.find(marker='template').type('Say hello to {{name}} from {{city}}.')
    await user.should_see('Variables: name, city')
    user.find('Create prompt').click()
    await user.should_see('Created Greeter', retries=SLOW)
    assert prompts.list_prompts(seed, Actor.system()).items[0].name == 'Greeter'


async def test_saving_a_changed_template_makes_a_new_version(user: User, seed) -> None:
    prompt = make_prompt(seed, 'Greeter', 'Hello {{input}}')
    await signed_in(user, seed)
    await user.open(f'/prompts/{prompt.id}')
    user.find(marker='template').type(' and welcome')
    user.find('Save').click()
    await user.should_see('Saved as version 2', retries=SLOW)
    await user.should_see('v2 · admin@example.com')
    user.find('v1 · system').click()
    await user.should_see('v1:\nHello {{input}}')


async def test_preview_renders_the_template_with_one_input_per_variable(user: User, seed) -> None:
    prompt = make_prompt(seed, 'Greeter', 'Say hello to {{name}} from {{city}}: {{input}}')
    await signed_in(user, seed)
    await user.open(f'/prompts/{prompt.id}')
    user.find(marker='sample-variable-name').type('Ada')
    user.find(marker='sample-variable-city').type('Oslo')
    user.find(marker='sample-input').type('Hi!')
    user.find(kind=ui.button, content='Preview').click()
    await user.should_see('user: Say hello to Ada from Oslo: Hi!')


async def test_preview_inputs_follow_the_template_as_it_is_typed(user: User, seed) -> None:
    prompt = make_prompt(seed, 'Greeter', 'Say hello to {{name}}.')
    await signed_in(user, seed)
    await user.open(f'/prompts/{prompt.id}')
    user.find(marker='sample-variable-name').type('Ada')
    user.find(marker='template').type(' You are {{mood}}.')
    user.find(marker='sample-variable-mood').type('cheerful')
    user.find(kind=ui.button, content='Preview').click()
    await user.should_see('user: Say hello to Ada. You are cheerful.')


async def test_the_editor_says_where_input_and_other_variables_come_from(user: User, seed) -> None:
    prompt = make_prompt(seed, 'Greeter', 'Say hello to {{name}}.')
    await signed_in(user, seed)
    await user.open(f'/prompts/{prompt.id}')
    await user.should_see("{{input}} is the caller's text")
    await user.should_see('Every other {{name}} is a variable: the caller sends it in variables')


async def test_a_schema_that_is_not_json_is_shown_on_its_field_and_nothing_changes(user: User, seed) -> None:
    prompt = make_prompt(seed, 'Greeter', 'Hello {{input}}')
    await signed_in(user, seed)
    await user.open(f'/prompts/{prompt.id}')
    user.find('Response schema (JSON Schema, optional)').type('{not json')
    user.find('Save').click()
    await user.should_see('not valid JSON')
    assert marked(user, 'template')  # still on the editor
    assert prompts.get_prompt(seed, Actor.system(), prompt.id).version == 1


async def test_a_viewer_reads_prompts_but_cannot_save(user: User, seed) -> None:
    prompt = make_prompt(seed, 'Greeter', 'Hello {{input}}')
    viewer = await signed_in(user, seed, role='viewer')
    await user.open(f'/prompts/{prompt.id}')
    assert not next(iter(user.find('Save').elements)).enabled
    user.find(marker='template').type(' changed')
    user.find('Save').trigger('click')
    await user.should_see("this needs the 'prompts:write' permission", retries=SLOW)
    assert prompts.get_prompt(seed, viewer.actor, prompt.id).version == 1


async def test_preview_types_a_value_as_the_input_schema_says(user: User, seed) -> None:
    schema = {'type': 'object', 'properties': {'age': {'type': 'integer', 'minimum': 0}}}
    prompt = make_prompt(seed, 'Ager', 'You are {{age}}.', input_schema=schema)
    await signed_in(user, seed)
    await user.open(f'/prompts/{prompt.id}')
    await user.should_see('age (integer)')
    user.find(marker='sample-variable-age').type('-1')
    user.find(kind=ui.button, content='Preview').click()
    await user.should_see('-1 is less than the minimum of 0')
    user.find(marker='sample-variable-age').clear()
    user.find(marker='sample-variable-age').type('40')
    user.find(kind=ui.button, content='Preview').click()
    await user.should_see('user: You are 40.')

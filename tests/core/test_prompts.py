import asyncio

import pytest

from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.prompts import (
    create_prompt,
    delete_prompt,
    get_prompt,
    list_prompts,
    list_versions,
    preview_prompt,
    update_prompt,
)
from data.tables import Deployment, Prompt, PromptVersion
from tests.actors import EDITOR, SYSTEM, VIEWER, count


def test_create_prompt_makes_version_one(core):
    prompt = create_prompt(core, EDITOR, name='Greeter', template='Greet {{name}}.', accepts_file=False)
    assert (prompt.name, prompt.version, prompt.template, prompt.input_schema) == ('Greeter', 1, 'Greet {{name}}.', None)
    assert get_prompt(core, VIEWER, prompt.id) == prompt
    assert get_prompt(core, VIEWER, 'Greeter') == prompt
    [version] = list_versions(core, VIEWER, prompt.id)
    assert (version.version, version.created_by) == (1, 'editor@example.com')


def test_duplicate_prompt_name_is_a_conflict_and_writes_nothing(core):
    create_prompt(core, SYSTEM, name='greeter', template='Hi')
    with pytest.raises(Conflict, match="'greeter'"):
        create_prompt(core, SYSTEM, name='greeter', template='Hello')
    assert (count(core, Prompt), count(core, PromptVersion)) == (1, 1)


@pytest.mark.parametrize(
    ('fields', 'field'),
    [
        ({'name': ''}, 'name'),
        ({'name': 'x' * 201}, 'name'),
        ({'name': '123e4567-e89b-12d3-a456-426614174000'}, 'name'),
        ({'template': ''}, 'template'),
        ({'template': '{{#open}}'}, 'template'),
        ({'input_schema': {'type': 'banana'}}, 'inputSchema'),
        ({'response_schema': {'required': 'age'}}, 'responseSchema'),
        ({'accepts_file': 'yes'}, 'acceptsFile'),
    ],
)
def test_bad_prompt_fields_are_refused_and_write_nothing(core, fields, field):
    with pytest.raises(Invalid) as caught:
        create_prompt(core, SYSTEM, **{'name': 'p', 'template': 'Hi', **fields})
    assert caught.value.field == field
    assert (count(core, Prompt), count(core, PromptVersion)) == (0, 0)


def test_a_content_change_appends_a_version_and_older_versions_stay(core):
    prompt = create_prompt(core, SYSTEM, name='p', template='v1 {{input}}')
    updated = update_prompt(core, EDITOR, prompt.id, template='v2 {{input}}', response_schema={'type': 'object'})
    assert (updated.version, updated.template, updated.response_schema) == (2, 'v2 {{input}}', {'type': 'object'})
    assert updated.updated_at > prompt.updated_at
    assert get_prompt(core, SYSTEM, 'p', version=1).template == 'v1 {{input}}'
    assert [v.version for v in list_versions(core, SYSTEM, 'p')] == [2, 1]


def test_changing_only_the_schema_or_file_flag_is_a_content_change(core):
    create_prompt(core, SYSTEM, name='p', template='Hi')
    assert update_prompt(core, SYSTEM, 'p', input_schema={'type': 'object'}).version == 2
    assert update_prompt(core, SYSTEM, 'p', accepts_file=True).version == 3
    third = update_prompt(core, SYSTEM, 'p', input_schema=None)  # None removes; UNSET (the default) keeps
    assert (third.version, third.input_schema, third.accepts_file) == (4, None, True)


def test_an_update_without_content_change_keeps_the_version(core):
    prompt = create_prompt(core, SYSTEM, name='p', template='Hi')
    assert update_prompt(core, SYSTEM, 'p', template='Hi') == prompt
    renamed = update_prompt(core, SYSTEM, 'p', name='q')
    assert (renamed.name, renamed.version) == ('q', 1)
    assert count(core, PromptVersion) == 1


def test_renaming_to_a_taken_name_is_a_conflict(core):
    create_prompt(core, SYSTEM, name='a', template='Hi')
    create_prompt(core, SYSTEM, name='b', template='Hi')
    with pytest.raises(Conflict, match="'a'"):
        update_prompt(core, SYSTEM, 'b', name='a', template='changed')
    assert get_prompt(core, SYSTEM, 'b').version == 1
    assert count(core, PromptVersion) == 2


def test_a_bad_update_writes_nothing(core):
    create_prompt(core, SYSTEM, name='p', template='Hi')
    with pytest.raises(Invalid) as caught:
        update_prompt(core, SYSTEM, 'p', template='{{/oops}}')
    assert caught.value.field == 'template'
    assert count(core, PromptVersion) == 1


def test_unknown_prompt_or_version_is_not_found(core):
    create_prompt(core, SYSTEM, name='p', template='Hi')
    with pytest.raises(NotFound):
        get_prompt(core, SYSTEM, 'nope')
    with pytest.raises(NotFound):
        get_prompt(core, SYSTEM, '123e4567-e89b-12d3-a456-426614174000')
    with pytest.raises(NotFound):
        get_prompt(core, SYSTEM, 'p', version=2)


def test_list_prompts_searches_sorts_and_pages(core):
    for name in ('Support reply', 'sales_pitch', 'Summary', 'greeting'):
        create_prompt(core, SYSTEM, name=name, template='Hi')
    update_prompt(core, SYSTEM, 'Summary', template='Hi again')
    page = list_prompts(core, VIEWER, search='S', page=1, page_size=2)
    assert page.total == 3
    assert [p.name for p in page.items] == ['sales_pitch', 'Summary']  # ordered by name, ignoring case
    assert page.items[1].version == 2
    assert [p.name for p in list_prompts(core, VIEWER, search='s', page=2, page_size=2).items] == ['Support reply']
    assert [p.name for p in list_prompts(core, VIEWER, search='_').items] == ['sales_pitch']  # LIKE wildcards are literal


def test_delete_prompt_removes_its_versions(core):
    create_prompt(core, SYSTEM, name='p', template='Hi')
    update_prompt(core, SYSTEM, 'p', template='Hello')
    delete_prompt(core, SYSTEM, 'p')
    assert (count(core, Prompt), count(core, PromptVersion)) == (0, 0)


def test_delete_prompt_used_by_a_deployment_is_a_conflict(core):
    prompt = create_prompt(core, SYSTEM, name='p', template='Hi')
    with core.session() as session:
        session.add(Deployment(name='bot', prompt_id=prompt.id, provider='openai', model='gpt-4o-mini'))
    with pytest.raises(Conflict, match='bot'):
        delete_prompt(core, SYSTEM, 'p')
    assert count(core, Prompt) == 1


def test_preview_renders_the_chosen_version(core):
    create_prompt(core, SYSTEM, name='p', template='Greet {{name}}')
    update_prompt(core, SYSTEM, 'p', template='Be brief.')
    assert preview_prompt(core, VIEWER, 'p', user_input='{"name": "Ada"}', version=1) == [
        {'role': 'user', 'content': 'Greet Ada'}
    ]
    assert preview_prompt(core, VIEWER, 'p', user_input='hi')[0] == {'role': 'system', 'content': 'Be brief.'}


def test_viewers_cannot_write_prompts(core):
    with pytest.raises(Forbidden):
        create_prompt(core, VIEWER, name='p', template='Hi')
    assert count(core, Prompt) == 0


async def test_concurrent_content_changes_get_distinct_version_numbers(core):
    create_prompt(core, SYSTEM, name='p', template='v1')
    edits = [asyncio.to_thread(update_prompt, core, SYSTEM, 'p', template=f'edit {i}') for i in range(4)]
    results = await asyncio.gather(*edits)
    assert sorted(result.version for result in results) == [2, 3, 4, 5]
    assert [v.version for v in list_versions(core, SYSTEM, 'p')] == [5, 4, 3, 2, 1]
    assert get_prompt(core, SYSTEM, 'p').version == 5

import json

import pytest

from core.errors import Invalid
from core.templates import build_messages, template_variables, validate_schema, validate_template

AGE_SCHEMA = {'type': 'object', 'properties': {'age': {'type': 'integer', 'minimum': 0}}, 'required': ['age']}


def test_a_template_without_variables_is_the_system_message_and_the_input_the_user_message():
    assert build_messages('You answer in one word.', 'How are you?') == [
        {'role': 'system', 'content': 'You answer in one word.'},
        {'role': 'user', 'content': 'How are you?'},
    ]


def test_a_template_with_variables_is_rendered_into_one_user_message():
    messages = build_messages('Greet {{name}} from {{city}}.', json.dumps({'name': 'Ada', 'city': 'London'}))
    assert messages == [{'role': 'user', 'content': 'Greet Ada from London.'}]


def test_input_is_always_the_raw_input_text():
    raw = '{"input": "ignored", "name": "Ada"}'
    assert build_messages('{{name}} said: {{input}}', raw)[0]['content'] == f'Ada said: {raw}'
    assert build_messages('Summarise: {{input}}', 'plain text')[0]['content'] == 'Summarise: plain text'


def test_rendering_does_not_escape_html():
    messages = build_messages('{{code}} & {{{code}}}', json.dumps({'code': '<a href="x">&</a>'}))
    assert messages[0]['content'] == '<a href="x">&</a> & <a href="x">&</a>'


def test_values_that_are_not_strings_render_as_json():
    data = {'n': 3, 'ok': True, 'none': None, 'tags': ['a', 'b'], 'user': {'id': 1}}
    content = build_messages('{{n}}|{{ok}}|{{none}}|{{tags}}|{{user}}', json.dumps(data))[0]['content']
    assert content == '3|true||["a", "b"]|{"id": 1}'


def test_sections_iterate_lists_and_dotted_names_reach_into_objects():
    data = {'items': [{'title': 'one'}, {'title': 'two'}], 'user': {'name': 'Ada'}}
    template = '{{user.name}}:{{#items}} {{title}}{{/items}}'
    assert build_messages(template, json.dumps(data))[0]['content'] == 'Ada: one two'


def test_input_values_are_not_rendered_as_templates():
    assert build_messages('{{a}}', json.dumps({'a': '{{b}}', 'b': 'x'}))[0]['content'] == '{{b}}'


def test_a_missing_variable_is_named():
    with pytest.raises(Invalid) as caught:
        build_messages('Hi {{name}}, you are {{age}}', json.dumps({'name': 'Ada'}))
    assert caught.value.field == 'variables.age'
    assert "missing variable 'age'" in caught.value.detail


def test_plain_text_input_to_a_template_with_variables_names_them_all():
    with pytest.raises(Invalid) as caught:
        build_messages('Hi {{name}}, you are {{age}}', 'just text')
    assert caught.value.field == 'variables.name'
    assert "missing variables 'name', 'age'" in caught.value.detail
    assert 'variables, a JSON object' in caught.value.detail


def test_variables_fill_the_template_and_the_input_text_fills_input():
    variables = {'name': 'Ada', 'city': 'Oslo'}
    messages = build_messages('Answer {{name}} from {{city}}: {{input}}', 'Where is my order?', variables=variables)
    assert messages == [{'role': 'user', 'content': 'Answer Ada from Oslo: Where is my order?'}]


def test_variables_alone_fill_a_template_without_input():
    assert build_messages('Greet {{name}}.', None, variables={'name': 'Ada'}) == [{'role': 'user', 'content': 'Greet Ada.'}]


def test_given_variables_win_over_a_json_input_text():
    messages = build_messages('{{name}}: {{input}}', '{"name": "Bob"}', variables={'name': 'Ada'})
    assert messages[0]['content'] == 'Ada: {"name": "Bob"}'


def test_a_variable_missing_from_variables_is_named_with_its_path():
    with pytest.raises(Invalid) as caught:
        build_messages('{{name}} in {{city}}', None, variables={'name': 'Ada'})
    assert (caught.value.field, caught.value.detail) == ('variables.city', "missing variable 'city'")


def test_input_missing_when_the_template_uses_it_names_user_input():
    with pytest.raises(Invalid) as caught:
        build_messages('{{name}}: {{input}}', None, variables={'name': 'Ada'})
    assert caught.value.field == 'userInput'


@pytest.mark.parametrize('variables', [['a'], 'name', 3, True])
def test_variables_that_are_not_an_object_are_refused(variables):
    with pytest.raises(Invalid) as caught:
        build_messages('{{name}}', None, variables=variables)
    assert caught.value.field == 'variables'


def test_a_run_needs_input_or_variables():
    with pytest.raises(Invalid) as caught:
        build_messages('{{name}}', None)
    assert caught.value.field == 'userInput'


def test_a_template_without_variables_needs_the_input_text():
    with pytest.raises(Invalid) as caught:
        build_messages('Be brief.', None, variables={'name': 'Ada'})
    assert caught.value.field == 'userInput'


def test_given_variables_are_checked_against_the_input_schema():
    with pytest.raises(Invalid) as caught:
        build_messages('{{age}}', None, variables={'age': 'forty'}, input_schema=AGE_SCHEMA)
    assert caught.value.field == 'variables.age'
    with pytest.raises(Invalid) as caught:
        build_messages('{{age}}', None, variables={'name': 'Ada'}, input_schema=AGE_SCHEMA)
    assert caught.value.field == 'variables'
    assert build_messages('Age {{age}}', None, variables={'age': 40}, input_schema=AGE_SCHEMA)[0]['content'] == 'Age 40'


def test_a_missing_section_key_is_a_missing_variable():
    with pytest.raises(Invalid, match="missing variable 'urgent'"):
        build_messages('{{#urgent}}Hurry. {{/urgent}}{{input}}', 'hello')
    with pytest.raises(Invalid, match="missing variable 'urgent'"):
        build_messages('{{^urgent}}Relax. {{/urgent}}{{input}}', 'hello')
    assert build_messages('{{^urgent}}Relax.{{/urgent}}', '{"urgent": false}')[0]['content'] == 'Relax.'


def test_a_missing_name_inside_a_section_or_after_a_dot_is_named():
    with pytest.raises(Invalid, match="missing variable 'title'"):
        build_messages('{{#items}}{{title}}{{/items}}', json.dumps({'items': [{'name': 'x'}]}))
    with pytest.raises(Invalid, match=r"missing variable 'user\.name'"):
        build_messages('{{user.name}}', json.dumps({'user': {}}))


@pytest.mark.parametrize('user_input', ['', '   \n'])
def test_empty_input_is_refused(user_input):
    with pytest.raises(Invalid) as caught:
        build_messages('Be brief.', user_input)
    assert (caught.value.field, caught.value.detail) == ('userInput', 'must not be empty')


def test_input_must_be_json_when_the_prompt_has_an_input_schema():
    with pytest.raises(Invalid) as caught:
        build_messages('{{age}}', 'forty', input_schema=AGE_SCHEMA)
    assert caught.value.field == 'userInput'
    assert 'must be JSON' in caught.value.detail


def test_input_failing_the_input_schema_reports_where():
    with pytest.raises(Invalid) as caught:
        build_messages('{{age}}', '{"age": "forty"}', input_schema=AGE_SCHEMA)
    assert caught.value.field == 'userInput'
    assert '$.age' in caught.value.detail
    assert "'forty' is not of type 'integer'" in caught.value.detail


def test_input_matching_the_input_schema_renders():
    assert build_messages('Age {{age}}', '{"age": 40}', input_schema=AGE_SCHEMA) == [{'role': 'user', 'content': 'Age 40'}]


def test_template_variables_lists_the_names_looked_up_in_the_input_once_each():
    template = (
        '{{name}} {{{raw}}} {{&amp}} {{user.first}} {{user.last}} {{#items}}{{title}}{{/items}} {{^quiet}}!{{/quiet}} {{name}}'
    )
    assert template_variables(template) == ['name', 'raw', 'amp', 'user', 'items', 'quiet']
    assert template_variables('No variables here. {{! a comment }}') == []


def test_comments_are_dropped_from_a_system_template():
    assert build_messages('Be brief.{{! why: tokens cost money }}', 'hi')[0] == {'role': 'system', 'content': 'Be brief.'}


@pytest.mark.parametrize(
    ('template', 'expected'),
    [
        ('{{#open}} never closed', 'cannot parse'),
        ('{{#a}}x{{/b}}', 'cannot parse'),
        ('{{> header}}', 'partials'),
        ('', 'must not be empty'),
        ('  ', 'must not be empty'),
    ],
)
def test_a_template_that_does_not_parse_is_refused(template, expected):
    with pytest.raises(Invalid) as caught:
        validate_template(template)
    assert caught.value.field == 'template'
    assert expected in caught.value.detail


@pytest.mark.parametrize(
    'schema', [{'type': 'banana'}, {'properties': {'a': {'minimum': 'x'}}}, ['not', 'an', 'object'], 'string']
)
def test_an_invalid_json_schema_is_refused(schema):
    with pytest.raises(Invalid) as caught:
        validate_schema(schema, 'inputSchema')
    assert caught.value.field == 'inputSchema'


def test_a_valid_json_schema_passes():
    assert validate_schema(AGE_SCHEMA, 'responseSchema') == AGE_SCHEMA
    assert validate_schema(None, 'responseSchema') is None


# nesting past what the parser, the schema checker or the renderer can recurse into: a 422, never a 500 (issue 9, item 10)
DEEP = 100_000
TREE_SCHEMA = {
    '$defs': {'node': {'type': ['object', 'integer'], 'additionalProperties': {'$ref': '#/$defs/node'}}},
    '$ref': '#/$defs/node',
}


def nested_object(depth: int) -> str:
    return '{"a": ' * depth + '1' + '}' * depth


@pytest.mark.parametrize(
    ('template', 'user_input', 'schema'),
    [
        ('Summarise: {{input}}', '[' * DEEP + ']' * DEEP, None),
        ('{{a}}', nested_object(DEEP), None),
        ('Check this.', nested_object(600), TREE_SCHEMA),
    ],
    ids=['json-array', 'json-object', 'against-a-recursive-schema'],
)
def test_input_nested_too_deeply_is_refused_naming_the_input(template, user_input, schema):
    with pytest.raises(Invalid) as caught:
        build_messages(template, user_input, input_schema=schema)

    assert caught.value.field == 'userInput'
    assert 'nested too deeply' in caught.value.detail


def test_a_schema_nested_too_deeply_is_refused():
    schema: dict = {}
    for _ in range(2000):
        schema = {'items': schema}

    with pytest.raises(Invalid) as caught:
        validate_schema(schema, 'responseSchema')

    assert (caught.value.field, caught.value.detail) == ('responseSchema', 'is nested too deeply')


def test_a_template_nested_too_deeply_is_refused():
    with pytest.raises(Invalid) as caught:
        validate_template('{{#a}}' * 5000 + 'x' + '{{/a}}' * 5000)

    assert caught.value.field == 'template' and 'nested too deeply' in caught.value.detail

"""How a chat becomes a run: pure rules, no database."""

import pytest

from core.chat_completions import ChatRun, chat_run, request_field
from core.errors import Invalid


def user(content) -> dict:
    return {'role': 'user', 'content': content}


def test_the_last_user_message_is_the_input():
    messages = [{'role': 'system', 'content': 'be brief'}, user('first'), {'role': 'assistant', 'content': 'ok'}, user('last')]
    assert chat_run(messages=messages) == ChatRun('last', None, None)


def test_text_parts_are_joined_by_newlines():
    parts = [{'type': 'text', 'text': 'one'}, {'type': 'text', 'text': 'two'}]
    assert chat_run(messages=[user(parts)]).user_input == 'one\ntwo'


def test_temperature_top_p_and_max_tokens_become_the_run_options():
    options = chat_run(messages=[user('hi')], temperature=0.2, top_p=1, max_tokens=30).options
    assert options == {'temperature': 0.2, 'topP': 1, 'maxTokens': 30}
    assert chat_run(messages=[user('hi')], temperature=None).options is None


def test_variables_alone_are_enough():
    assert chat_run(messages=[{'role': 'system', 'content': 'x'}], variables={'name': 'Ann'}) == ChatRun(
        None, {'name': 'Ann'}, None
    )


@pytest.mark.parametrize(
    ('messages', 'variables', 'field'),
    [
        ([{'role': 'system', 'content': 'only instructions'}], None, 'messages'),
        ([{'role': 'system', 'content': 'only instructions'}], {}, 'messages'),
        ([user(None)], None, 'messages[0].content'),
        ([user('ok'), user([{'type': 'image_url', 'image_url': {'url': 'https://x'}}])], None, 'messages[1].content'),
        ([user('hi')], ['not', 'an', 'object'], 'variables'),
        ('hi', None, 'messages'),
    ],
)
def test_a_chat_that_asks_for_no_run_names_the_field(messages, variables, field):
    with pytest.raises(Invalid) as raised:
        chat_run(messages=messages, variables=variables)
    assert raised.value.field == field


def test_the_run_fields_are_named_as_the_chat_names_them():
    fields = ('userInput', 'options.topP', 'options.temperature', 'options.maxTokens', 'variables.topic')
    assert [request_field(f) for f in fields] == ['messages', 'top_p', 'temperature', 'max_tokens', 'variables.topic']

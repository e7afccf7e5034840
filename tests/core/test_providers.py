"""Each adapter through its provider's real SDK against the fake LLM server: text, deltas, tokens, options, schemas, files."""

import json

import pytest

from core.providers.anthropic import SAMPLING_API_VERSION
from core.providers.base import FileInput, ProviderError
from tests.fakes.adapters import MESSAGES, MODELS, adapter_fixture, chat, make_adapter, provider_fixture  # noqa: F401

PNG = FileInput('dot.png', 'image/png', b'\x89PNG\r\n\x1a\nfake')
PDF = FileInput('paper.pdf', 'application/pdf', b'%PDF-1.7 fake')


async def test_chat_streams_the_reply_in_deltas_and_reports_tokens(provider, adapter, fake_llm):
    deltas: list[str] = []

    result = await adapter.chat(chat(provider), deltas.append)

    assert result.text == fake_llm.reply_text
    assert len(deltas) >= 3
    assert ''.join(deltas) == result.text
    prompt_words = fake_llm.count_tokens('You answer briefly. What is a sigil?')
    assert (result.input_tokens, result.output_tokens) == (prompt_words, fake_llm.count_tokens(result.text))


async def test_chat_accepts_an_async_delta_callback(provider, adapter):
    deltas: list[str] = []

    async def on_delta(text: str) -> None:
        deltas.append(text)

    result = await adapter.chat(chat(provider), on_delta)

    assert ''.join(deltas) == result.text


async def test_the_fake_receives_model_and_messages(provider, adapter, fake_llm):
    await adapter.chat(chat(provider))

    sent = fake_llm.last_chat(provider)
    assert sent.body['model'] == MODELS[provider]
    assert sent.body['stream'] is True
    if provider == 'anthropic':
        assert sent.body['system'] == 'You answer briefly.'
        assert sent.body['messages'] == [{'role': 'user', 'content': 'What is a sigil?'}]
    else:
        assert sent.body['messages'] == MESSAGES


async def test_scripted_reply_and_usage_come_back(provider, adapter, fake_llm):
    fake_llm.reply('Exactly this.')
    fake_llm.set_usage(input_tokens=40, output_tokens=2)

    result = await adapter.chat(chat(provider))

    assert (result.text, result.input_tokens, result.output_tokens) == ('Exactly this.', 40, 2)


async def test_list_models_returns_the_providers_models(provider, adapter, fake_llm):
    fake_llm.set_models(provider, ['b-model', 'a-model'])

    assert await adapter.list_models() == ['a-model', 'b-model']


# -- sampling options, per DESIGN.md §4 --


async def test_openai_gets_temperature_and_top_p_but_never_top_k(fake_llm):
    adapter = make_adapter('openai', fake_llm.env)

    await adapter.chat(chat('openai', options={'temperature': 0.2, 'topP': 0.9, 'topK': 5}))

    body = fake_llm.last_chat('openai').body
    assert (body['temperature'], body['top_p']) == (0.2, 0.9)
    assert 'top_k' not in body


async def test_ollama_gets_all_three_options(fake_llm):
    adapter = make_adapter('ollama', fake_llm.env)

    await adapter.chat(chat('ollama', options={'temperature': 0.2, 'topP': 0.9, 'topK': 5}))

    assert fake_llm.last_chat('ollama').body['options'] == {'temperature': 0.2, 'top_p': 0.9, 'top_k': 5}


async def test_anthropic_without_options_sends_the_sdk_default_request(fake_llm):
    adapter = make_adapter('anthropic', fake_llm.env)

    await adapter.chat(chat('anthropic'))

    sent = fake_llm.last_chat('anthropic')
    assert sent.headers['anthropic-version'] != SAMPLING_API_VERSION
    assert not {'temperature', 'top_p', 'top_k'} & sent.body.keys()


async def test_anthropic_with_options_uses_api_version_2023_06_01(fake_llm):
    adapter = make_adapter('anthropic', fake_llm.env)

    result = await adapter.chat(chat('anthropic', options={'temperature': 0.2, 'topP': 0.9, 'topK': 5}))

    sent = fake_llm.last_chat('anthropic')
    assert sent.headers['anthropic-version'] == SAMPLING_API_VERSION
    assert (sent.body['temperature'], sent.body['top_p'], sent.body['top_k']) == (0.2, 0.9, 5)
    assert result.text == fake_llm.reply_text


MAX_TOKENS_PARAMETER = {'openai': 'max_completion_tokens', 'anthropic': 'max_tokens', 'ollama': 'num_predict'}


async def test_max_tokens_reaches_each_sdk_under_its_own_parameter(provider, adapter, fake_llm):
    await adapter.chat(chat(provider, options={'maxTokens': 77}))

    body = fake_llm.last_chat(provider).body
    sent = body['options'] if provider == 'ollama' else body
    assert sent[MAX_TOKENS_PARAMETER[provider]] == 77


async def test_anthropic_with_only_max_tokens_keeps_the_sdk_default_api_version(fake_llm):
    adapter = make_adapter('anthropic', fake_llm.env)

    await adapter.chat(chat('anthropic', options={'maxTokens': 300}))

    sent = fake_llm.last_chat('anthropic')
    assert sent.headers['anthropic-version'] != SAMPLING_API_VERSION
    assert sent.body['max_tokens'] == 300


async def test_the_fake_refuses_sampling_on_anthropics_default_api_version(fake_llm):
    import anthropic

    client = anthropic.AsyncAnthropic(api_key='sk-ant-test', base_url=fake_llm.env['ANTHROPIC_BASE_URL'], max_retries=0)
    message = {'role': 'user', 'content': 'hi'}

    with pytest.raises(anthropic.BadRequestError, match='temperature'):
        await client.messages.create(model='claude-haiku-4-5', max_tokens=10, messages=[message], extra_body={'temperature': 0.5})


# -- structured output --

SCHEMA = {'type': 'object', 'properties': {'answer': {'type': 'string'}, 'score': {'type': 'integer'}}, 'required': ['answer']}


async def test_a_response_schema_asks_for_structured_output(provider, adapter, fake_llm):
    result = await adapter.chat(chat(provider, response_schema=SCHEMA))

    assert json.loads(result.text) == {'answer': 'example', 'score': 1}
    body = fake_llm.last_chat(provider).body
    if provider == 'openai':
        assert body['response_format']['type'] == 'json_schema'
        assert body['response_format']['json_schema']['schema'] == SCHEMA
    elif provider == 'anthropic':
        sent = body['output_config']['format']
        assert sent['type'] == 'json_schema'
        assert sent['schema']['properties'] == SCHEMA['properties']
    else:
        assert body['format'] == SCHEMA


# -- files --


async def test_openai_gets_an_image_as_an_image_url_part(fake_llm):
    await make_adapter('openai', fake_llm.env).chat(chat('openai', file=PNG))

    parts = fake_llm.last_chat('openai').body['messages'][-1]['content']
    assert parts[0] == {'type': 'text', 'text': 'What is a sigil?'}
    assert parts[1]['image_url']['url'].startswith('data:image/png;base64,')


async def test_anthropic_gets_a_pdf_as_a_document_block(fake_llm):
    await make_adapter('anthropic', fake_llm.env).chat(chat('anthropic', file=PDF))

    blocks = fake_llm.last_chat('anthropic').body['messages'][-1]['content']
    assert blocks[0]['type'] == 'document'
    assert blocks[0]['source']['media_type'] == 'application/pdf'
    assert blocks[1] == {'type': 'text', 'text': 'What is a sigil?'}


async def test_ollama_gets_an_image_in_the_message_images(fake_llm):
    await make_adapter('ollama', fake_llm.env).chat(chat('ollama', file=PNG))

    message = fake_llm.last_chat('ollama').body['messages'][-1]
    assert message['content'] == 'What is a sigil?'
    assert len(message['images']) == 1


async def test_a_text_file_is_put_into_the_prompt(provider, adapter, fake_llm):
    notes = FileInput('notes.txt', 'text/plain', b'the notes')

    await adapter.chat(chat(provider, file=notes))

    assert 'the notes' in json.dumps(fake_llm.last_chat(provider).body['messages'][-1])


async def test_a_file_type_the_provider_does_not_take_is_refused(fake_llm):
    adapter = make_adapter('ollama', fake_llm.env)

    with pytest.raises(ProviderError, match='does not take application/pdf'):
        await adapter.chat(chat('ollama', file=PDF))
    assert 'application/pdf' not in adapter.file_types

"""The fake LLM server itself: scripting, recording, honesty about each provider's rules, and its standalone mode."""

import asyncio
import subprocess
import sys
import time

import httpx
import openai
import pytest

from tests.fakes.adapters import chat, make_adapter
from tests.fakes.script import example_for_schema, split_chunks


async def test_a_hang_ends_when_released(fake_llm):
    fake_llm.hang(30, provider='ollama')
    call = asyncio.create_task(make_adapter('ollama', fake_llm.env).chat(chat('ollama')))

    await fake_llm.wait_for_chats(1, provider='ollama')
    fake_llm.release()
    result = await asyncio.wait_for(call, timeout=5)

    assert result.text == fake_llm.reply_text


async def test_latency_delays_each_chat(fake_llm):
    fake_llm.latency = 0.2
    started = time.monotonic()

    await make_adapter('openai', fake_llm.env).chat(chat('openai'))

    assert time.monotonic() - started >= 0.2


async def test_chunk_delay_streams_deltas_apart_in_time(fake_llm):
    fake_llm.chunk_delay = 0.05
    arrivals: list[float] = []

    await make_adapter('anthropic', fake_llm.env).chat(chat('anthropic'), lambda _text: arrivals.append(time.monotonic()))

    assert len(arrivals) >= 3
    assert arrivals[-1] - arrivals[0] >= 0.08


async def test_scripted_failures_can_target_one_provider(fake_llm):
    fake_llm.fail(500, provider='anthropic')

    await make_adapter('openai', fake_llm.env).chat(chat('openai'))

    assert fake_llm.last_chat('openai').outcome == 'reply'
    assert fake_llm.script.next_step('anthropic', 'chat').status == 500


def test_reset_forgets_script_and_requests(fake_llm):
    fake_llm.fail(500, times=3)
    fake_llm.reply('scripted')
    fake_llm.latency = 1.0

    fake_llm.script.reset()

    assert fake_llm.script.next_step('openai', 'chat') is None
    assert (fake_llm.reply_text, fake_llm.latency, fake_llm.requests) == (
        'Hello from the fake LLM, answering in several chunks.',
        0.0,
        [],
    )


def test_openai_and_anthropic_without_an_api_key_are_401(fake_llm):
    assert httpx.get(f'{fake_llm.url}/v1/models').status_code == 401
    response = httpx.get(f'{fake_llm.url}/v1/models', headers={'anthropic-version': '2023-06-01'})
    assert (response.status_code, response.json()['error']['type']) == (401, 'authentication_error')


async def test_openai_refuses_top_k_like_the_real_api(fake_llm):
    client = openai.AsyncOpenAI(api_key='sk-test', base_url=fake_llm.env['OPENAI_BASE_URL'], max_retries=0)
    messages = [{'role': 'user', 'content': 'hi'}]

    with pytest.raises(openai.BadRequestError, match='top_k'):
        await client.chat.completions.create(model='gpt-4o-mini', messages=messages, extra_body={'top_k': 3})


async def test_openai_non_streamed_reply_has_usage(fake_llm):
    client = openai.AsyncOpenAI(api_key='sk-test', base_url=fake_llm.env['OPENAI_BASE_URL'], max_retries=0)

    completion = await client.chat.completions.create(model='gpt-4o', messages=[{'role': 'user', 'content': 'one two three'}])

    assert completion.choices[0].message.content == fake_llm.reply_text
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (3, fake_llm.count_tokens(fake_llm.reply_text))


def test_replies_split_into_at_least_three_chunks():
    assert split_chunks('abc') == ['a', 'b', 'c']
    assert ''.join(split_chunks('a longer reply text')) == 'a longer reply text'
    assert len(split_chunks('a longer reply text')) >= 3


def test_structured_replies_follow_the_schema():
    schema = {
        'type': 'object',
        'properties': {
            'label': {'enum': ['spam', 'ham']},
            'tags': {'type': 'array', 'items': {'type': 'string'}},
            'score': {'type': ['number', 'null']},
            'ok': {'type': 'boolean'},
        },
    }

    assert example_for_schema(schema) == {'label': 'spam', 'tags': ['example'], 'score': 1.5, 'ok': True}


def test_the_server_runs_as_its_own_process():
    command = [sys.executable, '-m', 'tests.fakes.llm_server', '--port', '0', '--latency', '0.01']
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().split()[-1]
        client = openai.OpenAI(api_key='sk-test', base_url=f'{url}/v1', max_retries=0)
        assert [m.id for m in client.models.list()] == ['gpt-4o-mini', 'gpt-4o']
    finally:
        process.terminate()
        process.wait(timeout=10)

"""Provider failures become a ProviderError with a short message, `retryable` and `retry_after` set as the engine needs."""

import email.utils
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.providers.base import ChatRequest, ProviderError
from core.providers.failures import NOT_AN_API_ERROR, parse_retry_after
from core.providers.openai import OpenAIAdapter
from tests.fakes.adapters import adapter_fixture, chat, make_adapter, provider_fixture  # noqa: F401


async def call_failing(adapter, provider: str, **changes) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await adapter.chat(chat(provider, **changes))
    return caught.value


async def test_429_is_retryable_with_retry_after(provider, adapter, fake_llm):
    fake_llm.fail(429, retry_after=7)

    error = await call_failing(adapter, provider)

    assert (error.status, error.retryable, error.retry_after) == (429, True, 7.0)
    assert 'rate limit' in error.message.lower()


@pytest.mark.parametrize('status', [500, 503])
async def test_server_errors_are_retryable(provider, adapter, fake_llm, status):
    fake_llm.fail(status)

    error = await call_failing(adapter, provider)

    assert (error.status, error.retryable, error.retry_after) == (status, True, None)


async def test_a_bad_request_is_not_retryable(provider, adapter, fake_llm):
    fake_llm.fail(400, message='messages: at least one message is required')

    error = await call_failing(adapter, provider)

    assert (error.status, error.retryable) == (400, False)
    assert 'at least one message is required' in error.message


async def test_an_unknown_model_is_not_retryable(provider, adapter):
    error = await call_failing(adapter, provider, model='no-such-model')

    assert (error.status, error.retryable) == (404, False)
    assert 'no-such-model' in error.message


async def test_a_call_past_the_timeout_is_retryable(provider, adapter, fake_llm):
    fake_llm.hang(30)
    started = time.monotonic()

    error = await call_failing(adapter, provider, timeout=0.3)

    assert time.monotonic() - started < 2
    assert error.retryable
    assert 'within 0.3s' in error.message


async def test_failures_then_success(provider, adapter, fake_llm):
    fake_llm.fail(503, times=2)

    for _ in range(2):
        assert (await call_failing(adapter, provider)).retryable
    result = await adapter.chat(chat(provider))

    assert result.text == fake_llm.reply_text
    assert [r.outcome for r in fake_llm.chat_requests(provider)] == ['error 503', 'error 503', 'reply']


async def test_an_unreachable_provider_is_retryable_and_says_where(provider):
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        url = f'http://127.0.0.1:{sock.getsockname()[1]}'  # nothing listens once closed
    env = {'OPENAI_API_KEY': 'sk-x', 'OPENAI_BASE_URL': f'{url}/v1', 'ANTHROPIC_API_KEY': 'sk-x', 'ANTHROPIC_BASE_URL': url}
    adapter = make_adapter(provider, {**env, 'OLLAMA_HOST': url})

    error = await call_failing(adapter, provider)

    assert error.retryable
    assert error.message.startswith('cannot reach') and '127.0.0.1' in error.message


async def test_a_rejected_key_is_reported_without_the_key(fake_llm):
    key = 'sk-live-abcdefghijklmnop1234'
    fake_llm.fail(401, message=f'Incorrect API key provided: {key}.', provider='openai')
    adapter = OpenAIAdapter(api_key=key, base_url=fake_llm.env['OPENAI_BASE_URL'])

    error = await call_failing(adapter, 'openai')

    assert (error.status, error.retryable) == (401, False)
    assert 'rejected the API key' in error.message
    assert key not in error.message and 'abcdefghijklmnop' not in error.message


async def test_a_missing_key_names_the_setting(fake_llm):
    adapter = OpenAIAdapter(api_key=None, base_url=fake_llm.env['OPENAI_BASE_URL'])

    with pytest.raises(ProviderError, match='OPENAI_API_KEY') as caught:
        await adapter.chat(ChatRequest(model='gpt-4o-mini', messages=[{'role': 'user', 'content': 'hi'}]))

    assert not caught.value.retryable
    assert fake_llm.chat_requests() == []


async def test_a_long_provider_message_is_shortened(provider, adapter, fake_llm):
    fake_llm.fail(500, message='boom ' * 200)

    error = await call_failing(adapter, provider)

    assert len(error.message) < 300


async def test_a_connection_lost_mid_stream_is_retryable(provider, adapter, fake_llm):
    fake_llm.drop()
    deltas: list[str] = []

    with pytest.raises(ProviderError) as caught:
        await adapter.chat(chat(provider), deltas.append)

    assert caught.value.retryable
    assert caught.value.message.startswith('lost the connection to')
    assert fake_llm.last_chat(provider).outcome == 'dropped'


async def test_an_error_inside_a_streamed_reply_is_retryable(provider, adapter, fake_llm):
    fake_llm.fail(529, midstream=True, message='Overloaded')

    error = await call_failing(adapter, provider)

    assert error.retryable
    assert 'Overloaded' in error.message
    assert fake_llm.last_chat(provider).outcome == 'error 529 mid-stream'


@pytest.mark.parametrize(
    ('headers', 'seconds'),
    [
        ({'retry-after': '3'}, 3.0),
        ({'retry-after-ms': '1500', 'retry-after': '9'}, 1.5),
        ({'retry-after': 'soon'}, None),
        ({}, None),
    ],
)
def test_retry_after_is_read_in_seconds_or_milliseconds(headers, seconds):
    assert parse_retry_after(headers) == seconds


def test_retry_after_may_be_an_http_date():
    in_a_minute = email.utils.formatdate(time.time() + 60, usegmt=True)

    assert 55 < parse_retry_after({'retry-after': in_a_minute}) <= 60


# a reply that is not the provider's JSON error shows a short fixed text, never its body (issue 9, item 9)
INTERNAL_PAGE = '<html><body>db-admin console: password=hunter2 internal.example</body></html>'
REPLIES = {
    'html': ('text/html', INTERNAL_PAGE),
    'other-json': ('application/json', '{"detail": "internal.example", "rows": [1]}'),
}


class OtherService(ThreadingHTTPServer):
    """Something that is not the provider at the configured URL (a proxy's error page, an internal service)."""

    def __init__(self, content_type: str, body: str) -> None:
        super().__init__(('127.0.0.1', 0), _OtherServiceHandler)
        self.reply = (content_type, body.encode())
        self.url = f'http://127.0.0.1:{self.server_address[1]}'


class _OtherServiceHandler(BaseHTTPRequestHandler):
    server: OtherService

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get('Content-Length') or 0))
        content_type, body = self.server.reply
        self.send_response(502)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(params=REPLIES)
def other_service(request) -> Iterator[OtherService]:
    server = OtherService(*REPLIES[request.param])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


async def test_a_reply_that_is_not_the_providers_error_is_not_echoed(provider, other_service):
    env = {'OPENAI_API_KEY': 'sk-x', 'ANTHROPIC_API_KEY': 'sk-x'}
    env |= {
        'OPENAI_BASE_URL': f'{other_service.url}/v1',
        'ANTHROPIC_BASE_URL': other_service.url,
        'OLLAMA_HOST': other_service.url,
    }
    adapter = make_adapter(provider, env)

    for attempt in (adapter.chat(chat(provider)), adapter.list_models()):
        with pytest.raises(ProviderError) as caught:
            await attempt

        assert caught.value.status == 502 and caught.value.retryable
        assert caught.value.message.endswith(NOT_AN_API_ERROR)
        assert 'internal.example' not in caught.value.message and 'hunter2' not in caught.value.message


# the configured key is masked wherever a provider echoes it, whatever it looks like (issue 9, item 13)
PLAIN_KEY = 'corp-gateway-7f3a9c21e8b4'  # neither sk- nor hs_: a gateway's own token


async def test_the_configured_key_is_masked_whatever_its_shape(provider, fake_llm):
    fake_llm.fail(401, message=f'token {PLAIN_KEY} is not valid for this gateway', provider=provider)
    env = {**fake_llm.env, 'OPENAI_API_KEY': PLAIN_KEY, 'ANTHROPIC_API_KEY': PLAIN_KEY}
    adapter = make_adapter(provider, env)
    if provider == 'ollama':
        adapter = type(adapter)(api_key=PLAIN_KEY, base_url=fake_llm.env['OLLAMA_HOST'])  # behind an authenticating proxy

    error = await call_failing(adapter, provider)

    assert error.status == 401
    assert PLAIN_KEY not in error.message and '[key]' in error.message


async def test_the_key_is_masked_in_an_error_mid_reply(provider, fake_llm):
    fake_llm.fail(529, midstream=True, message=f'overloaded; retry with {PLAIN_KEY}', provider=provider)
    env = {**fake_llm.env, 'OPENAI_API_KEY': PLAIN_KEY, 'ANTHROPIC_API_KEY': PLAIN_KEY}
    adapter = make_adapter(provider, env)
    if provider == 'ollama':
        adapter = type(adapter)(api_key=PLAIN_KEY, base_url=fake_llm.env['OLLAMA_HOST'])

    error = await call_failing(adapter, provider)

    assert PLAIN_KEY not in error.message and 'overloaded' in error.message

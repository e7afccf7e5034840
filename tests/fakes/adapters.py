"""Adapters pointed at the fake LLM server, for tests that exercise one provider's SDK directly."""

import pytest

from core.providers.anthropic import AnthropicAdapter
from core.providers.base import ChatRequest
from core.providers.ollama import OllamaAdapter
from core.providers.openai import OpenAIAdapter

MODELS = {'openai': 'gpt-4o-mini', 'anthropic': 'claude-haiku-4-5', 'ollama': 'llama3.2'}
MESSAGES = [{'role': 'system', 'content': 'You answer briefly.'}, {'role': 'user', 'content': 'What is a sigil?'}]


def make_adapter(provider: str, env: dict[str, str]):
    if provider == 'openai':
        return OpenAIAdapter(api_key=env['OPENAI_API_KEY'], base_url=env['OPENAI_BASE_URL'])
    if provider == 'anthropic':
        return AnthropicAdapter(api_key=env['ANTHROPIC_API_KEY'], base_url=env['ANTHROPIC_BASE_URL'])
    return OllamaAdapter(api_key=None, base_url=env['OLLAMA_HOST'])


def chat(provider: str, **changes) -> ChatRequest:
    """A two-message chat for `provider`'s first fake model; keyword arguments replace ChatRequest fields."""
    return ChatRequest(**{'model': MODELS[provider], 'messages': MESSAGES, **changes})


@pytest.fixture(name='provider', params=['openai', 'anthropic', 'ollama'])
def provider_fixture(request) -> str:
    return request.param


@pytest.fixture(name='adapter')
def adapter_fixture(provider, fake_llm):
    return make_adapter(provider, fake_llm.env)

"""The provider clients share one TLS context: each would otherwise load the CA bundle (22-26 ms of CPU)."""

import ssl

import pytest

from core.providers.anthropic import AnthropicAdapter
from core.providers.ollama import OllamaAdapter
from core.providers.openai import OpenAIAdapter
from core.providers.tls import tls_context


@pytest.fixture
def ca_loads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The CA bundles loaded from now on, with no TLS context built yet in this process."""
    loads: list[object] = []
    load = ssl.SSLContext.load_verify_locations

    def counted(context: ssl.SSLContext, *args, **kwargs) -> None:
        loads.append(args or kwargs)
        load(context, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, 'load_verify_locations', counted)
    tls_context.cache_clear()
    yield loads
    tls_context.cache_clear()


async def test_clients_for_every_provider_and_credential_load_the_ca_bundle_once(ca_loads) -> None:
    adapters = [
        adapter(api_key=key, base_url=url)
        for adapter, url in [
            (OpenAIAdapter, 'https://api.example.test/v1'),
            (AnthropicAdapter, 'https://anthropic.example.test'),
            (OllamaAdapter, 'https://ollama.example.test'),
        ]
        for key in ('key-one', 'key-two')
    ]
    try:
        for adapter in adapters:
            adapter._clients.get()  # the SDK client, built as a first call builds it
        assert len(ca_loads) == 1
    finally:
        for adapter in adapters:
            await adapter.aclose()

"""The provider registry: adapters per provider with current credentials, and model lists behind a TTL cache."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.credentials import save_credential
from core.errors import Invalid
from core.permissions import Actor
from core.providers.base import ChatRequest, ProviderError
from core.providers.registry import ProviderRegistry

ROOT = Path(__file__).resolve().parents[2]


def model_listings(fake_llm, provider: str) -> int:
    return sum(1 for r in fake_llm.requests if r.provider == provider and r.method == 'GET')


def test_the_registry_knows_three_providers_and_their_options(core):
    assert core.registry.names == ('openai', 'anthropic', 'ollama')
    assert core.registry.supported_options('openai') == {'temperature', 'topP', 'maxTokens'}
    assert core.registry.supported_options('anthropic') == {'temperature', 'topP', 'topK', 'maxTokens'}
    assert core.registry.supported_options('ollama') == {'temperature', 'topP', 'topK', 'maxTokens'}
    assert 'image/png' in core.registry.file_types('openai')
    assert 'application/pdf' in core.registry.file_types('anthropic')
    assert 'application/pdf' not in core.registry.file_types('ollama')


@pytest.mark.parametrize('provider', ['openai', 'anthropic', 'ollama'])
def test_each_adapter_maps_exactly_the_options_the_registry_lists(core, provider):
    adapter = core.registry.adapter(provider)
    module = sys.modules[type(adapter).__module__]
    assert set(module._OPTION_NAMES) == core.registry.supported_options(provider) == adapter.supported_options


SDKS_IMPORTED = 'print(sorted(m for m in ("openai", "anthropic", "ollama") if m in sys.modules))'
A_WORKER_STARTS = """
import asyncio, tempfile
from core.app import build_core
from core.engine.worker import Worker
from core.settings import Settings

core = build_core(Settings.from_env({'HYPERSIGIL_DATA_DIR': tempfile.mkdtemp(), 'HYPERSIGIL_SECRET_KEY': 'k'}))

async def start_and_stop():
    worker = Worker(core)
    await worker.start()
    await worker.stop()

asyncio.run(start_and_stop())
"""


def python(code: str) -> str:
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()


def test_the_sdks_are_imported_when_a_worker_starts_and_not_before():
    """They take seconds to import: a CLI command, or a web process without workers, must not wait for them."""
    assert python(f'import sys, main, core.app, core.engine.worker, api.app\n{SDKS_IMPORTED}') == '[]'
    assert python(f'import sys\n{A_WORKER_STARTS}\n{SDKS_IMPORTED}') == "['anthropic', 'ollama', 'openai']"


def test_an_unknown_provider_is_invalid(core):
    with pytest.raises(Invalid) as caught:
        core.registry.adapter('mistral')

    assert caught.value.field == 'provider'


@pytest.mark.parametrize('provider', ['openai', 'anthropic', 'ollama'])
async def test_models_come_from_the_provider(core, fake_llm, provider):
    fake_llm.set_models(provider, ['m-2', 'm-1'])

    assert await core.registry.models(provider) == ['m-1', 'm-2']


async def test_models_are_cached_until_refreshed(core, fake_llm):
    first = await core.registry.models('openai')
    fake_llm.set_models('openai', ['gpt-5'])

    assert await core.registry.models('openai') == first
    assert await core.registry.models('openai', refresh=True) == ['gpt-5']
    assert model_listings(fake_llm, 'openai') == 2


async def test_models_expire_after_the_ttl(core, fake_llm):
    registry = ProviderRegistry(settings=core.settings, db=core.db, box=core.box, model_ttl=0.0)

    await registry.models('ollama')
    await registry.models('ollama')

    assert model_listings(fake_llm, 'ollama') == 2


async def test_invalidate_drops_the_cached_models(core, fake_llm):
    await core.registry.models('anthropic')
    core.registry.invalidate('anthropic')
    await core.registry.models('anthropic')

    assert model_listings(fake_llm, 'anthropic') == 2


async def test_a_failed_listing_is_a_readable_provider_error_and_not_cached(core, fake_llm):
    fake_llm.fail(503, on='models', provider='openai')

    with pytest.raises(ProviderError, match='OpenAI answered 503'):
        await core.registry.models('openai')

    assert await core.registry.models('openai') == ['gpt-4o', 'gpt-4o-mini']


async def test_models_without_credentials_say_what_is_missing(core, fake_llm):
    registry = ProviderRegistry(
        settings=core.settings.__class__.from_env(
            {
                'HYPERSIGIL_DATA_DIR': str(core.settings.data_dir),
                'HYPERSIGIL_DATABASE_URL': core.settings.database_url,
            }
        ),
        db=core.db,
        box=core.box,
    )

    with pytest.raises(ProviderError, match='no Anthropic API key'):
        await registry.models('anthropic')


def test_the_adapter_and_its_client_are_reused_while_credentials_stay(core):
    assert core.registry.adapter('openai') is core.registry.adapter('openai')


async def test_saved_credentials_beat_the_environment(core, fake_llm):
    before = core.registry.adapter('openai')
    save_credential(core, Actor.system(), provider='openai', api_key='sk-from-the-database-9876')

    adapter = core.registry.adapter('openai')
    await adapter.chat(ChatRequest(model='gpt-4o-mini', messages=[{'role': 'user', 'content': 'hi'}]))

    assert adapter is not before
    assert fake_llm.last_chat('openai').headers['authorization'] == 'Bearer sk-from-the-database-9876'


async def test_a_saved_base_url_points_the_adapter_elsewhere(core, fake_llm):
    save_credential(core, Actor.system(), provider='ollama', base_url='http://127.0.0.1:9')

    with pytest.raises(ProviderError, match=re.escape('cannot reach Ollama at http://127.0.0.1:9')):
        await core.registry.models('ollama')

"""What each provider accepts, known without importing its SDK.

The three SDKs take seconds to import, which every CLI command and process start would otherwise pay; an adapter's
module is imported when the adapter is first needed (a worker imports them all as it starts).
"""

import functools
import importlib
from dataclasses import dataclass

from core.providers import content


@dataclass(frozen=True)
class ProviderInfo:
    adapter: str  # 'module:Class'
    supported_options: frozenset[str]  # of core.options.KNOWN_OPTIONS
    file_types: frozenset[str]  # content types it accepts as a file input


_DOCUMENTS = content.IMAGE_TYPES | {content.PDF_TYPE} | content.TEXT_TYPES
_ALL_OPTIONS = frozenset({'temperature', 'topP', 'topK', 'maxTokens'})

CATALOG = {
    # chat completions have no top_k
    'openai': ProviderInfo('core.providers.openai:OpenAIAdapter', frozenset({'temperature', 'topP', 'maxTokens'}), _DOCUMENTS),
    # all three on the API version the adapter sends (DESIGN.md §4)
    'anthropic': ProviderInfo('core.providers.anthropic:AnthropicAdapter', _ALL_OPTIONS, _DOCUMENTS),
    'ollama': ProviderInfo('core.providers.ollama:OllamaAdapter', _ALL_OPTIONS, content.OLLAMA_IMAGE_TYPES | content.TEXT_TYPES),
}


@functools.cache
def adapter_class(provider: str) -> type:
    module, name = CATALOG[provider].adapter.split(':')
    return getattr(importlib.import_module(module), name)

"""The provider registry: adapters built with current credentials, and each provider's models behind a TTL cache."""

import asyncio
import time

import sqlalchemy as sa

from core.errors import Invalid
from core.providers.base import ProviderAdapter
from core.providers.catalog import CATALOG, adapter_class
from core.providers.credential_source import resolve
from core.secrets import SecretBox
from core.settings import PROVIDERS, Settings

CREDENTIALS_TTL = 10.0  # other processes may save credentials; look again this often


class ProviderRegistry:
    names: tuple[str, ...] = PROVIDERS

    def __init__(self, *, settings: Settings, db: sa.Engine, box: SecretBox, model_ttl: float = 300.0) -> None:
        self.settings, self.db, self.box = settings, db, box
        self.model_ttl = model_ttl
        self._credentials: dict[str, tuple[float, tuple[str | None, str | None]]] = {}
        self._adapters: dict[tuple[str, str | None, str | None], ProviderAdapter] = {}
        self._models: dict[str, tuple[float, list[str]]] = {}

    def adapter(self, provider: str) -> ProviderAdapter:
        """The adapter for the provider's current credentials; the same one (and SDK client) while they stay the same."""
        self._check(provider)
        return self._adapter(provider, self._resolve(provider))

    def _adapter(self, provider: str, credentials: tuple[str | None, str | None]) -> ProviderAdapter:
        key = (provider, *credentials)
        adapter = self._adapters.get(key)
        if adapter is None:
            for stale in [k for k in self._adapters if k[0] == provider]:
                del self._adapters[stale]
            adapter = self._adapters[key] = adapter_class(provider)(api_key=key[1], base_url=key[2])
        return adapter

    async def models(self, provider: str, *, refresh: bool = False) -> list[str]:
        """The provider's models, cached for `model_ttl` seconds; ProviderError when it cannot be asked."""
        self._check(provider)
        cached = self._models.get(provider)
        if cached and not refresh and cached[0] > time.monotonic():
            return list(cached[1])
        credentials = await asyncio.to_thread(self._resolve, provider)  # may read the database: not on the event loop
        await asyncio.to_thread(adapter_class, provider)  # the SDK's first import takes seconds: not on the loop either
        models = await self._adapter(provider, credentials).list_models()
        self._models[provider] = (time.monotonic() + self.model_ttl, models)
        return list(models)

    async def models_at(self, provider: str, *, api_key: str | None, base_url: str | None) -> list[str]:
        """The models listed with these credentials (not the saved ones), through a client made and closed for it."""
        self._check(provider)
        adapter = (await asyncio.to_thread(adapter_class, provider))(api_key=api_key, base_url=base_url)
        try:
            return await adapter.list_models()
        finally:
            await adapter.aclose()

    def supported_options(self, provider: str) -> frozenset[str]:
        self._check(provider)
        return CATALOG[provider].supported_options

    def file_types(self, provider: str) -> frozenset[str]:
        self._check(provider)
        return CATALOG[provider].file_types

    def load_adapters(self) -> None:
        """Import every provider's SDK now (a worker does as it starts, so its first run does not wait for one; a web
        process imports one, off its loop, when it first lists that provider's models: the three cost ~65 MB)."""
        for provider in self.names:
            adapter_class(provider)

    def invalidate(self, provider: str | None = None) -> None:
        """Forget cached credentials, clients and models (all providers, or one), e.g. after credentials change."""
        for name in (provider,) if provider else self.names:
            self._credentials.pop(name, None)
            self._models.pop(name, None)
            for stale in [k for k in self._adapters if k[0] == name]:
                del self._adapters[stale]

    async def aclose(self) -> None:
        """Close the running event loop's SDK clients (a loop that shuts down closes its own anyway)."""
        for adapter in list(self._adapters.values()):
            await adapter.aclose()

    def _resolve(self, provider: str) -> tuple[str | None, str | None]:
        cached = self._credentials.get(provider)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        resolved = resolve(self.settings, self.db, self.box, provider)
        self._credentials[provider] = (time.monotonic() + CREDENTIALS_TTL, resolved)
        return resolved

    def _check(self, provider: str) -> None:
        if provider not in CATALOG:
            raise Invalid('provider', f'unknown provider {provider!r}; choose one of {", ".join(self.names)}')

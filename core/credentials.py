"""Provider credentials: saved in the database (API key encrypted), else taken from the environment."""

import asyncio
from dataclasses import dataclass

from core import provider_status
from core.app import Core
from core.errors import Invalid, ProviderUnavailable
from core.permissions import Actor
from core.providers.base import ProviderError
from core.providers.credential_source import ENV_NAMES, lookup
from core.settings import PROVIDERS
from core.text import reject_nul
from data.tables import ProviderCredential, utcnow


@dataclass(frozen=True)
class CredentialInfo:
    """What may be shown about a credential: never the key, only its last four characters."""

    provider: str
    has_api_key: bool
    api_key_hint: str | None  # '…1234'
    base_url: str | None
    source: str  # 'database' | 'environment' | 'none'


def save_credential(
    core: Core, actor: Actor, *, provider: str, api_key: str | None = None, base_url: str | None = None
) -> CredentialInfo:
    """Store a provider's key and/or base URL; None keeps the saved value, '' clears it."""
    actor.require('admin')
    _check_provider(provider)
    reject_nul(apiKey=api_key, baseUrl=base_url)
    base_url = _clean_url(base_url)
    api_key = api_key.strip() if api_key is not None else None
    with core.session() as session:
        row = session.get(ProviderCredential, provider) or ProviderCredential(provider=provider)
        if base_url and base_url != row.base_url and not api_key:
            _check_url_without_key(provider, has_saved_key=bool(row.api_key_encrypted))
        if api_key is not None:
            row.api_key_encrypted = core.box.encrypt(api_key) if api_key else None
        if base_url is not None:
            row.base_url = base_url or None
        row.updated_by, row.updated_at = actor.name, utcnow()
        session.add(row)
    core.registry.invalidate(provider)
    return credential_info(core, actor, provider)


async def try_credential(core: Core, actor: Actor, *, provider: str, api_key: str | None, base_url: str | None) -> list[str]:
    """The models the provider lists with the key and URL as typed, blanks standing for what is in use; nothing saved.

    A key is only sent where it may go: a URL typed without a key is tried with no key at all (a saved or environment
    key never goes to a URL someone just typed), as saving would refuse to send it there.
    """
    actor.require('deployments:read')
    _check_provider(provider)
    reject_nul(apiKey=api_key, baseUrl=base_url)
    api_key, base_url = (api_key or '').strip() or None, _clean_url(base_url) or None
    if api_key is None and base_url is None:
        return await provider_status.list_models(core, actor, provider, refresh=True)
    actor.require('admin')  # typed credentials are an admin's to try, as they are an admin's to save
    used_key, used_url, _source = await asyncio.to_thread(lookup, core.settings, core.db, core.box, provider)
    if base_url is None:
        base_url = used_url
    elif api_key is None and base_url != used_url and ENV_NAMES[provider][0] is not None:
        raise Invalid('apiKey', 'enter the API key together with a new base URL: a key is only sent where it was saved to go')
    if api_key is None and base_url == used_url:
        api_key = used_key
    try:
        return await core.registry.models_at(provider, api_key=api_key, base_url=base_url)
    except ProviderError as error:
        raise ProviderUnavailable(error.message) from None


def delete_credential(core: Core, actor: Actor, provider: str) -> None:
    """Forget what the database holds; the environment applies again."""
    actor.require('admin')
    _check_provider(provider)
    with core.session() as session:
        row = session.get(ProviderCredential, provider)
        if row is not None:
            session.delete(row)
    core.registry.invalidate(provider)


def credential_info(core: Core, actor: Actor, provider: str) -> CredentialInfo:
    actor.require('deployments:read')
    _check_provider(provider)
    api_key, base_url, source = lookup(core.settings, core.db, core.box, provider)
    hint = f'…{api_key[-4:]}' if api_key and len(api_key) >= 8 else ('…' if api_key else None)
    return CredentialInfo(provider, bool(api_key), hint, base_url, source)


def _clean_url(base_url: str | None) -> str | None:
    """The URL without surrounding blanks or a trailing slash; '' and None as given."""
    if not base_url:
        return base_url
    base_url = base_url.strip().rstrip('/')
    if base_url and not base_url.startswith(('http://', 'https://')):
        raise Invalid('baseUrl', 'must start with http:// or https://')
    return base_url


def _check_url_without_key(provider: str, *, has_saved_key: bool) -> None:
    """A new base URL comes with the key meant for it, unless there is no key it could take (Ollama has none)."""
    env_key = ENV_NAMES[provider][0]
    if env_key is None and not has_saved_key:
        return
    where = f'; {env_key} from the environment only goes to {ENV_NAMES[provider][1]} or the default endpoint' if env_key else ''
    raise Invalid('apiKey', f'enter the API key together with a new base URL: a key is only sent where it was saved to go{where}')


def _check_provider(provider: str) -> None:
    if provider not in PROVIDERS:
        raise Invalid('provider', f'unknown provider {provider!r}; choose one of {", ".join(PROVIDERS)}')

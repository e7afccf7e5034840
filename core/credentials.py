"""Provider credentials: saved in the database (API key encrypted), else taken from the environment."""

from dataclasses import dataclass

from core.app import Core
from core.errors import Invalid
from core.permissions import Actor
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
    if base_url:
        base_url = base_url.strip().rstrip('/')
        if not base_url.startswith(('http://', 'https://')):
            raise Invalid('baseUrl', 'must start with http:// or https://')
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

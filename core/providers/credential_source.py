"""Where a provider's credentials come from: saved in the database (API key encrypted), else the environment."""

import sqlalchemy as sa

from core.secrets import SecretBox
from core.settings import Settings
from data.db import session_scope
from data.tables import ProviderCredential

ENV_NAMES = {  # provider -> (api key variable, base URL variable)
    'openai': ('OPENAI_API_KEY', 'OPENAI_BASE_URL'),
    'anthropic': ('ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL'),
    'ollama': (None, 'OLLAMA_HOST'),
}


def resolve(settings: Settings, db: sa.Engine, box: SecretBox, provider: str) -> tuple[str | None, str | None]:
    """(api key, base URL) for a provider: what the database holds, else the environment (see lookup)."""
    api_key, base_url, _source = lookup(settings, db, box, provider)
    return api_key, base_url


def lookup(settings: Settings, db: sa.Engine, box: SecretBox, provider: str) -> tuple[str | None, str | None, str]:
    """(api key, base URL, 'database' | 'environment' | 'none'); a key only ever goes to a URL it was given with.

    A base URL saved in the database gets the key saved with it and never the environment's, so saving a URL cannot
    send OPENAI_API_KEY to another host. A key saved without a URL goes to the environment's URL (the operator's)
    or the provider's default.
    """
    key_env, url_env = ENV_NAMES[provider]
    env_key = settings.env.get(key_env) or None if key_env else None
    env_url = settings.env.get(url_env) or None
    with session_scope(db) as session:
        row = session.get(ProviderCredential, provider)
        saved_key = box.decrypt(row.api_key_encrypted) if row and row.api_key_encrypted else None
        saved_url = row.base_url if row else None
    if saved_url:
        return saved_key, saved_url, 'database'
    if saved_key:
        return saved_key, env_url, 'database'
    if env_key or env_url:
        return env_key, env_url, 'environment'
    return None, None, 'none'

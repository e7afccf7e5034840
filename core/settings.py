"""Settings read once from the environment, with the defaults DESIGN.md §3 lists."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from data.tables import Provider

PROVIDERS = tuple(provider.value for provider in Provider)
DEFAULT_WEBHOOK_RETRY_SECONDS = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0)  # the Standard Webhooks schedule


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    host: str = '127.0.0.1'
    port: int = 8080
    workers: int = 1  # worker processes that `python main.py` supervises
    inline_worker: bool = False  # a worker inside the web process instead (tests, the smallest set-ups)
    provider_concurrency: dict[str, int] = field(default_factory=dict)
    secret_key: str | None = None
    lease_seconds: float = 30.0
    call_timeout_seconds: float = 120.0
    max_attempts: int = 4
    secure_cookies: bool = False  # the dashboard is reached over HTTPS: its cookies are marked Secure
    webhook_allow_private: bool = False  # webhook URLs may reach loopback, private and link-local addresses
    webhook_retry_seconds: tuple[float, ...] = DEFAULT_WEBHOOK_RETRY_SECONDS  # delays between a delivery's attempts
    env: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> 'Settings':
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get('HYPERSIGIL_DATA_DIR', './.hypersigil')).resolve()
        url = env.get('HYPERSIGIL_DATABASE_URL') or f'sqlite:///{data_dir / "hypersigil.db"}'
        return cls(
            data_dir=data_dir,
            database_url=url,
            host=env.get('HYPERSIGIL_HOST', '127.0.0.1'),
            port=int(env.get('HYPERSIGIL_PORT', '8080')),
            **parse_workers(env.get('HYPERSIGIL_WORKERS', 'auto')),
            provider_concurrency=parse_concurrency(env.get('HYPERSIGIL_PROVIDER_CONCURRENCY', '8')),
            secret_key=env.get('HYPERSIGIL_SECRET_KEY') or None,
            lease_seconds=float(env.get('HYPERSIGIL_LEASE_SECONDS', '30')),
            call_timeout_seconds=float(env.get('HYPERSIGIL_CALL_TIMEOUT_SECONDS', '120')),
            max_attempts=int(env.get('HYPERSIGIL_MAX_ATTEMPTS', '4')),
            secure_cookies=env.get('HYPERSIGIL_SECURE_COOKIES', '') == '1',
            webhook_allow_private=env.get('HYPERSIGIL_WEBHOOK_ALLOW_PRIVATE', '') == '1',
            webhook_retry_seconds=parse_retry_seconds(env.get('HYPERSIGIL_WEBHOOK_RETRY_SECONDS', '')),
            env=env,
        )

    def concurrency(self, provider: str) -> int:
        return self.provider_concurrency.get(provider, self.provider_concurrency.get('*', 8))


def parse_workers(text: str) -> dict:
    """'auto', '0' (none: an API/UI-only node), a number of worker processes, or 'inline' (one in the web process)."""
    text = text.strip().lower()
    if text == 'inline':
        return {'workers': 0, 'inline_worker': True}
    if text == 'auto':
        return {'workers': auto_workers()}
    if not text.isdigit():
        raise ValueError(f'HYPERSIGIL_WORKERS: cannot read {text!r} (auto, inline, 0 or a number of processes)')
    return {'workers': int(text)}


def auto_workers() -> int:
    """A core for the web process and one worker process per other core: on 2 cores, web + 1 worker served the most runs
    a second (bench/api.py --workers inline,1,2; three processes on two cores queue for CPU)."""
    return max(1, (os.cpu_count() or 1) - 1)


def parse_concurrency(text: str) -> dict[str, int]:
    """'8' applies to every provider; 'openai=32,ollama=2' sets some (others keep 8)."""
    text = text.strip()
    if text.isdigit():
        return {'*': int(text)}
    limits: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(','))):
        name, _, value = part.partition('=')
        if name.strip() not in (*PROVIDERS, '*') or not value.strip().isdigit() or int(value) < 1:
            raise ValueError(f'HYPERSIGIL_PROVIDER_CONCURRENCY: cannot read {part!r}')
        limits[name.strip()] = int(value)
    return limits


def parse_retry_seconds(text: str) -> tuple[float, ...]:
    """'5,300,1800' -> the delays between attempts; empty: the default schedule."""
    if not text.strip():
        return DEFAULT_WEBHOOK_RETRY_SECONDS
    try:
        delays = tuple(float(part) for part in text.split(','))
    except ValueError:
        raise ValueError(f'HYPERSIGIL_WEBHOOK_RETRY_SECONDS: cannot read {text!r}') from None
    if any(delay < 0 for delay in delays):
        raise ValueError('HYPERSIGIL_WEBHOOK_RETRY_SECONDS: delays must not be negative')
    return delays

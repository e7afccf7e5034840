"""Who is asking, and what they may do: API-key scopes and user roles share one set of scopes."""

from dataclasses import dataclass

from core.errors import Forbidden

SCOPES = (
    'deployments:run',
    'deployments:read',
    'deployments:write',
    'prompts:read',
    'prompts:write',
    'executions:read',
    'executions:write',
    'files:read',
    'files:write',
    'webhooks:read',
    'webhooks:write',
    'admin',
)
# webhook endpoints hold URLs (often with a token in them) and send our data out: admins only, in the dashboard
ADMIN_ONLY = frozenset({'admin', 'webhooks:read', 'webhooks:write'})
ROLES = ('admin', 'editor', 'viewer')
_ROLE_SCOPES = {
    'admin': frozenset(SCOPES),
    'editor': frozenset(s for s in SCOPES if s not in ADMIN_ONLY),
    'viewer': frozenset(s for s in SCOPES if s.endswith(':read') and s not in ADMIN_ONLY),
}


@dataclass(frozen=True)
class Actor:
    kind: str  # 'user' | 'api_key' | 'system'
    id: str | None
    name: str
    scopes: frozenset[str]
    rate_limited: bool = False  # an API key with requestsPerMinute or concurrentRuns: its runs pass core/rate_limits.py

    @classmethod
    def user(cls, user_id: str, email: str, role: str) -> 'Actor':
        return cls('user', user_id, email, _ROLE_SCOPES[role])

    @classmethod
    def api_key(cls, key_id: str, name: str, scopes: list[str], *, rate_limited: bool = False) -> 'Actor':
        return cls('api_key', key_id, name, frozenset(scopes), rate_limited)

    @classmethod
    def system(cls) -> 'Actor':
        """The CLI and internal jobs: everything."""
        return cls('system', None, 'system', frozenset(SCOPES))

    def can(self, scope: str) -> bool:
        return 'admin' in self.scopes or scope in self.scopes

    def require(self, scope: str) -> None:
        if not self.can(scope):
            raise Forbidden(f'this needs the {scope!r} permission')

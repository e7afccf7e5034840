"""Domain errors raised by core services; api/ maps them to HTTP codes and ui/ shows them inline."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.rate_limits import RequestQuota


class DomainError(Exception):
    """Base class: a message a person can read."""

    code = 'error'

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = 'not_found'


class Invalid(DomainError):
    """A value a caller sent is wrong; `field` names it (dotted for nested values)."""

    code = 'invalid'

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f'{field}: {message}')
        self.field = field
        self.detail = message


class Conflict(DomainError):
    code = 'conflict'


class Unauthorized(DomainError):
    code = 'unauthorized'


class Forbidden(DomainError):
    code = 'forbidden'


class ProviderUnavailable(DomainError):
    """A provider could not be asked (unreachable, or it refused our credentials); the message says which."""

    code = 'provider_error'


class DatabaseBusy(DomainError):
    """Another process held a write lock longer than this request may wait; retrying shortly usually works."""

    code = 'database_busy'


class RateLimited(DomainError):
    """An API key is over one of its limits; `retry_after` says in how many seconds a retry may pass.

    `quota`, when the key has a requests-per-minute limit, says where that quota stands (the RateLimit-* headers).
    """

    code = 'rate_limited'

    def __init__(self, message: str, *, retry_after: float, quota: 'RequestQuota | None' = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.quota = quota

"""The RateLimit-* headers: where a key's requests-per-minute quota stands, as runs of that key are answered."""

from core.rate_limits import RequestQuota

# the fields of draft-ietf-httpapi-ratelimit-headers (up to its -06), as DESIGN.md §4 names them
HEADERS = ('RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset')


def quota_headers(quota: RequestQuota | None) -> dict[str, str]:
    """Limit (runs a minute), Remaining (runs it may start now), Reset (seconds until the whole quota is back)."""
    if quota is None:
        return {}
    return dict(zip(HEADERS, (str(quota.limit), str(quota.remaining), str(quota.reset_seconds)), strict=True))

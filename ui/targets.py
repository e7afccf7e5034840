"""Where sign-in sends people: only to paths on this site, so a crafted link cannot carry them to another."""

from urllib.parse import quote, urlsplit

HOME = '/deployments'


def safe_target(target: str | None) -> str:
    """`target` when it is a path on this site, else the home page.

    Browsers read `\\` as `/` and drop tabs and newlines, so `/\\host` or `/\\t/host` would leave the site: a target
    with either, or with any scheme or host, is refused.
    """
    target = target or ''
    if not target.startswith('/') or any(c == '\\' or c.isspace() or ord(c) < 32 or ord(c) == 127 for c in target):
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith('//'):
        return HOME
    return target


def login_url(path: str, query: str = '') -> str:
    """The sign-in page, coming back to `path` (with its query) afterwards."""
    target = path + (f'?{query}' if query else '')
    if safe_target(target) != target or path in ('/', '/login', '/setup'):
        return '/login'
    return f'/login?next={quote(target, safe="")}'

"""Where a webhook may go: the URL's shape, then every address its host resolves to, both at save and at each attempt."""

import socket
from collections.abc import Iterable

from aiohttp.abc import ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from core.errors import Invalid
from core.webhooks.addresses import refused_kind

MAX_URL_LENGTH = 2000


def check_url(url: str, *, allow_private: bool) -> str:
    """The URL an endpoint may be saved with, or Invalid('url', why); resolves the host, so call it off the event loop."""
    target = parse_target(url, allow_private=allow_private)
    try:
        infos = socket.getaddrinfo(target.raw_host, target.port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise Invalid('url', f'the host name {target.host} does not resolve') from None
    vet_addresses(target, (info[4][0] for info in infos), allow_private=allow_private)
    return url


async def resolve_target(target: URL, *, allow_private: bool) -> list[ResolveResult]:
    """Resolve the host once for an attempt and vet every answer (socket.gaierror when it does not resolve)."""
    hosts = await ThreadedResolver().resolve(target.raw_host, target.port, family=socket.AF_UNSPEC)
    if not hosts:
        raise socket.gaierror(socket.EAI_NONAME, 'no address')
    vet_addresses(target, (host['host'] for host in hosts), allow_private=allow_private)
    return hosts


def parse_target(url: str, *, allow_private: bool) -> URL:
    """The URL parsed as the HTTP client will read it, or Invalid('url', why) for its shape alone."""
    if len(url) > MAX_URL_LENGTH:
        raise Invalid('url', f'must be at most {MAX_URL_LENGTH} characters')
    if any(char <= ' ' or char == '\x7f' for char in url):
        raise Invalid('url', 'must not contain spaces or control characters')
    try:
        target = URL(url)
        port = target.port
    except ValueError as error:
        raise Invalid('url', f'is not a valid URL ({error})') from None
    schemes = ('https', 'http') if allow_private else ('https',)
    if not target.scheme or not target.host:
        raise Invalid('url', 'must be an absolute URL such as https://example.com/hook')
    if target.scheme not in schemes:
        raise Invalid('url', 'must use https' if not allow_private else 'must use https or http')
    if '@' in target.raw_authority:
        raise Invalid('url', 'must not contain a user name or password')
    if not port:
        raise Invalid('url', 'port must be between 1 and 65535')
    return target


def vet_addresses(target: URL, addresses: Iterable[str], *, allow_private: bool) -> None:
    """Invalid('url', why) when any address is off limits: one bad answer is enough for a rebinding attacker."""
    if allow_private:
        return
    for address in addresses:
        kind = refused_kind(address)
        if kind is None:
            continue
        if target.host == address.split('%')[0]:
            raise Invalid('url', f'{target.host} is {kind}')
        raise Invalid('url', f'{target.host} resolves to {kind}')

"""One delivery attempt: POST the signed body to a vetted address, never follow a redirect, and say what happened."""

import asyncio
import codecs
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
from multidict import CIMultiDict

from core.errors import Invalid
from core.webhooks.pinned_resolver import PinnedResolver
from core.webhooks.targets import parse_target, resolve_target

TIMEOUT_SECONDS = 10.0
EXCERPT_BYTES = 1024
DEFAULT_HEADERS = {'content-type': 'application/json', 'user-agent': 'Hypersigil-Webhooks'}


@dataclass(frozen=True)
class Attempt:
    """What one attempt did; `retryable` failures (timeouts, non-2xx, lost connections) are worth sending again."""

    status_code: int | None
    duration_ms: int
    response_excerpt: str
    error: str | None  # None when delivered (a 2xx answer)
    retryable: bool

    @property
    def delivered(self) -> bool:
        return self.error is None


async def send(
    url: str, body: bytes, headers: Mapping[str, str], *, timeout: float = TIMEOUT_SECONDS, allow_private: bool
) -> Attempt:
    """POST `body` once; a refused target is the one failure not worth retrying (only editing the URL helps)."""
    started = time.perf_counter()
    status, excerpt, error, retryable = None, '', None, True
    try:
        async with asyncio.timeout(timeout):
            status, excerpt, location = await _post(url, body, headers, allow_private=allow_private)
        error = status_error(status, location)
    except Invalid as refusal:
        error, retryable = f'refused: {refusal.detail}', False
    except TimeoutError:  # before OSError, its base class
        error = f'timed out after {timeout:g} s'
    except (aiohttp.ClientError, OSError) as failure:
        error = describe(failure)
    duration_ms = round((time.perf_counter() - started) * 1000)
    return Attempt(status, duration_ms, excerpt, error, retryable=error is not None and retryable)


async def _post(url: str, body: bytes, headers: Mapping[str, str], *, allow_private: bool) -> tuple[int, str, str | None]:
    target = parse_target(url, allow_private=allow_private)
    hosts = await resolve_target(target, allow_private=allow_private)
    all_headers = CIMultiDict(DEFAULT_HEADERS)
    all_headers.update(headers)
    # a connector of its own: it connects only to the addresses just vetted; trust_env stays off, so no proxy is used
    connector = aiohttp.TCPConnector(resolver=PinnedResolver(target.raw_host, hosts), force_close=True)
    async with (
        aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as session,
        session.post(target, data=body, headers=all_headers, allow_redirects=False) as response,
    ):
        return response.status, await _read_excerpt(response.content), response.headers.get('location')


async def _read_excerpt(content: aiohttp.StreamReader) -> str:
    """The first 1 KB of the answer as text; the rest is never read."""
    data = bytearray()
    while len(data) < EXCERPT_BYTES and (chunk := await content.read(EXCERPT_BYTES - len(data))):
        data += chunk
    # not final: a character cut in two at the 1 KB edge is dropped, not shown as garbage
    return codecs.getincrementaldecoder('utf-8')(errors='replace').decode(bytes(data))


def status_error(status: int, location: str | None) -> str | None:
    """None for a 2xx; a 3xx is a failure too, since following it could lead anywhere."""
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        return f'redirect not followed ({status} to {location[:200]})' if location else f'redirect not followed ({status})'
    return f'the receiver answered {status}'


def describe(failure: BaseException) -> str:
    """Plain words for a failure to connect or to read; never the URL, which may carry a token."""
    if isinstance(failure, socket.gaierror):
        return 'the host name does not resolve'
    if isinstance(failure, aiohttp.ClientConnectorCertificateError):
        reason = getattr(failure.certificate_error, 'verify_message', None)
        return f'the TLS certificate was not accepted ({reason})' if reason else 'the TLS certificate was not accepted'
    if isinstance(failure, aiohttp.ClientSSLError):
        return 'the TLS handshake failed'
    if isinstance(failure, aiohttp.ClientConnectorError):
        return 'connection refused' if isinstance(failure.os_error, ConnectionRefusedError) else 'could not connect'
    if isinstance(failure, aiohttp.ServerDisconnectedError):
        return 'the receiver closed the connection without answering'
    if isinstance(failure, ConnectionResetError | aiohttp.ClientOSError):
        return 'the connection was reset'
    if isinstance(failure, aiohttp.ClientPayloadError):
        return 'the answer was cut off'
    return f'could not deliver ({type(failure).__name__})'

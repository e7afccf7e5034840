"""Turning what goes wrong in a provider call into a ProviderError with a short message a person can read."""

import asyncio
import contextlib
import email.utils
import re
import time
from collections.abc import AsyncIterator, Mapping
from types import ModuleType

import aiohttp
import httpx2

from core.providers.base import ProviderError

_MAX_DETAIL = 200
_SECRET = re.compile(r'\b(sk|hs)[-_][A-Za-z0-9_\-*.]{6,}')  # provider messages sometimes echo (masked) keys
# what a reply that is not the provider's JSON error (a proxy's page, another service at that URL) shows instead
NOT_AN_API_ERROR = 'the reply was not an API error (is the base URL right?)'


def status_error(label: str, status: int, detail: str | None, headers: Mapping[str, str] | None = None) -> ProviderError:
    """429, 408 and 5xx are worth retrying; the rest are the caller's to fix. `detail` None: not the provider's error."""
    retryable = status in (408, 429) or status >= 500
    retry_after = parse_retry_after(headers) if headers is not None else None
    lead = {401: 'rejected the API key', 403: 'refused access', 429: 'is rate limiting'}.get(status)
    message = f'{label} {lead} ({status})' if lead else f'{label} answered {status}'
    detail = NOT_AN_API_ERROR if detail is None else clean_detail(detail)
    return ProviderError(
        f'{message}: {detail}' if detail else message, retryable=retryable, retry_after=retry_after, status=status
    )


def timeout_error(label: str, seconds: float) -> ProviderError:
    return ProviderError(f'{label} did not answer within {seconds:g}s', retryable=True)


def connection_error(label: str, where: str | None) -> ProviderError:
    return ProviderError(f'cannot reach {label}{f" at {where}" if where else ""}', retryable=True)


def lost_connection_error(label: str) -> ProviderError:
    return ProviderError(f'lost the connection to {label} mid-reply', retryable=True)


def missing_key_error(label: str, env_name: str) -> ProviderError:
    return ProviderError(f'no {label} API key: save one in Settings or set {env_name}')


def clean_detail(detail: object) -> str:
    text = ' '.join(str(detail or '').split())
    text = _SECRET.sub('[key]', text)
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + '…'


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (a number or an HTTP date)."""
    for name, divisor in (('retry-after-ms', 1000.0), ('retry-after', 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / divisor)
        except ValueError:
            pass
        with contextlib.suppress(TypeError, ValueError):
            return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    return None


@contextlib.asynccontextmanager
async def deadline(label: str, seconds: float) -> AsyncIterator[None]:
    """The whole call, streamed reply included, must end within `seconds`."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise timeout_error(label, seconds) from None


@contextlib.asynccontextmanager
async def keeping_secret(label: str, secret: str | None) -> AsyncIterator[None]:
    """No error leaves a provider call carrying the key it was made with, wherever the key turns up in it."""
    try:
        yield
    except ProviderError as error:
        if secret and secret in error.message:
            error.message = error.message.replace(secret, '[key]')
            error.args = (error.message,)
        raise
    except Exception as error:
        if secret and secret in str(error):  # an unexpected error too: neither its message nor a logged trace may show it
            raise ProviderError(f'{label} call failed: {type(error).__name__}: {str(error).replace(secret, "[key]")}') from None
        raise


@contextlib.asynccontextmanager
async def sdk_errors(sdk: ModuleType, label: str, seconds: float, where: str | None, secret: str | None) -> AsyncIterator[None]:
    """Within a deadline, map the exceptions of a Stainless-built SDK (openai, anthropic) to ProviderError."""
    async with keeping_secret(label, secret), _sdk_errors(sdk, label, seconds, where):
        yield


@contextlib.asynccontextmanager
async def _sdk_errors(sdk: ModuleType, label: str, seconds: float, where: str | None) -> AsyncIterator[None]:
    try:
        async with deadline(label, seconds):
            yield
    except sdk.APIStatusError as error:
        if error.status_code < 400:  # an error event inside a streamed 200: the provider failed mid-reply
            detail = _status_detail(error)
            raise ProviderError(f'{label} failed mid-reply: {clean_detail(detail or NOT_AN_API_ERROR)}', retryable=True) from None
        raise status_error(label, error.status_code, _status_detail(error), error.response.headers) from None
    except sdk.APIConnectionError as error:  # APITimeoutError included
        if _refused(error):
            raise connection_error(label, where) from None
        if isinstance(error, sdk.APITimeoutError):
            raise timeout_error(label, seconds) from None
        raise lost_connection_error(label) from None
    except httpx2.TransportError:  # raised as is by a stream cut short
        raise lost_connection_error(label) from None
    except sdk.APIError as error:  # openai's way to report an error event inside a stream
        raise ProviderError(f'{label} failed mid-reply: {clean_detail(error.message)}', retryable=True) from None


def _refused(error: BaseException) -> bool:
    """No connection could be made (the aiohttp transport reports a refused connection as a connect timeout)."""
    cause = error.__cause__
    while cause is not None:
        if isinstance(cause, httpx2.ConnectError | aiohttp.ClientConnectorError):
            return True
        cause = cause.__cause__
    return False


def _status_detail(error: Exception) -> str | None:
    """The provider's own message from its JSON error ({'error': {'message': ...}}); None for any other reply.

    The SDKs put a reply that is not JSON into the error as is: a proxy's page or another service's answer must not
    reach everyone who may read executions.
    """
    body = getattr(error, 'body', None)
    if not isinstance(body, dict):
        return None
    inner = body.get('error', body)
    if isinstance(inner, dict) and isinstance(inner.get('message'), str):
        return inner['message']
    return inner if isinstance(inner, str) else None

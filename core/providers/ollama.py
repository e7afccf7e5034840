"""Ollama through the official async client: /api/chat streamed as ndjson, every sampling option in `options`."""

import contextlib
import contextvars
import json
from collections.abc import AsyncIterator

import httpx
import ollama

from core.providers import content
from core.providers.base import ChatRequest, ChatResult, FileInput, OnDelta, ProviderError
from core.providers.catalog import CATALOG
from core.providers.clients import PerLoop
from core.providers.deltas import emit
from core.providers.failures import (
    clean_detail,
    connection_error,
    deadline,
    keeping_secret,
    lost_connection_error,
    status_error,
    timeout_error,
)
from core.providers.tls import tls_context

LABEL = 'Ollama'
DEFAULT_HOST = 'http://127.0.0.1:11434'
_OPTION_NAMES = {'temperature': 'temperature', 'topP': 'top_p', 'topK': 'top_k', 'maxTokens': 'num_predict'}
LIST_TIMEOUT = 15.0
# the ollama client drops response headers from its errors and puts a body that is not JSON into them as is: a response
# hook keeps the headers (Retry-After) and Ollama's own message ({"error": "..."}, else None) for this task
_last_error: contextvars.ContextVar[tuple[dict[str, str], str | None] | None] = contextvars.ContextVar(
    'ollama_last_error', default=None
)


class OllamaAdapter:
    name = 'ollama'
    supported_options = CATALOG['ollama'].supported_options
    file_types = CATALOG['ollama'].file_types

    def __init__(self, *, api_key: str | None, base_url: str | None) -> None:
        self.base_url = base_url or DEFAULT_HOST
        self._api_key = api_key
        headers = {'Authorization': f'Bearer {api_key}'} if api_key else None
        hooks = {'response': [_keep_error]}
        self._clients = PerLoop(
            lambda: ollama.AsyncClient(host=self.base_url, headers=headers, event_hooks=hooks, verify=tls_context())
        )

    async def aclose(self) -> None:
        """Close this event loop's client."""
        await self._clients.aclose()

    async def list_models(self) -> list[str]:
        async with self._errors(LIST_TIMEOUT):
            listing = await self._clients.get().list()
        return sorted(model.model for model in listing.models if model.model)

    async def chat(self, request: ChatRequest, on_delta: OnDelta | None = None) -> ChatResult:
        parts: list[str] = []
        final = None
        async with self._errors(request.timeout):
            stream = await self._clients.get().chat(**chat_params(request))
            async for chunk in stream:
                text = chunk.message.content if chunk.message else None
                if text:
                    parts.append(text)
                    await emit(on_delta, text)
                if chunk.done:
                    final = chunk
        return ChatResult(
            text=''.join(parts),
            input_tokens=final.prompt_eval_count if final else None,
            output_tokens=final.eval_count if final else None,
        )

    @contextlib.asynccontextmanager
    async def _errors(self, seconds: float) -> AsyncIterator[None]:
        async with keeping_secret(LABEL, self._api_key), self._mapped_errors(seconds):
            yield

    @contextlib.asynccontextmanager
    async def _mapped_errors(self, seconds: float) -> AsyncIterator[None]:
        _last_error.set(None)
        try:
            async with deadline(LABEL, seconds):
                yield
        except ollama.ResponseError as error:
            if error.status_code < 400:  # an error line inside a streamed 200: the model failed mid-reply
                raise ProviderError(f'{LABEL} failed mid-reply: {clean_detail(error.error)}', retryable=True) from None
            headers, message = _last_error.get() or ({}, None)
            raise status_error(LABEL, error.status_code, message, headers) from None
        except (ConnectionError, httpx.ConnectError):  # the client wraps ConnectError only outside streams
            raise connection_error(LABEL, self.base_url) from None
        except httpx.TimeoutException:
            raise timeout_error(LABEL, seconds) from None
        except httpx.TransportError:
            raise lost_connection_error(LABEL) from None


def chat_params(request: ChatRequest) -> dict:
    params: dict = {'model': request.model, 'messages': _messages(request.messages, request.file), 'stream': True}
    options = {_OPTION_NAMES[k]: v for k, v in request.options.items() if k in _OPTION_NAMES and v is not None}
    if options:
        params['options'] = options
    if request.response_schema is not None:
        params['format'] = request.response_schema
    return params


def _messages(messages: list[dict], file: FileInput | None) -> list[dict]:
    result = [{'role': m['role'], 'content': m['content']} for m in messages] or [{'role': 'user', 'content': ''}]
    if file is None:
        return result
    index = content.last_user_index(result)
    if file.content_type in content.OLLAMA_IMAGE_TYPES:
        result[index] = {**result[index], 'images': [content.b64(file)]}
    elif file.content_type in content.TEXT_TYPES:
        result[index] = {**result[index], 'content': f'{result[index]["content"]}\n\n{content.inline_text(file)}'.strip()}
    else:
        raise ProviderError(f'{LABEL} does not take {file.content_type} files')
    return result


async def _keep_error(response: httpx.Response) -> None:
    if response.status_code >= 400:
        await response.aread()  # the client reads it next anyway: httpx keeps what was read
        _last_error.set((dict(response.headers), _ollama_message(response.content)))


def _ollama_message(content: bytes) -> str | None:
    """Ollama's own error message ({"error": "..."}), or None for any other reply."""
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        return None
    message = body.get('error') if isinstance(body, dict) else None
    return message if isinstance(message, str) else None

"""OpenAI (and any OpenAI-compatible server) through the official async SDK's chat completions."""

import openai

from core.providers import content
from core.providers.base import ChatRequest, ChatResult, FileInput, OnDelta, ProviderError
from core.providers.catalog import CATALOG
from core.providers.clients import PerLoop
from core.providers.deltas import emit
from core.providers.failures import missing_key_error, sdk_errors
from core.providers.tls import tls_context

LABEL = 'OpenAI'
# max_completion_tokens: chat completions deprecated max_tokens for it (reasoning models refuse max_tokens)
_OPTION_NAMES = {'temperature': 'temperature', 'topP': 'top_p', 'maxTokens': 'max_completion_tokens'}
LIST_TIMEOUT = 15.0


class OpenAIAdapter:
    name = 'openai'
    supported_options = CATALOG['openai'].supported_options
    file_types = CATALOG['openai'].file_types

    def __init__(self, *, api_key: str | None, base_url: str | None) -> None:
        self.base_url = base_url
        self._api_key = api_key
        self._clients = PerLoop(
            lambda: openai.AsyncOpenAI(
                api_key=api_key, base_url=base_url, max_retries=0, http_client=openai.DefaultAioHttpClient(verify=tls_context())
            )
        )

    async def aclose(self) -> None:
        """Close this event loop's SDK client."""
        await self._clients.aclose()

    async def list_models(self) -> list[str]:
        async with self._errors(LIST_TIMEOUT):
            page = await self._client().models.list(timeout=LIST_TIMEOUT)
            return sorted(model.id for model in page.data)

    async def chat(self, request: ChatRequest, on_delta: OnDelta | None = None) -> ChatResult:
        parts: list[str] = []
        usage: dict = {}
        async with self._errors(request.timeout):
            stream = await self._client().post(
                '/chat/completions',
                body=chat_params(request),
                cast_to=object,
                stream=True,
                # plain dict chunks: the typed chunk models and request transform double the SDK's CPU per call
                stream_cls=openai.AsyncStream[object],
                options={'timeout': request.timeout},
            )
            async for chunk in stream:
                usage = chunk.get('usage') or usage
                for choice in chunk.get('choices') or ():
                    text = (choice.get('delta') or {}).get('content')
                    if text:
                        parts.append(text)
                        await emit(on_delta, text)
        return ChatResult(
            text=''.join(parts), input_tokens=usage.get('prompt_tokens'), output_tokens=usage.get('completion_tokens')
        )

    def _client(self) -> openai.AsyncOpenAI:
        if not self._api_key:
            raise missing_key_error(LABEL, 'OPENAI_API_KEY')
        return self._clients.get()

    def _errors(self, seconds: float):
        return sdk_errors(openai, LABEL, seconds, self.base_url, self._api_key)


def chat_params(request: ChatRequest) -> dict:
    """The chat-completions request: streamed with usage, sampling options renamed, schema as response_format."""
    params: dict = {
        'model': request.model,
        'messages': _messages(request.messages, request.file),
        'stream': True,
        'stream_options': {'include_usage': True},
    }
    params |= {_OPTION_NAMES[k]: v for k, v in request.options.items() if k in _OPTION_NAMES and v is not None}
    if request.response_schema is not None:
        schema = {'name': 'response', 'schema': request.response_schema, 'strict': False}
        params['response_format'] = {'type': 'json_schema', 'json_schema': schema}
    return params


def _messages(messages: list[dict], file: FileInput | None) -> list[dict]:
    result = [{'role': m['role'], 'content': m['content']} for m in messages]
    if file is None:
        return result
    index = content.last_user_index(result)
    text = result[index]['content'] if result else ''
    parts: list[dict] = [{'type': 'text', 'text': text}] if text else []
    if file.content_type in content.IMAGE_TYPES:
        parts.append({'type': 'image_url', 'image_url': {'url': content.data_url(file)}})
    elif file.content_type == content.PDF_TYPE:
        parts.append({'type': 'file', 'file': {'filename': file.filename, 'file_data': content.data_url(file)}})
    elif file.content_type in content.TEXT_TYPES:
        parts.append({'type': 'text', 'text': content.inline_text(file)})
    else:
        raise ProviderError(f'{LABEL} does not take {file.content_type} files')
    if result:
        result[index] = {'role': 'user', 'content': parts}
    else:
        result.append({'role': 'user', 'content': parts})
    return result

"""Anthropic through the official async SDK's messages API, with the sampling-option rule of DESIGN.md §4."""

import anthropic

from core.providers import content
from core.providers.base import ChatRequest, ChatResult, FileInput, OnDelta, ProviderError
from core.providers.catalog import CATALOG
from core.providers.clients import PerLoop
from core.providers.deltas import emit
from core.providers.failures import missing_key_error, sdk_errors
from core.providers.tls import tls_context

LABEL = 'Anthropic'
SAMPLING_API_VERSION = '2023-06-01'  # the SDK's default version (2026-10-21) answers 400 to sampling options
_OPTION_NAMES = {'temperature': 'temperature', 'topP': 'top_p', 'topK': 'top_k', 'maxTokens': 'max_tokens'}
_SAMPLING = ('temperature', 'topP', 'topK')  # maxTokens is not one: every API version takes max_tokens
MAX_TOKENS = 4096  # when a deployment sets no maxTokens (the API requires one): within every Claude model's output limit
LIST_TIMEOUT = 15.0


class AnthropicAdapter:
    name = 'anthropic'
    supported_options = CATALOG['anthropic'].supported_options
    file_types = CATALOG['anthropic'].file_types

    def __init__(self, *, api_key: str | None, base_url: str | None) -> None:
        self.base_url = base_url
        self._api_key = api_key
        self._clients = PerLoop(
            lambda: anthropic.AsyncAnthropic(
                api_key=api_key,
                base_url=base_url,
                max_retries=0,
                http_client=anthropic.DefaultAioHttpClient(verify=tls_context()),
            )
        )

    async def aclose(self) -> None:
        """Close this event loop's SDK client."""
        await self._clients.aclose()

    async def list_models(self) -> list[str]:
        async with sdk_errors(anthropic, LABEL, LIST_TIMEOUT, self.base_url, self._api_key):
            models = [model.id async for model in self._client().models.list(limit=1000, timeout=LIST_TIMEOUT)]
        return sorted(models)

    async def chat(self, request: ChatRequest, on_delta: OnDelta | None = None) -> ChatResult:
        parts: list[str] = []
        input_tokens = output_tokens = None
        async with sdk_errors(anthropic, LABEL, request.timeout, self.base_url, self._api_key):
            stream = await self._client().messages.create(**chat_params(request), timeout=request.timeout)
            async for event in stream:
                if event.type == 'message_start':
                    input_tokens = event.message.usage.input_tokens
                elif event.type == 'content_block_delta' and event.delta.type == 'text_delta':
                    parts.append(event.delta.text)
                    await emit(on_delta, event.delta.text)
                elif event.type == 'message_delta' and event.usage:
                    output_tokens = event.usage.output_tokens
                    input_tokens = getattr(event.usage, 'input_tokens', None) or input_tokens
        return ChatResult(text=''.join(parts), input_tokens=input_tokens, output_tokens=output_tokens)

    def _client(self) -> anthropic.AsyncAnthropic:
        if not self._api_key:
            raise missing_key_error(LABEL, 'ANTHROPIC_API_KEY')
        return self._clients.get()


def chat_params(request: ChatRequest) -> dict:
    """No sampling option: the SDK's default request. Any: API version 2023-06-01, the options in the body."""
    system = '\n\n'.join(m['content'] for m in request.messages if m['role'] == 'system')
    params: dict = {
        'model': request.model,
        'max_tokens': request.options.get('maxTokens') or MAX_TOKENS,
        'messages': _messages([m for m in request.messages if m['role'] != 'system'], request.file),
        'stream': True,
    }
    if system:
        params['system'] = system
    sampling = {_OPTION_NAMES[k]: v for k, v in request.options.items() if k in _SAMPLING and v is not None}
    if sampling:
        params['extra_headers'] = {'anthropic-version': SAMPLING_API_VERSION}
        params['extra_body'] = sampling
    if request.response_schema is not None:
        params['output_config'] = {
            'format': {'type': 'json_schema', 'schema': anthropic.transform_schema(request.response_schema)}
        }
    return params


def _messages(messages: list[dict], file: FileInput | None) -> list[dict]:
    result = [{'role': m['role'], 'content': m['content']} for m in messages] or [{'role': 'user', 'content': ''}]
    if file is None:
        return result
    index = content.last_user_index(result)
    text = result[index]['content']
    blocks: list[dict] = [_file_block(file)]
    if text:
        blocks.append({'type': 'text', 'text': text})  # Anthropic advises the file before the question
    result[index] = {'role': 'user', 'content': blocks}
    return result


def _file_block(file: FileInput) -> dict:
    if file.content_type in content.IMAGE_TYPES:
        return {'type': 'image', 'source': {'type': 'base64', 'media_type': file.content_type, 'data': content.b64(file)}}
    if file.content_type == content.PDF_TYPE:
        return {'type': 'document', 'source': {'type': 'base64', 'media_type': file.content_type, 'data': content.b64(file)}}
    if file.content_type in content.TEXT_TYPES:
        return {'type': 'text', 'text': content.inline_text(file)}
    raise ProviderError(f'{LABEL} does not take {file.content_type} files')

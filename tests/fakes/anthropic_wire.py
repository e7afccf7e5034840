"""Anthropic's messages wire protocol, as the fake speaks it (including the sampling rule of DESIGN.md §4)."""

from tests.fakes.script import Reply
from tests.fakes.wire import ChatCall, Rejection, prompt_text, require, sse

provider = 'anthropic'
stream_content_type = 'text/event-stream'
SAMPLING_API_VERSION = '2023-06-01'
_SAMPLING = ('temperature', 'top_p', 'top_k')
_ERROR_TYPES = {
    400: 'invalid_request_error',
    401: 'authentication_error',
    403: 'permission_error',
    404: 'not_found_error',
    413: 'request_too_large',
    429: 'rate_limit_error',
    500: 'api_error',
    503: 'api_error',
    529: 'overloaded_error',
}


def chat_call(headers: dict[str, str], body: dict) -> ChatCall:
    require(body, 'model', 'messages', 'max_tokens')
    version = headers.get('anthropic-version', '')
    for name in _SAMPLING:
        # the SDK's default API version removed the sampling parameters; 2023-06-01 still takes them
        if name in body and version != SAMPLING_API_VERSION:
            raise Rejection(400, f'{name}: not supported on API version {version or "(none)"}; use {SAMPLING_API_VERSION}')
    schema = ((body.get('output_config') or {}).get('format') or {}).get('schema')
    return ChatCall(body['model'], bool(body.get('stream')), prompt_text(body['messages'], body.get('system')), schema)


def models_body(models: list[str]) -> dict:
    data = [{'type': 'model', 'id': m, 'display_name': m, 'created_at': '2025-01-01T00:00:00Z'} for m in models]
    return {'data': data, 'has_more': False, 'first_id': models[0] if models else None, 'last_id': models[-1] if models else None}


def unknown_model(model: str) -> Rejection:
    return Rejection(404, f'model: {model}', 'not_found_error')


def error_body(status: int, message: str, kind: str | None = None) -> dict:
    return {'type': 'error', 'error': {'type': kind or _ERROR_TYPES.get(status, 'api_error'), 'message': message}}


def stream_error(status: int, message: str) -> bytes:
    return sse(error_body(status, message), 'error')


def reply_body(call: ChatCall, reply: Reply) -> dict:
    return {
        **_message(call, reply.input_tokens, reply.output_tokens, 'end_turn'),
        'content': [{'type': 'text', 'text': reply.text}],
    }


def stream(call: ChatCall, reply: Reply) -> list[bytes]:
    start = {**_message(call, reply.input_tokens, 1, None), 'content': []}
    events = [
        sse({'type': 'message_start', 'message': start}, 'message_start'),
        sse({'type': 'content_block_start', 'index': 0, 'content_block': {'type': 'text', 'text': ''}}, 'content_block_start'),
    ]
    for text in reply.chunks:
        delta = {'type': 'content_block_delta', 'index': 0, 'delta': {'type': 'text_delta', 'text': text}}
        events.append(sse(delta, 'content_block_delta'))
    events += [
        sse({'type': 'content_block_stop', 'index': 0}, 'content_block_stop'),
        sse(
            {
                'type': 'message_delta',
                'delta': {'stop_reason': 'end_turn', 'stop_sequence': None},
                'usage': {'output_tokens': reply.output_tokens},
            },
            'message_delta',
        ),
        sse({'type': 'message_stop'}, 'message_stop'),
    ]
    return events


def _message(call: ChatCall, input_tokens: int, output_tokens: int, stop_reason: str | None) -> dict:
    return {
        'id': 'msg_fake',
        'type': 'message',
        'role': 'assistant',
        'model': call.model,
        'stop_reason': stop_reason,
        'stop_sequence': None,
        'usage': {'input_tokens': input_tokens, 'output_tokens': output_tokens},
    }

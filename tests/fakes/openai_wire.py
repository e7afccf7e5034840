"""OpenAI's chat-completions wire protocol, as the fake speaks it."""

import time

from tests.fakes.script import Reply
from tests.fakes.wire import ChatCall, Rejection, prompt_text, require, sse

provider = 'openai'
stream_content_type = 'text/event-stream'
_ERROR_TYPES = {
    400: 'invalid_request_error',
    401: 'invalid_request_error',
    404: 'invalid_request_error',
    429: 'rate_limit_exceeded',
}
_UNSUPPORTED = ('top_k',)


def chat_call(headers: dict[str, str], body: dict) -> ChatCall:
    require(body, 'model', 'messages')
    for name in _UNSUPPORTED:
        if name in body:
            raise Rejection(400, f'Unrecognized request argument supplied: {name}')
    response_format = body.get('response_format') or {}
    schema = None
    if response_format.get('type') == 'json_schema':
        schema = response_format.get('json_schema', {}).get('schema', {})
    elif response_format.get('type') == 'json_object':
        schema = {}
    include_usage = bool((body.get('stream_options') or {}).get('include_usage'))
    return ChatCall(
        body['model'], bool(body.get('stream')), prompt_text(body['messages']), schema, {'include_usage': include_usage}
    )


def models_body(models: list[str]) -> dict:
    return {
        'object': 'list',
        'data': [{'id': m, 'object': 'model', 'created': 1_700_000_000, 'owned_by': 'fake'} for m in models],
    }


def unknown_model(model: str) -> Rejection:
    return Rejection(404, f'The model `{model}` does not exist or you do not have access to it.', 'model_not_found')


def error_body(status: int, message: str, kind: str | None = None) -> dict:
    kind = kind or _ERROR_TYPES.get(status, 'server_error')
    return {'error': {'message': message, 'type': kind, 'param': None, 'code': kind if status != 500 else None}}


def stream_error(status: int, message: str) -> bytes:
    return sse(error_body(status, message))


def reply_body(call: ChatCall, reply: Reply) -> dict:
    message = {'role': 'assistant', 'content': reply.text, 'refusal': None}
    choice = {'index': 0, 'message': message, 'finish_reason': 'stop', 'logprobs': None}
    return {**_envelope(call, 'chat.completion'), 'choices': [choice], 'usage': _usage(reply)}


def stream(call: ChatCall, reply: Reply) -> list[bytes]:
    usage_field = {'usage': None} if call.extras['include_usage'] else {}
    base = {**_envelope(call, 'chat.completion.chunk'), **usage_field}

    def chunk(delta: dict, finish: str | None = None) -> bytes:
        return sse({**base, 'choices': [{'index': 0, 'delta': delta, 'finish_reason': finish, 'logprobs': None}]})

    events = [chunk({'role': 'assistant', 'content': '', 'refusal': None})]
    events += [chunk({'content': text}) for text in reply.chunks]
    events.append(chunk({}, 'stop'))
    if call.extras['include_usage']:
        events.append(sse({**base, 'choices': [], 'usage': _usage(reply)}))
    events.append(sse('[DONE]'))
    return events


def _envelope(call: ChatCall, kind: str) -> dict:
    return {
        'id': 'chatcmpl-fake',
        'object': kind,
        'created': int(time.time()),
        'model': call.model,
        'system_fingerprint': 'fp_fake',
    }


def _usage(reply: Reply) -> dict:
    total = reply.input_tokens + reply.output_tokens
    return {'prompt_tokens': reply.input_tokens, 'completion_tokens': reply.output_tokens, 'total_tokens': total}

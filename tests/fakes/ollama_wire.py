"""Ollama's chat wire protocol (ndjson when streamed), as the fake speaks it."""

import json

from tests.fakes.script import Reply
from tests.fakes.wire import ChatCall, Rejection, prompt_text, require

provider = 'ollama'
stream_content_type = 'application/x-ndjson'
_CREATED = '2025-01-01T00:00:00Z'


def chat_call(headers: dict[str, str], body: dict) -> ChatCall:
    require(body, 'model')
    fmt = body.get('format')
    schema = fmt if isinstance(fmt, dict) else ({} if fmt == 'json' else None)
    return ChatCall(body['model'], body.get('stream', True) is not False, prompt_text(body.get('messages') or []), schema)


def models_body(models: list[str]) -> dict:
    details = {'format': 'gguf', 'family': 'fake', 'parameter_size': '1B', 'quantization_level': 'Q4_0'}
    return {
        'models': [
            {'name': m, 'model': m, 'modified_at': _CREATED, 'size': 1, 'digest': 'fake', 'details': details} for m in models
        ]
    }


def unknown_model(model: str) -> Rejection:
    return Rejection(404, f"model '{model}' not found")


def error_body(status: int, message: str, kind: str | None = None) -> dict:
    return {'error': message}


def stream_error(status: int, message: str) -> bytes:
    return json.dumps(error_body(status, message)).encode() + b'\n'


def reply_body(call: ChatCall, reply: Reply) -> dict:
    return _final(call, reply, reply.text)


def stream(call: ChatCall, reply: Reply) -> list[bytes]:
    lines = [
        {'model': call.model, 'created_at': _CREATED, 'message': {'role': 'assistant', 'content': text}, 'done': False}
        for text in reply.chunks
    ]
    lines.append(_final(call, reply, ''))
    return [json.dumps(line).encode() + b'\n' for line in lines]


def _final(call: ChatCall, reply: Reply, text: str) -> dict:
    return {
        'model': call.model,
        'created_at': _CREATED,
        'message': {'role': 'assistant', 'content': text},
        'done': True,
        'done_reason': 'stop',
        'total_duration': 1_000_000,
        'load_duration': 0,
        'prompt_eval_count': reply.input_tokens,
        'prompt_eval_duration': 1,
        'eval_count': reply.output_tokens,
        'eval_duration': 1,
    }

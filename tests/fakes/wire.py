"""Shared pieces of the three wire protocols the fake speaks."""

import json
from dataclasses import dataclass, field


@dataclass
class ChatCall:
    """A chat request, read from any provider's body."""

    model: str
    stream: bool
    prompt_text: str  # every text part of the prompt, for the fake's token count
    response_schema: dict | None = None
    extras: dict = field(default_factory=dict)


class Rejection(Exception):
    """A request the real provider would refuse; the fake answers it with `status` in the provider's error shape."""

    def __init__(self, status: int, message: str, kind: str = 'invalid_request_error') -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind


def text_of(content: object) -> str:
    """The text in a message's content: a string, or the text parts of a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return ' '.join(part.get('text', '') for part in content if isinstance(part, dict) and part.get('type') == 'text')
    return ''


def prompt_text(messages: list, system: object = None) -> str:
    texts = [text_of(system)] if system else []
    texts += [text_of(m.get('content')) for m in messages if isinstance(m, dict)]
    return ' '.join(texts)


def require(body: dict, *names: str) -> None:
    for name in names:
        if name not in body:
            raise Rejection(400, f'{name}: Field required')


def sse(data: dict | str, event: str | None = None) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data)
    prefix = f'event: {event}\n' if event else ''
    return f'{prefix}data: {payload}\n\n'.encode()

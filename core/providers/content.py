"""Helpers the adapters share to put messages and a file into a provider's request."""

import base64

from core.providers.base import FileInput

IMAGE_TYPES = frozenset({'image/png', 'image/jpeg', 'image/gif', 'image/webp'})
PDF_TYPE = 'application/pdf'
TEXT_TYPES = frozenset({'text/plain', 'text/markdown', 'text/csv', 'application/json'})
OLLAMA_IMAGE_TYPES = frozenset({'image/png', 'image/jpeg'})  # what Ollama's vision models read


def b64(file: FileInput) -> str:
    return base64.b64encode(file.data).decode('ascii')


def data_url(file: FileInput) -> str:
    return f'data:{file.content_type};base64,{b64(file)}'


def inline_text(file: FileInput) -> str:
    """A text file goes into the prompt itself, marked so the model knows where it starts and ends."""
    return f'<file name="{file.filename}">\n{file.data.decode("utf-8", errors="replace")}\n</file>'


def last_user_index(messages: list[dict]) -> int:
    """Where a file belongs: the last user message (the rendered template or the user's input)."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get('role') == 'user':
            return index
    return len(messages) - 1

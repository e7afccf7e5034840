"""What every provider adapter offers the rest of core: models, a streamed chat, and its capabilities."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class FileInput:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: list[dict]  # [{'role': 'system' | 'user' | 'assistant', 'content': str}]
    options: dict = field(default_factory=dict)  # camelCase: temperature, topP, topK, maxTokens
    response_schema: dict | None = None
    file: FileInput | None = None
    timeout: float = 120.0


@dataclass(frozen=True)
class ChatResult:
    text: str
    input_tokens: int | None
    output_tokens: int | None


class ProviderError(Exception):
    """A failed call, with a short human message; `retryable` for 429, 5xx, timeouts and lost connections."""

    def __init__(
        self, message: str, *, retryable: bool = False, retry_after: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


OnDelta = Callable[[str], Awaitable[None] | None]


class ProviderAdapter(Protocol):
    name: str
    supported_options: frozenset[str]  # of core.options.KNOWN_OPTIONS
    file_types: frozenset[str]  # content types it accepts as a file input

    async def list_models(self) -> list[str]: ...

    async def chat(self, request: ChatRequest, on_delta: OnDelta | None = None) -> ChatResult: ...

    async def aclose(self) -> None: ...  # closes the running event loop's SDK client

"""What the fake LLM does on each call: the per-test script, the deterministic replies and the recorded requests."""

import asyncio
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field

PROVIDERS = ('openai', 'anthropic', 'ollama')
DEFAULT_MODELS = {
    'openai': ['gpt-4o-mini', 'gpt-4o'],
    'anthropic': ['claude-sonnet-4-5', 'claude-haiku-4-5'],
    'ollama': ['llama3.2', 'qwen3'],
}
DEFAULT_REPLY = 'Hello from the fake LLM, answering in several chunks.'


def count_tokens(text: str) -> int:
    """The fake's tokenizer: one token per whitespace-separated word."""
    return len(text.split())


def split_chunks(text: str, pieces: int = 4) -> list[str]:
    """Cut a reply into at least three streamed deltas (fewer only when the text is shorter than three characters)."""
    pieces = max(1, min(pieces, len(text)))
    size = -(-len(text) // pieces)
    return [text[i : i + size] for i in range(0, len(text), size)] or ['']


def example_for_schema(schema: dict) -> object:
    """A small value valid against a simple JSON Schema: what the fake 'model' answers for structured output."""
    if 'const' in schema:
        return schema['const']
    if schema.get('enum'):
        return schema['enum'][0]
    kind = schema.get('type', 'object')
    if isinstance(kind, list):
        kind = next((k for k in kind if k != 'null'), 'null')
    if kind == 'object':
        props = schema.get('properties', {})
        return {name: example_for_schema(sub) for name, sub in props.items()}
    if kind == 'array':
        return [example_for_schema(schema.get('items', {'type': 'string'}))] * max(1, schema.get('minItems', 1))
    return {'string': 'example', 'integer': 1, 'number': 1.5, 'boolean': True, 'null': None}.get(kind, 'example')


@dataclass
class RecordedRequest:
    provider: str
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: dict | None
    at: float = field(default_factory=time.monotonic)
    outcome: str = ''  # 'reply', 'error 429', 'hang', 'rejected 400', ...
    input_tokens: int | None = None
    output_tokens: int | None = None
    reply: str | None = None

    @property
    def is_chat(self) -> bool:
        return self.method == 'POST'


@dataclass(frozen=True)
class Step:
    """One scripted call: an error status, a hang, or a reply (None fields fall back to the defaults)."""

    status: int | None = None
    retry_after: float | None = None
    message: str | None = None
    hang: float | None = None
    drop: bool = False  # stream part of the reply, then cut the connection
    midstream: bool = False  # stream part of the reply, then an error event in the provider's stream format


@dataclass
class Reply:
    text: str
    input_tokens: int
    output_tokens: int
    chunks: list[str]


class FakeScript:
    """Thread-safe state shared by the server thread and the test: defaults, queued steps, recorded requests."""

    def __init__(self, *, latency: float = 0.0, record: bool = True) -> None:
        self._lock = threading.Lock()
        self.default_latency = latency
        self.record_requests = record
        self.release_generation = 0  # bumped to end every hang in progress
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.latency = self.default_latency
            self.chunk_delay = 0.0
            self.models = {p: list(m) for p, m in DEFAULT_MODELS.items()}
            self._replies: dict[str | None, str] = {}
            self._usage: dict[str | None, tuple[int | None, int | None]] = {}
            self._steps: dict[tuple[str | None, str], deque[Step]] = {}
            self._per_model: dict[str, Step] = {}  # every chat with the model fails (status) or waits first (hang)
            self.requests: list[RecordedRequest] = []
            self.release_generation += 1

    # -- scripting (called from tests) --

    def reply(self, text: str, *, provider: str | None = None) -> None:
        with self._lock:
            self._replies[provider] = text

    def reply_json(self, value: object, *, provider: str | None = None) -> None:
        self.reply(json.dumps(value), provider=provider)

    def reply_for(self, provider: str | None = None) -> str:
        """The text a chat without a response schema gets now."""
        with self._lock:
            return self._replies.get(provider, self._replies.get(None, DEFAULT_REPLY))

    def set_usage(
        self, input_tokens: int | None = None, output_tokens: int | None = None, *, provider: str | None = None
    ) -> None:
        with self._lock:
            self._usage[provider] = (input_tokens, output_tokens)

    def fail(
        self,
        status: int = 500,
        *,
        times: int = 1,
        retry_after: float | None = None,
        message: str | None = None,
        provider: str | None = None,
        on: str = 'chat',
        midstream: bool = False,
    ) -> None:
        """The next `times` calls answer `status` (with Retry-After when given); `on='models'` scripts the model listing."""
        step = Step(status=status, retry_after=retry_after, message=message, midstream=midstream)
        self._queue(step, times, provider, on)

    def hang(self, seconds: float = 300.0, *, times: int = 1, provider: str | None = None, on: str = 'chat') -> None:
        """The next `times` calls send nothing until the client gives up, `release()` or `seconds` pass."""
        self._queue(Step(hang=seconds), times, provider, on)

    def drop(self, *, times: int = 1, provider: str | None = None) -> None:
        """The next `times` chat calls start streaming, then lose the connection mid-reply."""
        self._queue(Step(drop=True), times, provider, 'chat')

    def fail_model(self, model: str, status: int = 500, *, message: str | None = None) -> None:
        """Every chat with `model` answers `status`, until reset (a candidate model that always fails)."""
        with self._lock:
            self._per_model[model] = Step(status=status, message=message)

    def slow_model(self, model: str, seconds: float) -> None:
        """Every chat with `model` waits `seconds` before answering, until reset (a slower candidate)."""
        with self._lock:
            self._per_model[model] = Step(hang=seconds)

    def model_step(self, model: str) -> Step | None:
        with self._lock:
            return self._per_model.get(model)

    def release(self) -> None:
        """End every hang in progress (they then answer normally)."""
        with self._lock:
            self.release_generation += 1

    def _queue(self, step: Step, times: int, provider: str | None, on: str) -> None:
        if on not in ('chat', 'models'):
            raise ValueError(f"on must be 'chat' or 'models', not {on!r}")
        with self._lock:
            self._steps.setdefault((provider, on), deque()).extend([step] * times)

    # -- used by the server --

    def next_step(self, provider: str, on: str) -> Step | None:
        with self._lock:
            for key in ((provider, on), (None, on)):
                queue = self._steps.get(key)
                if queue:
                    return queue.popleft()
        return None

    def make_reply(self, provider: str, prompt_text: str, response_schema: dict | None) -> Reply:
        with self._lock:
            text = self._replies.get(provider, self._replies.get(None))
            usage = self._usage.get(provider, self._usage.get(None, (None, None)))
        if text is None:
            text = json.dumps(example_for_schema(response_schema)) if response_schema is not None else DEFAULT_REPLY
        input_tokens = usage[0] if usage[0] is not None else count_tokens(prompt_text)
        output_tokens = usage[1] if usage[1] is not None else count_tokens(text)
        return Reply(text, input_tokens, output_tokens, split_chunks(text))

    def record(self, request: RecordedRequest) -> None:
        if self.record_requests:
            self.requests.append(request)

    async def wait_hang(self, seconds: float) -> None:
        generation = self.release_generation
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.release_generation == generation:
            await asyncio.sleep(0.02)

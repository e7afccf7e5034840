"""Pytest fixtures for the fake LLM server: one server per session, a clean script per test."""

import asyncio
import time

import pytest

from tests.fakes.llm_server import FAKE_KEYS, FakeLLMServer
from tests.fakes.script import RecordedRequest, count_tokens


class FakeLLM:
    """What a test sees: where the fake is (`env`, `url`), how to script it, and what it received."""

    keys = FAKE_KEYS
    count_tokens = staticmethod(count_tokens)  # the fake's tokenizer: words separated by whitespace

    def __init__(self, server: FakeLLMServer) -> None:
        self.server = server
        self.script = server.script
        self.url = server.url
        self.env = server.env

    # -- scripting --
    def reply(self, text: str, *, provider: str | None = None) -> None:
        """Answer every following chat with `text` (for one provider, or all)."""
        self.script.reply(text, provider=provider)

    def reply_json(self, value: object, *, provider: str | None = None) -> None:
        self.script.reply_json(value, provider=provider)

    def set_usage(
        self, input_tokens: int | None = None, output_tokens: int | None = None, *, provider: str | None = None
    ) -> None:
        """Report these token counts instead of the word counts."""
        self.script.set_usage(input_tokens, output_tokens, provider=provider)

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
        """The next `times` chat calls (or model listings with on='models') answer `status`, then normal service resumes.

        With midstream=True the call starts a streamed 200 and fails inside the stream, as overloaded providers do.
        """
        self.script.fail(
            status, times=times, retry_after=retry_after, message=message, provider=provider, on=on, midstream=midstream
        )

    def hang(self, seconds: float = 300.0, *, times: int = 1, provider: str | None = None, on: str = 'chat') -> None:
        """The next `times` calls answer nothing until the client gives up, `release()`, or `seconds` pass."""
        self.script.hang(seconds, times=times, provider=provider, on=on)

    def drop(self, *, times: int = 1, provider: str | None = None) -> None:
        """The next `times` chat calls stream part of the reply, then the connection breaks."""
        self.script.drop(times=times, provider=provider)

    def fail_model(self, model: str, status: int = 500, *, message: str | None = None) -> None:
        """Every chat with `model` answers `status` until the test ends (400: not retried, so each run fails at once)."""
        self.script.fail_model(model, status, message=message)

    def slow_model(self, model: str, seconds: float) -> None:
        """Every chat with `model` takes `seconds` longer until the test ends."""
        self.script.slow_model(model, seconds)

    def release(self) -> None:
        self.script.release()

    def set_models(self, provider: str, models: list[str]) -> None:
        self.script.models[provider] = list(models)

    @property
    def latency(self) -> float:
        return self.script.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.script.latency = seconds

    @property
    def chunk_delay(self) -> float:
        return self.script.chunk_delay

    @chunk_delay.setter
    def chunk_delay(self, seconds: float) -> None:
        self.script.chunk_delay = seconds

    @property
    def reply_text(self) -> str:
        """The text a chat without a response schema gets now."""
        return self.script.reply_for(None)

    # -- what it received --
    @property
    def requests(self) -> list[RecordedRequest]:
        return self.script.requests

    def chat_requests(self, provider: str | None = None) -> list[RecordedRequest]:
        return [r for r in self.script.requests if r.is_chat and provider in (None, r.provider)]

    def last_chat(self, provider: str | None = None) -> RecordedRequest:
        chats = self.chat_requests(provider)
        assert chats, f'the fake LLM received no chat call{f" for {provider}" if provider else ""}'
        return chats[-1]

    async def wait_for_chats(self, count: int = 1, *, provider: str | None = None, timeout: float = 5.0) -> list[RecordedRequest]:
        """Wait until the fake has received `count` chat calls (e.g. to cancel an execution while it runs)."""
        deadline = time.monotonic() + timeout
        while len(self.chat_requests(provider)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f'the fake LLM got {len(self.chat_requests(provider))} chat calls, expected {count}')
            await asyncio.sleep(0.01)
        return self.chat_requests(provider)


@pytest.fixture(scope='session')
def fake_llm_server():
    server = FakeLLMServer().start()
    yield server
    server.stop()


@pytest.fixture
def fake_llm(fake_llm_server: FakeLLMServer):
    fake_llm_server.script.reset()
    yield FakeLLM(fake_llm_server)
    fake_llm_server.script.release()  # a hang left over must not block the next test

"""Handing streamed text to the caller's on_delta, which may be a plain function or a coroutine function."""

import inspect

from core.providers.base import OnDelta


async def emit(on_delta: OnDelta | None, text: str) -> None:
    if on_delta is None or not text:
        return
    result = on_delta(text)
    if inspect.isawaitable(result):
        await result

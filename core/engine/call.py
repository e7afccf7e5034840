"""One execution's provider call: the request, a timeout, retries of what is retryable, and the judged result."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from core.app import Core
from core.engine.attempts import Attempt, Stopwatch
from core.engine.backoff import Backoff
from core.engine.queue import Claim, Outcome
from core.engine.validation import validate_result
from core.errors import DomainError
from core.providers.base import ChatRequest, ChatResult, FileInput, OnDelta, ProviderAdapter, ProviderError
from data.tables import AttemptOutcome, ExecutionStatus

log = logging.getLogger(__name__)
BACKSTOP_MARGIN = 1.0  # seconds past the adapter's own deadline, so its clearer message normally wins
OnRetry = Callable[[Attempt], Awaitable[bool]]  # (the attempt that failed and will be retried) -> still ours?


class LeaseLost(Exception):
    """The execution was cancelled or taken over while we ran it; nothing more may be written."""


def find_adapter(core: Core, provider: str) -> ProviderAdapter | DomainError:
    """The provider's adapter, or the domain error that says why there is none; it reads credentials: not on a loop."""
    try:
        return core.registry.adapter(provider)
    except DomainError as error:
        return error


async def call_provider(
    core: Core,
    claim: Claim,
    *,
    adapter: ProviderAdapter | DomainError,
    file: FileInput | None,
    backoff: Backoff,
    on_delta: OnDelta,
    on_retry: OnRetry,
) -> Outcome:
    """Run the claimed execution's chat to an Outcome; `duration_ms` is the time of the last call, `attempt` its record."""
    settings = core.settings
    if isinstance(adapter, DomainError):
        return failed_at_once(claim, adapter.message)
    timeout = settings.call_timeout_seconds
    request = ChatRequest(
        model=claim.model,
        messages=claim.messages,
        options=claim.options,
        response_schema=claim.response_schema,
        file=file,
        timeout=timeout,
    )
    attempts = claim.attempts
    while True:
        stopwatch = Stopwatch(attempts)
        try:
            async with asyncio.timeout(timeout + BACKSTOP_MARGIN):  # the adapter enforces `timeout`; this guards the worker
                result = await adapter.chat(request, on_delta)
        except ProviderError as failure:
            error, retryable, retry_after, status = failure.message, failure.retryable, failure.retry_after, failure.status
        except TimeoutError:
            error, retryable, retry_after, status = f'{claim.provider} did not answer within {timeout:g}s', True, None, None
        except Exception as failure:  # a bug or an unwrapped client error must fail this execution, not the worker
            log.exception('provider call for execution %s raised', claim.id)
            error, retryable, retry_after = f'{claim.provider} call failed: {type(failure).__name__}: {failure}', False, None
            status = None
        else:
            return await _completed(claim, result, attempts, stopwatch.stop(AttemptOutcome.SUCCEEDED))
        if not retryable or attempts >= settings.max_attempts:
            suffix = f' (gave up after {attempts} attempts)' if attempts > 1 else ''
            attempt = stopwatch.stop(AttemptOutcome.FAILED, error=error, http_status=status)
            duration_ms = attempt.duration_ms
            return Outcome(ExecutionStatus.FAILED, attempts, error=error + suffix, duration_ms=duration_ms, attempt=attempt)
        delay = backoff.delay(attempts, retry_after)
        attempts += 1
        if not await on_retry(stopwatch.stop(AttemptOutcome.RETRIED, error=error, http_status=status)):
            raise LeaseLost(claim.id)
        await asyncio.sleep(delay)


def failed_at_once(claim: Claim, error: str) -> Outcome:
    """An attempt that could not call the provider at all (no adapter, a deleted file): failed, in no time."""
    attempt = Stopwatch(claim.attempts).stop(AttemptOutcome.FAILED, error=error)
    return Outcome(ExecutionStatus.FAILED, claim.attempts, error=error, attempt=attempt)


async def _completed(claim: Claim, result: ChatResult, attempts: int, attempt: Attempt) -> Outcome:
    valid, message = None, None
    if claim.response_schema is not None:  # a JSON-schema validation: on a thread, as the loop must not wait for one
        valid, message = await asyncio.to_thread(validate_result, result.text, claim.response_schema)
    return Outcome(
        ExecutionStatus.COMPLETED,
        attempts,
        result=result.text,
        result_valid=valid,
        result_validation_message=message,
        input_tokens=result.input_tokens,
        output_tokens=result.output_tokens,
        duration_ms=attempt.duration_ms,
        attempt=attempt,
    )

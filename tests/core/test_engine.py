"""The execution engine in-process: runs through each real SDK against the fake, retries, timeouts, cancel, leases."""

import asyncio
import time
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.app import build_core
from core.engine.cancel import cancel_execution
from core.engine.queue import EXECUTION
from core.errors import Conflict, Forbidden, NotFound
from core.executions import get_execution, get_execution_detail, run_deployment
from core.files import delete_file, upload_file
from core.follow import wait_for_execution
from core.permissions import Actor
from data.tables import utcnow
from tests.core.engine_helpers import SYSTEM, deploy, finished, queue_row, run

SAMPLING = {'temperature': 0.3, 'topP': 0.9, 'topK': 40}


@pytest.mark.parametrize(
    ('provider', 'model'), [('openai', 'gpt-4o-mini'), ('anthropic', 'claude-haiku-4-5'), ('ollama', 'llama3.2')]
)
async def test_a_run_through_each_sdk_completes_with_the_fakes_text_tokens_and_duration(
    core, fake_llm, start_worker, provider, model
):
    options = {k: v for k, v in SAMPLING.items() if k in core.registry.supported_options(provider)}
    deployment = await deploy(core, provider=provider, model=model, options=options)
    fake_llm.latency = 0.05
    await start_worker()
    async with core.bus.subscribe() as events:
        execution = await run(core, deployment)
        done = await finished(core, execution)
        seen = [events.queue.get_nowait() for _ in range(events.queue.qsize())]

    call = fake_llm.last_chat(provider)
    assert (done.status, done.error, done.attempts) == ('completed', None, 1)
    assert done.result == call.reply == fake_llm.reply_text
    assert (done.input_tokens, done.output_tokens) == (call.input_tokens, call.output_tokens)
    assert 50 <= done.duration_ms < 2000
    assert done.started_at <= done.completed_at
    assert call.body['model'] == model
    assert 'Where is my order?' in str(call.body['messages'])
    sent = call.body['options'] if provider == 'ollama' else call.body
    assert {k: sent.get(k) for k in ('temperature', 'top_p', 'top_k') if k in sent} == {
        'temperature': 0.3,
        'top_p': 0.9,
        **({'top_k': 40} if provider != 'openai' else {}),
    }
    mine = [e for e in seen if e.execution_id == execution.id]
    assert [e.data['status'] for e in mine if e.kind == 'status'] == ['running', 'completed']
    deltas = [e.data['text'] for e in mine if e.kind == 'delta']
    assert len(deltas) >= 3 and ''.join(deltas) == done.result


async def test_new_work_starts_at_once_without_waiting_for_the_poll(core, fake_llm, start_worker):
    deployment = await deploy(core)
    await start_worker(poll_seconds=30)
    await asyncio.sleep(0.05)  # the worker's first claim round has found nothing
    execution = await run(core, deployment)
    queued = time.monotonic()
    [call] = await fake_llm.wait_for_chats(1, timeout=5)
    assert call.at - queued < 1  # the worker's poll would take 30 s
    assert (await finished(core, execution)).status == 'completed'


@pytest.mark.parametrize('database_url', ['postgresql'], indirect=True)  # SQLite has no notifications: it polls
async def test_on_postgresql_rows_made_by_other_processes_wake_the_worker_at_once(core, fake_llm, start_worker, settings):
    deployment = await deploy(core)
    await start_worker(poll_seconds=30)
    await until_listening(core)
    elsewhere = build_core(replace(settings), migrate=False)  # its own event bus: only the database can tell our worker
    try:
        execution = await run(elsewhere, deployment)
        queued = time.monotonic()
        [call] = await fake_llm.wait_for_chats(1, timeout=5)
    finally:
        elsewhere.db.dispose()
    assert call.at - queued < 1  # the worker's poll would take 30 s
    assert (await finished(core, execution)).status == 'completed'


async def until_listening(core, timeout: float = 5.0) -> None:
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN hypersigil_executions'"
    )
    deadline = time.monotonic() + timeout
    while True:
        with core.db.connect() as connection:
            if connection.execute(query).scalar_one():
                return
        assert time.monotonic() < deadline, 'the worker is not listening'
        await asyncio.sleep(0.05)


async def test_rate_limits_are_retried_after_the_retry_after_delay(core, fake_llm, start_worker):
    deployment = await deploy(core)
    fake_llm.fail(429, times=2, retry_after=0.2)
    await start_worker()
    done = await finished(core, await run(core, deployment))
    assert (done.status, done.attempts, done.error) == ('completed', 3, None)
    first, second, third = fake_llm.chat_requests()
    assert second.at - first.at >= 0.2 and third.at - second.at >= 0.2


async def test_server_errors_are_retried_then_succeed(core, fake_llm, start_worker):
    deployment = await deploy(core, provider='anthropic', model='claude-sonnet-4-5')
    fake_llm.fail(500, times=1)
    await start_worker()
    done = await finished(core, await run(core, deployment))
    assert (done.status, done.attempts, done.result) == ('completed', 2, fake_llm.reply_text)


async def test_a_provider_that_keeps_failing_ends_failed_with_a_readable_error_and_the_attempt_count(
    core, fake_llm, start_worker
):
    deployment = await deploy(core)
    fake_llm.fail(503, times=10, message='The service is down for maintenance.')
    await start_worker(max_attempts=3)
    done = await finished(core, await run(core, deployment))
    assert (done.status, done.attempts) == ('failed', 3)
    assert done.error == 'OpenAI answered 503: The service is down for maintenance. (gave up after 3 attempts)'
    assert len(fake_llm.chat_requests()) == 3
    assert done.result is None and done.completed_at is not None


async def test_an_error_that_retrying_cannot_fix_fails_at_once(core, fake_llm, start_worker):
    deployment = await deploy(core)
    fake_llm.fail(401, message='Incorrect API key provided.')
    await start_worker()
    done = await finished(core, await run(core, deployment))
    assert (done.status, done.attempts) == ('failed', 1)
    assert done.error == 'OpenAI rejected the API key (401): Incorrect API key provided.'


async def test_a_call_past_the_timeout_fails_cleanly_and_the_worker_carries_on(core, fake_llm, start_worker):
    deployment = await deploy(core, provider='ollama', model='qwen3')
    fake_llm.hang(30)
    await start_worker(call_timeout_seconds=0.3, max_attempts=1)
    done = await finished(core, await run(core, deployment))
    assert (done.status, done.attempts) == ('failed', 1)
    assert 'did not answer within 0.3s' in done.error
    assert 250 <= done.duration_ms < 1500
    assert (await finished(core, await run(core, deployment))).status == 'completed'


async def test_a_timed_out_call_is_retried(core, fake_llm, start_worker):
    deployment = await deploy(core)
    fake_llm.hang(30)
    await start_worker(call_timeout_seconds=0.3)
    done = await finished(core, await run(core, deployment))
    assert (done.status, done.attempts) == ('completed', 2)


async def test_results_are_validated_against_the_response_schema(core, fake_llm, start_worker):
    schema = {'type': 'object', 'properties': {'answer': {'type': 'string'}}, 'required': ['answer']}
    deployment = await deploy(core, response_schema=schema)
    await start_worker()
    fake_llm.reply_json({'answer': 'in transit'})
    good = await finished(core, await run(core, deployment))
    fake_llm.reply_json({'answer': 42})
    wrong = await finished(core, await run(core, deployment))
    fake_llm.reply('Sure! It is in transit.')
    prose = await finished(core, await run(core, deployment))
    assert (good.result_valid, good.result_validation_message) == (True, None)
    assert (wrong.status, wrong.result_valid, wrong.result_validation_message) == (
        'completed',
        False,
        "$.answer: 42 is not of type 'string'",
    )
    assert prose.result_valid is False and prose.result_validation_message.startswith('the result is not JSON')


async def test_a_run_hands_its_file_to_the_provider(core, fake_llm, start_worker):
    deployment = await deploy(core, accepts_file=True)
    receipt = upload_file(core, SYSTEM, filename='order.txt', content_type='text/plain', data=b'Order 1234: two mugs')
    await start_worker()
    execution = await run_deployment(core, SYSTEM, deployment.name, user_input='Summarise the order', file_id=receipt.id)
    assert (await finished(core, execution)).status == 'completed'
    assert 'Order 1234: two mugs' in str(fake_llm.last_chat().body['messages'])


async def test_a_run_whose_file_was_deleted_fails_with_a_readable_error(core, fake_llm, start_worker):
    deployment = await deploy(core, accepts_file=True)
    receipt = upload_file(core, SYSTEM, filename='order.txt', content_type='text/plain', data=b'Order 1234')
    execution = await run_deployment(core, SYSTEM, deployment.name, user_input='Summarise the order', file_id=receipt.id)
    delete_file(core, SYSTEM, receipt.id)
    await start_worker()
    done = await finished(core, execution)
    assert (done.status, done.error) == ('failed', 'the file this execution was given has been deleted')
    assert fake_llm.chat_requests() == []


async def test_cancelling_a_pending_execution_means_it_never_runs(core, fake_llm, start_worker):
    deployment = await deploy(core)
    execution = await run(core, deployment)  # no worker yet: it stays pending
    cancelled = cancel_execution(core, SYSTEM, execution.id)
    assert cancelled.status == 'cancelled' and cancelled.completed_at is not None
    await start_worker()
    await asyncio.sleep(0.3)
    assert get_execution(core, SYSTEM, execution.id).status == 'cancelled'
    assert fake_llm.chat_requests() == []


async def test_cancelling_a_running_execution_stops_its_call(core, fake_llm, start_worker):
    deployment = await deploy(core)
    fake_llm.hang(30)
    await start_worker(provider_concurrency={'openai': 1})
    execution = await run(core, deployment)
    await fake_llm.wait_for_chats(1)
    cancel_execution(core, SYSTEM, execution.id)
    fake_llm.release()  # the hang now answers; the worker must already have let go
    await asyncio.sleep(0.3)
    done = get_execution(core, SYSTEM, execution.id)
    assert (done.status, done.result) == ('cancelled', None)
    assert (await finished(core, await run(core, deployment))).status == 'completed'  # its slot is free again


async def test_a_cancel_from_another_process_stops_the_run(core, fake_llm, start_worker, settings):
    """It hears of it by notification (PostgreSQL) or at its next lease renewal (SQLite)."""
    deployment = await deploy(core)
    fake_llm.hang(30)
    await start_worker(lease_seconds=0.6, provider_concurrency={'openai': 1})
    execution = await run(core, deployment)
    await fake_llm.wait_for_chats(1)
    elsewhere = build_core(replace(settings), migrate=False)  # its own event bus: like another process
    try:
        cancel_execution(elsewhere, SYSTEM, execution.id)
    finally:
        elsewhere.db.dispose()
    after = await finished(core, await run(core, deployment), timeout=2)  # the only slot is free again
    assert after.status == 'completed'
    assert get_execution(core, SYSTEM, execution.id).status == 'cancelled'


async def test_cancelling_a_finished_execution_is_a_conflict(core, fake_llm, start_worker):
    deployment = await deploy(core)
    await start_worker()
    done = await finished(core, await run(core, deployment))
    with pytest.raises(Conflict, match='already completed'):
        cancel_execution(core, SYSTEM, done.id)


async def test_cancelling_or_waiting_for_an_unknown_execution_is_not_found(core):
    with pytest.raises(NotFound):
        cancel_execution(core, SYSTEM, '00000000-0000-4000-8000-000000000000')
    with pytest.raises(NotFound):
        await wait_for_execution(core, '00000000-0000-4000-8000-000000000000', 1)


async def test_cancelling_needs_the_executions_write_permission(core):
    deployment = await deploy(core)
    execution = await run(core, deployment)
    viewer = Actor.user('u-1', 'viewer@example.com', 'viewer')
    with pytest.raises(Forbidden):
        cancel_execution(core, viewer, execution.id)
    assert get_execution(core, SYSTEM, execution.id).status == 'pending'


async def test_wait_for_execution_returns_the_execution_as_it_stands_at_the_timeout(core):
    deployment = await deploy(core)
    execution = await run(core, deployment)
    started = time.monotonic()
    waited = await wait_for_execution(core, execution.id, 0.2)
    assert waited.status == 'pending' and 0.2 <= time.monotonic() - started < 1


async def test_runs_whose_worker_died_are_recovered_when_a_worker_starts(core, fake_llm, start_worker):
    deployment = await deploy(core)
    execution = await run(core, deployment)
    with core.db.begin() as connection:  # as a crashed worker leaves it: running, its lease expired
        connection.execute(
            sa.update(EXECUTION).values(
                status='running', attempts=1, lease_token='dead-worker', lease_expires_at=utcnow() - timedelta(seconds=1)
            )
        )
    await start_worker(poll_seconds=30)
    done = await finished(core, execution)
    assert (done.status, done.attempts) == ('completed', 2)
    # the dead worker's attempt left no record; the one that finished the run did
    assert [(a.number, a.outcome) for a in get_execution_detail(core, SYSTEM, done.id).attempt_timings] == [(2, 'succeeded')]


async def test_stopping_hands_unfinished_runs_back_to_the_queue(core, fake_llm, start_worker):
    deployment = await deploy(core)
    fake_llm.hang(30)
    worker = await start_worker(grace_seconds=0.1)
    execution = await run(core, deployment)
    await fake_llm.wait_for_chats(1)
    await worker.stop()
    handed_back = queue_row(core, execution.id)
    assert (handed_back.status, handed_back.attempts, handed_back.lease_token) == ('pending', 0, None)
    fake_llm.release()
    await start_worker()
    assert (await finished(core, execution)).status == 'completed'
    assert [(a.number, a.outcome) for a in get_execution_detail(core, SYSTEM, execution.id).attempt_timings] == [(1, 'succeeded')]


async def test_a_run_that_fails_twice_then_succeeds_records_three_attempts(core, fake_llm, start_worker):
    deployment = await deploy(core)
    fake_llm.fail(503, times=2, message='The service is down for maintenance.')
    await start_worker()
    done = await finished(core, await run(core, deployment))
    detail = get_execution_detail(core, SYSTEM, done.id)
    assert [(a.number, a.outcome, a.http_status) for a in detail.attempt_timings] == [
        (1, 'retried', 503), (2, 'retried', 503), (3, 'succeeded', None)
    ]  # fmt: skip
    failed_twice = 'OpenAI answered 503: The service is down for maintenance.'
    assert [a.error for a in detail.attempt_timings] == [failed_twice, failed_twice, None]
    first, second, last = detail.attempt_timings
    assert first.started_at <= first.completed_at <= second.started_at <= second.completed_at <= last.started_at
    assert last.duration_ms == done.duration_ms
    assert done.started_at <= first.started_at and last.completed_at <= done.completed_at
    assert (done.status, done.attempts) == ('completed', 3)


async def test_a_run_that_keeps_failing_records_each_failure_and_the_last_as_failed(core, fake_llm, start_worker):
    deployment = await deploy(core)
    fake_llm.fail(429, times=10, message='Slow down.')
    await start_worker(max_attempts=2)
    done = await finished(core, await run(core, deployment))
    detail = get_execution_detail(core, SYSTEM, done.id)
    assert [(a.number, a.outcome, a.http_status) for a in detail.attempt_timings] == [(1, 'retried', 429), (2, 'failed', 429)]
    first, last = (a.error for a in detail.attempt_timings)
    assert first == last and 'Slow down.' in first
    assert done.error == f'{last} (gave up after 2 attempts)'  # the execution's error says it gave up; each attempt's, why


async def test_a_run_with_a_deleted_file_records_one_failed_attempt_that_made_no_call(core, fake_llm, start_worker):
    deployment = await deploy(core, accepts_file=True)
    uploaded = upload_file(core, SYSTEM, filename='notes.txt', content_type='text/plain', data=b'hello')
    execution = await run_deployment(core, SYSTEM, deployment.name, user_input='Summarize', file_id=uploaded.id)
    delete_file(core, SYSTEM, uploaded.id)
    await start_worker()
    done = await finished(core, execution)
    [attempt] = get_execution_detail(core, SYSTEM, done.id).attempt_timings
    assert (attempt.number, attempt.outcome, attempt.error) == (1, 'failed', done.error)
    assert fake_llm.chat_requests() == []

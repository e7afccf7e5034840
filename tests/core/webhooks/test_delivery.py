"""Deliveries end to end in core: a real worker finishes runs, the delivery loop sends them to a real receiver."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from standardwebhooks import Webhook, WebhookVerificationError

from core.engine.cancel import cancel_execution as cancel_in_queue
from core.executions import cancel_execution, get_execution_detail
from core.webhooks import deliveries, endpoints
from core.webhooks.outbox import enqueue_event
from core.webhooks.records import execution_record
from data.tables import WebhookEndpoint, WebhookEvent
from tests.core.engine_helpers import deploy, finished, run
from tests.core.webhooks.helpers import SYSTEM, add_endpoint, settled
from tests.fakes.webhook_receiver import Answer


async def test_a_completed_run_reaches_the_receiver_once_signed_with_the_execution_record(
    core, fake_llm, start_worker, webhooks_on, webhook_receiver
):
    deployment = await deploy(core)
    created = add_endpoint(core, webhook_receiver.url)
    await start_worker()
    done = await finished(core, await run(core, deployment))
    [delivery] = await settled(core, created.endpoint.id, 1)

    [request] = await webhook_receiver.wait_for_requests(1)
    body = json.loads(request.body)
    assert Webhook(created.secret).verify(request.body, request.headers) == body
    assert (body['type'], body['data']) == ('execution.completed', execution_record(get_execution_detail(core, SYSTEM, done.id)))
    assert body['data']['status'] == 'completed' and body['data']['result'] == done.result
    assert (delivery.status, delivery.attempts, delivery.record_id) == ('delivered', 1, done.id)
    assert request.headers['webhook-id'] == delivery.message_id
    await asyncio.sleep(0.3)
    assert len(webhook_receiver.requests) == 1


def test_a_tampered_body_or_a_stale_timestamp_fails_verification(core, webhook_receiver):
    from core.webhooks.signing import generate_secret, signature_headers

    secret = generate_secret()
    body = b'{"type":"execution.completed","timestamp":"2026-01-01T00:00:00Z","data":{}}'
    headers = signature_headers(message_id='msg_1', body=body, secrets=[secret])
    assert Webhook(secret).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b'{}', b'{"x":1}'), headers)
    stale = signature_headers(message_id='msg_1', body=body, secrets=[secret], at=datetime.now(UTC) - timedelta(minutes=10))
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, stale)


async def test_failed_and_cancelled_runs_send_their_events(core, fake_llm, start_worker, webhooks_on, webhook_receiver):
    deployment = await deploy(core)
    created = add_endpoint(core, webhook_receiver.url)
    pending = await run(core, deployment)
    cancel_execution(core, SYSTEM, pending.id)
    fake_llm.fail(401, message='Incorrect API key provided.')
    await start_worker()
    failed = await finished(core, await run(core, deployment))
    await settled(core, created.endpoint.id, 2)

    bodies = {json.loads(r.body)['type']: json.loads(r.body)['data'] for r in webhook_receiver.requests}
    assert set(bodies) == {'execution.cancelled', 'execution.failed'}
    assert bodies['execution.cancelled'] == execution_record(get_execution_detail(core, SYSTEM, pending.id))
    assert bodies['execution.failed']['id'] == failed.id and bodies['execution.failed']['status'] == 'failed'
    [attempt] = bodies['execution.failed']['attemptTimings']  # the last attempt, written in the same transaction
    assert (attempt['outcome'], attempt['httpStatus']) == ('failed', 401)


async def test_an_endpoint_for_another_deployment_or_a_disabled_one_receives_nothing(
    core, fake_llm, start_worker, webhooks_on, new_webhook_receiver
):
    mine, other, disabled, every = (new_webhook_receiver() for _ in range(4))
    deployment = await deploy(core)
    await deploy(core, name='other-bot')
    add_endpoint(core, other.url, deployments=['other-bot'])
    add_endpoint(core, disabled.url, enabled=False)
    add_endpoint(core, every.url, events=['execution.failed'])  # subscribed to another event
    wanted = add_endpoint(core, mine.url, deployments=['support-bot'])
    await start_worker()
    await finished(core, await run(core, deployment))
    await settled(core, wanted.endpoint.id, 1)
    await asyncio.sleep(0.3)
    assert (len(mine.requests), len(other.requests), len(disabled.requests), len(every.requests)) == (1, 0, 0, 0)


async def test_two_failures_then_success_make_three_attempts_with_one_webhook_id(
    core, fake_llm, start_worker, webhooks_on, webhook_receiver
):
    webhook_receiver.script(500, Answer(status=503, body=b'busy'), 200)
    deployment = await deploy(core)
    created = add_endpoint(core, webhook_receiver.url)
    await start_worker()
    await finished(core, await run(core, deployment))
    [delivery] = await settled(core, created.endpoint.id, 1)

    requests = await webhook_receiver.wait_for_requests(3)
    assert len({r.headers['webhook-id'] for r in requests}) == 1 and len({r.body for r in requests}) == 1
    assert (delivery.status, delivery.attempts) == ('delivered', 3)
    assert [(a.number, a.status_code, a.error) for a in delivery.log] == [
        (3, 200, None),
        (2, 503, 'the receiver answered 503'),
        (1, 500, 'the receiver answered 500'),
    ]
    assert delivery.log[1].response_excerpt == 'busy'
    assert requests[1].at - requests[0].at >= 0.19  # the retry schedule's delay


async def test_a_delivery_that_keeps_failing_ends_failed_after_the_schedule(core, webhooks_on, webhook_receiver):
    webhook_receiver.default = Answer(status=500)
    created = add_endpoint(core, webhook_receiver.url, events=['rollout.updated'])
    with core.db.begin() as connection:
        enqueue_event(connection, WebhookEvent.ROLLOUT_UPDATED, {'id': 'r1'}, deployment='any', record_id=None)
    [delivery] = await settled(core, created.endpoint.id, 1)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ('failed', 3, 500)  # 1 + two retries


async def test_a_receiver_that_never_answers_is_timed_out_at_ten_seconds_and_retried(core, webhooks_on, webhook_receiver):
    webhook_receiver.script(Answer(hang=True))
    created = add_endpoint(core, webhook_receiver.url, events=['rollout.updated'])
    with core.db.begin() as connection:
        enqueue_event(connection, WebhookEvent.ROLLOUT_UPDATED, {'id': 'r1'}, deployment='any', record_id=None)
    [delivery] = await settled(core, created.endpoint.id, 1, timeout=20)
    assert delivery.status == 'delivered'
    timed_out = delivery.log[-1]
    assert (timed_out.error, timed_out.status_code) == ('timed out after 10 s', None)
    assert 9_900 <= timed_out.duration_ms < 12_000


async def test_a_rollout_update_goes_to_endpoints_of_its_deployment(core, webhooks_on, new_webhook_receiver):
    """rollout.updated is ready for rollouts: any event with a record is queued by enqueue_event in its transaction."""
    wanted, other = new_webhook_receiver(), new_webhook_receiver()
    await deploy(core)
    await deploy(core, name='other-bot')
    created = add_endpoint(core, wanted.url, events=['rollout.updated'], deployments=['support-bot'])
    add_endpoint(core, other.url, events=['rollout.updated'], deployments=['other-bot'])
    rollout = {'id': 'b3c1', 'deployment': 'support-bot', 'status': 'promoted', 'stage': 3, 'percent': 100}
    with core.db.begin() as connection:
        enqueue_event(connection, WebhookEvent.ROLLOUT_UPDATED, rollout, deployment='support-bot', record_id=None)
    await settled(core, created.endpoint.id, 1)
    [request] = wanted.requests
    body = Webhook(created.secret).verify(request.body, request.headers)
    assert (body['type'], body['data']) == ('rollout.updated', rollout)
    await asyncio.sleep(0.3)
    assert other.requests == []


async def test_a_rotated_endpoint_signs_with_both_secrets_for_a_day(core, webhooks_on, webhook_receiver):
    created = add_endpoint(core, webhook_receiver.url)
    rotated = endpoints.rotate_secret(core, SYSTEM, created.endpoint.id)
    deliveries.send_test(core, SYSTEM, created.endpoint.id)
    [request] = await webhook_receiver.wait_for_requests(1)
    assert Webhook(created.secret).verify(request.body, request.headers)['type'] == 'webhook.test'
    assert Webhook(rotated.secret).verify(request.body, request.headers)['type'] == 'webhook.test'
    assert rotated.secret != created.secret and rotated.endpoint.rotating_until is not None


async def test_resend_sends_the_same_message_again(core, webhooks_on, webhook_receiver):
    created = add_endpoint(core, webhook_receiver.url)
    test = deliveries.send_test(core, SYSTEM, created.endpoint.id)
    await settled(core, created.endpoint.id, 1)
    again = deliveries.resend(core, SYSTEM, created.endpoint.id, test.id)
    assert again.status == 'pending'
    first, second = await webhook_receiver.wait_for_requests(2)
    assert (first.body, first.headers['webhook-id']) == (second.body, second.headers['webhook-id'])
    [delivery] = await settled(core, created.endpoint.id, 1)
    assert [a.number for a in delivery.log] == [2, 1]


async def test_an_endpoint_failing_for_24_hours_is_disabled_with_a_notice(core, webhooks_on, webhook_receiver):
    webhook_receiver.default = Answer(status=500)
    created = add_endpoint(core, webhook_receiver.url)
    with core.session() as session:
        session.execute(sa.update(WebhookEndpoint).values(failing_since=datetime.now(UTC) - timedelta(hours=24, seconds=1)))
    deliveries.send_test(core, SYSTEM, created.endpoint.id)
    await webhook_receiver.wait_for_requests(1)
    for _ in range(100):
        if not endpoints.get_endpoint(core, SYSTEM, created.endpoint.id).enabled:
            break
        await asyncio.sleep(0.05)
    endpoint = endpoints.get_endpoint(core, SYSTEM, created.endpoint.id)
    assert not endpoint.enabled and 'every delivery failed for 24 hours' in endpoint.disabled_reason
    assert [e.id for e in deliveries.auto_disabled_endpoints(core, SYSTEM)] == [created.endpoint.id]
    await asyncio.sleep(0.5)
    assert len(webhook_receiver.requests) == 1  # its pending retry waits while it is disabled
    enabled = endpoints.update_endpoint(core, SYSTEM, created.endpoint.id, changes={'enabled': True})
    assert enabled.disabled_reason is None and deliveries.auto_disabled_endpoints(core, SYSTEM) == []


async def test_a_success_clears_the_failing_streak(core, webhooks_on, webhook_receiver):
    webhook_receiver.script(500)
    created = add_endpoint(core, webhook_receiver.url)
    deliveries.send_test(core, SYSTEM, created.endpoint.id)
    await settled(core, created.endpoint.id, 1)
    with core.session() as session:
        row = session.get(WebhookEndpoint, created.endpoint.id)
        assert (row.failing_since, row.last_attempt_ok, row.enabled) == (None, True, True)


async def test_a_cancel_queues_its_delivery_in_the_same_transaction(core, webhook_receiver):
    """The cancel and its delivery commit together: a cancel without the outbox hook queues nothing."""
    from dataclasses import replace

    core.settings = replace(core.settings, webhook_allow_private=True)
    deployment = await deploy(core)
    created = add_endpoint(core, webhook_receiver.url)
    hooked, plain = await run(core, deployment), await run(core, deployment)
    cancel_execution(core, SYSTEM, hooked.id)
    cancel_in_queue(core, SYSTEM, plain.id)
    found = deliveries.list_deliveries(core, SYSTEM, created.endpoint.id).items
    assert [(d.record_id, d.status) for d in found] == [(hooked.id, 'pending')]


async def test_a_host_rebound_to_loopback_after_saving_fails_its_attempt_saying_why(core, webhook_receiver, dns):
    from core.webhooks.deliverer import Deliverer

    lookups = dns('rebind.test', ['8.8.8.8', '127.0.0.1'])  # public when saved, loopback when connecting
    created = add_endpoint(core, f'https://rebind.test:{webhook_receiver.port}/')
    deliverer = Deliverer(core, poll_seconds=0.1)
    await deliverer.start()
    try:
        deliveries.send_test(core, SYSTEM, created.endpoint.id)
        [delivery] = await settled(core, created.endpoint.id, 1)
    finally:
        await deliverer.stop()
    assert (delivery.status, delivery.attempts) == ('failed', 1)  # retrying cannot help: only a new URL can
    assert delivery.last_error == 'refused: rebind.test resolves to a loopback address'
    assert len(lookups) == 2 and webhook_receiver.connections == 0


async def test_a_redirect_is_never_followed_and_counts_as_a_failure(core, webhooks_on, webhook_receiver):
    webhook_receiver.redirect_to('http://127.0.0.1:1/inside')
    created = add_endpoint(core, webhook_receiver.url)
    deliveries.send_test(core, SYSTEM, created.endpoint.id)
    [delivery] = await settled(core, created.endpoint.id, 1)
    assert (delivery.status, delivery.attempts) == ('failed', 3)
    assert delivery.last_error == 'redirect not followed (302 to http://127.0.0.1:1/inside)'
    assert [r.path for r in webhook_receiver.requests] == ['/', '/', '/']

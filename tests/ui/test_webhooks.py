"""Settings → Webhooks: an admin adds an endpoint (the secret shown once), sends a test event and reads the delivery
log; editors cannot; an endpoint disabled after failures is announced on every page; an execution lists its deliveries."""

import json

import pytest
import sqlalchemy as sa
from nicegui.testing import User
from standardwebhooks import Webhook

from core import executions
from core.permissions import Actor
from core.webhooks import deliveries, endpoints
from data.tables import WebhookEndpoint
from tests.fakes.webhook_receiver import new_webhook_receiver, webhook_receiver  # noqa: F401  (fixtures)
from tests.ui.conftest import SLOW, eventually, make_deployment, make_prompt, marked, signed_in

SYSTEM = Actor.system()


@pytest.fixture(autouse=True)
def loopback_receivers(monkeypatch: pytest.MonkeyPatch, dashboard_env) -> None:
    """The app may send to receivers on 127.0.0.1, and retries quickly."""
    monkeypatch.setenv('HYPERSIGIL_WEBHOOK_ALLOW_PRIVATE', '1')
    monkeypatch.setenv('HYPERSIGIL_WEBHOOK_RETRY_SECONDS', '0.2')


async def test_an_admin_adds_an_endpoint_sends_a_test_event_and_reads_the_log(user: User, seed, webhook_receiver) -> None:  # noqa: F811
    await signed_in(user, seed)
    await user.open('/settings?tab=webhooks')
    user.find(marker='webhook-url').type(webhook_receiver.url)
    user.find(marker='create-webhook').click()
    await user.should_see('Copy this signing secret now', retries=SLOW)
    secret = marked(user, 'new-secret').content
    [endpoint] = endpoints.list_endpoints(seed, SYSTEM)
    assert secret.startswith('whsec_') and endpoint.events == ['execution.completed', 'execution.failed']

    await user.should_see(marker=f'send-test-event-{endpoint.id}', retries=SLOW)
    user.find(marker=f'send-test-event-{endpoint.id}').click()
    await user.should_see('Queued a test event', retries=SLOW)
    [request] = await webhook_receiver.wait_for_requests(1)
    assert Webhook(secret).verify(request.body, request.headers)['type'] == 'webhook.test'
    await eventually(lambda: deliveries.list_deliveries(seed, SYSTEM, endpoint.id).items[0].status == 'delivered')
    await user.should_see(marker=f'deliveries-{endpoint.id}', retries=SLOW)
    user.find(marker=f'deliveries-{endpoint.id}').click()
    [delivery] = deliveries.list_deliveries(seed, SYSTEM, endpoint.id).items
    await user.should_see(marker=f'delivery-{delivery.id}', retries=SLOW)
    await user.should_see(delivery.message_id)
    await user.should_see(marker=f'resend-{delivery.id}', retries=SLOW)
    user.find(marker=f'resend-{delivery.id}').click()
    await user.should_see('Queued it again', retries=SLOW)
    second = (await webhook_receiver.wait_for_requests(2))[1]
    assert second.headers['webhook-id'] == request.headers['webhook-id']


async def test_a_refused_url_is_shown_under_the_field(user: User, seed) -> None:
    await signed_in(user, seed)
    await user.open('/settings?tab=webhooks')
    user.find(marker='webhook-url').type('example.com/hook')
    user.find(marker='create-webhook').click()
    await user.should_see('must be an absolute URL', retries=SLOW)
    assert endpoints.list_endpoints(seed, SYSTEM) == []


async def test_editors_do_not_manage_webhooks(user: User, seed) -> None:
    await signed_in(user, seed, role='editor')
    await user.open('/settings?tab=webhooks')
    await user.should_see('Webhooks are managed by admins')
    await user.should_not_see(marker='create-webhook')


async def test_admins_are_told_of_an_endpoint_disabled_after_failures(user: User, seed) -> None:
    created = endpoints.create_endpoint(seed, SYSTEM, url='http://127.0.0.1:9/hook', events=['execution.failed'])
    reason = 'disabled after every delivery failed for 24 hours; the last attempt: connection refused'
    with seed.session() as session:
        session.execute(sa.update(WebhookEndpoint).values(enabled=False, disabled_reason=reason))
    await signed_in(user, seed)
    await user.open('/deployments')
    await user.should_see(marker='webhook-notice', retries=SLOW)
    await user.should_see('http://127.0.0.1:9/hook')
    assert created.endpoint.id


async def test_an_execution_page_lists_its_deliveries(user: User, seed, webhook_receiver) -> None:  # noqa: F811
    await make_deployment(seed, 'support-bot', make_prompt(seed))
    endpoints.create_endpoint(seed, SYSTEM, url=webhook_receiver.url, events=['execution.completed'])
    execution = await executions.run_deployment(seed, SYSTEM, 'support-bot', user_input='hello')
    [request] = await webhook_receiver.wait_for_requests(1, timeout=20)
    assert json.loads(request.body)['data']['id'] == execution.id
    await eventually(lambda: [d.status for d in deliveries.execution_deliveries(seed, SYSTEM, execution.id)] == ['delivered'])
    await signed_in(user, seed)
    await user.open(f'/executions/{execution.id}')
    await user.should_see('Webhook deliveries')
    await user.should_see('execution.completed', retries=SLOW)


async def test_an_admin_edits_disables_and_deletes_an_endpoint(user: User, seed) -> None:
    await make_deployment(seed, 'support-bot', make_prompt(seed))
    created = endpoints.create_endpoint(seed, SYSTEM, url='http://127.0.0.1:9/hook', events=['execution.failed'])
    endpoint_id = created.endpoint.id
    await signed_in(user, seed)
    await user.open('/settings?tab=webhooks')
    await user.should_see(marker=f'edit-{endpoint_id}', retries=SLOW)
    user.find(marker=f'edit-{endpoint_id}').click()
    await user.should_see(marker='save-webhook')
    marked(user, 'edit-webhook-deployments').set_value('support-bot')
    user.find(marker='save-webhook').click()
    await user.should_see('Saved the endpoint', retries=SLOW)
    assert endpoints.get_endpoint(seed, SYSTEM, endpoint_id).deployments == ['support-bot']
    await user.should_see(marker=f'disable-{endpoint_id}', retries=SLOW)
    user.find(marker=f'disable-{endpoint_id}').click()
    await user.should_see('Disabled the endpoint', retries=SLOW)
    assert not endpoints.get_endpoint(seed, SYSTEM, endpoint_id).enabled
    await user.should_see(marker=f'enable-{endpoint_id}', retries=SLOW)
    user.find(marker=f'delete-{endpoint_id}').click()
    await user.should_see(marker='confirm-yes')
    user.find(marker='confirm-yes').click()
    await user.should_see('Deleted the endpoint', retries=SLOW)
    assert endpoints.list_endpoints(seed, SYSTEM) == []

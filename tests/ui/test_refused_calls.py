"""The deployment page says, in plain words, which calls to it were refused lately and why."""

import pytest
from nicegui.testing import User

from core import api_keys
from core.permissions import Actor
from core.refused_runs import record_refused_run
from tests.ui.conftest import make_deployment, make_prompt, marked, signed_in


@pytest.fixture
async def support_bot(seed):
    return await make_deployment(seed, 'support-bot', make_prompt(seed))


async def test_the_page_counts_refused_calls_and_names_the_commonest_reason(user: User, seed, support_bot) -> None:
    token = api_keys.create_api_key(seed, Actor.system(), name='billing-service', scopes=['deployments:run']).token
    for _ in range(2):
        record_refused_run(seed, token=token, deployment_ref='support-bot', status=422, message="missing variable 'name'")
    record_refused_run(seed, token=token, deployment_ref='support-bot', status=429, message='over 10 requests a minute')
    await signed_in(user, seed, 'viewer')
    await user.open('/deployments/support-bot')
    await user.should_see("Calls refused in the last 24 h: 3 — missing variable 'name' (2 of them)")
    newest = marked(user, 'refused-calls').rows[0]
    assert (newest['key'], newest['why'], newest['message']) == (
        'billing-service',
        'over its rate limit (429)',
        'over 10 requests a minute',
    )


async def test_a_deployment_nobody_was_refused_says_so(user: User, seed, support_bot) -> None:
    await signed_in(user, seed)
    await user.open('/deployments/support-bot')
    await user.should_see('No call to this deployment was refused in the last 24 h.')


async def test_the_deployments_page_names_what_callers_asked_for_that_does_not_exist(user: User, seed, support_bot) -> None:
    token = api_keys.create_api_key(seed, Actor.system(), name='billing-service', scopes=['deployments:run']).token
    for name in ('suport-bot', 'suport-bot', 'old-bot'):
        record_refused_run(seed, token=token, deployment_ref=name, status=404, message=f'no deployment {name!r}')
    await signed_in(user, seed, 'viewer')
    await user.should_see('Calls to names that match no deployment in the last 24 h: 3 — most often "suport-bot" (2)')

"""The executions table and detail: live updates from the event bus, filters, cancel."""

import asyncio

import openai
import pytest
from nicegui import ui
from nicegui.testing import User

from core import api_keys, executions
from core.permissions import Actor
from tests.ui.conftest import SLOW, eventually, make_deployment, make_prompt, only, signed_in


@pytest.fixture
async def support_bot(seed):
    return await make_deployment(seed, 'support-bot', make_prompt(seed))


async def run_through_the_api(user: User, seed, *, trace_id: str = 'trace-1') -> str:
    """What an outside system does: POST the run with an API key (to the app the page belongs to)."""
    token = api_keys.create_api_key(seed, Actor.system(), name='billing', scopes=['deployments:run']).token
    response = await user.http_client.post(
        '/api/v1/deployments/support-bot/run',
        json={'userInput': 'Where is my invoice?', 'traceId': trace_id},
        headers={'Authorization': f'Bearer {token}'},
    )
    assert response.status_code == 202, response.text
    return response.json()['executionId']


def statuses(table: ui.table) -> list[str]:
    return [row['status'] for row in table.rows]


async def test_a_new_execution_appears_and_changes_status_without_a_reload(user: User, seed, support_bot, fake_llm) -> None:
    fake_llm.latency = 0.6  # long enough to see it running
    await signed_in(user, seed)
    await user.open('/executions')
    table = only(user, ui.table)
    await user.should_see('No executions yet')
    execution_id = await run_through_the_api(user, seed)
    await eventually(lambda: statuses(table) == ['running'])
    assert table.rows[0]['id'] == execution_id and table.rows[0]['origin'] == 'api'
    await eventually(lambda: statuses(table) == ['completed'])
    assert table.rows[0]['tokens'] != '—'


async def test_a_call_from_the_openai_sdk_appears_live_with_its_origin(user: User, seed, support_bot, fake_llm) -> None:
    fake_llm.latency = 0.6
    await signed_in(user, seed)
    await user.open('/executions')
    table = only(user, ui.table)
    await user.should_see('No executions yet')
    token = api_keys.create_api_key(seed, Actor.system(), name='sdk', scopes=['deployments:run']).token
    base_url = str(user.http_client.base_url.join('/api/v1/openai'))
    client = openai.AsyncOpenAI(base_url=base_url, api_key=token, http_client=user.http_client, max_retries=0)
    messages = [{'role': 'user', 'content': 'Where is my invoice?'}]
    call = asyncio.ensure_future(client.chat.completions.create(model='support-bot', messages=messages))
    await eventually(lambda: statuses(table) == ['running'])
    assert table.rows[0]['origin'] == 'openai'
    answer = await call
    await eventually(lambda: statuses(table) == ['completed'])
    assert table.rows[0]['id'] == answer.id.removeprefix('chatcmpl-')


async def test_filters_narrow_the_table(user: User, seed, support_bot) -> None:
    for trace in ('a', 'b'):
        await executions.run_deployment(seed, Actor.system(), 'support-bot', user_input='hi', trace_id=f'trace-{trace}')
    await signed_in(user, seed)
    await user.open('/executions')
    table = only(user, ui.table)
    await eventually(lambda: len(table.rows) == 2)  # the table reads its rows off the event loop, after the page shows
    user.find('Trace id').type('trace-b')
    await eventually(lambda: [row['traceId'] for row in table.rows] == ['trace-b'])
    await user.open('/executions?origin=ui')
    await user.should_see('No execution matches these filters.')
    assert only(user, ui.table).rows == []


async def test_the_detail_shows_the_result_and_messages(user: User, seed, support_bot, fake_llm) -> None:
    fake_llm.reply('Your invoice is in the billing tab.')
    await signed_in(user, seed)
    execution_id = await run_through_the_api(user, seed)
    await user.open(f'/executions/{execution_id}')
    await user.should_see('Your invoice is in the billing tab.', retries=SLOW)
    await user.should_see('user: Where is my invoice?')
    await user.should_see('completed')


async def test_cancel_a_running_execution_from_its_page(user: User, seed, support_bot, fake_llm) -> None:
    fake_llm.hang(30)
    await signed_in(user, seed)
    execution_id = await run_through_the_api(user, seed)
    await user.open(f'/executions/{execution_id}')
    user.find('Cancel').click()
    await user.should_see('Cancelled', retries=SLOW)
    assert executions.get_execution(seed, Actor.system(), execution_id).status == 'cancelled'
    fake_llm.release()

"""Rate limits as a caller meets them: 429 `rate_limited` with Retry-After, the RateLimit-* headers, which requests count."""

import asyncio

import pytest

from core import api_keys
from core.permissions import Actor
from tests.api.conftest import assert_error, create_deployment, create_prompt
from tests.clock import Clock

RUN = {'userInput': 'hi'}
LIMIT_HEADERS = ('ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset')


@pytest.fixture
async def bot(client, admin):
    prompt = await create_prompt(client, admin)
    await create_deployment(client, admin, prompt['id'], name='bot')


@pytest.fixture
def clock(core) -> Clock:
    core.clock = Clock()
    return core.clock


def caller(core, **limits) -> dict[str, str]:
    """Headers of a key that may run and read executions, with these limits."""
    scopes = ['deployments:run', 'executions:read']
    return {'X-API-Key': api_keys.create_api_key(core, Actor.system(), name='caller', scopes=scopes, **limits).token}


def limit_headers(response) -> tuple[str | None, ...]:
    return tuple(response.headers.get(name) for name in LIMIT_HEADERS)


async def test_five_a_minute_gets_429_on_the_sixth_and_202_again_after_retry_after(client, core, bot, clock):
    key = caller(core, requests_per_minute=5)
    answers = [await client.post('/deployments/bot/run', json=RUN, headers=key) for _ in range(5)]
    assert [answer.status_code for answer in answers] == [202] * 5
    assert [limit_headers(answer) for answer in answers] == [('5', str(4 - n), str(12 * (n + 1))) for n in range(5)]

    refused = await client.post('/deployments/bot/run', json=RUN, headers=key)
    assert '5 runs a minute' in assert_error(refused, 429, 'rate_limited')['message']
    assert refused.headers['retry-after'] == '12' and limit_headers(refused) == ('5', '0', '60')
    assert (await client.get('/executions', headers=key)).json()['total'] == 5  # the refused run wrote nothing

    clock.advance(int(refused.headers['retry-after']))
    again = await client.post('/deployments/bot/run', json=RUN, headers=key)
    assert again.status_code == 202 and limit_headers(again) == ('5', '0', '60')


async def test_two_at_once_refuses_the_third_of_five_slow_runs_until_one_finishes(client, core, bot, worker, fake_llm):
    fake_llm.hang(times=2)  # the two runs admitted
    key = caller(core, concurrent_runs=2)
    answers = await asyncio.gather(*(client.post('/deployments/bot/run', json=RUN, headers=key) for _ in range(5)))
    assert sorted(answer.status_code for answer in answers) == [202, 202, 429, 429, 429]
    for refused in (answer for answer in answers if answer.status_code == 429):
        assert 'may have 2 runs in flight' in assert_error(refused, 429, 'rate_limited')['message']
        assert refused.headers['retry-after'] == '1' and limit_headers(refused) == (None, None, None)
    await fake_llm.wait_for_chats(2)  # both accepted runs are running, slowly
    assert (await client.post('/deployments/bot/run', json=RUN, headers=key)).status_code == 429

    fake_llm.release()
    accepted = [answer.json()['executionId'] for answer in answers if answer.status_code == 202]
    await finished(client, key, accepted)
    assert (await client.post('/deployments/bot/run', json=RUN, headers=key)).status_code == 202
    assert (await client.get('/executions', headers=key)).json()['total'] == 3


async def test_waited_and_streamed_runs_carry_the_limit_headers(client, core, bot, worker, clock):
    key = caller(core, requests_per_minute=30, concurrent_runs=5)
    waited = await client.post('/deployments/bot/run', params={'wait': 10}, json=RUN, headers=key)
    assert waited.status_code == 200 and waited.json()['status'] == 'completed'
    assert limit_headers(waited) == ('30', '29', '2')
    async with client.stream('POST', '/deployments/bot/run', params={'stream': 'true'}, json=RUN, headers=key) as streamed:
        assert streamed.status_code == 200 and limit_headers(streamed) == ('30', '28', '4')
        assert 'event: execution' in ''.join([text async for text in streamed.aiter_text()])


async def test_only_runs_count_and_a_run_refused_for_its_input_spends_nothing(client, core, bot, clock):
    key = caller(core, requests_per_minute=1)
    assert_error(await client.post('/deployments/no-such-bot/run', json=RUN, headers=key), 404, 'not_found')
    assert_error(await client.post('/deployments/bot/run', json={'userInput': ' '}, headers=key), 422, 'invalid', 'userInput')
    for _ in range(3):
        assert (await client.get('/executions', headers=key)).status_code == 200
    assert (await client.post('/deployments/bot/run', json=RUN, headers=key)).status_code == 202
    assert_error(await client.post('/deployments/bot/run', json=RUN, headers=key), 429, 'rate_limited')


async def test_a_key_without_a_quota_gets_no_limit_headers(client, core, bot):
    for key in (caller(core), caller(core, concurrent_runs=3)):
        answer = await client.post('/deployments/bot/run', json=RUN, headers=key)
        assert answer.status_code == 202 and limit_headers(answer) == (None, None, None)


async def finished(client, key: dict[str, str], execution_ids: list[str], timeout: float = 10.0) -> None:
    async def done(execution_id: str) -> bool:
        return (await client.get(f'/executions/{execution_id}', headers=key)).json()['status'] == 'completed'

    deadline = asyncio.get_running_loop().time() + timeout
    while not all([await done(execution_id) for execution_id in execution_ids]):
        assert asyncio.get_running_loop().time() < deadline, 'the runs did not finish'
        await asyncio.sleep(0.05)

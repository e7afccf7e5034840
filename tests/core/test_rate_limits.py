"""Per-key rate limits in the run path, on SQLite and PostgreSQL: the quota, runs in flight, their lock, what is written."""

import asyncio

import pytest
import sqlalchemy as sa

from core import api_keys
from core.deployments import create_deployment
from core.engine.cancel import cancel_execution
from core.errors import Conflict, Invalid, NotFound, RateLimited
from core.executions import run_deployment, run_deployment_with_key
from core.permissions import Actor
from core.prompts import create_prompt
from core.rate_limits import RequestQuota
from data.tables import ApiKey, Execution
from tests.clock import Clock

SYSTEM = Actor.system()


@pytest.fixture
def clock(core) -> Clock:
    core.clock = Clock()
    return core.clock


@pytest.fixture
async def bot(core):
    prompt = create_prompt(core, SYSTEM, name='helpdesk', template='Answer briefly.')
    return await create_deployment(core, SYSTEM, name='bot', prompt_id=prompt.id, provider='openai', model='gpt-4o-mini')


def make_key(core, **limits) -> str:
    return api_keys.create_api_key(core, SYSTEM, name='caller', scopes=['deployments:run'], **limits).token


async def run(core, token: str):
    return await run_deployment_with_key(core, token, 'bot', user_input='hi')


def executions(core) -> int:
    with core.session() as session:
        return session.execute(sa.select(sa.func.count()).select_from(Execution)).scalar_one()


def quota_state(core) -> list[int | None]:
    with core.session() as session:
        return list(session.execute(sa.select(ApiKey.request_quota_tat)).scalars())


async def test_five_a_minute_refuses_the_sixth_until_the_quota_refills(core, bot, clock):
    token = make_key(core, requests_per_minute=5)
    accepted = [await run(core, token) for _ in range(5)]
    assert [run.quota.remaining for run in accepted] == [4, 3, 2, 1, 0]
    assert [run.quota.reset_seconds for run in accepted] == [12, 24, 36, 48, 60]  # one run comes back every 12 s

    clock.advance(1)
    with pytest.raises(RateLimited, match='5 runs a minute') as refused:
        await run(core, token)
    assert refused.value.retry_after == pytest.approx(11)
    assert refused.value.quota == RequestQuota(limit=5, remaining=0, reset_seconds=59)

    clock.advance(11)
    assert (await run(core, token)).quota == RequestQuota(limit=5, remaining=0, reset_seconds=60)
    clock.advance(60)
    assert (await run(core, token)).quota.remaining == 4  # a quiet minute gives the whole quota back


@pytest.mark.parametrize(('limits', 'over'), [({'requests_per_minute': 1, 'concurrent_runs': 5}, 'a minute'),
                                              ({'requests_per_minute': 5, 'concurrent_runs': 1}, 'in flight')])  # fmt: skip
async def test_a_refused_run_writes_nothing(core, bot, clock, limits, over):
    token = make_key(core, **limits)
    await run(core, token)
    before = (executions(core), quota_state(core))
    with pytest.raises(RateLimited, match=over):
        await run(core, token)
    assert (executions(core), quota_state(core)) == before


async def test_runs_in_flight_are_counted_and_a_finished_one_frees_its_slot(core, bot):
    token = make_key(core, concurrent_runs=2)
    first, _ = [await run(core, token) for _ in range(2)]
    assert first.quota is None  # no requests-per-minute quota to tell about
    with pytest.raises(RateLimited, match='2 runs in flight') as refused:
        await run(core, token)
    assert refused.value.retry_after == 1 and refused.value.quota is None
    assert executions(core) == 2

    cancel_execution(core, SYSTEM, first.execution.id)
    await run(core, token)
    assert executions(core) == 3


@pytest.mark.parametrize('limits', [{'concurrent_runs': 3}, {'concurrent_runs': 3, 'requests_per_minute': 100}])
async def test_two_runs_cannot_take_the_last_slot_together(core, bot, clock, limits):
    """Admissions of one key are serialised (PostgreSQL: its row locked; SQLite: the write lock) until the insert commits."""
    token = make_key(core, **limits)
    answers = await asyncio.gather(*(run(core, token) for _ in range(12)), return_exceptions=True)
    assert sum(not isinstance(answer, Exception) for answer in answers) == 3
    assert all(isinstance(answer, RateLimited) for answer in answers if isinstance(answer, Exception))
    assert executions(core) == 3


async def test_concurrent_runs_spend_the_quota_exactly_once_each(core, bot, clock):
    token = make_key(core, requests_per_minute=4)
    answers = await asyncio.gather(*(run(core, token) for _ in range(12)), return_exceptions=True)
    accepted = [answer for answer in answers if not isinstance(answer, Exception)]
    assert len(accepted) == 4 and executions(core) == 4
    assert sorted(answer.quota.remaining for answer in accepted) == [0, 1, 2, 3]


async def test_each_key_has_its_own_counts(core, bot, clock):
    limited, other = make_key(core, requests_per_minute=1, concurrent_runs=1), make_key(core, requests_per_minute=1)
    await run(core, limited)
    assert (await run(core, other)).quota.remaining == 0
    with pytest.raises(RateLimited):
        await run(core, limited)


async def test_changed_limits_apply_to_the_next_run(core, bot, clock):
    created = api_keys.create_api_key(core, SYSTEM, name='caller', scopes=['deployments:run'], concurrent_runs=1)
    await run(core, created.token)
    with pytest.raises(RateLimited):
        await run(core, created.token)
    changed = api_keys.update_api_key(core, SYSTEM, created.key.id, changes={'concurrent_runs': 2, 'requests_per_minute': 10})
    assert (changed.concurrent_runs, changed.requests_per_minute) == (2, 10)
    assert (await run(core, created.token)).quota.remaining == 9
    api_keys.update_api_key(core, SYSTEM, created.key.id, changes={'concurrent_runs': None})  # lifted
    assert (await run(core, created.token)).quota.remaining == 8
    lifted = api_keys.update_api_key(core, SYSTEM, created.key.id, changes={'requests_per_minute': None})
    assert (await run(core, created.token)).quota is None
    assert (lifted.requests_per_minute, lifted.concurrent_runs) == (None, None)


async def test_a_key_without_limits_runs_no_admission_statement(core, bot):
    token = make_key(core)
    statements: list[str] = []
    sa.event.listen(core.db, 'before_cursor_execute', lambda *args: statements.append(args[2]))
    assert (await run(core, token)).quota is None
    assert not [statement for statement in statements if 'request_quota_tat' in statement or 'count(' in statement.lower()]


async def test_people_in_the_dashboard_are_not_limited(core, bot):
    editor = Actor.user('u-1', 'editor@example.com', 'editor')
    for _ in range(3):
        await run_deployment(core, editor, 'bot', user_input='hi')
    assert executions(core) == 3


@pytest.mark.parametrize('field', ['requests_per_minute', 'concurrent_runs'])
@pytest.mark.parametrize('value', [0, -1, 10_000_001, True, 2.5, '5'])
def test_bad_limits_name_the_field_and_write_nothing(core, field, value):
    camel = {'requests_per_minute': 'requestsPerMinute', 'concurrent_runs': 'concurrentRuns'}[field]
    with pytest.raises(Invalid) as raised:
        api_keys.create_api_key(core, SYSTEM, name='caller', scopes=['deployments:run'], **{field: value})
    assert raised.value.field == camel
    assert api_keys.list_api_keys(core, SYSTEM) == []

    created = api_keys.create_api_key(core, SYSTEM, name='caller', scopes=['deployments:run'], **{field: 7})
    with pytest.raises(Invalid) as raised:
        api_keys.update_api_key(core, SYSTEM, created.key.id, changes={field: value})
    assert raised.value.field == camel
    assert getattr(api_keys.list_api_keys(core, SYSTEM)[0], field) == 7


def test_only_the_limits_of_a_live_key_change(core):
    created = api_keys.create_api_key(core, SYSTEM, name='caller', scopes=['deployments:run'])
    with pytest.raises(Invalid):
        api_keys.update_api_key(core, SYSTEM, created.key.id, changes={'scopes': ['admin']})
    with pytest.raises(NotFound):
        api_keys.update_api_key(core, SYSTEM, 'no-such-key', changes={'concurrent_runs': 1})
    api_keys.revoke_api_key(core, SYSTEM, created.key.id)
    with pytest.raises(Conflict, match='revoked'):
        api_keys.update_api_key(core, SYSTEM, created.key.id, changes={'concurrent_runs': 1})

"""The deployment page's charts and per-revision table: the figures of the runs, and a mark where the revision changed."""

import pytest
from nicegui.testing import User

from core import deployments, execution_listing
from core.permissions import Actor
from tests.ui.conftest import SLOW, eventually, make_deployment, make_prompt, marked, signed_in
from tests.ui.test_rollout_panel import run_calls


@pytest.fixture
async def support_bot(seed):
    return await make_deployment(seed, 'support-bot', make_prompt(seed))


def total(user: User, chart: str, series: int = 0) -> float | None:
    """The sum of one series of a chart (None until the chart is drawn)."""
    drawn = marked(user, f'chart-{chart}').options.get('series')
    return sum(value or 0 for value in drawn[series]['data']) if drawn else None


async def test_the_charts_and_the_revision_table_show_the_runs_and_the_change_of_revision(
    user: User, seed, support_bot, fake_llm
) -> None:
    fake_llm.fail_model('gpt-4o', 400)
    await signed_in(user, seed)
    await run_calls(user, seed, 3)
    await deployments.update_deployment(seed, Actor.system(), 'support-bot', changes={'model': 'gpt-4o'})
    await run_calls(user, seed, 2)
    await user.open('/deployments/support-bot')
    await user.should_see('Calls, latency, tokens and cost', retries=SLOW)
    runs = execution_listing.list_executions(seed, Actor.system(), deployment='support-bot').items
    assert len(runs) == 5
    await eventually(lambda: total(user, 'volume') == 5)
    assert total(user, 'volume', 1) == 2  # the two runs on the failing model
    assert total(user, 'tokens') == sum(run.input_tokens or 0 for run in runs)
    marks = marked(user, 'chart-volume').options['series'][0]['markLine']['data']
    assert [mark['label']['formatter'] for mark in marks] == ['rev 2', 'rev 1']
    rows = {row['revision']: row for row in marked(user, 'revision-figures').rows}
    assert (rows['rev 1']['runs'], rows['rev 1']['failureRate']) == ('3', '0 %')
    assert (rows['rev 2']['runs'], rows['rev 2']['failureRate']) == ('2', '100 %')


async def test_the_span_can_be_switched_to_30_days(user: User, seed, support_bot) -> None:
    await signed_in(user, seed)
    await run_calls(user, seed, 1)
    await user.open('/deployments/support-bot')
    await eventually(lambda: total(user, 'volume') == 1)
    marked(user, 'metrics-span').value = '30 d'
    await eventually(lambda: len(marked(user, 'chart-volume').options['xAxis']['data']) >= 30 * 24)
    assert total(user, 'volume') == 1

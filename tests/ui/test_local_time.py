"""Tables and lists show times in the viewer's own zone: rows hold the UTC moment (ISO 8601), a cell template draws it
in the browser, short, with the UTC time on hover; the real browser test (tests/e2e) checks the drawing itself."""

from datetime import UTC, datetime, timedelta, timezone

from nicegui import ui
from nicegui.testing import User

from core import api_keys, deployments, executions
from core.permissions import Actor
from core.refused_runs import record_refused_run
from tests.ui.conftest import SLOW, eventually, make_deployment, make_prompt, marked, only, signed_in
from tests.ui.test_executions import run_through_the_api
from ui import display
from ui.local_time import TIME_CELL, iso


def cell_template(table: ui.table, column: str) -> str:
    return table.slots[f'body-cell-{column}'].template


async def test_the_executions_table_holds_the_utc_moment_and_draws_it_locally(user: User, seed, fake_llm) -> None:
    await make_deployment(seed, 'support-bot', make_prompt(seed))
    await signed_in(user, seed)
    await user.open('/executions')
    execution_id = await run_through_the_api(user, seed)
    created = executions.get_execution(seed, Actor.system(), execution_id).created_at
    table = only(user, ui.table)
    await eventually(lambda: [row['id'] for row in table.rows] == [execution_id])
    assert table.rows[0]['created'] == iso(created) and iso(created).endswith('Z')
    assert cell_template(table, 'created') == TIME_CELL


async def test_the_deployments_and_prompts_tables_draw_their_times_locally(user: User, seed) -> None:
    deployment = await make_deployment(seed, 'support-bot', make_prompt(seed))
    await signed_in(user, seed)
    await user.open('/deployments')
    table = only(user, ui.table)
    await eventually(lambda: len(table.rows) == 1)
    assert (table.rows[0]['created'], table.rows[0]['updated']) == (
        iso(deployment.created_at),
        iso(deployment.updated_at),
    )
    assert cell_template(table, 'created') == cell_template(table, 'updated') == TIME_CELL
    await user.open('/prompts')
    table = only(user, ui.table)
    await eventually(lambda: len(table.rows) == 1)
    assert datetime.fromisoformat(table.rows[0]['updated']).tzinfo is not None
    assert cell_template(table, 'updated') == TIME_CELL


async def test_refused_calls_draw_their_times_locally(user: User, seed) -> None:
    await make_deployment(seed, 'support-bot', make_prompt(seed))
    token = api_keys.create_api_key(seed, Actor.system(), name='billing', scopes=['deployments:run']).token
    record_refused_run(seed, token=token, deployment_ref='support-bot', status=429, message='over 10 requests a minute')
    await signed_in(user, seed)
    await user.open('/deployments/support-bot')
    await user.should_see(marker='refused-calls', retries=SLOW)
    table = marked(user, 'refused-calls')
    await eventually(lambda: len(table.rows) == 1)
    assert datetime.fromisoformat(table.rows[0]['when']).utcoffset().total_seconds() == 0
    assert cell_template(table, 'when') == TIME_CELL


def test_a_row_holds_an_iso_utc_time_every_browser_parses_and_that_sorts_as_the_moments_do() -> None:
    moments = [
        datetime(2026, 12, 1, 14, 5, 7, 123456, tzinfo=UTC),
        datetime(2026, 12, 1, 9, 0, tzinfo=timezone(timedelta(hours=-8))),
    ]
    assert [iso(m) for m in moments] == ['2026-12-01T14:05:07.123Z', '2026-12-01T17:00:00.000Z']
    assert sorted(iso(m) for m in moments) == [iso(m) for m in sorted(moments)]
    assert iso(datetime(2026, 12, 1, 14, 5)) == '2026-12-01T14:05:00.000Z'  # a naive time is UTC, as stored
    assert iso(None) == ''


def test_the_cell_shows_the_short_local_time_and_the_utc_time_on_hover() -> None:
    assert "toLocaleString(undefined, {day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit'" in TIME_CELL
    assert ":title=\"props.value.slice(0, 19).replace('T', ' ') + ' UTC'\"" in TIME_CELL  # as display.when writes it
    assert '—' in TIME_CELL  # no time, a dash


async def test_the_revision_list_and_api_keys_show_short_local_times(user: User, seed) -> None:
    deployment = await make_deployment(seed, 'support-bot', make_prompt(seed))
    key = api_keys.create_api_key(seed, Actor.system(), name='billing', scopes=['deployments:run'], expires_days=30).key
    await signed_in(user, seed)
    await user.open('/deployments/support-bot')
    await user.should_see('rev 1', retries=SLOW)
    revision = deployments.list_revisions(seed, Actor.system(), deployment.name)[0]
    short = [element.props['data-utc'] for element in user.find(marker='local-time').elements if 'data-short' in element.props]
    assert short == [iso(revision.created_at)]
    await user.open('/settings')
    await user.should_see('expires', retries=SLOW)
    times = {element.props['data-utc']: element.props for element in user.find(marker='local-time').elements}
    assert times[iso(key.expires_at)]['title'] == display.when(key.expires_at)
    assert 'data-short' in times[iso(key.expires_at)]

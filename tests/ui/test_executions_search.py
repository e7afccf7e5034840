"""The executions page: search and a date range, its state in the URL (reload and shared links), the CSV download."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from nicegui import ui
from nicegui.functions.navigate import History
from nicegui.testing import User

from data.tables import Execution, new_id
from tests.ui.conftest import eventually, only, signed_in

START = datetime(2026, 3, 1, 12, tzinfo=UTC)


def add_execution(core, user_input: str, *, days: int = 0, result: str | None = None, deployment: str = 'bot') -> str:
    execution_id = new_id()
    row = {
        'id': execution_id, 'status': 'completed', 'provider': 'openai', 'model': 'gpt-4o', 'options': {}, 'messages': [],
        'user_input': user_input, 'result': result, 'deployment_name': deployment, 'created_at': START + timedelta(days=days),
    }  # fmt: skip
    with core.db.begin() as connection:
        connection.execute(sa.insert(Execution.__table__), row)
    return execution_id


def addresses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URLs the page puts in the address bar: NiceGUI's history.replace, which the simulated browser does not keep."""
    seen: list[str] = []
    monkeypatch.setattr(History, 'replace', lambda _history, url: seen.append(url))
    return seen


@pytest.fixture
def stored(seed) -> dict[str, str]:
    return {
        'invoice': add_execution(seed, 'Where is my invoice?', result='It was sent on Monday.', days=0),
        'refund': add_execution(seed, 'I want a refund', result='=HYPERLINK("http://evil")', days=1),
        'late': add_execution(seed, 'another invoice question', days=5, deployment='other'),
    }


async def test_a_shared_link_opens_with_its_search_dates_order_and_page_size(user: User, seed, stored) -> None:
    await signed_in(user, seed)
    await user.open('/executions?search=invoice&from=2026-03-01&to=2026-03-03&order=asc&pageSize=10')
    table = only(user, ui.table)
    await eventually(lambda: [row['id'] for row in table.rows] == [stored['invoice']])
    assert (table.pagination['rowsPerPage'], table.pagination['descending']) == (10, False)
    assert user.find('Search input and result').elements.pop().value == 'invoice'
    assert user.find('From (UTC day)').elements.pop().value == '2026-03-01'


async def test_changing_a_filter_puts_it_in_the_url(user: User, seed, stored, monkeypatch) -> None:
    await signed_in(user, seed)
    seen = addresses(monkeypatch)
    await user.open('/executions')
    table = only(user, ui.table)
    await eventually(lambda: len(table.rows) == 3)
    user.find('Search input and result').type('refund')
    await eventually(lambda: [row['id'] for row in table.rows] == [stored['refund']])
    await eventually(lambda: seen and seen[-1] == '/executions?search=refund')
    user.find(kind=ui.input, content='Deployment').type('bot')
    await eventually(lambda: seen[-1] == '/executions?deployment=bot&search=refund')


async def test_the_csv_download_has_every_filtered_execution_whole_and_no_formulas(user: User, seed, stored) -> None:
    await signed_in(user, seed)
    await user.open('/executions?deployment=bot')
    table = only(user, ui.table)
    await eventually(lambda: len(table.rows) == 2)
    user.find('Download CSV').click()
    response = await user.download.next(timeout=5)
    assert response.status_code == 200 and response.headers['content-type'].startswith('text/csv')
    assert 'attachment' in response.headers['content-disposition']
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row['id'] for row in rows] == [stored['refund'], stored['invoice']]
    assert (rows[1]['userInput'], rows[1]['variables']) == ('Where is my invoice?', '')
    assert rows[0]['result'] == '\'=HYPERLINK("http://evil")'  # a spreadsheet shows it as text, never runs it


async def test_the_csv_needs_a_session_and_refuses_a_bad_search(user: User, seed, stored) -> None:
    response = await user.http_client.get('/export/executions.csv?search=x', follow_redirects=False)
    assert response.status_code == 303 and response.headers['location'].startswith('/login')
    await signed_in(user, seed)
    response = await user.http_client.get('/export/executions.csv?search=...')
    assert response.status_code == 422 and 'search' in response.text

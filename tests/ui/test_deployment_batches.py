"""Bulk actions on the deployments table, and its search, sort and page kept in the URL."""

import pytest
from nicegui import ui
from nicegui.functions.navigate import History
from nicegui.testing import User

from core import deployments
from core.permissions import Actor
from tests.ui.conftest import SLOW, eventually, make_deployment, make_prompt, marked, only, signed_in


@pytest.fixture
async def bots(seed) -> None:
    prompt = make_prompt(seed)
    await make_deployment(seed, 'billing-bot', prompt, options={'temperature': 0.2})
    await make_deployment(seed, 'sales-bot', prompt)
    await make_deployment(seed, 'local-bot', prompt, provider='ollama', model='llama3.2')


def select(user: User, *names: str) -> None:
    """Tick the rows' checkboxes, as the browser reports it."""
    table = only(user, ui.table)
    rows = [row for row in table.rows if row['name'] in names]
    user.find(ui.table).trigger('selection', {'added': True, 'rows': rows, 'keys': [row['id'] for row in rows]})


def listed(user: User) -> list[str]:
    return [label.text for label in marked(user, 'confirm-list').descendants() if isinstance(label, ui.label)]


async def test_changing_several_deployments_lists_each_change_then_saves_a_revision_each(user: User, seed, bots) -> None:
    await signed_in(user, seed)
    await eventually(lambda: len(only(user, ui.table).rows) == 3)
    select(user, 'billing-bot', 'sales-bot')
    await user.should_see('2 selected')
    user.find('Change model or options').click()
    await user.should_see('Change 2 deployment(s)')
    user.find(marker='batch-model').type('gpt-4o')
    user.find(marker='batch-temperature').type('0.5')
    user.find('Review changes').click()
    await user.should_see('Save a new revision of 2 deployment(s)? All of them change, or none.', retries=SLOW)
    assert listed(user) == [
        'billing-bot: model gpt-4o-mini → gpt-4o; options temperature 0.2 → temperature 0.5',
        'sales-bot: model gpt-4o-mini → gpt-4o; options provider defaults → temperature 0.5',
    ]
    user.find(marker='confirm-yes').click()
    await user.should_see('Changed 2 deployment(s); each has a new revision', retries=SLOW)
    for name in ('billing-bot', 'sales-bot'):
        saved = deployments.get_deployment(seed, Actor.system(), name)
        assert (saved.model, saved.options, saved.revision) == ('gpt-4o', {'temperature': 0.5}, 2)
    assert deployments.get_deployment(seed, Actor.system(), 'local-bot').revision == 1


async def test_an_option_goes_back_to_the_provider_default_on_every_deployment_that_has_it(user: User, seed, bots) -> None:
    await signed_in(user, seed)
    await eventually(lambda: len(only(user, ui.table).rows) == 3)
    select(user, 'billing-bot', 'sales-bot')
    user.find('Change model or options').click()
    await user.should_see('Change 2 deployment(s)')
    user.find(marker='batch-temperature').type('0.9')
    user.find(marker='batch-default-temperature').click()
    assert marked(user, 'batch-temperature').value is None and not marked(user, 'batch-temperature').enabled
    user.find(marker='batch-topP').type('0.5')
    user.find('Review changes').click()
    await user.should_see('Save a new revision of 2 deployment(s)? All of them change, or none.', retries=SLOW)
    assert listed(user) == [
        'billing-bot: options temperature 0.2 → top P 0.5',
        'sales-bot: options provider defaults → top P 0.5',
    ]
    user.find(marker='confirm-yes').click()
    await user.should_see('Changed 2 deployment(s); each has a new revision', retries=SLOW)
    for name in ('billing-bot', 'sales-bot'):
        assert deployments.get_deployment(seed, Actor.system(), name).options == {'topP': 0.5}


async def test_removing_an_option_no_selected_deployment_has_changes_nothing(user: User, seed, bots) -> None:
    await signed_in(user, seed)
    await eventually(lambda: len(only(user, ui.table).rows) == 3)
    select(user, 'sales-bot')
    user.find('Change model or options').click()
    await user.should_see('Change 1 deployment(s)')
    user.find(marker='batch-default-temperature').click()
    user.find('Review changes').click()
    await user.should_see('Nothing to change: the selected deployments already have these settings.', retries=SLOW)
    assert deployments.get_deployment(seed, Actor.system(), 'sales-bot').revision == 1


async def test_a_change_one_deployment_cannot_take_changes_none(user: User, seed, bots) -> None:
    await signed_in(user, seed)
    await eventually(lambda: len(only(user, ui.table).rows) == 3)
    select(user, 'billing-bot', 'local-bot')
    user.find('Change model or options').click()
    await user.should_see('Change 2 deployment(s)')
    user.find(marker='batch-model').type('gpt-4o')
    user.find('Review changes').click()
    await user.should_see("ollama does not list a model 'gpt-4o'", retries=SLOW)
    assert deployments.get_deployment(seed, Actor.system(), 'billing-bot').revision == 1


async def test_all_matching_the_search_are_deleted_together_after_a_list_of_names(user: User, seed) -> None:
    prompt = make_prompt(seed)
    for number in range(12):
        await make_deployment(seed, f'old-{number:02d}', prompt)
    await make_deployment(seed, 'keeper', prompt)
    await signed_in(user, seed)
    await user.open('/deployments?search=old&pageSize=10')
    await user.should_see(kind=ui.table, retries=SLOW)  # the page builds it after reading the database
    table = only(user, ui.table)
    await eventually(lambda: len(table.rows) == 10 and table.pagination['rowsNumber'] == 12)
    select(user, 'old-00')
    user.find('Select all 12 matching').click()
    await user.should_see('12 selected (all matching)')
    user.find(kind=ui.button, content='Delete').click()
    await user.should_see('Delete these 12 deployment(s)? Their executions stay readable.', retries=SLOW)
    assert listed(user) == [f'old-{number:02d}' for number in range(12)]
    user.find(marker='confirm-yes').click()
    await user.should_see('Deleted 12 deployment(s)', retries=SLOW)
    assert deployments.list_deployments(seed, Actor.system()).total == 1


async def test_a_viewer_gets_no_checkboxes(user: User, seed, bots) -> None:
    await signed_in(user, seed, 'viewer')
    await user.should_see(kind=ui.table, retries=SLOW)  # the page builds it after reading the database
    table = only(user, ui.table)
    await eventually(lambda: len(table.rows) == 3)
    assert table.selection is None
    await user.should_not_see('Change model or options')


async def test_a_shared_link_keeps_search_sort_and_page_and_changes_go_back_into_the_url(user: User, seed, monkeypatch) -> None:
    prompt = make_prompt(seed)
    for number in range(25):
        await make_deployment(seed, f'bot-{number:02d}', prompt)
    seen: list[str] = []
    monkeypatch.setattr(History, 'replace', lambda _history, url: seen.append(url))
    await signed_in(user, seed)
    await user.open('/deployments?search=bot&sort=created&order=desc&page=3&pageSize=10')
    await user.should_see(kind=ui.table, retries=SLOW)  # the page builds it after reading the database
    table = only(user, ui.table)
    await eventually(lambda: [row['name'] for row in table.rows] == ['bot-04', 'bot-03', 'bot-02', 'bot-01', 'bot-00'])
    assert user.find('Search name, provider or model').elements.pop().value == 'bot'
    pagination = {'page': 2, 'rowsPerPage': 10, 'sortBy': 'model', 'descending': False}
    user.find(ui.table).trigger('request', {'pagination': pagination})
    await eventually(lambda: seen and seen[-1] == '/deployments?search=bot&sort=model&page=2&pageSize=10')

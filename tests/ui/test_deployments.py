"""The deployments list and its create dialog: models from the provider, inline errors, server-side paging."""

from nicegui import ui
from nicegui.testing import User

from core import deployments, execution_listing, executions
from core.permissions import Actor
from core.rollouts import service as rollouts
from tests.ui.conftest import (
    SLOW,
    choose,
    dialog_open,
    eventually,
    make_deployment,
    make_prompt,
    marked,
    models_loaded,
    only,
    signed_in,
)


async def test_create_a_deployment_through_the_dialog_with_models_from_the_provider(user: User, seed, fake_llm) -> None:
    make_prompt(seed, 'Helpdesk')
    await signed_in(user, seed)
    user.find('New deployment').click()
    await dialog_open(user)
    user.find(marker='deployment-name').type('support-bot')
    choose(user, 'prompt', 'Helpdesk')
    choose(user, 'provider', 'OpenAI')
    await models_loaded(user)
    choose(user, 'model', 'gpt-4o-mini')
    user.find(marker='temperature').type('0.3')
    user.find(marker='save-deployment').click()
    await user.should_see('Saved support-bot (revision 1)', retries=SLOW)
    saved = deployments.get_deployment(seed, Actor.system(), 'support-bot')
    assert (saved.provider, saved.model, saved.options) == ('openai', 'gpt-4o-mini', {'temperature': 0.3})
    assert any(r.path.endswith('/models') for r in fake_llm.requests)


async def test_an_invalid_name_is_shown_next_to_the_field_and_nothing_is_saved(user: User, seed) -> None:
    make_prompt(seed, 'Helpdesk')
    await signed_in(user, seed)
    user.find('New deployment').click()
    await dialog_open(user)
    user.find(marker='deployment-name').type('Support Bot!')
    choose(user, 'prompt', 'Helpdesk')
    choose(user, 'provider', 'OpenAI')
    await models_loaded(user)
    choose(user, 'model', 'gpt-4o-mini')
    user.find(marker='save-deployment').click()
    await user.should_see('may contain only lowercase letters', retries=SLOW)
    assert 'lowercase' in marked(user, 'deployment-name').error  # on the field itself, not only a toast
    assert deployments.list_deployments(seed, Actor.system()).total == 0


async def test_the_model_list_says_why_when_the_provider_fails(user: User, seed, fake_llm) -> None:
    fake_llm.fail(500, on='models', provider='anthropic', message='upstream is down')
    await signed_in(user, seed)
    user.find('New deployment').click()
    await dialog_open(user)
    choose(user, 'provider', 'Anthropic')
    await user.should_see('Could not list anthropic models', retries=SLOW)


async def test_options_the_provider_does_not_support_are_hidden(user: User, seed) -> None:
    await signed_in(user, seed)
    user.find('New deployment').click()
    await dialog_open(user)
    choose(user, 'provider', 'OpenAI')
    await user.should_see(marker='topP', retries=SLOW)
    await user.should_not_see(marker='topK')
    choose(user, 'provider', 'Ollama')
    await user.should_see(marker='topK', retries=SLOW)


async def test_the_table_pages_searches_and_sorts_on_the_server(user: User, seed) -> None:
    prompt = make_prompt(seed)
    for number in range(25):
        await make_deployment(seed, f'bot-{number:02d}', prompt)
    await signed_in(user, seed)
    await user.should_see(kind=ui.table, retries=SLOW)  # the page builds it, then reads the database
    table = only(user, ui.table)
    await eventually(lambda: len(table.rows) == 20 and table.pagination['rowsNumber'] == 25)
    assert table.rows[0]['name'] == 'bot-00'
    table_interaction = user.find(ui.table)
    table_interaction.trigger('request', {'pagination': {'page': 2, 'rowsPerPage': 20, 'sortBy': 'name', 'descending': True}})
    await eventually(lambda: [row['name'] for row in table.rows] == ['bot-04', 'bot-03', 'bot-02', 'bot-01', 'bot-00'])
    user.find('Search name, provider or model').type('bot-1')
    await eventually(lambda: table.pagination['rowsNumber'] == 10 and table.pagination['page'] == 1)


async def test_an_empty_list_says_what_to_do_next(user: User, seed) -> None:
    await signed_in(user, seed)
    await user.should_see('No deployments yet. Create a prompt under Prompts')


async def test_the_table_shows_the_last_24_hours_and_a_rollout_badge(user: User, seed, fake_llm) -> None:
    prompt = make_prompt(seed, 'Helpdesk')
    await make_deployment(seed, 'support-bot', prompt)
    await make_deployment(seed, 'quiet-bot', prompt)
    fake_llm.fail_model('gpt-4o-mini', 400)
    for number in range(4):
        await executions.run_deployment(seed, Actor.system(), 'support-bot', user_input=f'Question {number}')
    await rollouts.start_rollout(seed, Actor.system(), 'support-bot', changes={'model': 'gpt-4o'}, settings={'stages': [25, 100]})
    await signed_in(user, seed)  # the app's worker runs them meanwhile

    def failed() -> int:
        listed = execution_listing.list_executions(seed, Actor.system(), deployment='support-bot', status='failed')
        return listed.total

    await eventually(lambda: failed() == 4, timeout=20)
    await user.open('/deployments')
    table = only(user, ui.table)
    await eventually(lambda: len(table.rows) == 2)
    rows = {row['name']: row for row in table.rows}
    assert [rows['support-bot'][key] for key in ('runs', 'failureRate', 'p95', 'rollout')] == [
        '4', '100 %', '—', 'rolling out 25 %',
    ]  # fmt: skip
    assert [rows['quiet-bot'][key] for key in ('runs', 'failureRate', 'p95', 'rollout')] == ['0', '—', '—', '']

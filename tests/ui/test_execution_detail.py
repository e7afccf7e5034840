"""The execution page as labelled fields: a coloured status, what ran, tokens, cost and timing per run, the input with
its variables, the messages, the result (formatted when JSON), the error in full, and copy buttons."""

from nicegui import ui
from nicegui.testing import User

from core import executions
from core.permissions import Actor
from tests.ui.conftest import eventually, make_deployment, make_prompt, marked, signed_in


async def finished_run(seed, user_input: str | None = None, variables: dict | None = None) -> str:
    prompt = make_prompt(seed, template='Answer {{customer}} about {{topic}}.')
    await make_deployment(seed, 'support-bot', prompt)
    run = await executions.run_deployment(seed, Actor.system(), 'support-bot', user_input=user_input, variables=variables)
    return run.execution.id if hasattr(run, 'execution') else run.id


def texts(user: User) -> list[str]:
    return [label.text for label in user.find(ui.label).elements]


async def test_a_completed_run_reads_as_labelled_fields(user: User, seed, fake_llm) -> None:
    fake_llm.reply('{"answer": "It is in the billing tab", "score": 3}')
    execution_id = await finished_run(seed, variables={'customer': 'Ada', 'topic': 'billing'})
    await signed_in(user, seed)
    await user.open(f'/executions/{execution_id}')
    await eventually(lambda: marked(user, 'status').text == 'completed', timeout=30)
    assert marked(user, 'status').props['color'] == 'positive'
    for label in ('Deployment', 'Provider', 'Model', 'Tokens', 'Cost', 'Attempts', 'Last attempt', 'Waited in the queue'):
        assert label in texts(user), label
    assert 'OpenAI' in texts(user) and '1 attempt' in texts(user)
    assert [label.text for label in marked(user, 'variables').default_slot.children] == ['customer', 'Ada', 'topic', 'billing']
    assert marked(user, 'result').content == '{\n  "answer": "It is in the billing tab",\n  "score": 3\n}'
    assert marked(user, 'result').language == 'json'
    await user.should_see('user: Answer Ada about billing.')
    await user.should_not_see(marker='error-card')
    user.find(marker='copy-result').click()
    await user.should_see('Copied the result')
    user.find(marker='copy-input').click()
    await user.should_see('Copied the input')


async def test_a_failed_run_shows_a_red_status_and_the_error_in_full(user: User, seed, fake_llm) -> None:
    fake_llm.fail(400, message='max_tokens is too large for this model: the limit is 16384')
    execution_id = await finished_run(seed, '{"customer": "Ada", "topic": "billing"}')
    await signed_in(user, seed)
    await user.open(f'/executions/{execution_id}')
    await eventually(lambda: marked(user, 'status').text == 'failed', timeout=30)
    assert marked(user, 'status').props['color'] == 'negative'
    assert marked(user, 'error-card').visible
    assert 'max_tokens is too large for this model: the limit is 16384' in marked(user, 'error').text


async def test_a_run_that_took_several_attempts_says_how_many(user: User, seed, fake_llm) -> None:
    fake_llm.fail(500, times=2)
    execution_id = await finished_run(seed, '{"customer": "Ada", "topic": "billing"}')
    await signed_in(user, seed)
    await user.open(f'/executions/{execution_id}')
    await eventually(lambda: marked(user, 'status').text == 'completed', timeout=30)
    assert '3 attempts' in texts(user)

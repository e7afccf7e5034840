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
    for label in ('Deployment', 'Provider', 'Model', 'Tokens', 'Cost', 'Attempts', 'Waited in the queue'):
        assert label in texts(user), label
    assert 'OpenAI' in texts(user) and any(text.startswith('1 attempt, ') and text.endswith(' in all') for text in texts(user))
    assert row_texts(user, 1)[0] == 'Attempt 1' and row_texts(user, 1)[-1] == 'Succeeded'
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
    assert any(text.startswith('3 attempts, ') and text.endswith(' ms in all') for text in texts(user))


async def test_each_attempt_shows_when_how_long_and_how_it_ended(user: User, seed, fake_llm) -> None:
    fake_llm.fail(503, times=2, retry_after=0.01, message='Overloaded, try later.')
    execution_id = await finished_run(seed, '{"customer": "Ada", "topic": "billing"}')
    await signed_in(user, seed)
    await user.open(f'/executions/{execution_id}')
    await eventually(lambda: marked(user, 'status').text == 'completed', timeout=30)
    failed, again, succeeded = (row_texts(user, number) for number in (1, 2, 3))
    assert failed[-1] == again[-1] == 'Failed — will try again: OpenAI answered 503: Overloaded, try later.'
    assert succeeded[-1] == 'Succeeded'
    for number, row in enumerate((failed, again, succeeded), start=1):
        attempt, started, took, _ = row
        assert attempt == f'Attempt {number}' and started.endswith(' UTC') and took.endswith(' ms'), row
    assert len(marked(user, 'attempts').default_slot.children) == 3


async def test_a_run_that_keeps_failing_shows_each_failures_message(user: User, seed, fake_llm) -> None:
    fake_llm.fail(503, times=2, retry_after=0.01, message='Overloaded, try later.')
    fake_llm.fail(400, message='max_tokens is too large for this model')
    execution_id = await finished_run(seed, '{"customer": "Ada", "topic": "billing"}')
    await signed_in(user, seed)
    await user.open(f'/executions/{execution_id}')
    await eventually(lambda: marked(user, 'status').text == 'failed', timeout=30)
    assert [row_texts(user, number)[-1] for number in (1, 2, 3)] == [
        'Failed — will try again: OpenAI answered 503: Overloaded, try later.',
        'Failed — will try again: OpenAI answered 503: Overloaded, try later.',
        'Failed: OpenAI answered 400: max_tokens is too large for this model',
    ]


def row_texts(user: User, number: int) -> list[str]:
    """The labels of the line of attempt `number`, in order."""
    return [label.text for label in marked(user, f'attempt-{number}').default_slot.children]


async def test_a_run_cancelled_while_waiting_to_try_again_says_so(user: User, seed, fake_llm) -> None:
    fake_llm.fail(503, retry_after=30, message='Overloaded, try later.')  # the next attempt would wait 30 s
    execution_id = await finished_run(seed, '{"customer": "Ada", "topic": "billing"}')
    await signed_in(user, seed)
    await user.open(f'/executions/{execution_id}')
    await user.should_see('Failed — will try again: OpenAI answered 503: Overloaded, try later.', retries=100)
    assert row_texts(user, 2)[-1] == 'Running now'  # waiting for its turn
    user.find('Cancel').click()
    await eventually(lambda: marked(user, 'status').text == 'cancelled')
    assert row_texts(user, 2)[-1] == 'Stopped: the execution was cancelled before this attempt ended'

"""Listing executions: excerpts only, full-text search over input and result, dates, order, and the export's batches."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core import execution_listing
from core.errors import Forbidden, Invalid
from core.execution_listing import EXCERPT_CHARS, export_batches, list_executions
from core.executions import get_execution
from core.permissions import Actor
from data.tables import Execution, new_id

VIEWER = Actor.user('u-2', 'viewer@example.com', 'viewer')
RUNNER = Actor.api_key('k-1', 'ci', ['deployments:run'])
START = datetime(2026, 3, 1, 12, tzinfo=UTC)


def add_execution(core, user_input: str, *, result: str | None = None, minutes: int = 0, **columns) -> str:
    """An execution row as the engine leaves it: inserted with its input, then finished with its result."""
    execution_id = new_id()
    row = {'id': execution_id, 'status': 'pending', 'provider': 'openai', 'model': 'gpt-4o', 'options': {}, 'messages': []}
    created = START + timedelta(minutes=minutes)
    with core.db.begin() as connection:
        connection.execute(sa.insert(Execution.__table__), row | {'user_input': user_input, 'created_at': created} | columns)
        if result is not None:
            finished = {'status': 'completed', 'result': result}
            connection.execute(sa.update(Execution.__table__).where(Execution.id == execution_id).values(finished))
    return execution_id


def ids(core, **filters) -> list[str]:
    return [execution.id for execution in list_executions(core, VIEWER, **filters).items]


def test_a_listing_carries_excerpts_and_the_record_by_id_everything(core):
    big = 'x' * 1_000_000
    execution_id = add_execution(core, big, result='y' * 500, messages=[{'role': 'user', 'content': big}])
    listed = list_executions(core, VIEWER).items[0]
    assert (listed.user_input, listed.result) == ('x' * EXCERPT_CHARS + '…', 'y' * EXCERPT_CHARS + '…')
    assert listed.messages == []
    whole = get_execution(core, VIEWER, execution_id)
    assert (len(whole.user_input), len(whole.result), whole.messages[0]['content']) == (1_000_000, 500, big)


def test_a_short_input_is_listed_as_it_is(core):
    add_execution(core, 'short', result=None)
    listed = list_executions(core, VIEWER).items[0]
    assert (listed.user_input, listed.result) == ('short', None)


def test_search_finds_words_in_the_input_or_the_result_whatever_their_case(core):
    invoice = add_execution(core, 'Please summarise the INVOICE from Acme')
    refund = add_execution(core, 'a question', result='The refund was approved.', minutes=1)
    add_execution(core, 'nothing to see', result='here either', minutes=2)
    assert ids(core, search='invoice') == [invoice]
    assert ids(core, search='REFUND approved') == [refund]
    assert ids(core, search='refund invoice') == []  # every word must match
    assert ids(core, search='summ acm') == [invoice]  # each word matches the start of a word
    assert ids(core, search='"acme"!') == [invoice]  # punctuation is no syntax: only letters and digits count


def test_search_sees_a_result_written_after_the_run_was_queued(core):
    execution_id = add_execution(core, 'translate this')
    assert ids(core, search='bonjour') == []
    with core.db.begin() as connection:
        connection.execute(sa.update(Execution.__table__).where(Execution.id == execution_id).values(result='Bonjour'))
    assert ids(core, search='bonjour') == [execution_id]


def test_search_and_dates_combine_with_the_other_filters_and_count_what_they_match(core):
    early = add_execution(core, 'alpha report', minutes=0, deployment_name='bot')
    add_execution(core, 'alpha report', minutes=60, deployment_name='other')
    late = add_execution(core, 'alpha report', minutes=120, deployment_name='bot')
    assert ids(core, search='alpha', deployment='bot') == [late, early]
    window = {'created_from': START + timedelta(minutes=30), 'created_to': START + timedelta(minutes=121)}
    found = list_executions(core, VIEWER, deployment='bot', **window)
    assert ([e.id for e in found.items], found.total) == ([late], 1)
    assert ids(core, created_to=START + timedelta(minutes=120)) == ids(core, created_to=START + timedelta(minutes=61))
    naive = datetime(2026, 3, 1, 13, 30)  # no zone: UTC
    assert ids(core, created_from=naive) == [late]


def test_oldest_first_on_request(core):
    first, second = add_execution(core, 'a', minutes=0), add_execution(core, 'b', minutes=1)
    assert ids(core, order='asc') == [first, second]
    assert ids(core) == [second, first]


@pytest.mark.parametrize(
    ('filters', 'field'),
    [
        ({'search': '!!!'}, 'search'),
        ({'search': 'a' * 201}, 'search'),
        ({'search': ' '.join('abcdefghijk')}, 'search'),
        ({'search': 'a\x00'}, 'search'),
        ({'created_from': 'yesterday'}, 'from'),
        ({'created_from': START, 'created_to': START}, 'to'),
        ({'order': 'newest'}, 'order'),
    ],
)
def test_bad_search_dates_or_order_are_refused_naming_the_field(core, filters, field):
    with pytest.raises(Invalid) as caught:
        list_executions(core, VIEWER, **filters)
    assert caught.value.field == field


def test_an_export_reads_every_match_whole_in_batches(core, monkeypatch):
    monkeypatch.setattr(execution_listing, 'EXPORT_BATCH', 3)
    wanted = [add_execution(core, f'row {i} ' + 'z' * 300, minutes=i // 2) for i in range(8)]  # ties on created_at
    add_execution(core, 'unrelated', minutes=1)
    batches = list(export_batches(core, VIEWER, search='row', order='asc'))
    assert [len(batch) for batch in batches] == [3, 3, 2]
    exported = [execution for batch in batches for execution in batch]
    assert sorted(e.id for e in exported) == sorted(wanted)
    assert [e.created_at for e in exported] == sorted(e.created_at for e in exported)
    assert all(len(e.user_input) > 300 for e in exported)


def test_listing_and_export_need_executions_read(core):
    with pytest.raises(Forbidden):
        list_executions(core, RUNNER)
    with pytest.raises(Forbidden):
        next(export_batches(core, RUNNER))


def test_a_listing_carries_short_variables_and_leaves_long_ones_to_the_record(core):
    short = add_execution(core, 'a', variables={'name': 'Ada'})
    long = add_execution(core, 'b', variables={'text': 'x' * 5000}, minutes=1)
    none = add_execution(core, 'c', minutes=2)
    listed = {execution.id: execution.variables for execution in list_executions(core, VIEWER).items}
    assert listed == {short: {'name': 'Ada'}, long: None, none: None}
    assert get_execution(core, VIEWER, long).variables == {'text': 'x' * 5000}


def test_search_finds_words_in_the_variables_too(core):
    execution_id = add_execution(core, '', variables={'customer': 'Grace Hopper', 'order': 1042})
    add_execution(core, 'grace notes', minutes=1, variables={'customer': 'Ada'})
    assert ids(core, search='hopper') == [execution_id]
    assert ids(core, search='grace 1042') == [execution_id]

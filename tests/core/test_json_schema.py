"""JSON Schema patterns run on RE2: no pattern makes a check take long, and one RE2 cannot run is refused (issue 9, item 5)."""

import functools
import json
import multiprocessing
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection

import pytest

from core.engine.validation import validate_result
from core.errors import Invalid
from core.json_schema import check_schema
from core.prompts import create_prompt
from core.templates import build_messages, validate_schema
from data.tables import Prompt
from tests.actors import SYSTEM, count

CATASTROPHIC = '^(a+)+$'  # a backtracking engine tries 2^n ways to split n `a`s before it gives up on the `!`
EVIL = 'a' * 40 + '!'  # with Python's re: hours; 25 `a`s took 2.4 s, doubling per `a`
STILL_RUNNING_AFTER = 30.0  # seconds: not a speed bound, the verdict that a check backtracks (RE2 needs microseconds)

KEYWORD_PATHS = {  # keyword: (schema, value, whether the value is valid)
    'pattern': ({'properties': {'code': {'type': 'string', 'pattern': CATASTROPHIC}}}, {'code': EVIL}, False),
    'patternProperties': ({'patternProperties': {CATASTROPHIC: {'type': 'string'}}}, {EVIL: 1}, True),
    'additionalProperties': (
        {'patternProperties': {CATASTROPHIC: {}}, 'additionalProperties': {'type': 'string'}},
        {EVIL: 1},
        False,
    ),
    'unevaluatedProperties': ({'patternProperties': {CATASTROPHIC: {}}, 'unevaluatedProperties': False}, {EVIL: 1}, False),
    'propertyNames': ({'propertyNames': {'pattern': CATASTROPHIC}}, {EVIL: 1}, False),
}


@pytest.fixture(scope='module')
def finishes() -> Iterator[Callable[..., tuple]]:
    """finishes(check, *args) -> ('value', v) or ('invalid', field, detail), asserting that the check ends at all.

    Checks run in a child process: a backtracking regex holds the GIL, so no thread of ours could stop waiting for it.
    """
    context = multiprocessing.get_context('spawn')
    connection, child_end = context.Pipe()
    child = context.Process(target=_serve_checks, args=(child_end,), daemon=True)
    child.start()

    def run(check: Callable, *args, **kwargs) -> tuple:
        connection.send(functools.partial(check, *args, **kwargs))
        if not connection.poll(STILL_RUNNING_AFTER):
            child.kill()
            raise AssertionError(f'still checking after {STILL_RUNNING_AFTER:g}s: the regex engine backtracks')
        return connection.recv()

    yield run
    child.kill()
    child.join()


def _serve_checks(connection: Connection) -> None:
    while True:
        check = connection.recv()
        try:
            connection.send(('value', check()))
        except Invalid as error:
            connection.send(('invalid', error.field, error.detail))


@pytest.mark.parametrize('keyword', KEYWORD_PATHS)
def test_a_catastrophic_pattern_is_checked_at_once_on_every_keyword_path(finishes, keyword):
    schema, value, valid = KEYWORD_PATHS[keyword]

    outcome = finishes(build_messages, 'Check this.', json.dumps(value), input_schema=schema)

    if valid:
        assert outcome == (
            'value',
            [{'role': 'system', 'content': 'Check this.'}, {'role': 'user', 'content': json.dumps(value)}],
        )
    else:
        assert outcome[:2] == ('invalid', 'userInput'), outcome
        assert 'does not match the input schema' in outcome[2]


def test_a_catastrophic_pattern_still_matches_what_it_should():
    schema = {'properties': {'code': {'type': 'string', 'pattern': CATASTROPHIC}}}

    messages = build_messages('Code {{code}}.', json.dumps({'code': 'a' * 40}), input_schema=schema)

    assert messages == [{'role': 'user', 'content': f'Code {"a" * 40}.'}]


def test_a_prompt_with_a_catastrophic_pattern_is_saved_and_runs_safely(core, finishes):
    schema = KEYWORD_PATHS['pattern'][0]
    create_prompt(core, SYSTEM, name='codes', template='Code {{code}}.', input_schema=schema)

    outcome = finishes(build_messages, 'Code {{code}}.', json.dumps({'code': EVIL}), input_schema=schema)

    assert outcome[:2] == ('invalid', 'userInput')


def test_a_result_is_judged_at_once_against_a_catastrophic_response_schema(finishes):
    _, (valid, message) = finishes(validate_result, json.dumps(EVIL), {'type': 'string', 'pattern': CATASTROPHIC})

    assert valid is False and 'does not match' in message


@pytest.mark.parametrize(
    ('schema', 'where'),
    [
        ({'properties': {'x': {'type': 'string', 'pattern': '(?=a)b'}}}, '$.properties.x.pattern'),
        ({'patternProperties': {'^(a)\\1$': {}}}, '$.patternProperties'),
        ({'prefixItems': [{'pattern': 'ok'}, {'pattern': '(?<!x)y'}]}, '$.prefixItems[1].pattern'),
    ],
)
def test_a_pattern_re2_cannot_run_is_refused_naming_the_schema_and_where(schema, where):
    with pytest.raises(Invalid) as caught:
        validate_schema(schema, 'inputSchema')

    assert caught.value.field == 'inputSchema'
    assert where in caught.value.detail and 'RE2' in caught.value.detail


def test_a_prompt_with_a_pattern_re2_cannot_run_is_not_saved(core):
    with pytest.raises(Invalid) as caught:
        create_prompt(core, SYSTEM, name='p', template='x', response_schema={'type': 'string', 'pattern': '(\\w)\\1'})

    assert caught.value.field == 'responseSchema'
    assert count(core, Prompt) == 0


def test_data_that_looks_like_a_pattern_is_not_checked_as_one():
    check_schema({'enum': [{'pattern': '(?=a)'}], 'properties': {'pattern': {'type': 'string'}}}, 'inputSchema')


def test_a_stored_schema_re2_cannot_run_is_a_422_naming_the_input_schema():
    # saved before patterns were checked: running it must not be a 500
    schema = {'properties': {'x': {'type': 'string', 'pattern': '(?=a)b'}}}

    with pytest.raises(Invalid) as caught:
        build_messages('{{x}}', '{"x": "b"}', input_schema=schema)

    assert caught.value.field == 'inputSchema' and 'RE2' in caught.value.detail


def test_a_reference_that_cannot_be_resolved_is_a_422_naming_the_input_schema():
    with pytest.raises(Invalid) as caught:
        build_messages('{{x}}', '{"x": 1}', input_schema={'$ref': 'https://schemas.example.test/x.json'})

    assert caught.value.field == 'inputSchema'

"""The UI tests' `eventually`: an element not drawn yet is 'not yet', not a failure."""

import asyncio

import pytest

from tests.ui.conftest import eventually


def test_an_assertion_in_the_condition_means_not_yet() -> None:
    calls = []

    def drawn_on_the_third_look() -> bool:
        calls.append(1)
        assert len(calls) >= 3, 'not drawn yet'
        return True

    asyncio.run(eventually(drawn_on_the_third_look))
    assert len(calls) == 3


def test_at_the_deadline_the_conditions_assertion_is_raised() -> None:
    def never_drawn() -> bool:
        raise AssertionError('not drawn yet')

    with pytest.raises(AssertionError, match='not drawn yet'):
        asyncio.run(eventually(never_drawn, timeout=0.05))


def test_a_false_condition_times_out() -> None:
    with pytest.raises(AssertionError, match='still false after'):
        asyncio.run(eventually(lambda: False, timeout=0.05))

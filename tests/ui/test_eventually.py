import asyncio, pytest
from tests.ui.conftest import eventually

def test_an_assertion_in_the_condition_is_not_yet():
    calls = []
    def condition():
        calls.append(1)
        assert len(calls) >= 3, 'not drawn yet'
        return True
    asyncio.run(eventually(condition))
    assert len(calls) == 3

def test_at_the_deadline_the_assertion_is_raised():
    def condition():
        raise AssertionError('not drawn yet')
    with pytest.raises(AssertionError, match='not drawn yet'):
        asyncio.run(eventually(condition, timeout=0.05))

"""The slot bookkeeping alone: no clock, database or event loop, so the whole file runs in milliseconds."""

from core.engine.queue import Claim
from core.engine.slots import RATE_WINDOW_SECONDS, Slots


def claims(provider: str, count: int, *, start: int = 0) -> list[Claim]:
    return [
        Claim(
            id=f'{provider}-{i}',
            provider=provider,
            model='m',
            messages=[],
            options={},
            response_schema=None,
            file_id=None,
            attempts=1,
            lease_token='t',
            rollout_id=None,
        )
        for i in range(start, start + count)
    ]


def busy(slots: Slots, provider: str, *, at: float = 0.0) -> list[Claim]:
    """Fill every slot of `provider` (a first round); returns the claims started."""
    wanted = slots.wanted(at)
    return slots.claimed(wanted, claims(provider, wanted[provider]))


def turn_over(slots: Slots, provider: str, count: int, *, since: float, every: float) -> None:
    """`count` calls end, `every` seconds apart from `since`, and a new claim takes each freed slot at once."""
    for i in range(count):
        slots.free(provider, since + i * every)
        slots.claimed({provider: 1}, claims(provider, 1, start=1000 + i))


def test_a_first_round_wants_every_slot_of_every_provider():
    slots = Slots({'openai': 3, 'ollama': 1}, ahead_seconds=0.05)
    assert slots.wanted(0.0) == {'openai': 3, 'ollama': 1}


def test_claims_start_up_to_each_providers_limit_and_the_rest_wait():
    slots = Slots({'openai': 2, 'ollama': 1}, ahead_seconds=0.05)
    started = slots.claimed({'openai': 3, 'ollama': 2}, claims('openai', 3) + claims('ollama', 2))
    assert [c.id for c in started] == ['openai-0', 'openai-1', 'ollama-0']
    assert [c.id for c in slots.waiting()] == ['openai-2', 'ollama-1']
    assert slots.running == {'openai': 2, 'ollama': 1}


def test_a_provider_is_asked_for_work_again_only_when_marked_or_when_its_claim_came_back_full():
    slots = Slots({'openai': 4, 'anthropic': 4}, ahead_seconds=0.05)
    wanted = slots.wanted(0.0)
    slots.claimed(wanted, claims('openai', 4) + claims('anthropic', 1))  # openai's batch was full: maybe more
    assert (slots.may_have_work('openai'), slots.may_have_work('anthropic')) == (True, False)
    assert slots.wanted(0.1) == {}  # openai has no free slot; anthropic has, but nothing was pending
    slots.mark('anthropic')
    assert slots.wanted(0.2) == {'anthropic': 3}
    assert slots.wanted(0.3) == {}  # asked once: not again until marked


def test_marking_an_unknown_provider_or_none_marks_them_all():
    slots = Slots({'openai': 1, 'ollama': 1}, ahead_seconds=0.05)
    slots.claimed(slots.wanted(0.0), [])
    slots.mark('nobody-we-know')
    assert slots.wanted(0.1) == {'openai': 1, 'ollama': 1}
    slots.mark()
    assert slots.wanted(0.2) == {'openai': 1, 'ollama': 1}


def test_a_freed_slot_with_nothing_claimed_ahead_stays_free():
    slots = Slots({'openai': 2}, ahead_seconds=0.05)
    busy(slots, 'openai')
    assert slots.free('openai', 1.0) is None
    assert slots.running['openai'] == 1


def test_a_freed_slot_starts_the_execution_claimed_ahead_for_it():
    slots = Slots({'openai': 1}, ahead_seconds=0.05)
    slots.claimed({'openai': 3}, claims('openai', 3))
    assert slots.free('openai', 1.0).id == 'openai-1'
    assert slots.running['openai'] == 1
    assert [c.id for c in slots.waiting()] == ['openai-2']


def test_nothing_is_claimed_ahead_without_a_recent_rate():
    slots = Slots({'openai': 2}, ahead_seconds=0.05)
    busy(slots, 'openai')
    slots.mark('openai')
    assert slots.wanted(0.0) == {}  # both slots busy, no slot has freed yet


def test_claim_ahead_grows_with_the_rate_of_frees_and_stops_at_the_limit():
    slots = Slots({'openai': 10}, ahead_seconds=0.05)
    busy(slots, 'openai')
    turn_over(slots, 'openai', 100, since=0.5, every=0.005)  # 100 frees in the last second: 5 within the next 50 ms
    slots.mark('openai')
    assert slots.wanted(1.0) == {'openai': 5}
    fast = Slots({'openai': 4}, ahead_seconds=1.0)
    busy(fast, 'openai')
    turn_over(fast, 'openai', 100, since=0.5, every=0.005)
    fast.mark('openai')
    assert fast.wanted(1.0) == {'openai': 4}  # never more ahead than the limit


def test_frees_older_than_the_window_no_longer_count():
    slots = Slots({'openai': 10}, ahead_seconds=0.05)
    busy(slots, 'openai')
    turn_over(slots, 'openai', 100, since=0.0, every=0.005)
    slots.mark('openai')
    assert slots.wanted(0.5 + RATE_WINDOW_SECONDS + 0.01) == {}


def test_executions_claimed_ahead_count_against_what_is_claimed_next():
    slots = Slots({'openai': 2}, ahead_seconds=0.05)
    busy(slots, 'openai')
    turn_over(slots, 'openai', 40, since=0.1, every=0.02)  # 40 frees a second: 2 within the next 50 ms
    slots.mark('openai')
    wanted = slots.wanted(0.9)
    assert wanted == {'openai': 2}
    slots.claimed(wanted, claims('openai', 1, start=10))  # one came back: no more pending
    slots.mark('openai')
    assert slots.wanted(0.9) == {'openai': 1}  # one of the two ahead is already waiting


def test_dropping_an_execution_claimed_ahead_means_it_never_starts():
    slots = Slots({'openai': 1}, ahead_seconds=0.05)
    slots.claimed({'openai': 3}, claims('openai', 3))
    assert slots.drop('openai-1')
    assert not slots.drop('openai-0')  # started: not the slots' to drop
    assert not slots.drop('openai-1')
    assert slots.free('openai', 1.0).id == 'openai-2'
    assert slots.free('openai', 1.1) is None


def test_closing_takes_back_everything_claimed_ahead_and_starts_nothing_more():
    slots = Slots({'openai': 1, 'ollama': 1}, ahead_seconds=0.05)
    slots.claimed({'openai': 2, 'ollama': 2}, claims('openai', 2) + claims('ollama', 2))
    assert sorted(c.id for c in slots.close()) == ['ollama-1', 'openai-1']
    assert slots.waiting() == []
    slots.mark()
    assert slots.wanted(1.0) == {}
    late = slots.claimed({'openai': 1}, claims('openai', 1, start=5))  # a round that was under way when closing
    assert late == [] and slots.free('openai', 1.0) is None
    assert [c.id for c in slots.close()] == ['openai-5']
    assert slots.running == {'openai': 0, 'ollama': 1}

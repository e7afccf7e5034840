"""The in-process bus: an event reaches the subscriptions that follow its execution or all executions, of its kinds."""

import asyncio

from core.events import GAP, Event, EventBus


async def test_an_event_reaches_its_executions_followers_and_those_of_every_execution():
    bus = EventBus()
    async with (
        bus.subscribe('a') as of_a,
        bus.subscribe('b') as of_b,
        bus.subscribe() as of_all,
        bus.subscribe('a', kinds=frozenset({'status'})) as statuses_of_a,
    ):
        bus.publish(Event('delta', 'a', {'text': 'hi'}))
        bus.publish(Event('status', 'a', {'status': 'completed'}))
        await asyncio.sleep(0)
        assert [event.kind for event in of_a.pending()] == ['delta', 'status']
        assert of_b.pending() == []
        assert [event.execution_id for event in of_all.pending()] == ['a', 'a']
        assert [event.kind for event in statuses_of_a.pending()] == ['status']


async def test_a_gap_reaches_every_subscription_whatever_it_follows():
    bus = EventBus()
    async with bus.subscribe('a', kinds=frozenset({'status'})) as of_a, bus.subscribe() as of_all:
        bus.publish(Event(GAP, ''))
        await asyncio.sleep(0)
        assert [event.kind for event in of_a.pending()] == [GAP]
        assert [event.kind for event in of_all.pending()] == [GAP]


async def test_a_subscription_that_ended_gets_nothing_and_its_execution_keeps_other_followers():
    bus = EventBus()
    async with bus.subscribe('a') as staying:
        async with bus.subscribe('a') as leaving:
            pass
        bus.publish(Event('status', 'a', {'status': 'running'}))
        await asyncio.sleep(0)
        assert leaving.pending() == []
        assert [event.kind for event in staying.pending()] == ['status']
    bus.publish(Event('status', 'a', {'status': 'completed'}))  # no follower left: nothing to deliver, no error

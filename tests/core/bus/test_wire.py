"""The wire format alone: packing events within a payload limit, and reading them back in order."""

import json

import pytest

from core.bus.wire import MAX_EVENT_BYTES, Packer, Reader
from core.events import Event

LIMIT = 7999


def read_all(reader: Reader, payloads: list[str]) -> tuple[list[Event], int]:
    """The events the payloads carry, and how many gaps the reader saw."""
    events, gaps = [], 0
    for payload in payloads:
        received = reader.read(payload)
        events.extend(received.events)
        gaps += received.gap
    return events, gaps


@pytest.mark.parametrize('sizes', [[10] * 1000, [7900, 10, 8000, 3, 20_000, 7950], [100_000], [1] * 3])
def test_packed_payloads_stay_within_the_limit_and_read_back_in_order(sizes):
    events = [Event('delta', f'e{n % 3}', {'text': chr(65 + n % 26) * size}) for n, size in enumerate(sizes)]
    payloads = Packer('a1', LIMIT).pack(events)
    assert all(len(payload.encode()) <= LIMIT for payload in payloads)
    assert read_all(Reader('b2'), payloads) == (events, 0)


def test_small_events_share_a_payload_and_large_ones_are_split():
    small = [Event('delta', 'e', {'text': 'tok'}) for _ in range(100)]
    large = Event('delta', 'e', {'text': 'x' * 50_000})
    assert len(Packer('a1', LIMIT).pack(small)) == 1
    assert len(Packer('a1', LIMIT).pack([large])) == 7  # 50 KB in payloads of under 8 KB


def test_text_of_any_language_travels_as_ascii():
    events = [Event('delta', 'e', {'text': 'héllo ✓ 🙂 日本 "quoted" \\ \n\t\x00'}), Event('rollout', 'r', {'arms': [1.5, None]})]
    payloads = Packer('a1', LIMIT).pack(events)
    assert all(payload.isascii() for payload in payloads)
    assert read_all(Reader('b2'), payloads)[0] == events


def test_a_reader_skips_payloads_of_its_own_origin():
    payloads = Packer('a1', LIMIT).pack([Event('status', 'e', {'status': 'running'})])
    assert Reader('a1').read(payloads[0]) is None


def test_a_missed_payload_is_a_gap_but_a_first_one_heard_is_not():
    packer = Packer('a1', LIMIT)
    first, second, third = (packer.pack([Event('status', 'e', {'n': n})]) for n in range(3))
    reader = Reader('b2')
    assert reader.read(second[0]).gap is False  # a listener that starts late expects nothing earlier
    assert reader.read(third[0]) == ([Event('status', 'e', {'n': 2})], False)
    reader = Reader('b2')
    reader.read(first[0])
    assert reader.read(third[0]) == ([Event('status', 'e', {'n': 2})], True)


def test_a_payload_sent_twice_is_read_once():
    packer = Packer('a1', LIMIT)
    first, second = (packer.pack([Event('status', 'e', {'n': n})]) for n in range(2))
    events, gaps = read_all(Reader('b2'), first + second + first + second)  # a link retried what had gone out
    assert (events, gaps) == ([Event('status', 'e', {'n': 0}), Event('status', 'e', {'n': 1})], 0)


def test_a_split_event_with_a_part_missing_is_dropped_as_a_gap():
    packer = Packer('a1', LIMIT)
    parts = packer.pack([Event('delta', 'e', {'text': 'x' * 20_000})])
    after = packer.pack([Event('delta', 'e', {'text': 'after'})])
    events, gaps = read_all(Reader('b2'), [parts[0], parts[2], *after])
    assert events == [Event('delta', 'e', {'text': 'after'})]
    assert gaps >= 1


def test_an_event_over_the_largest_is_skipped_logged_and_leaves_a_gap(caplog):
    packer = Packer('a1', LIMIT)
    before = packer.pack([Event('delta', 'e', {'text': 'a'})])
    huge = packer.pack([Event('status', 'big', {'error': 'x' * MAX_EVENT_BYTES}), Event('delta', 'e', {'text': 'b'})])
    events, gaps = read_all(Reader('b2'), before + huge)
    assert events == [Event('delta', 'e', {'text': 'a'}), Event('delta', 'e', {'text': 'b'})]
    assert gaps == 1
    assert 'status event of big is' in caplog.text


def test_an_event_that_is_not_json_is_skipped_and_the_others_sent(caplog):
    packer = Packer('a1', LIMIT)
    before = packer.pack([Event('delta', 'e', {'text': 'a'})])
    events = [Event('delta', 'e', {'text': 'b'}), Event('status', 'bad', {'at': object()}), Event('delta', 'e', {'text': 'c'})]
    assert read_all(Reader('b2'), before + packer.pack(events)) == ([Event('delta', 'e', {'text': 'a'}), events[0], events[2]], 1)
    assert 'status event of bad is not JSON' in caplog.text


@pytest.mark.parametrize(
    'payload', ['', 'hello', 'a1 x 1/1 []', 'a1 1 1/1 {"not": "a list"}', 'a1 1 1/1 [["delta"]]', 'a1 1 1/1 [[1, "e", {}]]']
)
def test_a_payload_not_in_our_format_is_ignored_as_a_gap(payload):
    received = Reader('b2').read(payload)
    assert received == ([], True)


def test_the_payload_shape_is_origin_sequence_parts_body():
    payload = Packer('a1', LIMIT).pack([Event('delta', 'e', {'text': 't'})])[0]
    origin, seq, parts, body = payload.split(' ', 3)
    assert (origin, seq, parts, json.loads(body)) == ('a1', '1', '1/1', [['delta', 'e', {'text': 't'}]])

"""The bus's wire format: events packed into text payloads no longer than a transport carries, and read back in order.

A payload is `<origin> <seq> <part>/<parts> <body>`: the sending transport's random origin, a number that grows by one
per payload (so a listener notices one it missed), and the JSON body `[[kind, execution_id, data], ...]`. Most payloads
carry several whole events (part 1/1); an event larger than a payload is split into parts that the listener joins, up to
MAX_EVENT_BYTES. The JSON escapes every non-ASCII character, so a character is a byte whatever the database's encoding.
"""

import json
import logging
import secrets
from collections.abc import Sequence
from typing import NamedTuple

from core.events import Event

log = logging.getLogger(__name__)
MAX_EVENT_BYTES = 256 * 1024  # larger events are not sent: listeners see a gap and re-read
HEADER_DIGITS = 32  # room in a header for the sequence number, the part numbers and the spaces
MAX_ORIGINS = 1024  # listeners forget the sequence numbers of this many senders at most
encode = json.JSONEncoder(separators=(',', ':')).encode  # built once: json.dumps with options builds one per call


def new_origin() -> str:
    return secrets.token_hex(6)


class Received(NamedTuple):
    events: list[Event]
    gap: bool  # payloads from some sender were missed before these events: what they carried must be re-read


class Packer:
    """Turns batches of events into payloads of at most `limit` bytes, numbered in the order they must be read."""

    def __init__(self, origin: str, limit: int) -> None:
        self.origin = origin
        self.room = limit - len(origin) - HEADER_DIGITS
        self.seq = 0

    def pack(self, events: Sequence[Event]) -> list[str]:
        """Payloads for the events, in order: as many whole events in each as fit; an event too large for one is split."""
        payloads: list[str] = []
        start, take = 0, len(events)  # try everything in one; then as many as the last payload's fill suggests
        while start < len(events):
            chunk = events[start : start + take]
            body = _encode(chunk)
            if body is None and len(chunk) > 1:
                take = len(chunk) // 2  # one of them is not JSON: narrow down to it
            elif body is None or (len(chunk) == 1 and len(body) > self.room):
                payloads += self._split(body, chunk[0])
                start, take = start + 1, len(events) - start - 1
            elif len(body) > self.room:
                take = max(1, min(len(chunk) - 1, len(chunk) * self.room // len(body)))
            else:
                payloads.append(self._payload(body))
                start, take = start + len(chunk), max(1, len(chunk) * self.room // len(body))
        return payloads

    def skip(self) -> None:
        """Note that payloads were lost before they were packed, so that listeners see a gap."""
        self.seq += 1

    def _split(self, body: str | None, event: Event) -> list[str]:
        """The parts of one event too large for a payload (none if it is not JSON or over MAX_EVENT_BYTES)."""
        if body is None:
            log.error('bus: %s event of %s is not JSON; not sent', event.kind, event.execution_id)
        elif len(body) > MAX_EVENT_BYTES:
            log.warning(
                'bus: %s event of %s is %d bytes, over the %d other processes are sent; they re-read instead',
                *(event.kind, event.execution_id, len(body), MAX_EVENT_BYTES),
            )
        else:
            chunks = [body[start : start + self.room] for start in range(0, len(body), self.room)]
            return [self._payload(chunk, part, len(chunks)) for part, chunk in enumerate(chunks, 1)]
        self.skip()
        return []

    def _payload(self, body: str, part: int = 1, parts: int = 1) -> str:
        self.seq += 1
        return f'{self.origin} {self.seq} {part}/{parts} {body}'


class Reader:
    """Turns payloads back into events: skips our own, joins the parts of a split event, notices missed payloads."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self._last: dict[str, int] = {}  # sender origin -> the sequence number of its last payload read
        self._parts: dict[str, list[str]] = {}  # sender origin -> the parts of a split event read so far

    def read(self, payload: str) -> Received | None:
        """The events a payload completes (none for a part of a split event), or None for a payload of our own."""
        try:
            origin, seq_text, numbers, body = payload.split(' ', 3)
            seq = int(seq_text)
            part, parts = (int(number) for number in numbers.split('/'))
        except ValueError:
            log.warning('bus: ignored a payload not in our format')
            return Received([], True)
        if origin == self.origin:
            return None  # delivered in this process already
        last = self._last.get(origin)
        if last is not None and seq <= last:
            return Received([], False)  # sent again by a link that retried: read once already
        gap = self._numbered(origin, seq, last)
        pieces = self._parts.pop(origin, None)
        if part > 1 and (gap or pieces is None or len(pieces) != part - 1):
            return Received([], True)  # the first parts were missed: the rest is no use
        pieces = [*(pieces if part > 1 else ()), body]
        if part < parts:
            self._parts[origin] = pieces
            return Received([], gap)
        return self._decode(''.join(pieces), gap)

    def _numbered(self, origin: str, seq: int, last: int | None) -> bool:
        """Whether payloads from this sender were missed since the last one read (not so for a sender first heard)."""
        if last is None and len(self._last) >= MAX_ORIGINS:
            self._last.clear()  # senders come and go over months; a gap unnoticed once is what the re-read covers
        self._last[origin] = seq
        return last is not None and seq != last + 1

    @staticmethod
    def _decode(body: str, gap: bool) -> Received:
        try:
            return Received([_event(row) for row in json.loads(body)], gap)
        except (TypeError, ValueError):
            log.warning('bus: ignored a payload whose events are not in our format')
            return Received([], True)


def _encode(events: Sequence[Event]) -> str | None:
    try:
        return encode([[event.kind, event.execution_id, event.data] for event in events])
    except (TypeError, ValueError):
        return None


def _event(row: list) -> Event:
    kind, execution_id, data = row
    if not (isinstance(kind, str) and isinstance(execution_id, str) and isinstance(data, dict)):
        raise ValueError('not an event')
    return Event(kind, execution_id, data)

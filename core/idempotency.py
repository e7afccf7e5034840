"""`Idempotency-Key` on runs, as Stripe defines it: a retry with the same key and body gets the run the first request
started, never a second one; the same key with another body is refused. Keys are scoped to the API key, kept in the
database (so every instance shares them) and expire 24 h after first use, on Core.clock.

The claim is the first statement of the run's transaction: an insert that does nothing when the key is taken. It
takes the key's row lock (PostgreSQL: a second insert of the same key waits for the first transaction; SQLite: the
database's write lock), so requests that arrive together queue on it; each later one then finds the first one's row
and replays its execution. A run refused after the claim (bad input, rate limits) rolls the claim back with it: only
an accepted run is remembered.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core.errors import Invalid
from data.tables import IdempotencyKey

LIFETIME = timedelta(hours=24)
MAX_LENGTH = 255
HEADER = 'Idempotency-Key'
_TABLE = IdempotencyKey.__table__


class IdempotencyMismatch(Invalid):
    """The key was used with another request: a client bug that a retry would repeat."""

    code = 'idempotency_mismatch'


@dataclass(frozen=True)
class Claim:
    """A run request's idempotency key and the fingerprint of its body."""

    key: str
    request_hash: str


def checked_key(value: Any) -> str | None:
    """The header's value: 1 to 255 printable ASCII characters, or None when absent; Invalid names the header."""
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_LENGTH or not all(' ' <= c <= '~' for c in value):
        raise Invalid(HEADER, f'must be 1 to {MAX_LENGTH} printable ASCII characters, such as a UUID')
    return value


def request_hash(request: dict[str, Any]) -> str:
    """A fingerprint of what was asked (keys sorted, so a client's field order does not matter)."""
    text = json.dumps(request, sort_keys=True, separators=(',', ':'), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def claim(connection: sa.Connection, api_key_id: str, claim: Claim, execution_id: str, now: datetime) -> str | None:
    """Claim the key for `execution_id`, in the run's transaction; None when it is ours (run it), else the id of the
    execution an earlier request with this key and body started (replay it). IdempotencyMismatch for another body."""
    values = {'api_key_id': api_key_id, 'key': claim.key, 'request_hash': claim.request_hash,
              'execution_id': execution_id, 'created_at': now}  # fmt: skip
    connection.execute(_INSERT[connection.dialect.name == 'sqlite'], values)
    this_key = {'held_api_key_id': api_key_id, 'held_key': claim.key}
    held = connection.execute(_HELD[connection.dialect.name == 'sqlite'], this_key).one()
    if held.execution_id == execution_id:
        return None
    if held.created_at <= now - LIFETIME:  # expired: the key starts afresh
        renewed = {'request_hash': claim.request_hash, 'execution_id': execution_id, 'created_at': now}
        connection.execute(sa.update(_TABLE).where(_THIS_KEY).values(renewed), this_key)
        return None
    if held.request_hash != claim.request_hash:
        raise IdempotencyMismatch(
            HEADER, f'{claim.key!r} was used with another request in the last 24 h; use a new key for a new request'
        )
    return held.execution_id


_THIS_KEY = (_TABLE.c.api_key_id == sa.bindparam('held_api_key_id')) & (_TABLE.c.key == sa.bindparam('held_key'))
_INSERT = {
    False: postgresql.insert(_TABLE).on_conflict_do_nothing(index_elements=['api_key_id', 'key']),
    True: sqlite.insert(_TABLE).on_conflict_do_nothing(index_elements=['api_key_id', 'key']),
}
_COLUMNS = (_TABLE.c.execution_id, _TABLE.c.request_hash, _TABLE.c.created_at)
_HELD = {
    False: sa.select(*_COLUMNS).where(_THIS_KEY).with_for_update(),  # held until commit: an expired key is renewed once
    True: sa.select(*_COLUMNS).where(_THIS_KEY),  # the insert took the database's write lock already
}

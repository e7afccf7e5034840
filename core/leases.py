"""Leases on queue rows (executions, webhook deliveries): a holder extends the ones it still holds."""

from datetime import timedelta

import sqlalchemy as sa

from data.tables import utcnow


def renew(engine: sa.Engine, table: sa.Table, tokens: set[str], *, held_status: str, lease_seconds: float) -> set[str]:
    """Extend the leases of `table`'s rows still held under `tokens` (and still `held_status`); returns their ids."""
    if not tokens:
        return set()
    statement = (
        sa.update(table)
        .where(table.c.lease_token.in_(tokens), table.c.status == held_status)
        .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
        .returning(table.c.id)
    )
    with engine.begin() as connection:
        return set(connection.execute(statement).scalars())

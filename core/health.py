"""Whether this process can reach its database (for the health endpoint)."""

import logging

import sqlalchemy as sa

from core.app import Core

log = logging.getLogger(__name__)


def database_reachable(core: Core) -> bool:
    """True when the database answers; why it did not goes to the log only."""
    try:
        with core.db.connect() as connection:
            connection.execute(sa.text('SELECT 1'))
    except sa.exc.SQLAlchemyError as problem:
        log.error('health check: database unreachable: %s', problem)
        return False
    return True

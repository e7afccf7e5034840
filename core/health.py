"""Whether this process can reach its database (for the health endpoint)."""

import logging

import sqlalchemy as sa

from core.app import Core
from core.errors import DatabaseBusy

log = logging.getLogger(__name__)


def database_state(core: Core) -> str:
    """'ok' when the database answers, 'busy' when another process's write lock held it up, else 'unreachable'
    (why goes to the log only)."""
    try:
        with core.db.connect() as connection:
            connection.execute(sa.text('SELECT 1'))
    except DatabaseBusy:
        return 'busy'
    except sa.exc.SQLAlchemyError as problem:
        log.error('health check: database unreachable: %s', problem)
        return 'unreachable'
    return 'ok'

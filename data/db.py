"""The database engine: SQLite (WAL, foreign keys) by default, PostgreSQL through psycopg 3."""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlmodel import Session


def normalize_url(url: str) -> str:
    """Let people write postgresql://; we drive it with psycopg 3."""
    for prefix in ('postgresql://', 'postgres://'):
        if url.startswith(prefix):
            return 'postgresql+psycopg://' + url[len(prefix) :]
    return url


def make_engine(url: str) -> sa.Engine:
    url = normalize_url(url)
    if url.startswith('sqlite'):
        engine = sa.create_engine(url, connect_args={'check_same_thread': False, 'timeout': 30})
        sa.event.listen(engine, 'connect', _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == 'sqlite'


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute('PRAGMA journal_mode=WAL')
    cursor.execute('PRAGMA synchronous=NORMAL')
    cursor.execute('PRAGMA foreign_keys=ON')
    cursor.execute('PRAGMA busy_timeout=30000')
    cursor.close()


@contextmanager
def session_scope(engine: sa.Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error, so nothing is half-written."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

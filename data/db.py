"""The database engine: SQLite (WAL, foreign keys) by default, PostgreSQL through psycopg 3."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from data.private import private_file

SQLITE_SIDE_FILES = ('-wal', '-shm', '-journal')


def normalize_url(url: str) -> str:
    """Let people write postgresql://; we drive it with psycopg 3."""
    for prefix in ('postgresql://', 'postgres://'):
        if url.startswith(prefix):
            return 'postgresql+psycopg://' + url[len(prefix) :]
    return url


LOCK_WAIT_SECONDS = 30.0  # SQLite: how long a statement waits for another connection's write lock before it fails


def make_engine(url: str, *, lock_wait: float = LOCK_WAIT_SECONDS) -> sa.Engine:
    """An engine for `url`; on SQLite a statement waits up to `lock_wait` seconds for another writer's lock."""
    url = normalize_url(url)
    if url.startswith('sqlite'):
        _private_database_files(url)
        engine = sa.create_engine(url, connect_args={'check_same_thread': False, 'timeout': lock_wait})
        sa.event.listen(engine, 'connect', partial(_sqlite_pragmas, lock_wait=lock_wait))
        return engine
    return sa.create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == 'sqlite'


@contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """engine.begin() for a hot write path. On SQLite the process's threads take turns on a lock of its own first:
    SQLite's busy handler wakes waiters by sleeping and retrying, unfairly, so under load one thread could wait past
    the web's short lock wait (a 503) while others got through; queued here they wait their turn instead, and only
    another process's writer meets the busy handler."""
    if not is_sqlite(engine):
        with engine.begin() as connection:
            yield connection
        return
    with _WRITE_LOCKS.setdefault(engine.url.database or '', threading.Lock()), engine.begin() as connection:
        yield connection


_WRITE_LOCKS: dict[str, threading.Lock] = {}  # per database file: the web's and the workers' engines share one


def _private_database_files(url: str) -> None:
    """The database file 0600 before SQLite opens it: SQLite gives its -wal and -shm files the database's mode.

    A folder that does not exist is not made here: a mistyped URL should fail as SQLite reports it.
    """
    database = sa.engine.make_url(url).database
    if not database or database == ':memory:' or database.startswith('file:'):
        return
    path = private_file(Path(database))
    for suffix in SQLITE_SIDE_FILES:  # left by an older version with the umask's mode
        private_file(path.with_name(path.name + suffix), create=False)


def _sqlite_pragmas(dbapi_connection, _record, *, lock_wait: float) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute('PRAGMA journal_mode=WAL')
    cursor.execute('PRAGMA synchronous=NORMAL')
    cursor.execute('PRAGMA foreign_keys=ON')
    cursor.execute(f'PRAGMA busy_timeout={int(lock_wait * 1000)}')
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

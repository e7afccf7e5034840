"""Test databases: a migrated SQLite file copied per test, and a real PostgreSQL when one is reachable."""

import os
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import SQLModel

import data.tables  # noqa: F401
from data.db import make_engine
from data.migrate import upgrade

POSTGRES_URL = os.environ.get('HYPERSIGIL_TEST_POSTGRES_URL', 'postgresql+psycopg://postgres@127.0.0.1:5432/test')
REQUIRE_POSTGRES = os.environ.get('HYPERSIGIL_TEST_REQUIRE_POSTGRES') == '1'
HOLD_LOCK = textwrap.dedent("""
    import sqlite3, sys, time
    connection = sqlite3.connect(sys.argv[1], isolation_level=None)
    connection.execute('BEGIN IMMEDIATE')  # the write lock, as any writer takes it
    print('locked', flush=True)
    time.sleep(float(sys.argv[2]))
    connection.execute('ROLLBACK')
""")


def postgres_reachable() -> str | None:
    """None when reachable, else the reason it is not."""
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={'connect_timeout': 2})
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as error:  # any failure means "not reachable"; the header prints why
        return str(error).splitlines()[0]


@contextmanager
def write_lock(sqlite_url: str, seconds: float) -> Iterator[float]:
    """Another process holds the SQLite database's write lock for `seconds`; yields the moment it took it."""
    database = sa.make_url(sqlite_url).database
    holder = subprocess.Popen([sys.executable, '-c', HOLD_LOCK, database, str(seconds)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == 'locked'
        yield time.monotonic()
    finally:
        holder.wait(timeout=seconds + 10)


class SqliteTemplate:
    """Migrate once, then hand each test its own copy of the file (much faster than migrating per test)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / 'template.db'
        engine = make_engine(f'sqlite:///{self.path}')
        upgrade(engine)
        with engine.connect() as connection:
            connection.exec_driver_sql('PRAGMA wal_checkpoint(TRUNCATE)')
        engine.dispose()

    def fresh_url(self, directory: Path) -> str:
        target = directory / f'{uuid.uuid4().hex}.db'
        shutil.copyfile(self.path, target)
        return f'sqlite:///{target}'


class PostgresDatabase:
    """A database of our own on the server, migrated once and emptied before each test."""

    def __init__(self) -> None:
        self.name = f'hs_test_{uuid.uuid4().hex[:12]}'
        admin = sa.create_engine(POSTGRES_URL, isolation_level='AUTOCOMMIT')
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE {self.name}')
        admin.dispose()
        self.url = str(sa.make_url(POSTGRES_URL).set(database=self.name).render_as_string(hide_password=False))
        engine = make_engine(self.url)
        upgrade(engine)
        engine.dispose()

    def fresh_url(self) -> str:
        engine = make_engine(self.url)
        tables = ', '.join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.exec_driver_sql(f'TRUNCATE {tables} CASCADE')
        engine.dispose()
        return self.url

    def drop(self) -> None:
        admin = sa.create_engine(POSTGRES_URL, isolation_level='AUTOCOMMIT')
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS {self.name} WITH (FORCE)')
        admin.dispose()

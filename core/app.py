"""The core's shared parts, built once per process and handed to every service."""

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm
from sqlmodel import Session

from core.errors import DatabaseBusy
from core.events import EventBus
from core.providers.registry import ProviderRegistry
from core.secrets import SecretBox, load_secret_key
from core.settings import Settings
from data.db import LOCK_WAIT_SECONDS, is_sqlite, make_engine, session_scope
from data.migrate import upgrade
from data.private import private_dir
from data.tables import utcnow  # importing data.tables defines the models whose mappers build_core configures

# requests and pages answer "database busy" rather than queue up behind another process's write lock (SQLite)
WEB_LOCK_WAIT_SECONDS = 0.5


@dataclass
class Core:
    settings: Settings
    db: sa.Engine  # the SQLAlchemy engine (core.engine is the execution engine package)
    box: SecretBox
    registry: ProviderRegistry
    bus: EventBus = field(default_factory=EventBus)
    clock: Callable[[], datetime] = utcnow  # the time that rate limits read: a test moves it rather than sleep

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.db) as session:
            yield session


def build_core(settings: Settings, *, migrate: bool = True, lock_wait: float = LOCK_WAIT_SECONDS) -> Core:
    """The core of one process; `lock_wait` is how long its SQLite statements wait for another writer's lock."""
    private_dir(settings.data_dir)  # the secret key and the dashboard's per-browser storage live here, whatever the database
    if migrate:
        migrating = make_engine(settings.database_url)  # waits out a lock: instances starting together migrate in turn
        upgrade(migrating)
        migrating.dispose()
    db = _engine(settings.database_url, lock_wait)
    # the ORM's mappers are configured by its first query, and reading a model's attribute before that fails: a fresh
    # process whose first request builds a model without a query answered 500 (issue 9, item 2)
    sa.orm.configure_mappers()
    box = SecretBox(load_secret_key(settings))
    return Core(settings=settings, db=db, box=box, registry=ProviderRegistry(settings=settings, db=db, box=box))


def worker_core(core: Core) -> Core:
    """The same core (settings, bus, registry) for a worker in the web process, waiting out write locks as long as a
    worker process does: a worker's statement that gives up only comes back later."""
    if not is_sqlite(core.db):
        return core
    return replace(core, db=_engine(core.settings.database_url, LOCK_WAIT_SECONDS))


def _engine(url: str, lock_wait: float) -> sa.Engine:
    engine = make_engine(url, lock_wait=lock_wait)
    sa.event.listen(engine, 'handle_error', _report_busy)
    return engine


def _report_busy(context: sa.engine.ExceptionContext) -> None:
    """SQLite's "database is locked" (a writer held its lock past our wait) as the DatabaseBusy a caller can show."""
    error = context.original_exception
    if isinstance(error, sqlite3.OperationalError) and getattr(error, 'sqlite_errorname', '').startswith('SQLITE_BUSY'):
        raise DatabaseBusy('the database is busy (another process is writing to it); try again in a moment') from error

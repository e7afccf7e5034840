"""The core's shared parts, built once per process and handed to every service."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session

from core.events import EventBus
from core.providers.registry import ProviderRegistry
from core.secrets import SecretBox, load_secret_key
from core.settings import Settings
from data.db import make_engine, session_scope
from data.migrate import upgrade
from data.private import private_dir


@dataclass
class Core:
    settings: Settings
    db: sa.Engine  # the SQLAlchemy engine (core.engine is the execution engine package)
    box: SecretBox
    registry: ProviderRegistry
    bus: EventBus = field(default_factory=EventBus)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.db) as session:
            yield session


def build_core(settings: Settings, *, migrate: bool = True) -> Core:
    private_dir(settings.data_dir)  # the secret key and the dashboard's per-browser storage live here, whatever the database
    db = make_engine(settings.database_url)
    if migrate:
        upgrade(db)
    box = SecretBox(load_secret_key(settings))
    return Core(settings=settings, db=db, box=box, registry=ProviderRegistry(settings=settings, db=db, box=box))

"""Alembic environment: runs on the connection data.migrate hands over (or the configured URL)."""

from alembic import context
from sqlmodel import SQLModel

import data.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from data.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    connection = config.attributes.get('connection')
    if connection is None:
        with make_engine(config.get_main_option('sqlalchemy.url')).connect() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == 'sqlite',
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()

"""Apply Alembic migrations; called at start, by `python main.py migrate`, and by the tests."""

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / 'migrations'


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option('script_location', str(MIGRATIONS))
    if url:
        config.set_main_option('sqlalchemy.url', url)
    return config


def upgrade(engine: sa.Engine) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == 'postgresql':
            # several instances may start together; one migrates at a time
            connection.execute(sa.text('SELECT pg_advisory_xact_lock(7193514)'))
        config.attributes['connection'] = connection
        command.upgrade(config, 'head')

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from data.tables import Prompt


def test_migrations_create_every_table(engine):
    names = set(sa.inspect(engine).get_table_names())
    assert {'prompt', 'prompt_version', 'deployment', 'deployment_revision', 'execution', 'api_key', 'app_user'} <= names


def test_prompt_names_are_unique_in_the_database(engine):
    with Session(engine) as session:
        session.add(Prompt(name='greeter'))
        session.commit()
    with Session(engine) as session, pytest.raises(sa.exc.IntegrityError):
        session.add(Prompt(name='greeter'))
        session.commit()


def test_migrations_match_the_tables(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={'include_name': _outside_the_tables})
        assert compare_metadata(context, SQLModel.metadata) == []


def _outside_the_tables(name, type_, _parents) -> bool:
    """The executions' search index (migration 0005) is SQL of each database's own, not part of the SQLModel tables."""
    return not (name or '').startswith(('execution_search', 'ix_execution_search'))

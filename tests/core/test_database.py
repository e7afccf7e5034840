import pytest
import sqlalchemy as sa
from sqlmodel import Session

from data.tables import Execution, ExecutionAttempt, Prompt, utcnow


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


def test_migration_0013_adds_the_attempts_table_and_takes_it_away_again(engine):
    from alembic import command

    from data.migrate import alembic_config, upgrade

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes['connection'] = connection
        command.downgrade(config, '0012')
    assert 'execution_attempt' not in sa.inspect(engine).get_table_names()
    upgrade(engine)
    assert 'execution_attempt' in sa.inspect(engine).get_table_names()
    test_migrations_match_the_tables(engine)


def test_an_executions_attempts_go_with_it(engine):
    with Session(engine) as session:
        execution = Execution(provider='openai', model='gpt-4o-mini', user_input='hi')
        session.add(execution)
        session.flush()
        moment = utcnow()
        session.add(
            ExecutionAttempt(
                execution_id=execution.id, number=1, started_at=moment, completed_at=moment, duration_ms=0, outcome='failed'
            )
        )
        session.commit()
    with engine.begin() as connection:
        connection.execute(sa.delete(Execution.__table__))
        assert connection.execute(sa.select(sa.func.count()).select_from(ExecutionAttempt.__table__)).scalar() == 0


def _outside_the_tables(name, type_, _parents) -> bool:
    """The executions' search index (migrations 0009, 0012) is SQL of each database's own, not part of the SQLModel tables."""
    return not (name or '').startswith(('execution_search', 'ix_execution_search'))


@pytest.mark.parametrize('transaction', ['write_transaction', 'begin'])
def test_one_process_writers_take_turns_instead_of_timing_out_on_sqlite(sqlite_url, transaction):
    """Eight threads each hold the write lock for 0.1 s under a 0.5 s lock wait: SQLite's own busy handler lets the
    last ones time out (what a web process answered 503); the process's lock queues them all."""
    import threading
    import time

    from data.db import make_engine, write_transaction

    engine = make_engine(sqlite_url, lock_wait=0.5)
    with engine.begin() as connection:
        connection.exec_driver_sql('CREATE TABLE turns (n INTEGER)')
    begin = write_transaction if transaction == 'write_transaction' else sa.Engine.begin
    failures = []

    def write(n: int) -> None:
        try:
            with begin(engine) as connection:
                connection.exec_driver_sql(f'INSERT INTO turns VALUES ({n})')
                time.sleep(0.1)
        except sa.exc.OperationalError as error:
            failures.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as connection:
        written = connection.exec_driver_sql('SELECT count(*) FROM turns').scalar_one()
    engine.dispose()
    if transaction == 'write_transaction':
        assert (failures, written) == ([], 8)
    else:  # the contrast that shows the lock matters: without it some writers time out
        assert failures and written == 8 - len(failures)

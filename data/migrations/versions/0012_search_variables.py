"""full-text search over executions covers their variables too (a run's input is its userInput and its variables)

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# core/execution_filters.py matches against exactly these expressions; each part is cut at 50,000 characters
SQLITE_BODY = (
    "substr(coalesce({row}.user_input, ''), 1, 50000) || ' ' || substr(coalesce(CAST({row}.variables AS TEXT), ''), 1, 50000)"
    " || ' ' || substr(coalesce({row}.result, ''), 1, 50000)"
)
POSTGRES_VECTOR = (
    "to_tsvector('simple'::regconfig, left(coalesce(user_input, ''), 50000) || ' ' || "
    "left(coalesce(variables::text, ''), 50000) || ' ' || left(coalesce(result, ''), 50000))"
)
# as migration 0009 left them
OLD_SQLITE_BODY = "substr(coalesce({row}.user_input, ''), 1, 50000) || ' ' || substr(coalesce({row}.result, ''), 1, 50000)"
OLD_POSTGRES_VECTOR = (
    "to_tsvector('simple'::regconfig, left(coalesce(user_input, ''), 50000) || ' ' || left(coalesce(result, ''), 50000))"
)
TRIGGERS = ('execution_search_insert', 'execution_search_update', 'execution_search_delete')


def upgrade() -> None:
    _index(SQLITE_BODY, POSTGRES_VECTOR, updated_columns='user_input, variables, result')


def downgrade() -> None:
    _index(OLD_SQLITE_BODY, OLD_POSTGRES_VECTOR, updated_columns='user_input, result')


def _index(sqlite_body: str, postgres_vector: str, *, updated_columns: str) -> None:
    """Build the search index anew over `sqlite_body` / `postgres_vector`, for every execution there is."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_execution_search')
        op.execute(f'CREATE INDEX ix_execution_search ON execution USING gin ({postgres_vector})')
        return
    for trigger in TRIGGERS:
        op.execute(f'DROP TRIGGER IF EXISTS {trigger}')
    op.execute('DELETE FROM execution_search')
    op.execute(
        f'INSERT INTO execution_search (rowid, body, execution_id) SELECT rowid, {sqlite_body.format(row="execution")}, id '
        'FROM execution'
    )
    new_entry = f'INSERT OR REPLACE INTO execution_search (rowid, body, execution_id) VALUES (new.rowid, {sqlite_body.format(row="new")}, new.id);'
    op.execute(f'CREATE TRIGGER execution_search_insert AFTER INSERT ON execution BEGIN {new_entry} END')
    op.execute(f'CREATE TRIGGER execution_search_update AFTER UPDATE OF {updated_columns} ON execution BEGIN {new_entry} END')
    op.execute(
        'CREATE TRIGGER execution_search_delete AFTER DELETE ON execution BEGIN '
        'DELETE FROM execution_search WHERE rowid = old.rowid; END'
    )

"""full-text search over executions' input and result: FTS5 on SQLite, a GIN tsvector index on PostgreSQL

Both cover the first 50,000 characters of the input and of the result (a tsvector holds at most 1 MB), and both split
words on anything but letters and digits, without stemming, so a search finds the same rows on either database.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# core/execution_filters.py matches against exactly these expressions
SQLITE_BODY = "substr(coalesce({row}.user_input, ''), 1, 50000) || ' ' || substr(coalesce({row}.result, ''), 1, 50000)"
POSTGRES_VECTOR = (
    "to_tsvector('simple'::regconfig, left(coalesce(user_input, ''), 50000) || ' ' || left(coalesce(result, ''), 50000))"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'CREATE INDEX ix_execution_search ON execution USING gin ({POSTGRES_VECTOR})')
        return
    # its own copy of the text (SQLite 3.40 has no contentless delete), kept in step by triggers: an entry shares the
    # execution's rowid and names its id, which searches match on. A VACUUM may renumber an execution's rowid (the
    # table has no integer key); REPLACE keeps a trigger from failing on a taken rowid, and searches stay by id
    op.execute(
        "CREATE VIRTUAL TABLE execution_search USING fts5(body, execution_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 0')"
    )
    op.execute(
        'INSERT INTO execution_search (rowid, body, execution_id) '
        f'SELECT rowid, {SQLITE_BODY.format(row="execution")}, id FROM execution'
    )
    op.execute(f"""
        CREATE TRIGGER execution_search_insert AFTER INSERT ON execution BEGIN
            INSERT OR REPLACE INTO execution_search (rowid, body, execution_id) VALUES (new.rowid, {SQLITE_BODY.format(row='new')}, new.id);
        END
    """)
    op.execute(f"""
        CREATE TRIGGER execution_search_update AFTER UPDATE OF user_input, result ON execution BEGIN
            INSERT OR REPLACE INTO execution_search (rowid, body, execution_id) VALUES (new.rowid, {SQLITE_BODY.format(row='new')}, new.id);
        END
    """)
    op.execute("""
        CREATE TRIGGER execution_search_delete AFTER DELETE ON execution BEGIN
            DELETE FROM execution_search WHERE rowid = old.rowid;
        END
    """)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_execution_search')
        return
    for trigger in ('execution_search_insert', 'execution_search_update', 'execution_search_delete'):
        op.execute(f'DROP TRIGGER IF EXISTS {trigger}')
    op.execute('DROP TABLE IF EXISTS execution_search')

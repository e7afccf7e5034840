"""execution notifications (PostgreSQL): new and cancelled executions wake listening workers at once

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

CHANNEL = 'hypersigil_executions'  # core/engine/notify.py listens here


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return  # SQLite has no notifications: workers in other processes find new rows by polling
    op.execute(f"""
        CREATE FUNCTION hypersigil_execution_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                PERFORM pg_notify('{CHANNEL}', 'created ' || NEW.provider);
            ELSE
                PERFORM pg_notify('{CHANNEL}', 'cancelled ' || NEW.id);
            END IF;
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER execution_created AFTER INSERT ON execution
        FOR EACH ROW EXECUTE FUNCTION hypersigil_execution_notify()
    """)
    op.execute("""
        CREATE TRIGGER execution_cancelled AFTER UPDATE OF status ON execution
        FOR EACH ROW WHEN (NEW.status = 'cancelled' AND OLD.status <> 'cancelled')
        EXECUTE FUNCTION hypersigil_execution_notify()
    """)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('DROP TRIGGER IF EXISTS execution_cancelled ON execution')
    op.execute('DROP TRIGGER IF EXISTS execution_created ON execution')
    op.execute('DROP FUNCTION IF EXISTS hypersigil_execution_notify()')

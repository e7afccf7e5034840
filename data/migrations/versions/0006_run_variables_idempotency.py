"""runs' variables and idempotency keys: execution.variables, and the idempotency_key table (one row per API key and key)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('execution') as batch_op:
        batch_op.add_column(sa.Column('variables', sa.JSON(), nullable=True))
    op.create_table(
        'idempotency_key',
        sa.Column('api_key_id', sa.String(length=36), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('request_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('execution_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['api_key_id'], ['api_key.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('api_key_id', 'key'),
    )
    op.create_index('ix_idempotency_key_created_at', 'idempotency_key', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_idempotency_key_created_at', table_name='idempotency_key')
    op.drop_table('idempotency_key')
    with op.batch_alter_table('execution') as batch_op:
        batch_op.drop_column('variables')

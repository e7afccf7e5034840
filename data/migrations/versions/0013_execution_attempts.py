"""execution attempts: each provider call of an execution (started, ended, how long, how it ended), retries included

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'execution_attempt',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('execution_id', sa.String(length=36), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('completed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('duration_ms', sa.Integer(), nullable=False),
        sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('http_status', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['execution_id'], ['execution.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('execution_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_execution_attempt_execution_id'), ['execution_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('execution_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_execution_attempt_execution_id'))

    op.drop_table('execution_attempt')

"""rollouts: the rollout table, the revision/rollout/arm/cost of each execution, and covering indexes for metrics

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('running', 'paused')")
SERVED_BY_ROLLOUT = sa.text('rollout_id IS NOT NULL')
METRICS_COLUMNS = [
    'deployment_id', 'created_at', 'status', 'revision', 'duration_ms', 'input_tokens', 'output_tokens', 'cost_usd',
]  # fmt: skip
ROLLOUT_COLUMNS = ['rollout_id', 'created_at', 'arm', 'status', 'result_valid', 'duration_ms']


def upgrade() -> None:
    op.create_table(
        'rollout',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('deployment_id', sa.String(length=36), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('stage', sa.Integer(), nullable=False),
        sa.Column('percent', sa.Integer(), nullable=False),
        sa.Column('settings', sa.JSON(), nullable=False),
        sa.Column('stable_revision', sa.Integer(), nullable=False),
        sa.Column('candidate_revision', sa.Integer(), nullable=False),
        sa.Column('candidate', sa.JSON(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('history', sa.JSON(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('stage_started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('guarded_since', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['deployment_id'], ['deployment.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_rollout_deployment_id', 'rollout', ['deployment_id'])
    op.create_index('ix_rollout_started_at', 'rollout', ['started_at'])
    op.create_index(
        'ix_rollout_active', 'rollout', ['deployment_id'], unique=True, sqlite_where=ACTIVE, postgresql_where=ACTIVE
    )
    with op.batch_alter_table('execution') as batch_op:
        batch_op.add_column(sa.Column('rollout_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.add_column(sa.Column('arm', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True))
        batch_op.add_column(sa.Column('cost_usd', sa.Float(), nullable=True))
    op.drop_index('ix_execution_deployment_created', table_name='execution')
    op.create_index('ix_execution_deployment_metrics', 'execution', METRICS_COLUMNS)
    op.create_index(
        'ix_execution_rollout', 'execution', ROLLOUT_COLUMNS,
        sqlite_where=SERVED_BY_ROLLOUT, postgresql_where=SERVED_BY_ROLLOUT,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index('ix_execution_rollout', table_name='execution')
    op.drop_index('ix_execution_deployment_metrics', table_name='execution')
    op.create_index('ix_execution_deployment_created', 'execution', ['deployment_id', 'created_at'])
    with op.batch_alter_table('execution') as batch_op:
        batch_op.drop_column('cost_usd')
        batch_op.drop_column('arm')
        batch_op.drop_column('rollout_id')
    op.drop_index('ix_rollout_active', table_name='rollout')
    op.drop_index('ix_rollout_started_at', table_name='rollout')
    op.drop_index('ix_rollout_deployment_id', table_name='rollout')
    op.drop_table('rollout')

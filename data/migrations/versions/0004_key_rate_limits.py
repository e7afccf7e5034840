"""per-key rate limits: requestsPerMinute and concurrentRuns on API keys, the request quota's state, runs in flight per key

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_key') as batch_op:
        batch_op.add_column(sa.Column('requests_per_minute', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('concurrent_runs', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('request_quota_tat', sa.BigInteger(), nullable=True))
    op.create_index('ix_execution_api_key_status', 'execution', ['api_key_id', 'status'])


def downgrade() -> None:
    op.drop_index('ix_execution_api_key_status', table_name='execution')
    with op.batch_alter_table('api_key') as batch_op:
        batch_op.drop_column('request_quota_tat')
        batch_op.drop_column('concurrent_runs')
        batch_op.drop_column('requests_per_minute')

"""refused run requests: the newest 1,000 per deployment, shown on its page

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'refused_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('deployment_id', sa.String(length=36), nullable=True),
        sa.Column('deployment_ref', AutoString(length=200), nullable=False),
        sa.Column('api_key_id', AutoString(length=36), nullable=True),
        sa.Column('key_name', AutoString(length=200), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['deployment_id'], ['deployment.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_refused_run_deployment_id', 'refused_run', ['deployment_id', 'id'])
    op.create_index('ix_refused_run_created_at', 'refused_run', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_refused_run_created_at', table_name='refused_run')
    op.drop_index('ix_refused_run_deployment_id', table_name='refused_run')
    op.drop_table('refused_run')

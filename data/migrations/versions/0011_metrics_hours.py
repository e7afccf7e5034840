"""metrics hours: each closed hour of a deployment's runs rolled up once, so charts over weeks read hours, not runs

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'metrics_hour',
        sa.Column('deployment_id', sa.String(length=36), nullable=False),
        sa.Column('hour', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.Column('durations', sa.LargeBinary(), nullable=False),
        sa.Column('final', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['deployment_id'], ['deployment.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('deployment_id', 'hour'),
    )


def downgrade() -> None:
    op.drop_table('metrics_hour')

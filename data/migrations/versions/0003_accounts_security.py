"""accounts security: database-backed sign-in sessions, sign-in throttling, first-run setup tokens, API keys' creators

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

KEY_CREATOR = 'fk_api_key_created_by_user_id_app_user'


def upgrade() -> None:
    op.create_table(
        'setup_token',
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('token_hash'),
    )
    op.create_table(
        'sign_in_throttle',
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failure_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('blocked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_index('ix_sign_in_throttle_last_failure_at', 'sign_in_throttle', ['last_failure_at'])
    op.create_table(
        'user_session',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('user_id', sa.String(length=36), nullable=False),
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('ticket_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('ticket_hash'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_user_session_expires_at', 'user_session', ['expires_at'])
    op.create_index('ix_user_session_user_id', 'user_session', ['user_id'])
    with op.batch_alter_table('api_key') as batch_op:
        batch_op.add_column(sa.Column('created_by_user_id', sa.String(length=36), nullable=True))
        batch_op.create_index('ix_api_key_created_by_user_id', ['created_by_user_id'])
        batch_op.create_foreign_key(KEY_CREATOR, 'app_user', ['created_by_user_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('api_key') as batch_op:
        batch_op.drop_constraint(KEY_CREATOR, type_='foreignkey')
        batch_op.drop_index('ix_api_key_created_by_user_id')
        batch_op.drop_column('created_by_user_id')
    op.drop_table('user_session')
    op.drop_table('sign_in_throttle')
    op.drop_table('setup_token')

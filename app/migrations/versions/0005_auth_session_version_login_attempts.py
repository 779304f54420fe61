"""users.session_version (sign-out invalidates every session) and login_attempts (throttling)

Revision ID: 0005_auth
Revises: 0004_job_leases
Create Date: 2026-11-23 09:00:00
"""

from alembic import op
import sqlalchemy as sa
import app.db

revision = '0005_auth'
down_revision = '0004_job_leases'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('at', app.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_login_attempts_key_at', 'login_attempts', ['key', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_login_attempts_key_at', table_name='login_attempts')
    op.drop_table('login_attempts')
    op.drop_column('users', 'session_version')

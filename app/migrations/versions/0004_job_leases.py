"""job leases: locked_by, lease_until, updated_at; indexes for claiming

Revision ID: 0004_job_leases
Revises: 0003
Create Date: 2026-11-23 09:00:00
"""

from alembic import op
import sqlalchemy as sa
import app.db

revision = '0004_job_leases'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('lease_until', app.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', app.db.UTCDateTime(), nullable=True))
        batch_op.drop_index('ix_jobs_state')
        batch_op.create_index('ix_jobs_state_run_after', ['state', 'run_after'], unique=False)
        batch_op.create_index('ix_jobs_state_lease_until', ['state', 'lease_until'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_state_lease_until')
        batch_op.drop_index('ix_jobs_state_run_after')
        batch_op.create_index('ix_jobs_state', ['state'], unique=False)
        batch_op.drop_column('updated_at')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('locked_by')

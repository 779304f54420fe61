"""usage: COUNTER usage events (hashed sessions) and monthly counts

Revision ID: 0015_usage
Revises: 0014_desk
Create Date: 2026-11-29 22:10:00
"""

from alembic import op
import sqlalchemy as sa
import app.db

revision = "0015_usage"
down_revision = "0014_desk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('usage_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.String(length=32), nullable=False),
    sa.Column('metric', sa.String(length=16), nullable=False),
    sa.Column('at', app.db.UTCDateTime(), nullable=False),
    sa.Column('user_key', sa.String(length=64), nullable=False),
    sa.Column('session_key', sa.String(length=64), nullable=False),
    sa.Column('access_method', sa.String(length=8), nullable=False),
    sa.Column('robot', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_usage_events_at', 'usage_events', ['at'], unique=False)
    op.create_index('ix_usage_events_record_at', 'usage_events', ['record_id', 'at'], unique=False)
    op.create_table('usage_counts',
    sa.Column('record_id', sa.String(length=32), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('access_method', sa.String(length=8), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('record_id', 'month', 'access_method', 'metric')
    )


def downgrade() -> None:
    op.drop_table('usage_counts')
    op.drop_index('ix_usage_events_record_at', table_name='usage_events')
    op.drop_index('ix_usage_events_at', table_name='usage_events')
    op.drop_table('usage_events')

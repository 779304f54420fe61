"""uploads: resumable (tus) uploads in progress

Revision ID: 0011_uploads
Revises: 0010_search
Create Date: 2026-11-29 20:00:00
"""

from alembic import op
import sqlalchemy as sa
import app.db

revision = '0011_uploads'
down_revision = '0010_search'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('uploads',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('length', sa.BigInteger(), nullable=False),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id']),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_uploads_expires_at'), 'uploads', ['expires_at'], unique=False)
    op.create_index(op.f('ix_uploads_owner_id'), 'uploads', ['owner_id'], unique=False)
    op.create_index(op.f('ix_uploads_record_id'), 'uploads', ['record_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_uploads_record_id'), table_name='uploads')
    op.drop_index(op.f('ix_uploads_owner_id'), table_name='uploads')
    op.drop_index(op.f('ix_uploads_expires_at'), table_name='uploads')
    op.drop_table('uploads')

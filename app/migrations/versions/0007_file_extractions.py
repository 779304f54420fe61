"""file extractions: metadata proposed from uploaded files

Revision ID: 0007_file_extractions
Revises: 0006_doi
Create Date: 2026-12-01 09:00:00
"""

from alembic import op
import sqlalchemy as sa
import app.db
from sqlalchemy.dialects import postgresql

revision = '0007_file_extractions'
down_revision = '0006_doi'
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('file_extractions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('object_sha256', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('fragment', JSONType, nullable=False),
    sa.Column('sources', JSONType, nullable=False),
    sa.Column('details', JSONType, nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('record_id', 'key', 'object_sha256', name='uq_file_extractions_file')
    )


def downgrade() -> None:
    op.drop_table('file_extractions')

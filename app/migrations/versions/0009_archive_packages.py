"""archive packages, copies, fixity checks, archived objects (preservation)

Revision ID: 0009_archive
Revises: 0008_oai_item_outputs
Create Date: 2026-11-29 20:00:00
"""

from alembic import op
import sqlalchemy as sa
import app.db
from sqlalchemy.dialects import postgresql

revision = '0009_archive'
down_revision = '0008_oai_item_outputs'
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('archive_packages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('record_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('files', JSONType, nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_index('ix_archive_packages_record_id', 'archive_packages', ['record_id'], unique=False)
    op.create_table('archive_copies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('package_id', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('last_checked_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('last_ok_at', app.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['package_id'], ['archive_packages.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('package_id', 'location', name='uq_archive_copies_location')
    )
    op.create_index('ix_archive_copies_last_checked', 'archive_copies', ['last_checked_at'], unique=False)
    op.create_table('fixity_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('copy_id', sa.Integer(), nullable=False),
    sa.Column('checked_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('details', JSONType, nullable=False),
    sa.Column('bytes_read', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['copy_id'], ['archive_copies.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_fixity_checks_copy_id', 'fixity_checks', ['copy_id'], unique=False)
    op.create_table('archived_objects',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('package_name', sa.String(length=100), nullable=False),
    sa.Column('path', sa.String(length=1000), nullable=False),
    sa.PrimaryKeyConstraint('sha256')
    )


def downgrade() -> None:
    op.drop_table('archived_objects')
    op.drop_index('ix_fixity_checks_copy_id', table_name='fixity_checks')
    op.drop_table('fixity_checks')
    op.drop_index('ix_archive_copies_last_checked', table_name='archive_copies')
    op.drop_table('archive_copies')
    op.drop_index('ix_archive_packages_record_id', table_name='archive_packages')
    op.drop_table('archive_packages')

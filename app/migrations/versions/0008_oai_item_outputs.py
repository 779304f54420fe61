"""oai items: digest of each disseminated payload (writer upgrades reach harvesters)

Revision ID: 0008_oai_item_outputs
Revises: 0007_file_extractions
Create Date: 2026-11-29 20:00:00

Items written before this revision have no digests: the first `alluvium oai sync` after the
upgrade moves their datestamps once (docs/operations.md, "Upgrading").
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0008_oai_item_outputs'
down_revision = '0007_file_extractions'
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.add_column('oai_items', sa.Column('outputs', JSONType, nullable=True))


def downgrade() -> None:
    op.drop_column('oai_items', 'outputs')

"""search index: entries, facets, boxes; FTS5 + R*Tree (SQLite), tsvector + GiST (PostgreSQL)

Revision ID: 0010_search
Revises: 0009_archive
Create Date: 2026-11-29 20:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.search import schema

revision = '0010_search'
down_revision = '0009_archive'
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('search_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.String(length=32), nullable=False),
    sa.Column('parent_id', sa.String(length=32), nullable=False),
    sa.Column('latest', sa.Boolean(), nullable=False),
    sa.Column('published', sa.String(length=10), nullable=True),
    sa.Column('title_sort', sa.String(length=200), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('keywords', sa.Text(), nullable=False),
    sa.Column('creators', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('time_start', sa.String(length=10), nullable=True),
    sa.Column('time_end', sa.String(length=10), nullable=True),
    sa.Column('display', JSONType, nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('record_id')
    )
    op.create_index('ix_search_entries_parent_id', 'search_entries', ['parent_id'], unique=False)
    op.create_index('ix_search_entries_latest_published', 'search_entries', ['latest', 'published', 'id'], unique=False)
    op.create_index('ix_search_entries_latest_title', 'search_entries', ['latest', 'title_sort', 'id'], unique=False)
    op.create_index('ix_search_entries_time', 'search_entries', ['time_start', 'time_end'], unique=False)
    op.create_table('search_facets',
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('facet', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['search_entries.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', 'facet', 'value')
    )
    op.create_index('ix_search_facets_value', 'search_facets', ['facet', 'value', 'entry_id'], unique=False)
    op.create_table('search_boxes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('west', sa.Float(), nullable=False),
    sa.Column('south', sa.Float(), nullable=False),
    sa.Column('east', sa.Float(), nullable=False),
    sa.Column('north', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['search_entries.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_search_boxes_entry_id', 'search_boxes', ['entry_id'], unique=False)
    schema.create(op.get_bind())
    # Existing published records are indexed by `alluvium search reindex` (docs/search.md).


def downgrade() -> None:
    schema.drop(op.get_bind())
    op.drop_index('ix_search_boxes_entry_id', table_name='search_boxes')
    op.drop_table('search_boxes')
    op.drop_index('ix_search_facets_value', table_name='search_facets')
    op.drop_table('search_facets')
    op.drop_index('ix_search_entries_time', table_name='search_entries')
    op.drop_index('ix_search_entries_latest_title', table_name='search_entries')
    op.drop_index('ix_search_entries_latest_published', table_name='search_entries')
    op.drop_index('ix_search_entries_parent_id', table_name='search_entries')
    op.drop_table('search_entries')

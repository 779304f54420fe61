"""search: precomputed facet counts for query-less searches; '' instead of NULL dates

Revision ID: 0016_hsearch
Revises: 0015_usage
Create Date: 2026-11-29 22:10:00
"""

import sqlalchemy as sa
from alembic import op

from app.search.interface import FACETS

revision = "0016_hsearch"
down_revision = "0015_usage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('search_facet_counts',
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('facet', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=300), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'facet', 'value')
    )
    op.create_index('ix_search_facet_counts_top', 'search_facet_counts', ['scope', 'facet', 'n'], unique=False)
    # The sort key must be a plain column for the (latest, published, id) index to serve the
    # page query: no NULL to COALESCE (the indexer now writes '').
    op.execute("UPDATE search_entries SET published = '' WHERE published IS NULL")
    # Counts of what is already indexed (the indexer keeps them in step from now on).
    facets = ", ".join(f"'{f}'" for f in FACETS)
    op.execute(
        "INSERT INTO search_facet_counts (scope, facet, value, n) "
        "SELECT 'all', '', '', count(*) FROM search_entries UNION ALL "
        "SELECT 'latest', '', '', count(*) FROM search_entries WHERE latest = " + _true() + " UNION ALL "
        "SELECT 'all', f.facet, f.value, count(*) FROM search_facets f "
        f"WHERE f.facet IN ({facets}) GROUP BY f.facet, f.value UNION ALL "
        "SELECT 'latest', f.facet, f.value, count(*) FROM search_facets f JOIN search_entries e "
        f"ON e.id = f.entry_id WHERE e.latest = {_true()} AND f.facet IN ({facets}) GROUP BY f.facet, f.value"
    )


def _true() -> str:
    return "true" if op.get_bind().dialect.name == "postgresql" else "1"


def downgrade() -> None:
    op.drop_index('ix_search_facet_counts_top', table_name='search_facet_counts')
    op.drop_table('search_facet_counts')

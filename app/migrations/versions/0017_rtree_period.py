"""search: the SQLite R*Tree gets the period as a third dimension and the entry id beside each box

A box + period search is then answered by the R*Tree alone: before, every box candidate's
entry row was read to test the period (bench/README.md, "Search"). PostgreSQL: nothing to do
(its boxes are a GiST index on ``search_boxes``).

Revision ID: 0017_rtree_period
Revises: 0016_hsearch
Create Date: 2026-11-30 02:30:00
"""

from alembic import op

revision = "0017_rtree_period"
down_revision = "0016_hsearch"
branch_labels = None
depends_on = None

# app.search.interface.day_key in SQL (frozen here: a migration must not change with the code).
_KEY = (
    "CAST(substr({d}, 1, 4) AS INTEGER) * 372 + (CAST(substr({d}, 6, 2) AS INTEGER) - 1) * 31 "
    "+ CAST(substr({d}, 9, 2) AS INTEGER) - 1"
)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    if not _sqlite():
        return
    op.execute("DROP TABLE IF EXISTS search_rtree")
    op.execute(
        "CREATE VIRTUAL TABLE search_rtree USING rtree(id, min_x, max_x, min_y, max_y, min_t, max_t, +entry_id)"
    )
    start, end = _KEY.format(d="e.time_start"), _KEY.format(d="e.time_end")
    op.execute(
        "INSERT INTO search_rtree (id, min_x, max_x, min_y, max_y, min_t, max_t, entry_id) "
        f"SELECT b.id, b.west, b.east, b.south, b.north, coalesce({start}, -1), coalesce({end}, -1), b.entry_id "
        "FROM search_boxes b JOIN search_entries e ON e.id = b.entry_id"
    )


def downgrade() -> None:
    if not _sqlite():
        return
    op.execute("DROP TABLE IF EXISTS search_rtree")
    op.execute("CREATE VIRTUAL TABLE search_rtree USING rtree(id, min_x, max_x, min_y, max_y)")
    op.execute(
        "INSERT INTO search_rtree (id, min_x, max_x, min_y, max_y) SELECT id, west, east, south, north FROM search_boxes"
    )

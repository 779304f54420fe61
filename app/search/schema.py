"""Dialect-specific parts of the embedded search index, created by migration 0010_search.

SQLAlchemy models cannot describe an FTS5 or R*Tree virtual table, a ``tsvector`` column
filled by ``UPDATE`` or an expression GiST index; they are created here and hidden from
Alembic's autogenerate (:func:`include_object`), so the model/migration check stays meaningful
for everything else.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

# Longitude, latitude and the entry's period (``interface.day_key`` of its hull; NO_PERIOD on
# both sides without one), with the entry id beside each box: a box + period search is answered
# by the R*Tree alone, no entry row read for a candidate outside the period (migration
# 0017_rtree_period; bench/README.md, "Search").
SQLITE_RTREE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_rtree USING rtree("
    "id, min_x, max_x, min_y, max_y, min_t, max_t, +entry_id)"
)
SQLITE_DDL = (
    # unicode61 with remove_diacritics 2 folds accents: "temperature" finds "Température".
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    "title, keywords, creators, body, tokenize = 'unicode61 remove_diacritics 2')",
    SQLITE_RTREE,
)
SQLITE_DROP = ("DROP TABLE IF EXISTS search_fts", "DROP TABLE IF EXISTS search_rtree")

POSTGRES_DDL = (
    # unaccent may need a superuser: without it, search still works, accents are not folded
    # (docs/search.md, "PostgreSQL without unaccent").
    "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS unaccent; "
    "EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'unaccent unavailable: %%', SQLERRM; END $$",
    "ALTER TABLE search_entries ADD COLUMN IF NOT EXISTS tsv tsvector",
    "CREATE INDEX IF NOT EXISTS ix_search_entries_tsv ON search_entries USING gin (tsv)",
    "CREATE INDEX IF NOT EXISTS ix_search_boxes_gist ON search_boxes "
    "USING gist (box(point(west, south), point(east, north)))",
)
POSTGRES_DROP = (
    "DROP INDEX IF EXISTS ix_search_boxes_gist",
    "DROP INDEX IF EXISTS ix_search_entries_tsv",
    "ALTER TABLE search_entries DROP COLUMN IF EXISTS tsv",
)

_IGNORED_PREFIXES = ("search_fts", "search_rtree")
_IGNORED_INDEXES = frozenset({"ix_search_entries_tsv", "ix_search_boxes_gist"})


def create(conn: Connection) -> None:
    # exec_driver_sql without parameters: psycopg still reads "%" as a placeholder, hence "%%".
    for statement in SQLITE_DDL if conn.dialect.name == "sqlite" else POSTGRES_DDL:
        conn.exec_driver_sql(statement)


def drop(conn: Connection) -> None:
    for statement in SQLITE_DROP if conn.dialect.name == "sqlite" else POSTGRES_DROP:
        conn.exec_driver_sql(statement)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic ``include_object`` hook: skip the objects :func:`create` makes."""
    if type_ == "table" and name and name.startswith(_IGNORED_PREFIXES):
        return False
    if type_ == "index" and name in _IGNORED_INDEXES:
        return False
    if type_ == "column" and name == "tsv" and getattr(obj, "table", None) is not None:
        return obj.table.name != "search_entries"
    return True

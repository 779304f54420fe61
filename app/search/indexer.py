"""Keeping the search index in step with the database (the source of truth).

:func:`request_sync` is called in the transaction of every change of what the public sees of a
dataset — publication (of a first or a new version), withdrawal, a DOI becoming registered —
and re-derives the entries of every version of that dataset:

- the embedded index (tables in the same database) is rewritten in that same transaction, so it
  can never disagree with the records, not even for a moment (a withdrawn version leaves the
  index in the commit that withdraws it);
- an external index (Elasticsearch) is updated by a ``search-index`` job queued in that
  transaction (the outbox) and run after commit, retried until it succeeds.

Both are idempotent: running them twice, late, or after a crash gives the same index.
``alluvium search reindex`` walks every dataset the same way, in batches (flat memory), with a
checkpoint after each committed batch (resumable).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import bindparam, delete, literal_column, select, text
from sqlalchemy.orm import Session

from app.models import (
    Community,
    PersistentIdentifier,
    Record,
    SearchBox,
    SearchEntry,
    SearchFacet,
    SearchFacetCount,
    VocabularyConcept,
)
from app.search.interface import FACETS, Entry, day_key, entry_from_document
from app.services import jobs
from curation.lifecycle import State

KIND = "search-index"
BATCH = 200


def request_sync(session: Session, parent_id: str, base_url: str | None = None) -> None:
    """Re-index a dataset: the embedded index now, an external one through the outbox."""
    sync_parents(session, [parent_id], base_url or _base_url())
    from flask import current_app, has_app_context

    # Only the setting is read here: a missing client library or an unreachable server must
    # not fail the publication; the job reports it and is retried.
    if has_app_context() and current_app.config.get("SEARCH_BACKEND") == "elasticsearch":
        jobs.enqueue(session, KIND, {"parent_id": parent_id})


def _base_url() -> str:
    from flask import current_app, has_app_context

    return current_app.config["BASE_URL"] if has_app_context() else "http://localhost"


@jobs.handler(KIND)
def _index_job(session: Session, payload: dict[str, Any]) -> None:
    backend = _external_backend()
    if backend is not None:
        backend.sync_parents(session, [payload["parent_id"]])


def _external_backend() -> Any:
    from flask import current_app, has_app_context

    from app.search import external_backend

    return external_backend(current_app) if has_app_context() else None


def visible(record: Record) -> bool:
    """Searchable: published, and every PID known to its registry (docs/dois.md)."""
    return record.state == State.PUBLISHED.value and all(p.status == "registered" for p in record.pids)


def entries_for(session: Session, parent_ids: list[str], base_url: str) -> tuple[list[Entry], set[str]]:
    """The entries of these datasets' searchable versions, and the ids of every published or
    withdrawn version (what an external index may hold and must drop when not searchable).

    Read with two Core queries (records + community slug, PIDs), not through the ORM: the
    index needs the metadata, the community, the publication date and the PIDs, not the files,
    owners and parents the ORM would load with every record (half of the reindex time,
    bench/README.md, "Search"). ``base_url`` is kept for the callers; entries hold no URL."""
    r, c, p = Record.__table__, Community.__table__, PersistentIdentifier.__table__
    rows = session.execute(
        select(
            r.c.id,
            r.c.parent_id,
            r.c.version_index,
            r.c.state,
            r.c["metadata"],
            r.c.publication_date,
            c.c.slug,
        )
        .select_from(r.outerjoin(c, c.c.id == r.c.community_id))
        .where(
            r.c.parent_id.in_(parent_ids),
            # "+state" on SQLite: with a long IN list its planner took the state index (every
            # published record, then a sort): 4.4 s instead of 10 ms per batch at 1,000,000.
            (
                literal_column("+records.state") if session.get_bind().dialect.name == "sqlite" else r.c.state
            ).in_([State.PUBLISHED.value, State.WITHDRAWN.value]),
        )
        .order_by(r.c.parent_id, r.c.version_index)
    ).all()
    pids: dict[str, list[Any]] = {}
    if rows:
        for pid in session.execute(
            select(p.c.record_id, p.c.scheme, p.c.value, p.c.provider, p.c.status).where(
                p.c.record_id.in_([row.id for row in rows])
            )
        ):
            pids.setdefault(pid.record_id, []).append(pid)
    # Searchable: published, and every PID known to its registry (docs/dois.md), as visible().
    shown = [
        row
        for row in rows
        if row.state == State.PUBLISHED.value and all(x.status == "registered" for x in pids.get(row.id, []))
    ]
    top: dict[str, int] = {}
    for row in shown:
        top[row.parent_id] = max(top.get(row.parent_id, 0), row.version_index)
    documents = {
        row.id: {
            "id": row.id,
            "pids": {x.scheme: {"identifier": x.value, "provider": x.provider} for x in pids.get(row.id, [])},
            "community": row.slug,
            "publication_date": row.publication_date.isoformat() if row.publication_date else None,
            "versions": {
                "index": row.version_index,
                "is_latest": top[row.parent_id] == row.version_index,
                "parent_id": row.parent_id,
            },
            "metadata": row.metadata or {},
        }
        for row in shown
    }
    labels = _labels(session, documents.values())
    entries = [
        entry_from_document(documents[row.id], latest=top[row.parent_id] == row.version_index, labels=labels)
        for row in shown
    ]
    return entries, {row.id for row in rows}


def _labels(session: Session, documents: Any) -> Any:
    uris: set[str] = set()
    for doc in documents:
        md = doc.get("metadata") or {}
        for group in md.get("keywords") or []:
            uris.update(str(t["value_uri"]) for t in group.get("terms") or [] if t.get("value_uri"))
        for key in ("platforms", "instruments", "variables"):
            uris.update(str(i["value_uri"]) for i in md.get(key) or [] if i.get("value_uri"))
    found: dict[str, list[str]] = {}
    if uris:
        for concept in session.scalars(select(VocabularyConcept).where(VocabularyConcept.uri.in_(uris))):
            words = list((concept.pref_labels or {}).values())
            for alts in (concept.alt_labels or {}).values():
                words.extend(alts)
            found.setdefault(concept.uri, []).extend(words)
    return lambda uri: found.get(uri, [])


def sync_parents(session: Session, parent_ids: list[str], base_url: str, *, counts: bool = True) -> int:
    """Replace the embedded index entries of these datasets; returns how many entries now.

    ``counts=False`` (a full reindex, which recounts ``search_facet_counts`` at its end) skips
    the per-batch count deltas."""
    entries, _ = entries_for(session, parent_ids, base_url)
    dialect = session.get_bind().dialect.name
    old = select(SearchEntry.id).where(SearchEntry.parent_id.in_(parent_ids))
    if dialect == "sqlite":
        session.execute(
            text(
                "DELETE FROM search_rtree WHERE id IN (SELECT b.id FROM search_boxes b JOIN "
                "search_entries e ON e.id = b.entry_id WHERE e.parent_id IN (SELECT value FROM json_each(:p)))"
            ),
            {"p": _json(parent_ids)},
        )
        session.execute(
            text(
                "DELETE FROM search_fts WHERE rowid IN (SELECT id FROM search_entries "
                "WHERE parent_id IN (SELECT value FROM json_each(:p)))"
            ),
            {"p": _json(parent_ids)},
        )
    boxes_t, facets_t, entries_t = SearchBox.__table__, SearchFacet.__table__, SearchEntry.__table__
    if counts:
        delta = _counts(entries)
        for key, n in _indexed_counts(session, parent_ids).items():
            delta[key] = delta.get(key, 0) - n
        _apply_counts(session, delta)
    session.execute(delete(boxes_t).where(boxes_t.c.entry_id.in_(old)))
    session.execute(delete(facets_t).where(facets_t.c.entry_id.in_(old)))
    session.execute(delete(entries_t).where(entries_t.c.parent_id.in_(parent_ids)))
    if not entries:
        return 0
    # The rows go straight to the driver (executemany of tuples on SQLite, COPY and one
    # INSERT ... SELECT FROM unnest on PostgreSQL): SQLAlchemy's per-row parameter processing
    # was a fifth of the reindex time (bench/README.md, "Search").
    if dialect == "sqlite":
        _insert_sqlite(session, entries)
    else:
        _insert_postgres(session, entries)
    return len(entries)


def _entry_row(e: Entry) -> tuple[Any, ...]:
    return (
        e.record_id,
        e.parent_id,
        e.latest,
        e.published or "",  # a plain sort key, no NULL
        e.title_sort,
        e.title,
        e.keywords,
        e.creators,
        e.body,
        e.time_start,
        e.time_end,
        json.dumps(e.display),
    )


_ENTRY_COLUMNS = (
    "record_id, parent_id, latest, published, title_sort, title, keywords, creators, body, "
    "time_start, time_end, display"
)


def _insert_sqlite(session: Session, entries: list[Entry]) -> None:
    """Ids chosen here (the transaction holds SQLite's write lock since its first DELETE), so
    the entries, their FTS5 rows, facets, boxes and R*Tree rows are each one executemany."""
    cur = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        first = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM search_entries").fetchone()[0]
        ids = range(first, first + len(entries))
        cur.executemany(
            f"INSERT INTO search_entries (id, {_ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(i, *_entry_row(e)) for i, e in zip(ids, entries, strict=True)],
        )
        cur.executemany(
            "INSERT INTO search_fts (rowid, title, keywords, creators, body) VALUES (?, ?, ?, ?, ?)",
            [(i, e.title, e.keywords, e.creators, e.body) for i, e in zip(ids, entries, strict=True)],
        )
        cur.executemany(
            "INSERT INTO search_facets (entry_id, facet, value) VALUES (?, ?, ?)",
            [(i, f, v) for i, e in zip(ids, entries, strict=True) for f, v in e.facets],
        )
        boxes = [(i, e, b) for i, e in zip(ids, entries, strict=True) for b in e.boxes]
        if boxes:
            box = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM search_boxes").fetchone()[0]
            cur.executemany(
                "INSERT INTO search_boxes (id, entry_id, west, south, east, north) VALUES (?, ?, ?, ?, ?, ?)",
                [(box + k, i, b.west, b.south, b.east, b.north) for k, (i, _, b) in enumerate(boxes)],
            )
            cur.executemany(
                "INSERT INTO search_rtree (id, min_x, max_x, min_y, max_y, min_t, max_t, entry_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (box + k, b.west, b.east, b.south, b.north, day_key(e.time_start), day_key(e.time_end), i)
                    for k, (i, e, b) in enumerate(boxes)
                ],
            )
    finally:
        cur.close()


def _insert_postgres(session: Session, entries: list[Entry]) -> None:
    """Ids from the sequence in one statement; the entries with their ``tsv`` in one
    ``INSERT ... SELECT FROM unnest`` (one row version each, no UPDATE afterwards); facets and
    boxes by COPY."""
    from app.search.sql import PostgresDialect

    f = PostgresDialect(session).fold

    def weighted(column: str, weight: str) -> str:
        return " || ".join(
            f"setweight(to_tsvector('{c}', {f('u.' + column)}), '{weight}')"
            for c in ("english", "french", "simple")
        )

    conn = session.connection().connection.driver_connection
    with conn.cursor() as cur:  # type: ignore[union-attr]
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence('search_entries', 'id')) FROM generate_series(1, %s)",
            (len(entries),),
        )
        ids = [row[0] for row in cur.fetchall()]
        rows = [_entry_row(e) for e in entries]
        columns = list(zip(*rows, strict=True))
        cur.execute(
            f"INSERT INTO search_entries (id, {_ENTRY_COLUMNS}, tsv) "
            "SELECT u.id, u.record_id, u.parent_id, u.latest, u.published, u.title_sort, u.title, u.keywords, "
            "u.creators, u.body, u.time_start, u.time_end, CAST(u.display AS jsonb), "
            f"{weighted('title', 'A')} || {weighted('keywords', 'B')} || {weighted('creators', 'C')} || "
            f"{weighted('body', 'D')} "
            "FROM unnest(%s::int[], %s::text[], %s::text[], %s::bool[], %s::text[], %s::text[], %s::text[], "
            "%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[]) AS u(id, record_id, "
            "parent_id, latest, published, title_sort, title, keywords, creators, body, time_start, time_end, "
            "display)",
            (ids, *(list(c) for c in columns)),
        )
        with cur.copy("COPY search_facets (entry_id, facet, value) FROM STDIN") as copy:
            for i, e in zip(ids, entries, strict=True):
                for facet, value in e.facets:
                    copy.write_row((i, facet, value))
        if any(e.boxes for e in entries):
            with cur.copy("COPY search_boxes (entry_id, west, south, east, north) FROM STDIN") as copy:
                for i, e in zip(ids, entries, strict=True):
                    for b in e.boxes:
                        copy.write_row((i, b.west, b.south, b.east, b.north))


_AGGREGATED = frozenset(FACETS)


def _counts(entries: list[Entry]) -> dict[tuple[str, str, str], int]:
    """Facet counts of these entries, per scope (``all``; ``latest`` for the latest versions)."""
    counts: dict[tuple[str, str, str], int] = {}
    for e in entries:
        scopes = ("all", "latest") if e.latest else ("all",)
        for facet, value in [("", ""), *((f, v) for f, v in e.facets if f in _AGGREGATED)]:
            for scope in scopes:
                counts[(scope, facet, value)] = counts.get((scope, facet, value), 0) + 1
    return counts


def _indexed_counts(session: Session, parent_ids: list[str]) -> dict[tuple[str, str, str], int]:
    """The same counts, of what the index holds now for these datasets."""
    parents = ", ".join(f":p{i}" for i in range(len(parent_ids)))
    params: dict[str, Any] = {f"p{i}": p for i, p in enumerate(parent_ids)}
    rows = session.execute(
        text(
            "SELECT '' AS facet, '' AS value, count(*) AS n_all, "
            "sum(CASE WHEN e.latest THEN 1 ELSE 0 END) AS n_latest "
            f"FROM search_entries e WHERE e.parent_id IN ({parents}) UNION ALL "
            "SELECT f.facet, f.value, count(*), sum(CASE WHEN e.latest THEN 1 ELSE 0 END) "
            "FROM search_entries e JOIN search_facets f ON f.entry_id = e.id "
            f"WHERE e.parent_id IN ({parents}) GROUP BY f.facet, f.value"
        ),
        params,
    )
    # No "f.facet IN (...)" in SQL: SQLite would then walk the (facet, value) index over the
    # whole table instead of these entries' primary keys (bench/README.md, "Search").
    counts: dict[tuple[str, str, str], int] = {}
    for facet, value, n_all, n_latest in rows:
        if facet and facet not in _AGGREGATED:
            continue
        if n_all:
            counts[("all", facet, value)] = int(n_all)
        if n_latest:
            counts[("latest", facet, value)] = int(n_latest)
    return counts


def _apply_counts(session: Session, delta: dict[tuple[str, str, str], int]) -> None:
    """Add ``delta`` to ``search_facet_counts``; drop the values no entry carries any more.
    Keys in one order, so that two transactions updating the same rows never deadlock."""
    changes = [{"scope": s, "facet": f, "value": v, "n": n} for (s, f, v), n in sorted(delta.items()) if n]
    if not changes:
        return
    session.execute(
        text(
            "INSERT INTO search_facet_counts (scope, facet, value, n) VALUES (:scope, :facet, :value, :n) "
            "ON CONFLICT (scope, facet, value) DO UPDATE SET n = search_facet_counts.n + excluded.n"
        ),
        changes,
    )
    gone = [c for c in changes if c["n"] < 0 and c["facet"]]
    if gone:
        t = SearchFacetCount.__table__
        session.execute(
            delete(t).where(
                t.c.scope == bindparam("scope"),
                t.c.facet == bindparam("facet"),
                t.c.value == bindparam("value"),
                t.c.n <= 0,
            ),
            [{"scope": c["scope"], "facet": c["facet"], "value": c["value"]} for c in gone],
        )


def _json(values: list[Any]) -> str:
    import json

    return json.dumps(values)


def parents_after(session: Session, after: str | None, limit: int) -> list[str]:
    """The next datasets (by parent id) with a published or withdrawn version.

    Walks the ``parent_id`` index in order and stops after ``limit`` datasets. On SQLite the
    state test is written ``+state`` so that the planner does not pick the ``state`` index
    instead: it would read every published record and sort them, once per batch (quadratic:
    at 1,000,000 records the reindex slowed down batch after batch, bench/README.md)."""
    state = "+r.state" if session.get_bind().dialect.name == "sqlite" else "r.state"
    params: dict[str, Any] = {"p": State.PUBLISHED.value, "w": State.WITHDRAWN.value, "n": limit}
    after_cond = ""
    if after is not None:
        after_cond = " AND r.parent_id > :after"
        params["after"] = after
    return list(
        session.scalars(
            text(
                f"SELECT DISTINCT r.parent_id FROM records r WHERE {state} IN (:p, :w){after_cond} "
                "ORDER BY r.parent_id LIMIT :n"
            ),
            params,
        )
    )


def reindex(
    session: Session, base_url: str, *, after: str | None = None, batch: int = BATCH
) -> Iterator[tuple[int, str]]:
    """Re-index every dataset after ``after``, committing each batch; yields (datasets done in
    this batch, last parent id) so the caller can report progress and save a checkpoint."""
    if session.get_bind().dialect.name == "postgresql":
        # Fresh statistics first: after a restore (pg_restore brings none) or a bulk load the
        # planner read the next datasets by a bitmap scan of every later record, once per
        # batch, instead of walking the parent_id index (bench/README.md, "Search").
        session.execute(text("ANALYZE records, pids"))
        session.commit()
    while True:
        parents = parents_after(session, after, batch)
        if not parents:
            rebuild_counts(session)
            session.commit()
            return
        sync_parents(session, parents, base_url, counts=False)  # recounted at the end
        session.commit()
        session.expunge_all()  # flat memory: nothing from earlier batches stays in the session
        after = parents[-1]
        yield parents


def rebuild_counts(session: Session) -> None:
    """Recount ``search_facet_counts`` from the entries (the end of every full reindex): whatever
    happened to the tables before, the counts of a query-less search match the index again."""
    facets = ", ".join(f"'{f}'" for f in FACETS)
    true = "true" if session.get_bind().dialect.name == "postgresql" else "1"
    session.execute(SearchFacetCount.__table__.delete())
    session.execute(
        text(
            "INSERT INTO search_facet_counts (scope, facet, value, n) "
            "SELECT 'all', '', '', count(*) FROM search_entries UNION ALL "
            f"SELECT 'latest', '', '', count(*) FROM search_entries WHERE latest = {true} UNION ALL "
            "SELECT 'all', f.facet, f.value, count(*) FROM search_facets f "
            f"WHERE f.facet IN ({facets}) GROUP BY f.facet, f.value UNION ALL "
            "SELECT 'latest', f.facet, f.value, count(*) FROM search_facets f JOIN search_entries e "
            f"ON e.id = f.entry_id WHERE e.latest = {true} AND f.facet IN ({facets}) GROUP BY f.facet, f.value"
        )
    )


def count_parents(session: Session) -> int:
    from sqlalchemy import func

    return (
        session.scalar(
            select(func.count(func.distinct(Record.parent_id))).where(
                Record.state.in_([State.PUBLISHED.value, State.WITHDRAWN.value])
            )
        )
        or 0
    )

"""The embedded backends: SQLite (FTS5 + R*Tree) and PostgreSQL (tsvector + GiST).

Both share the tables ``search_entries``, ``search_facets`` and ``search_boxes``; only the
full-text match, its score and the box lookup differ (:class:`SqliteDialect`,
:class:`PostgresDialect`). Every query is built around one ``hits`` CTE that always holds the
access filter: the version is published (checked on ``records`` itself, not only on the index),
every PID of it is registered, and, unless all versions are asked for, it is the latest one.
Total, page and facet counts are all read from that CTE, so nothing the caller may not see can
be counted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.search.interface import (
    BUCKETS,
    FACETS,
    LAST_DAY,
    Box,
    SearchQuery,
    SearchResult,
    Term,
    day_key,
)

_COLUMN = {"title": "title", "creator": "creators", "keyword": "keywords"}


class SqliteDialect:
    name = "sqlite"
    # SQLite's planner keeps the left table of a CROSS JOIN as the outer loop: the search says
    # which set drives (the text matches, the boxes, a facet value), not the planner's guess.
    join = "CROSS JOIN"

    def text_join(self, q: SearchQuery, params: dict[str, Any]) -> tuple[str, str, list[str]]:
        """(join clause, score expression, conditions)."""
        params["fts"] = self.match(q.text_terms)
        if q.filters:
            # With facet filters, the matches are a list (FTS5 without bm25 is cheap) checked
            # against the facet index, so the entry rows of matches without the facets are never
            # read; bm25 is computed for the hits only (bench/README.md, "Search", 1,000,000).
            return (
                "",
                "(SELECT -bm25(search_fts, 10.0, 5.0, 2.0, 1.0) FROM search_fts "
                "WHERE search_fts MATCH :fts AND search_fts.rowid = e.id)",
                ["{k} IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :fts)"],
            )
        # bm25 weights by column: title, keywords, creators, body. Lower bm25 is better.
        join = (
            "JOIN (SELECT rowid AS rid, -bm25(search_fts, 10.0, 5.0, 2.0, 1.0) AS score "
            "FROM search_fts WHERE search_fts MATCH :fts) t ON t.rid = e.id"
        )
        return join, "t.score", []

    @staticmethod
    def match(terms: tuple[Term, ...]) -> str:
        parts = []
        for term in terms:
            quoted = '"' + term.text.replace('"', '""') + '"'
            parts.append(f"{_COLUMN[term.field]} : {quoted}" if term.field else quoted)
        return " AND ".join(parts)

    @staticmethod
    def _rtree_where(pieces: list[Box], q: SearchQuery, params: dict[str, Any]) -> str:
        """The R*Tree's box test, and its period test when the query has a period: the period
        is the third dimension, so candidates outside it are never read (schema.SQLITE_RTREE).
        The exact string comparison of the period stays in the query (one entry row per hit)."""
        period = ""
        if q.time_given:
            params["tk0"] = day_key(q.time_start) if q.time_start else 0  # NO_PERIOD < 0: excluded
            params["tk1"] = day_key(q.time_end) if q.time_end else LAST_DAY
            period = " AND min_t <= :tk1 AND max_t >= :tk0"
        conds = []
        for i, p in enumerate(pieces):
            params.update({f"bw{i}": p.west, f"bs{i}": p.south, f"be{i}": p.east, f"bn{i}": p.north})
            conds.append(
                f"(min_x <= :be{i} AND max_x >= :bw{i} AND min_y <= :bn{i} AND max_y >= :bs{i}{period})"
            )
        return " OR ".join(conds)

    def box_filter(self, pieces: list[Box], q: SearchQuery, params: dict[str, Any]) -> str:
        """Ids of the boxes near the query box (and, with a period, of entries in it)."""
        return f"SELECT id FROM search_rtree WHERE {self._rtree_where(pieces, q, params)}"

    def box_driver(self, pieces: list[Box], q: SearchQuery, params: dict[str, Any]) -> str:
        """The entries with a box near the query box, from the R*Tree alone (its entry_id
        column): no ``search_boxes`` row read per candidate. ``{early}``: more conditions."""
        where = self._rtree_where(pieces, q, params)
        return f"(SELECT DISTINCT sb.entry_id FROM search_rtree sb WHERE ({where}){{early}}) bx"

    def snippets(self, session: Session, q: SearchQuery, entry_ids: list[int]) -> dict[int, str]:
        if not entry_ids or not q.text_terms:
            return {}
        params: dict[str, Any] = {"fts": self.match(q.text_terms)}
        ids = ", ".join(str(int(i)) for i in entry_ids)
        rows = session.execute(
            text(
                "SELECT rowid, snippet(search_fts, -1, '«', '»', '…', 16) FROM search_fts "
                f"WHERE search_fts MATCH :fts AND rowid IN ({ids})"
            ),
            params,
        )
        return {row[0]: row[1] for row in rows}


class PostgresDialect:
    name = "postgresql"
    join = "JOIN"  # PostgreSQL's planner chooses the order from its statistics

    def __init__(self, session: Session) -> None:
        self.unaccent = bool(
            session.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'unaccent'")).first()
        )

    def fold(self, expr: str) -> str:
        return f"unaccent({expr})" if self.unaccent else f"lower({expr})"

    def tsquery(
        self,
        terms: tuple[Term, ...],
        params: dict[str, Any],
        prefix: str = "t",
        configs: tuple[str, ...] = ("english", "french", "simple"),
    ) -> str:
        """French and English stems, and the word itself (names, codes, other languages)."""
        parts = []
        for i, term in enumerate(terms):
            name = f"{prefix}{i}"
            params[name] = term.text
            fn = "phraseto_tsquery" if term.phrase else "plainto_tsquery"
            value = self.fold(f"CAST(:{name} AS text)")
            parts.append("(" + " || ".join(f"{fn}('{c}', {value})" for c in configs) + ")")
        return " && ".join(parts)

    def text_join(self, q: SearchQuery, params: dict[str, Any]) -> tuple[str, str, list[str]]:
        any_field = tuple(t for t in q.text_terms if t.field is None)
        conds = []
        score = "0.0"
        if any_field:
            tsq = self.tsquery(any_field, params)
            conds.append(f"e.tsv @@ ({tsq})")
            # weights {D, C, B, A}: body, creators, keywords, title
            # As double precision: a real (float4) read back as text and sent again as a cursor
            # would not compare equal to itself, and the cursor would not move on.
            score = f"CAST(ts_rank('{{0.1, 0.3, 0.6, 1.0}}', e.tsv, ({tsq})) AS double precision)"
        for i, term in enumerate(t for t in q.text_terms if t.field):
            column = _COLUMN[term.field or ""]
            # The GIN index narrows, the field's own words decide.
            broad = self.tsquery((term,), params, prefix=f"f{i}_")
            exact = self.tsquery((term,), params, prefix=f"g{i}_", configs=("simple",))
            conds.append(
                f"e.tsv @@ ({broad}) AND to_tsvector('simple', {self.fold('e.' + column)}) @@ ({exact})"
            )
        return "", score, conds

    def box_driver(self, pieces: list[Box], q: SearchQuery, params: dict[str, Any]) -> str:
        near = self.box_filter(pieces, q, params)
        return f"(SELECT DISTINCT sb.entry_id FROM search_boxes sb WHERE sb.id IN ({near}){{early}}) bx"

    def box_filter(self, pieces: list[Box], q: SearchQuery, params: dict[str, Any]) -> str:
        conds = []
        for i, p in enumerate(pieces):
            params.update({f"bw{i}": p.west, f"bs{i}": p.south, f"be{i}": p.east, f"bn{i}": p.north})
            conds.append(
                f"box(point(west, south), point(east, north)) && "
                f"box(point(:bw{i}, :bs{i}), point(:be{i}, :bn{i}))"
            )
        return f"SELECT id FROM search_boxes WHERE {' OR '.join(conds)}"

    def snippets(self, session: Session, q: SearchQuery, entry_ids: list[int]) -> dict[int, str]:
        terms = tuple(Term(t.text, None, t.phrase) for t in q.text_terms)
        if not entry_ids or not terms:
            return {}
        params: dict[str, Any] = {}
        # Highlighting matches the words as written (no stemming, no accent folding).
        tsq = " || ".join(
            f"({self.tsquery((t,), params, f's{i}_', ('simple',))})" for i, t in enumerate(terms)
        )
        ids = ", ".join(str(int(i)) for i in entry_ids)
        rows = session.execute(
            text(
                f"SELECT id, ts_headline('simple', title || ' — ' || body, ({tsq}), "
                "'StartSel=«, StopSel=», MaxWords=30, MinWords=12') "
                f"FROM search_entries WHERE id IN ({ids})"
            ),
            params,
        )
        return {row[0]: row[1] for row in rows}


def _within(pieces: list[Box]) -> str:
    """Every box of the record lies inside one piece of the query box."""
    inside = " OR ".join(
        f"(b.west >= :bw{i} AND b.east <= :be{i} AND b.south >= :bs{i} AND b.north <= :bn{i})"
        for i in range(len(pieces))
    )
    return f"NOT EXISTS (SELECT 1 FROM search_boxes b WHERE b.entry_id = e.id AND NOT ({inside}))"


_ORDER = {
    "newest": ("e.published DESC, e.id DESC", ("e.published", "e.id"), ("<", "<")),
    "oldest": ("e.published ASC, e.id ASC", ("e.published", "e.id"), (">", ">")),
    "title": ("e.title_sort ASC, e.id ASC", ("e.title_sort", "e.id"), (">", ">")),
    "relevance": ("score DESC, e.id ASC", ("score", "e.id"), ("<", ">")),
}


def dialect_for(session: Session) -> SqliteDialect | PostgresDialect:
    if session.get_bind().dialect.name == "postgresql":
        return PostgresDialect(session)
    return SqliteDialect()


def _query_less(q: SearchQuery) -> bool:
    return not q.terms and not q.filters and q.bbox is None and not q.time_given


def search(session: Session, q: SearchQuery) -> SearchResult:
    """Three statements: the page (keyset, straight from the indexes, LIMIT size + 1), the total
    and the facet counts (one statement over the hit set materialised once; for a query-less
    search, read from ``search_facet_counts``), the snippets of the page's hits."""
    dialect = dialect_for(session)
    params: dict[str, Any] = {}
    where = [
        # A scalar subquery, not a join: PostgreSQL would otherwise start from every published
        # record (a hash or bitmap plan) instead of walking the (latest, published, id) index
        # and stopping after LIMIT rows (bench/README.md, "Search", PostgreSQL).
        "(SELECT r.state FROM records r WHERE r.id = e.record_id) = 'published'",
        "NOT EXISTS (SELECT 1 FROM pids p WHERE p.record_id = e.record_id AND p.status <> 'registered')",
    ]
    if not q.all_versions:
        where.append("e.latest = :latest")
        params["latest"] = True
    join, score = "", "0.0"
    # The driver: the smallest set the query names, read from its own index, joined to the
    # entries by primary key; every other condition is checked per candidate.
    driver = ""
    # Conditions on the entry id alone ("{k}"): checked inside the driver when one drives, so
    # that the entry rows of candidates failing them are never read.
    early: list[str] = []
    if q.text_terms:
        join, score, text_conds = dialect.text_join(q, params)
        for cond in text_conds:
            (early if "{k}" in cond else where).append(cond)
        if join:  # SQLite: the FTS5 matches drive
            driver, join = join, ""
    for i, doi in enumerate(q.doi_terms):
        params[f"doi{i}"] = doi
        where.append(
            f"EXISTS (SELECT 1 FROM search_facets d WHERE d.entry_id = e.id AND d.facet = 'doi' AND d.value = :doi{i})"
        )
    if q.bbox is not None:
        pieces = q.bbox.pieces()
        if not driver and not (q.text_terms and dialect.name == "postgresql"):
            driver = dialect.box_driver(pieces, q, params)
            driver_key, early_key = "bx.entry_id", "sb.entry_id"
        else:
            near = dialect.box_filter(pieces, q, params)
            where.append(
                f"EXISTS (SELECT 1 FROM search_boxes bq WHERE bq.entry_id = e.id AND bq.id IN ({near}))"
            )
        if q.bbox_relation == "within":
            where.append(_within(pieces))
    filters = sorted(q.filters.items())
    if len(filters) > 1:  # the facet with the fewest entries drives (exact counts, one lookup)
        sizes = _facet_sizes(session, q)
        filters.sort(key=lambda item: sizes.get(item[0], 0))
    for i, (facet, values) in enumerate(filters):
        params[f"ff{i}"] = facet
        names = []
        for j, value in enumerate(values):
            params[f"fv{i}_{j}"] = value
            names.append(f":fv{i}_{j}")
        wanted = f"facet = :ff{i} AND value IN ({', '.join(names)})"
        if not driver and not (q.text_terms and dialect.name == "postgresql"):
            driver = f"(SELECT DISTINCT sf.entry_id FROM search_facets sf WHERE sf.{wanted}{{early}}) fd"
            driver_key, early_key = "fd.entry_id", "sf.entry_id"
        else:
            early.append(
                f"EXISTS (SELECT 1 FROM search_facets f{i} WHERE f{i}.entry_id = {{k}} AND f{i}.{wanted})"
            )
    if q.time_given:
        # Overlap; a record without a temporal extent does not match a time filter.
        where.append("e.time_start IS NOT NULL")
        if q.time_end:
            where.append("e.time_start <= :time_end")
            params["time_end"] = q.time_end
        if q.time_start:
            where.append("e.time_end >= :time_start")
            params["time_start"] = q.time_start
    if "{early}" in driver:
        driver = driver.replace("{early}", "".join(" AND " + c.replace("{k}", early_key) for c in early))
    else:
        where.extend(c.replace("{k}", "e.id") for c in early)
    j = dialect.join
    if driver.startswith("JOIN"):  # SQLite FTS5: "JOIN (SELECT rowid AS rid ...) t ON t.rid = e.id"
        sub = driver[len("JOIN ") : driver.rindex(" ON ")]
        source = f"{sub} {j} search_entries e ON e.id = t.rid"
    elif driver:
        source = f"{driver} {j} search_entries e ON e.id = {driver_key}"
    else:
        source = "search_entries e"
    sort = q.sort if q.sort != "relevance" or q.text_terms else "newest"
    order, keys, ops = _ORDER[sort]
    base = f"FROM {source} WHERE {' AND '.join(where)}"
    page_where = ""
    if q.cursor is not None:
        if len(q.cursor) != 2:
            from app.search.interface import QueryError

            raise QueryError("/cursor", "is not a cursor this service gave")
        params["k0"], params["k1"] = q.cursor
        if sort == "relevance":  # score DESC, id ASC: two directions, no row value
            page_where = f" AND (h.score {ops[0]} :k0 OR (h.score = :k0 AND h.id {ops[1]} :k1))"
        else:
            # A row value: both databases read it as a range of the (latest, key, id) index,
            # in a generic (prepared) plan too, where "a < x OR (a = x AND b < y)" is not.
            page_where = f" AND ({keys[0]}, {keys[1]}) {ops[0]} (:k0, :k1)"
    params["limit"] = q.size + 1
    offset = ""
    if q.offset:
        params["offset"] = q.offset
        offset = " OFFSET :offset"
    columns = "e.id AS id, e.record_id AS record_id, e.published AS published, e.title_sort AS title_sort"
    total: int | None = None
    if (driver or (q.text_terms and sort == "relevance")) and not _query_less(q):
        # A driver (FTS5 matches, boxes, a facet) or a ranking: every candidate is evaluated
        # anyway, so the hits are evaluated once, with their sort keys, and the page, the total
        # and the facet counts are all read from them in one statement (bench/README.md).
        h_order = order.replace("e.", "h.").replace("score", "h.score")
        h_where = page_where.replace("e.", "h.")
        counts = (
            " UNION ALL SELECT 2, 0, '', '', '', 0.0, f.facet, f.value, count(*) FROM hits "
            f"{dialect.join} search_facets f ON f.entry_id = hits.id GROUP BY f.facet, f.value"
            if q.aggregations
            else ""
        )
        hits_score, ranked, page_from = (score if sort == "relevance" else "0.0"), "", "hits h"
        if sort == "relevance" and dialect.name == "sqlite" and q.filters:
            # bm25 in a correlated subquery recomputes its IDF (a walk of every match of every
            # word) per hit: seconds at 1,000,000. One FTS5 scan instead, bm25 for the hits
            # only ("+rowid": not a per-value rowid lookup, which would reset the IDF too).
            hits_score = "0.0"
            ranked = (
                ", ranked AS MATERIALIZED (SELECT search_fts.rowid AS id, "
                "-bm25(search_fts, 10.0, 5.0, 2.0, 1.0) AS score FROM search_fts "
                "WHERE search_fts MATCH :fts AND +search_fts.rowid IN (SELECT id FROM hits))"
            )
            page_from = (
                "(SELECT hh.id, hh.record_id, hh.published, hh.title_sort, rk.score FROM hits hh "
                f"{dialect.join} ranked rk ON rk.id = hh.id) h"
            )
        sql_all = (
            f"WITH hits AS MATERIALIZED (SELECT {columns}, {hits_score} AS score {base}){ranked} "
            "SELECT 0 AS part, pg.id, pg.record_id, pg.published, pg.title_sort, pg.score, "
            "'' AS facet, '' AS value, pg.pos AS n FROM "
            f"(SELECT h.*, row_number() OVER (ORDER BY {h_order}) AS pos FROM {page_from} WHERE 1 = 1{h_where} "
            f"ORDER BY {h_order} LIMIT :limit{offset}) pg "
            "UNION ALL SELECT 1, 0, '', '', '', 0.0, '', '', count(*) FROM hits" + counts
        )
        rows, total = [], 0
        aggregations: dict[str, list[tuple[str, int]]] = {f: [] for f in FACETS} if q.aggregations else {}
        for row in session.execute(text(sql_all), params):
            if row.part == 0:
                rows.append(row)
            elif row.part == 1:
                total = row.n
            elif row.facet in aggregations:
                aggregations[row.facet].append((row.value, row.n))
        rows.sort(key=lambda r: r.n)  # the page's order (a UNION ALL promises none)
        for buckets in aggregations.values():
            buckets.sort(key=lambda b: (-b[1], b[0]))
            del buckets[BUCKETS:]
    elif sort == "relevance":
        # Every match is scored and sorted anyway: rank once in a derived table, page on it.
        page_sql = (
            f"SELECT h.id, h.record_id, h.published, h.title_sort, h.score FROM "
            f"(SELECT {columns}, {score} AS score {base}) h "
            f"WHERE 1 = 1{page_where} ORDER BY h.score DESC, h.id ASC LIMIT :limit{offset}"
        )
        rows = session.execute(text(page_sql), params).all()
    else:
        # No derived table: the (latest, published, id) / (latest, title_sort, id) index gives
        # the rows in order and the LIMIT stops the scan (keyset paging, any depth).
        page_sql = f"SELECT {columns}, 0.0 AS score {base}{page_where} ORDER BY {order} LIMIT :limit{offset}"
        rows = session.execute(text(page_sql), params).all()
    more = len(rows) > q.size
    rows = rows[: q.size]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = (
            {"e.published": last.published, "e.title_sort": last.title_sort, "score": float(last.score)}[
                keys[0]
            ],
            last.id,
        )
    if total is None:
        if _query_less(q):
            total, aggregations = _precomputed(session, q)
        else:
            total, aggregations = _counted(session, base, params, q.aggregations, dialect.join)
    snippets = dialect.snippets(session, q, [r.id for r in rows])
    return SearchResult(
        record_ids=[r.record_id for r in rows],
        total=total,
        aggregations=aggregations,
        next_cursor=next_cursor,
        snippets={r.record_id: snippets[r.id] for r in rows if r.id in snippets},
    )


def _facet_sizes(session: Session, q: SearchQuery) -> dict[str, int]:
    """Entries per filtered facet (its values summed: an upper bound of the OR), read from
    ``search_facet_counts``."""
    params: dict[str, Any] = {"scope": "all" if q.all_versions else "latest"}
    wanted = []
    for i, (facet, values) in enumerate(sorted(q.filters.items())):
        params[f"f{i}"] = facet
        names = []
        for j, value in enumerate(values):
            params[f"v{i}_{j}"] = value
            names.append(f":v{i}_{j}")
        wanted.append(f"(facet = :f{i} AND value IN ({', '.join(names)}))")
    rows = session.execute(
        text(
            "SELECT facet, sum(n) FROM search_facet_counts WHERE scope = :scope AND "
            f"({' OR '.join(wanted)}) GROUP BY facet"
        ),
        params,
    )
    return {facet: int(n or 0) for facet, n in rows}


def _counted(
    session: Session, base: str, params: dict[str, Any], with_facets: bool, join: str
) -> tuple[int, dict[str, list[tuple[str, int]]]]:
    """Total and facet counts of the hit set, evaluated once (MATERIALIZED) and joined to the
    facets by their primary key (entry_id, facet, value): work in proportion to the hits."""
    params = {k: v for k, v in params.items() if k not in ("limit", "offset", "k0", "k1")}
    sql = f"WITH hits AS MATERIALIZED (SELECT e.id AS id {base}) SELECT '' AS facet, '' AS value, count(*) AS n FROM hits"
    if with_facets:
        # Every facet of the hits through the primary key (entry_id, facet, value); no
        # "f.facet IN (...)", which would make SQLite walk the (facet, value) index of the whole
        # table. The exact fields (doi) are dropped below.
        sql += (
            f" UNION ALL SELECT f.facet, f.value, count(*) FROM hits {join} search_facets f "
            "ON f.entry_id = hits.id GROUP BY f.facet, f.value"
        )
    total = 0
    aggregations: dict[str, list[tuple[str, int]]] = {f: [] for f in FACETS} if with_facets else {}
    for facet, value, n in session.execute(text(sql), params):
        if facet == "":
            total = n
        elif facet in aggregations:
            aggregations[facet].append((value, n))
    for buckets in aggregations.values():
        buckets.sort(key=lambda b: (-b[1], b[0]))
        del buckets[BUCKETS:]
    return total, aggregations


def _precomputed(session: Session, q: SearchQuery) -> tuple[int, dict[str, list[tuple[str, int]]]]:
    """A query-less search counts the whole index: read the counts the indexer keeps
    (``search_facet_counts``, written in the transactions that write the entries; the index
    only ever holds searchable versions, the same rule the page query re-checks)."""
    scope = "all" if q.all_versions else "latest"
    parts = ["SELECT facet, value, n FROM search_facet_counts WHERE scope = :scope AND facet = ''"]
    if q.aggregations:
        parts += [
            f"SELECT * FROM (SELECT facet, value, n FROM search_facet_counts WHERE scope = :scope "
            f"AND facet = '{f}' ORDER BY n DESC, value ASC LIMIT {BUCKETS}) AS top_{f}"
            for f in FACETS
        ]
    total = 0
    aggregations: dict[str, list[tuple[str, int]]] = {f: [] for f in FACETS} if q.aggregations else {}
    for facet, value, n in session.execute(text(" UNION ALL ".join(parts)), {"scope": scope}):
        if facet == "":
            total = n
        else:
            aggregations[facet].append((value, n))
    for buckets in aggregations.values():
        buckets.sort(key=lambda b: (-b[1], b[0]))
    return total, aggregations

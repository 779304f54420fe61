"""The Elasticsearch / OpenSearch backend, through the official ``elasticsearch`` client.

Optional (``pip install 'alluvium[elasticsearch]'``, ``SEARCH_BACKEND = "elasticsearch"``).
The embedded index stays maintained in the database either way; this backend is fed from the
outbox (``search-index`` jobs) and rebuilt by ``alluvium search reindex`` into a new index
behind the alias, switched atomically once complete (zero-downtime reindex).

The request bodies are built by pure functions (:func:`search_body`, :func:`document`,
:func:`index_template`) so they are tested as golden files (tests/golden/search/), and
responses are parsed by :func:`parse_response` (tested on recorded responses). Paging is
``search_after`` on the sort keys plus the record id: no ``from``/``size`` window, so no
10,000-hit limit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.search.interface import (
    BUCKETS,
    FACETS,
    OPEN_END,
    OPEN_START,
    Entry,
    SearchQuery,
    SearchResult,
    Term,
)

_FIELDS = {
    "title": ["title.en", "title.fr"],
    "creator": ["creators"],
    "keyword": ["keywords.en", "keywords.fr"],
}
# Relevance favours titles and keywords.
_ALL_FIELDS = [
    "title.en^5",
    "title.fr^5",
    "keywords.en^3",
    "keywords.fr^3",
    "creators^2",
    "body.en",
    "body.fr",
]


def _text(analyzer_fr: str = "french_folded", analyzer_en: str = "english_folded") -> dict[str, Any]:
    return {
        "type": "text",
        "analyzer": "folded",
        "fields": {
            "fr": {"type": "text", "analyzer": analyzer_fr},
            "en": {"type": "text", "analyzer": analyzer_en},
        },
    }


def index_template(prefix: str) -> dict[str, Any]:
    """The composable index template every ``<prefix>-records-*`` index is created from."""
    return {
        "index_patterns": [f"{prefix}-records-*"],
        "template": {
            "settings": {
                "number_of_shards": 1,
                "analysis": {
                    "filter": {
                        "french_elision": {
                            "type": "elision",
                            "articles_case": True,
                            "articles": [
                                "l",
                                "m",
                                "t",
                                "qu",
                                "n",
                                "s",
                                "j",
                                "d",
                                "c",
                                "jusqu",
                                "quoiqu",
                                "lorsqu",
                                "puisqu",
                            ],
                        },
                        "french_stemmer": {"type": "stemmer", "language": "light_french"},
                        "english_stemmer": {"type": "stemmer", "language": "english"},
                        "english_possessive": {"type": "stemmer", "language": "possessive_english"},
                    },
                    "analyzer": {
                        "folded": {"tokenizer": "standard", "filter": ["lowercase", "asciifolding"]},
                        "french_folded": {
                            "tokenizer": "standard",
                            "filter": ["french_elision", "lowercase", "asciifolding", "french_stemmer"],
                        },
                        "english_folded": {
                            "tokenizer": "standard",
                            "filter": ["english_possessive", "lowercase", "asciifolding", "english_stemmer"],
                        },
                    },
                    "normalizer": {"sort": {"type": "custom", "filter": ["lowercase", "asciifolding"]}},
                },
            },
            "mappings": {
                "dynamic": "strict",
                "properties": {
                    "record_id": {"type": "keyword"},
                    # Only searchable versions are sent; every request filters on it anyway.
                    "state": {"type": "keyword"},
                    "parent_id": {"type": "keyword"},
                    "latest": {"type": "boolean"},
                    "published": {"type": "date", "format": "strict_date"},
                    "title": _text(),
                    "title_sort": {"type": "keyword", "normalizer": "sort"},
                    "keywords": _text(),
                    "creators": {"type": "text", "analyzer": "folded"},
                    "body": _text(),
                    "extent": {"type": "geo_shape"},
                    "period": {"type": "date_range", "format": "strict_date"},
                    "facets": {"properties": {f: {"type": "keyword"} for f in (*FACETS, "doi")}},
                    "display": {"type": "object", "enabled": False},
                },
            },
        },
    }


def document(entry: Entry) -> dict[str, Any]:
    """The indexed document of an entry (``_id`` = record id)."""
    facets: dict[str, list[str]] = {}
    for facet, value in entry.facets:
        facets.setdefault(facet, []).append(value)
    doc: dict[str, Any] = {
        "record_id": entry.record_id,
        "state": "published",
        "parent_id": entry.parent_id,
        "latest": entry.latest,
        "published": entry.published,
        "title": entry.title,
        "title_sort": entry.title_sort,
        "keywords": entry.keywords,
        "creators": entry.creators,
        "body": entry.body,
        "facets": facets,
        "display": entry.display,
    }
    if entry.boxes:
        # Boxes are already split at the antimeridian; an envelope is [[W, N], [E, S]].
        envelopes = [
            {"type": "envelope", "coordinates": [[b.west, b.north], [b.east, b.south]]} for b in entry.boxes
        ]
        doc["extent"] = (
            envelopes[0] if len(envelopes) == 1 else {"type": "geometrycollection", "geometries": envelopes}
        )
    if entry.time_start is not None:
        period: dict[str, str] = {}
        if entry.time_start != OPEN_START:
            period["gte"] = entry.time_start
        if entry.time_end != OPEN_END:
            period["lte"] = _valid_day(entry.time_end or "")
        doc["period"] = period
    return doc


def _valid_day(day: str) -> str:
    """Our period ends use day 31 for "end of the month"; Elasticsearch wants a real date."""
    import calendar

    year, month, d = (int(x) for x in day.split("-"))
    return f"{year:04d}-{month:02d}-{min(d, calendar.monthrange(year, month)[1]):02d}"


def _term_query(term: Term) -> dict[str, Any]:
    fields = _FIELDS[term.field] if term.field else _ALL_FIELDS
    kind = "phrase" if term.phrase else "best_fields"
    return {"multi_match": {"query": term.text, "fields": fields, "type": kind, "operator": "and"}}


_SORTS = {
    # Dates sorted with a format: the sort values (and so the cursors) are "YYYY-MM-DD" strings,
    # as on the embedded backends, not epoch milliseconds; search_after reads them back.
    "newest": [{"published": {"order": "desc", "format": "strict_date"}}, {"record_id": "desc"}],
    "oldest": [{"published": {"order": "asc", "format": "strict_date"}}, {"record_id": "asc"}],
    "title": [{"title_sort": "asc"}, {"record_id": "asc"}],
    "relevance": [{"_score": "desc"}, {"record_id": "asc"}],
}


def search_body(q: SearchQuery) -> dict[str, Any]:
    """The ``_search`` request body of a query. The access filter is always in it, in every
    request (query-less and aggregation-only ones too): only published, registered versions are
    ever indexed and each carries ``state: published``; ``latest`` unless all versions."""
    must: list[dict[str, Any]] = [_term_query(t) for t in q.text_terms]
    filters: list[dict[str, Any]] = [{"term": {"state": "published"}}]
    if not q.all_versions:
        filters.append({"term": {"latest": True}})
    for doi in q.doi_terms:
        filters.append({"term": {"facets.doi": doi}})
    for facet, values in sorted(q.filters.items()):
        filters.append({"terms": {f"facets.{facet}": list(values)}})
    if q.bbox is not None:
        pieces = q.bbox.pieces()
        shapes = [{"type": "envelope", "coordinates": [[p.west, p.north], [p.east, p.south]]} for p in pieces]
        shape = shapes[0] if len(shapes) == 1 else {"type": "geometrycollection", "geometries": shapes}
        filters.append({"geo_shape": {"extent": {"shape": shape, "relation": q.bbox_relation}}})
    if q.time_given:
        period: dict[str, Any] = {"relation": "intersects"}
        if q.time_start:
            period["gte"] = q.time_start
        if q.time_end:
            period["lte"] = _valid_day(q.time_end)
        filters.append({"range": {"period": period}})
    sort = q.sort if q.sort != "relevance" or q.text_terms else "newest"
    body: dict[str, Any] = {
        "size": q.size,
        "query": {"bool": {"must": must or [{"match_all": {}}], "filter": filters}},
        "sort": _SORTS[sort],
        "track_total_hits": True,
        "_source": ["record_id"],
    }
    if q.text_terms:
        body["highlight"] = {
            "pre_tags": ["«"],
            "post_tags": ["»"],
            "fields": {
                "title": {"number_of_fragments": 0},
                "body": {"fragment_size": 160, "number_of_fragments": 1},
            },
        }
    if q.cursor is not None:
        body["search_after"] = list(q.cursor)
    if q.offset:
        body["from"] = q.offset
    if q.aggregations:
        body["aggs"] = {f: {"terms": {"field": f"facets.{f}", "size": BUCKETS}} for f in FACETS}
    return body


def parse_response(q: SearchQuery, response: dict[str, Any]) -> SearchResult:
    hits = response["hits"]["hits"]
    total = response["hits"]["total"]
    total = total["value"] if isinstance(total, dict) else int(total)
    snippets = {}
    for h in hits:
        hl = h.get("highlight") or {}
        parts = (hl.get("title") or []) + (hl.get("body") or [])
        if parts:
            snippets[h["_id"]] = " … ".join(parts)
    next_cursor = tuple(hits[-1]["sort"]) if len(hits) == q.size and hits and "sort" in hits[-1] else None
    aggs = (
        {
            f: [
                (str(b["key"]), int(b["doc_count"]))
                for b in (response.get("aggregations") or {}).get(f, {}).get("buckets", [])
            ]
            for f in FACETS
        }
        if q.aggregations
        else {}
    )
    return SearchResult([h["_id"] for h in hits], total, aggs, next_cursor, snippets)


class ElasticBackend:
    """Writes and queries through an ``elasticsearch.Elasticsearch`` client (or any object
    with the same methods)."""

    def __init__(self, client: Any, prefix: str = "alluvium", base_url: str = "http://localhost") -> None:
        self.client = client
        self.prefix = prefix
        self.alias = f"{prefix}-records"
        self.base_url = base_url

    @classmethod
    def from_config(cls, config: Any) -> ElasticBackend:
        from elasticsearch import Elasticsearch  # optional dependency: alluvium[elasticsearch]

        client = Elasticsearch(
            config["ELASTICSEARCH_URL"], request_timeout=config.get("ELASTICSEARCH_TIMEOUT", 10)
        )
        return cls(client, config.get("ELASTICSEARCH_INDEX_PREFIX", "alluvium"), config["BASE_URL"])

    def search(self, q: SearchQuery) -> SearchResult:
        response = self.client.search(index=self.alias, **search_body(q))
        return parse_response(q, dict(getattr(response, "body", response)))

    def ensure_index(self) -> None:
        """Template, and a first index behind the alias, unless they exist."""
        self.client.indices.put_index_template(name=self.alias, **index_template(self.prefix))
        if not self.client.indices.exists_alias(name=self.alias):
            name = self._new_name()
            self.client.indices.create(index=name, aliases={self.alias: {"is_write_index": True}})

    def sync_parents(self, session: Any, parent_ids: list[str], index: str | None = None) -> None:
        """Replace the documents of these datasets (delete-by-query on the parents, then bulk)."""
        from app.search.indexer import entries_for

        entries, seen = entries_for(session, parent_ids, self.base_url)
        target = index or self.alias
        operations: list[dict[str, Any]] = []
        keep = {e.record_id for e in entries}
        for record_id in sorted(seen - keep):
            operations.append({"delete": {"_index": target, "_id": record_id}})
        for e in entries:
            operations.append({"index": {"_index": target, "_id": e.record_id}})
            operations.append(document(e))
        if operations:
            response = self.client.bulk(operations=operations, refresh=index is None)
            failed = [
                item
                for item in response.get("items", [])
                for action, result in item.items()
                if result.get("status", 200) >= 300
                and not (action == "delete" and result.get("status") == 404)
            ]
            if failed:
                raise RuntimeError(f"Elasticsearch refused {len(failed)} operation(s): {failed[:3]}")

    def begin_reindex(self) -> str:
        self.client.indices.put_index_template(name=self.alias, **index_template(self.prefix))
        name = self._new_name()
        self.client.indices.create(index=name, settings={"refresh_interval": "-1"})
        return name

    def finish_reindex(self, name: str) -> None:
        """Refresh the new index and move the alias to it in one atomic action; drop the old."""
        self.client.indices.put_settings(index=name, settings={"refresh_interval": None})
        self.client.indices.refresh(index=name)
        # GET _alias/<missing> answers 404 (an exception in the client): ask first.
        old = (
            list(self.client.indices.get_alias(name=self.alias))
            if self.client.indices.exists_alias(name=self.alias)
            else []
        )
        actions = [{"remove": {"index": o, "alias": self.alias}} for o in old]
        actions.append({"add": {"index": name, "alias": self.alias, "is_write_index": True}})
        self.client.indices.update_aliases(actions=actions)
        for o in old:
            self.client.indices.delete(index=o)

    def _new_name(self) -> str:
        return f"{self.prefix}-records-{datetime.now(UTC).strftime('%Y%m%d%H%M%S%f')}"

"""The Elasticsearch/OpenSearch backend (app/search/elastic.py), tested by its requests.

No Elasticsearch server can run on the test machines. The adapter runs with the official
``elasticsearch`` client, which talks real HTTP to a loopback stand-in server
(tests/_es_replay.py): it records every request and answers responses written by hand in the
shape of the Elasticsearch REST reference. The request bodies are compared with golden files
written by hand from the Elasticsearch query DSL reference (tests/golden/search/). The same
adapter runs against a live server in tests/test_search_elastic_live.py when
ALLUVIUM_ELASTICSEARCH_URL is set (docs/search.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.search.elastic import ElasticBackend, document, parse_response, search_body
from app.search.interface import (
    FACETS,
    Box,
    SearchQuery,
    Term,
    decode_cursor,
    encode_cursor,
    entry_from_document,
    parse_q,
    parse_time,
)
from schemas.examples import example_record_document
from tests._es_replay import ReplayServer

GOLDEN = Path(__file__).parent / "golden" / "search"
ACCESS = {"term": {"state": "published"}}
LATEST = {"term": {"latest": True}}


def golden(name: str) -> dict[str, Any]:
    body = json.loads((GOLDEN / name).read_text())
    if body.get("aggs") == "aggs.json":
        body["aggs"] = json.loads((GOLDEN / "aggs.json").read_text())
    return body


@pytest.fixture
def es() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        yield server


def backend_for(server: ReplayServer) -> ElasticBackend:
    return ElasticBackend.from_config(
        {"ELASTICSEARCH_URL": server.url, "ELASTICSEARCH_TIMEOUT": 5, "BASE_URL": "http://localhost"}
    )


def hits(*items: tuple[str, list[Any]], total: int | None = None, aggregations: Any = None) -> dict[str, Any]:
    """A ``_search`` response (REST reference shape) with these (id, sort values) hits."""
    body: dict[str, Any] = {
        "took": 2,
        "timed_out": False,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {
            "total": {"value": len(items) if total is None else total, "relation": "eq"},
            "max_score": None,
            "hits": [
                {
                    "_index": "alluvium-records-1",
                    "_id": i,
                    "_score": None,
                    "_source": {"record_id": i},
                    "sort": s,
                }
                for i, s in items
            ],
        },
    }
    if aggregations is not None:
        body["aggregations"] = aggregations
    return body


def facet_values() -> dict[str, tuple[str, ...]]:
    """Two values for every facet (the values of tests/golden/search/facets_all.json)."""
    return {
        "community": ("odatis", "theia"),
        "resource_type": ("Dataset", "Software"),
        "year": ("2023", "2024"),
        "license": ("CC-BY-4.0", "etalab-2.0"),
        "access": ("open", "embargoed"),
        "inspire_theme": ("Oceanographic geographical features", "Soil"),
        "gcmd": ("EARTH SCIENCE > OCEANS", "EARTH SCIENCE > ATMOSPHERE"),
        "gemet": ("water", "soil"),
        "keyword": ("salinity", "ozone"),
        "platform": ("Argo float", "Sentinel-1"),
        "instrument": ("CTD", "radiometer"),
        "variable": ("sea_water_salinity", "air_temperature"),
        "creator": ("Dupont, Marie", "Martin, Paul"),
        "funder": ("ANR", "CNES"),
        "source": ("Ifremer", "CNRS"),
    }


def _time(raw: str) -> dict[str, Any]:
    start, end = parse_time(raw)
    return {"time_start": start, "time_end": end, "time_given": True}


SHAPES = {
    "browse.json": SearchQuery(),
    "text.json": SearchQuery(terms=parse_q("salinity"), sort="relevance"),
    "phrase.json": SearchQuery(terms=parse_q('"sea surface temperature"'), aggregations=False),
    "fielded.json": SearchQuery(
        terms=parse_q('title:"sea surface" creator:Dupont keyword:ozone doi:10.5072/XYZ-9'),
        sort="oldest",
        size=10,
        aggregations=False,
    ),
    "text_two_facets.json": SearchQuery(
        terms=parse_q('salinity "sea surface" creator:Dupont doi:https://doi.org/10.5072/ABC'),
        filters={"community": ("odatis", "theia"), "year": ("2024",)},
        sort="relevance",
        size=10,
    ),
    "facets_all.json": SearchQuery(filters=facet_values(), aggregations=False),
    "bbox_intersects.json": SearchQuery(bbox=Box(-10.5, 40.25, 10.0, 50.0), aggregations=False),
    "bbox_antimeridian_intersects.json": SearchQuery(bbox=Box(175, -20, -175, -10), aggregations=False),
    "box_period_deep.json": SearchQuery(
        bbox=Box(170, -40, -170, 0),
        bbox_relation="within",
        **_time("../2021-02"),
        sort="title",
        size=50,
        cursor=("sea surface", "rec42"),
        all_versions=True,
        aggregations=False,
    ),
    "time_open_end.json": SearchQuery(**_time("2020/.."), aggregations=False),
    "time_closed.json": SearchQuery(**_time("2019-03/2020-06"), aggregations=False),
    "aggregations_only_all_versions.json": SearchQuery(size=0, all_versions=True),
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_query_shape_sends_its_golden_request_through_the_client(es: ReplayServer, name: str) -> None:
    es.answer(hits())
    result = backend_for(es).search(SHAPES[name])
    (request,) = es.requests
    assert (request.method, request.path) == ("POST", "/alluvium-records/_search")
    assert request.body == golden(name)
    assert result.record_ids == [] and result.total == 0


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_the_access_filter_is_in_every_request(name: str) -> None:
    """Query-less, aggregation-only and all-versions requests included; latest unless all."""
    filters = golden(name)["query"]["bool"]["filter"]
    assert filters[0] == ACCESS
    assert (LATEST in filters) is not SHAPES[name].all_versions
    assert search_body(SHAPES[name])["query"]["bool"]["filter"][0] == ACCESS


@pytest.mark.parametrize(
    ("sort", "text", "expected"),
    [
        ("newest", False, [{"published": {"order": "desc", "format": "strict_date"}}, {"record_id": "desc"}]),
        ("oldest", False, [{"published": {"order": "asc", "format": "strict_date"}}, {"record_id": "asc"}]),
        ("title", False, [{"title_sort": "asc"}, {"record_id": "asc"}]),
        ("relevance", True, [{"_score": "desc"}, {"record_id": "asc"}]),
        # relevance without words: nothing to rank, newest first
        (
            "relevance",
            False,
            [{"published": {"order": "desc", "format": "strict_date"}}, {"record_id": "desc"}],
        ),
    ],
)
def test_sorts(es: ReplayServer, sort: str, text: bool, expected: list[Any]) -> None:
    es.answer(hits())
    backend_for(es).search(SearchQuery(terms=parse_q("ozone") if text else (), sort=sort, aggregations=False))
    assert es.requests[0].body["sort"] == expected


def test_search_after_pages_on_the_last_hit_sort_values_through_an_api_cursor(es: ReplayServer) -> None:
    backend = backend_for(es)
    es.answer(hits(("r9", ["2024-05-02", "r9"]), ("r7", ["2024-05-01", "r7"]), total=3))
    first = backend.search(SearchQuery(size=2, aggregations=False))
    assert first.record_ids == ["r9", "r7"] and first.total == 3
    assert first.next_cursor == ("2024-05-01", "r7")
    # the cursor goes to the client and comes back (the API's encoding)
    cursor = decode_cursor(encode_cursor("newest", first.next_cursor), "newest")
    es.answer(hits(("r3", ["2023-01-01", "r3"]), total=3))
    second = backend.search(SearchQuery(size=2, cursor=cursor, aggregations=False))
    assert second.record_ids == ["r3"] and second.next_cursor is None  # a short page: the last
    assert "search_after" not in es.requests[0].body
    assert es.requests[1].body["search_after"] == ["2024-05-01", "r7"]
    assert "from" not in es.requests[1].body  # no from/size window: no 10,000-hit limit


def test_a_replayed_response_becomes_a_result(es: ReplayServer) -> None:
    es.answer(json.loads((GOLDEN / "response.json").read_text()))
    q = SearchQuery(terms=(Term("salinity"),), sort="relevance", size=2)
    result = backend_for(es).search(q)
    assert result.record_ids == ["r1", "r2"] and result.total == 3
    assert result.next_cursor == (1.5, "r2")  # a full page: there may be more
    assert result.snippets == {"r1": "Sea surface «salinity»"}
    assert result.aggregations["community"] == [("odatis", 2), ("theia", 1)]
    assert result.aggregations["year"] == [("2024", 3)] and result.aggregations["gcmd"] == []
    assert set(result.aggregations) == set(FACETS)


def test_query_less_browse_reads_every_aggregation(es: ReplayServer) -> None:
    aggregations = {
        f: {
            "doc_count_error_upper_bound": 0,
            "sum_other_doc_count": 0,
            "buckets": [{"key": f"{f}-a", "doc_count": 7}],
        }
        for f in FACETS
    }
    aggregations["year"]["buckets"] = [{"key": "2024", "doc_count": 5}, {"key": "2023", "doc_count": 2}]
    es.answer(hits(("r1", ["2024-01-01", "r1"]), total=7, aggregations=aggregations))
    result = backend_for(es).search(SearchQuery())
    assert es.requests[0].body == golden("browse.json")
    assert result.total == 7
    assert result.aggregations["year"] == [("2024", 5), ("2023", 2)]
    assert result.aggregations["funder"] == [("funder-a", 7)]
    assert len(result.aggregations) == 15


def test_a_parsed_response_without_the_client() -> None:
    short = parse_response(SearchQuery(size=5), json.loads((GOLDEN / "response.json").read_text()))
    assert short.next_cursor is None  # fewer hits than the page size: the last page


def test_the_index_template_and_a_first_index_behind_the_alias(es: ReplayServer) -> None:
    backend = backend_for(es)
    es.answer({"acknowledged": True})
    es.answer(None, status=404)  # HEAD _alias: no alias yet
    es.answer({"acknowledged": True, "shards_acknowledged": True, "index": "x"})
    backend.ensure_index()
    template, exists, create = es.requests
    assert (template.method, template.path) == ("PUT", "/_index_template/alluvium-records")
    assert template.body == golden("template.json")
    assert (exists.method, exists.path) == ("HEAD", "/_alias/alluvium-records")
    assert create.method == "PUT" and create.path.startswith("/alluvium-records-")
    assert create.body == {"aliases": {"alluvium-records": {"is_write_index": True}}}
    # an existing alias: the template is refreshed, no index created
    es.answer({"acknowledged": True})
    es.answer(None, status=200)
    backend.ensure_index()
    assert [r.method for r in es.requests[3:]] == ["PUT", "HEAD"]


def test_the_indexed_document_splits_antimeridian_extents_and_keeps_open_periods() -> None:
    entry = entry_from_document(example_record_document(), latest=True)
    doc = document(entry)
    assert doc["extent"]["type"] == "geometrycollection"
    envelopes = doc["extent"]["geometries"]
    assert {"type": "envelope", "coordinates": [[160.0, -10.0], [180.0, -35.0]]} in envelopes
    assert {"type": "envelope", "coordinates": [[-180.0, -10.0], [-150.0, -35.0]]} in envelopes
    # temporal extents 2019-03-01.. (open) and 2015-01..2016-12: the hull starts in 2015, open end
    assert doc["period"] == {"gte": "2015-01-01"}
    assert "EARTH SCIENCE > OCEANS" in doc["facets"]["gcmd"]
    assert doc["facets"]["doi"] == ["10.5072/alluvium.abcd-1234"]
    assert doc["facets"]["community"] == ["odatis"] and doc["facets"]["access"] == ["embargoed"]


def test_reindex_builds_a_new_index_and_switches_the_alias_atomically(es: ReplayServer) -> None:
    backend = backend_for(es)
    es.answer({"acknowledged": True})  # PUT _index_template
    es.answer({"acknowledged": True, "shards_acknowledged": True, "index": "x"})  # PUT <new>
    name = backend.begin_reindex()
    assert name.startswith("alluvium-records-") and name != "alluvium-records-old"
    es.answer({"acknowledged": True})  # PUT <new>/_settings
    es.answer({"_shards": {"total": 1, "successful": 1, "failed": 0}})  # POST <new>/_refresh
    es.answer(None, status=200)  # HEAD _alias/alluvium-records
    es.answer({"alluvium-records-old": {"aliases": {"alluvium-records": {"is_write_index": True}}}})
    es.answer({"acknowledged": True})  # POST _aliases
    es.answer({"acknowledged": True})  # DELETE the old index
    backend.finish_reindex(name)
    calls = [(r.method, r.path) for r in es.requests]
    assert calls == [
        ("PUT", "/_index_template/alluvium-records"),
        ("PUT", f"/{name}"),
        ("PUT", f"/{name}/_settings"),
        ("POST", f"/{name}/_refresh"),
        ("HEAD", "/_alias/alluvium-records"),
        ("GET", "/_alias/alluvium-records"),
        ("POST", "/_aliases"),
        ("DELETE", "/alluvium-records-old"),
    ]
    assert es.requests[0].body == golden("template.json")
    assert es.requests[1].body == {"settings": {"refresh_interval": "-1"}}  # no refresh while filling
    assert es.requests[2].body == {"refresh_interval": None}  # back to the default
    # one atomic action: searches see the old index, then the complete new one
    assert es.requests[6].body == {
        "actions": [
            {"remove": {"index": "alluvium-records-old", "alias": "alluvium-records"}},
            {"add": {"index": name, "alias": "alluvium-records", "is_write_index": True}},
        ]
    }


def test_a_first_reindex_without_an_alias_creates_it(es: ReplayServer) -> None:
    backend = backend_for(es)
    es.answer({"acknowledged": True})
    es.answer({"acknowledged": True, "shards_acknowledged": True, "index": "x"})
    name = backend.begin_reindex()
    es.answer({"acknowledged": True})
    es.answer({"_shards": {"total": 1, "successful": 1, "failed": 0}})
    es.answer(None, status=404)  # HEAD _alias: none yet (GET would answer 404, an exception)
    es.answer({"acknowledged": True})
    backend.finish_reindex(name)
    assert [(r.method, r.path) for r in es.requests[4:]] == [
        ("HEAD", "/_alias/alluvium-records"),
        ("POST", "/_aliases"),
    ]
    assert es.requests[5].body == {
        "actions": [{"add": {"index": name, "alias": "alluvium-records", "is_write_index": True}}]
    }


@pytest.mark.parametrize("raw", ['creator:""', 'title:"  "', "doi:https://doi.org/"])
def test_empty_fielded_terms_are_dropped(raw: str) -> None:
    assert parse_q(raw) == ()


def _bulk_answer(operations: list[dict[str, Any]], status: int = 201) -> dict[str, Any]:
    items = []
    for op in operations:
        for action, meta in op.items():
            if action in ("index", "delete"):
                items.append({action: {"_index": meta["_index"], "_id": meta["_id"], "status": status}})
    return {"took": 3, "errors": status >= 300, "items": items}


def test_publication_withdrawal_and_a_full_reindex_reach_elasticsearch(database_url, instance, es) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import delete

    from app import create_app
    from app.db import new_session
    from app.models import Job
    from app.services import jobs
    from tests._oai import Repo
    from tests.conftest import make_test_config

    app = create_app(
        make_test_config(database_url, instance, SEARCH_BACKEND="elasticsearch", ELASTICSEARCH_URL=es.url)
    )
    repo = Repo(app)
    rid = repo.publish(1)
    assert es.requests == []  # queued in the outbox, not sent inside the transaction
    # The moderation e-mails Repo's steps queued (app/services/notifications.py) are not what
    # this test is about: dropped.
    with new_session(app) as s:
        s.execute(delete(Job).where(Job.kind == "send-email"))
        s.commit()
    index_op = {"index": {"_index": "alluvium-records", "_id": rid}}
    es.answer(_bulk_answer([index_op]))
    with (
        app.app_context()
    ):  # the publish job Repo left behind (a no-op by now), search-index, archive-version
        assert jobs.run_pending(app.extensions["alluvium.sessionmaker"]) == (3, 0)
    (bulk,) = es.requests
    assert (bulk.method, bulk.path, bulk.params) == (
        "PUT",
        "/_bulk",
        {"refresh": "true"},
    )  # the client PUTs _bulk
    assert bulk.body[0] == index_op
    doc = bulk.body[1]
    assert doc["title"] == "Test dataset 1" and doc["latest"] is True and doc["state"] == "published"
    assert doc["record_id"] == rid and doc["facets"]["access"] == ["open"]

    # A full reindex into a new index (what `alluvium search reindex` does), then the switch.
    backend = ElasticBackend.from_config(app.config)
    es.answer({"acknowledged": True})
    es.answer({"acknowledged": True, "shards_acknowledged": True, "index": "x"})
    name = backend.begin_reindex()
    with app.app_context(), new_session(app) as s:
        parent = s.get(__import__("app.models", fromlist=["Record"]).Record, rid).parent_id
        es.answer(_bulk_answer([{"index": {"_index": name, "_id": rid}}]))
        backend.sync_parents(s, [parent], index=name)
    reindexed = es.requests[-1]
    assert (reindexed.path, reindexed.params) == ("/_bulk", {"refresh": "false"})
    assert reindexed.body[0] == {"index": {"_index": name, "_id": rid}} and reindexed.body[1] == doc

    # Elasticsearch refusing an operation fails the job (retried later), with the reason.
    es.answer(_bulk_answer([index_op], status=400))
    with app.app_context(), new_session(app) as s, pytest.raises(RuntimeError, match="refused 1 operation"):
        backend.sync_parents(s, [parent])

    repo.withdraw(rid)
    es.answer(
        {
            "took": 1,
            "errors": False,
            "items": [{"delete": {"_index": "alluvium-records", "_id": rid, "status": 200}}],
        }
    )
    with app.app_context():  # search-index and the tombstone package (archive-version)
        assert jobs.run_pending(app.extensions["alluvium.sessionmaker"]) == (2, 0)
    assert es.requests[-1].body == [{"delete": {"_index": "alluvium-records", "_id": rid}}]
    app.extensions["alluvium.engine"].dispose()

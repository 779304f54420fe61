"""The Elasticsearch/OpenSearch backend (app/search/elastic.py), tested by its requests.

No Elasticsearch server can run on the test machines: the request bodies are compared with
golden files written by hand from the Elasticsearch query DSL reference (tests/golden/search/),
responses are replayed from a recorded-shape response, and the write path runs against a
stand-in client that records calls (the only stand-in: it replaces the server). The same
adapter runs against a live server in tests/test_search_elastic_live.py when
ALLUVIUM_ELASTICSEARCH_URL is set (docs/search.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.search.elastic import ElasticBackend, document, parse_response, search_body
from app.search.interface import Box, SearchQuery, Term, entry_from_document, parse_q
from schemas.examples import example_record_document

GOLDEN = Path(__file__).parent / "golden" / "search"


def golden(name: str) -> dict[str, Any]:
    body = json.loads((GOLDEN / name).read_text())
    if body.get("aggs") == "aggs.json":
        body["aggs"] = json.loads((GOLDEN / "aggs.json").read_text())
    return body


def test_query_less_browse_keeps_the_access_filter_and_asks_every_facet() -> None:
    assert search_body(SearchQuery()) == golden("browse.json")


def test_text_phrase_fielded_doi_and_two_facets() -> None:
    q = SearchQuery(
        terms=parse_q('salinity "sea surface" creator:Dupont doi:https://doi.org/10.5072/ABC'),
        filters={"community": ("odatis", "theia"), "year": ("2024",)},
        sort="relevance",
        size=10,
    )
    assert search_body(q) == golden("text_two_facets.json")


def test_antimeridian_box_within_open_period_all_versions_and_search_after() -> None:
    q = SearchQuery(
        bbox=Box(170, -40, -170, 0),
        bbox_relation="within",
        time_end="2021-02-31",
        time_given=True,
        sort="title",
        size=50,
        cursor=("sea surface", "rec42"),
        all_versions=True,
        aggregations=False,
    )
    assert search_body(q) == golden("box_period_deep.json")


def test_a_recorded_response_becomes_a_result() -> None:
    q = SearchQuery(terms=(Term("salinity"),), sort="relevance", size=2)
    result = parse_response(q, json.loads((GOLDEN / "response.json").read_text()))
    assert result.record_ids == ["r1", "r2"] and result.total == 3
    assert result.next_cursor == (1.5, "r2")  # a full page: there may be more
    assert result.snippets == {"r1": "Sea surface «salinity»"}
    assert result.aggregations["community"] == [("odatis", 2), ("theia", 1)]
    assert result.aggregations["year"] == [("2024", 3)] and result.aggregations["gcmd"] == []
    short = parse_response(SearchQuery(size=5), json.loads((GOLDEN / "response.json").read_text()))
    assert short.next_cursor is None  # fewer hits than the page size: the last page


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


class RecordingClient:
    """Stands in for the Elasticsearch server (none can run here): records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.indices = self
        self.aliases: dict[str, list[str]] = {}

    def __getattr__(self, name: str) -> Any:
        def call(**kwargs: Any) -> Any:
            self.calls.append((name, kwargs))
            if name == "get_alias":
                return {old: {} for old in self.aliases.get(kwargs["name"], [])}
            if name == "bulk":
                return {"errors": False, "items": []}
            return {}

        return call


def test_reindex_builds_a_new_index_and_switches_the_alias_atomically() -> None:
    client = RecordingClient()
    client.aliases["alluvium-records"] = ["alluvium-records-old"]
    backend = ElasticBackend(client)
    name = backend.begin_reindex()
    assert name.startswith("alluvium-records-") and name != "alluvium-records-old"
    backend.finish_reindex(name)
    kinds = [c[0] for c in client.calls]
    assert kinds == [
        "put_index_template",
        "create",
        "put_settings",
        "refresh",
        "get_alias",
        "update_aliases",
        "delete",
    ]
    actions = dict(client.calls[5][1])["actions"]
    assert actions == [
        {"remove": {"index": "alluvium-records-old", "alias": "alluvium-records"}},
        {"add": {"index": name, "alias": "alluvium-records", "is_write_index": True}},
    ]
    assert client.calls[6][1] == {"index": "alluvium-records-old"}  # dropped only after the switch


@pytest.mark.parametrize("raw", ['creator:""', 'title:"  "', "doi:https://doi.org/"])
def test_empty_fielded_terms_are_dropped(raw: str) -> None:
    assert parse_q(raw) == ()


def test_publication_and_withdrawal_reach_elasticsearch_through_the_outbox(database_url, instance) -> None:  # type: ignore[no-untyped-def]
    from app import create_app
    from app.services import jobs
    from tests._oai import Repo
    from tests.conftest import make_test_config

    app = create_app(
        make_test_config(
            database_url, instance, SEARCH_BACKEND="elasticsearch", ELASTICSEARCH_URL="http://127.0.0.1:9"
        )
    )
    client = RecordingClient()
    app.extensions["alluvium.search"] = ElasticBackend(client, base_url=app.config["BASE_URL"])
    repo = Repo(app)
    rid = repo.publish(1)
    assert not [c for c in client.calls if c[0] == "bulk"]  # queued, not sent inside the transaction
    # The moderation e-mails Repo's steps queued (app/services/notifications.py) are not what
    # this test is about: dropped.
    from sqlalchemy import delete

    from app.db import new_session
    from app.models import Job

    with new_session(app) as s:
        s.execute(delete(Job).where(Job.kind == "send-email"))
        s.commit()
    with (
        app.app_context()
    ):  # the publish job Repo left behind (a no-op by now), search-index, archive-version
        assert jobs.run_pending(app.extensions["alluvium.sessionmaker"]) == (3, 0)
    (bulk,) = [c[1] for c in client.calls if c[0] == "bulk"]
    assert bulk["operations"][0] == {"index": {"_index": "alluvium-records", "_id": rid}}
    assert bulk["operations"][1]["title"] == "Test dataset 1" and bulk["operations"][1]["latest"] is True
    repo.withdraw(rid)
    with app.app_context():  # search-index and the tombstone package (archive-version)
        assert jobs.run_pending(app.extensions["alluvium.sessionmaker"]) == (2, 0)
    last = [c[1] for c in client.calls if c[0] == "bulk"][-1]
    assert last["operations"] == [{"delete": {"_index": "alluvium-records", "_id": rid}}]
    app.extensions["alluvium.engine"].dispose()

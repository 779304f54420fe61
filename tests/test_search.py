"""Search (GET /api/records, docs/search.md) on the embedded backend of the test database:
SQLite FTS5 + R*Tree, or PostgreSQL tsvector + GiST with ALLUVIUM_TEST_DATABASE_URL.

Records are published through the real workflow (tests/_oai.Repo); nothing is mocked."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.db import new_session
from app.models import SearchBox, SearchEntry, SearchFacet, SearchFacetCount
from app.services import records as svc
from schemas.examples import minimal_example
from tests._oai import Repo

GCMD = "https://gcmd.earthdata.nasa.gov/kms/concepts/concept_scheme/sciencekeywords"
INSPIRE = "http://inspire.ec.europa.eu/theme"


@pytest.fixture
def repo(app: Flask) -> Repo:
    return Repo(app)


def md(title: str, **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(minimal_example())
    data["titles"] = [{"text": title}]
    data.update(changes)
    return data


def gcmd(*terms: str) -> dict[str, Any]:
    return {"scheme_name": "GCMD Science Keywords", "scheme_uri": GCMD, "terms": [{"term": t} for t in terms]}


def box(west: float, south: float, east: float, north: float) -> list[dict[str, Any]]:
    return [{"place": "box", "bbox": {"west": west, "south": south, "east": east, "north": north}}]


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.json
    return [h["id"] for h in response.json["hits"]["hits"]]


def buckets(response: Any, facet: str) -> dict[str, int]:
    return {b["key"]: b["doc_count"] for b in response.json["aggregations"][facet]["buckets"]}


# -- who sees what --------------------------------------------------------------------------


def test_unpublished_and_withdrawn_versions_never_appear_in_results_counts_or_facets(
    app, repo, client
) -> None:  # type: ignore[no-untyped-def]
    public = repo.publish(metadata=md("Zircon public dataset", free_keywords=[{"term": "visible"}]))
    hidden = md(
        "Zircon secret dataset", free_keywords=[{"term": "secretword"}], publisher={"name": "Hidden lab"}
    )
    with app.app_context(), new_session(app) as s:
        svc.create_draft(s, repo.p, copy.deepcopy(hidden))  # draft
        sub = svc.create_draft(s, repo.p, copy.deepcopy(hidden))
        svc.submit(s, repo.p, sub.id, community="odatis")  # submission
        acc = svc.create_draft(s, repo.p, copy.deepcopy(hidden))
        svc.submit(s, repo.p, acc.id, community="odatis")
        svc.assign(s, repo.m, acc.id)
        svc.accept(s, repo.m, acc.id)  # accepted, its publish job never run
        from app.services import jobs

        jobs.take_enqueued(s)
        s.commit()
    gone = repo.publish(metadata=hidden, community="odatis")
    assert ids(client.get("/api/records?q=secretword")) == [gone]
    repo.withdraw(gone)

    for url in (
        "/api/records",
        "/api/records?q=zircon",
        "/api/records?q=secretword",
        "/api/records?all_versions=true",
    ):
        r = client.get(url)
        assert gone not in ids(r)
        assert r.json["hits"]["total"] == (0 if "secret" in url else 1), url
        for facet in ("keyword", "source", "community"):
            assert "secretword" not in buckets(r, facet) and "Hidden lab" not in buckets(r, facet)
            assert "odatis" not in buckets(r, facet), url
    r = client.get("/api/records?q=zircon")
    assert ids(r) == [public] and buckets(r, "community") == {"aeris": 1}
    # filtering on a facet value only hidden records carry finds nothing either
    assert client.get("/api/records?community=odatis").json["hits"]["total"] == 0
    assert client.get("/api/records?source=Hidden+lab").json["hits"]["total"] == 0


def test_latest_versions_by_default_all_on_request_and_a_withdrawn_latest_gives_way(repo, client) -> None:  # type: ignore[no-untyped-def]
    v1 = repo.publish(metadata=md("Quartz series"))
    v2 = repo.new_version(v1, 2)
    assert ids(client.get("/api/records")) == [v2]
    assert sorted(ids(client.get("/api/records?all_versions=true"))) == sorted([v1, v2])
    repo.withdraw(v2)
    assert ids(client.get("/api/records")) == [v1]
    assert ids(client.get("/api/records?all_versions=1")) == [v1]


# -- text -----------------------------------------------------------------------------------


def test_text_folds_accents_and_ranks_titles_first(repo, client) -> None:  # type: ignore[no-untyped-def]
    in_abstract = repo.publish(
        metadata=md("Ocean buoys", abstracts=[{"text": "Hourly température of the surface."}])
    )
    in_title = repo.publish(metadata=md("Surface temperature of lakes"))
    unrelated = repo.publish(metadata=md("Soil moisture"))
    r = client.get("/api/records?q=temperature")
    assert ids(r) == [in_title, in_abstract] and r.json["sortBy"] == "relevance"
    assert ids(client.get("/api/records?q=TEMPÉRATURE")) == [in_title, in_abstract]
    assert unrelated not in ids(client.get("/api/records?q=temperature"))
    hit = client.get("/api/records?q=lakes").json["hits"]["hits"][0]
    assert "«lakes»" in hit["snippet"]


def test_keyword_labels_and_creators_are_searched(repo, client) -> None:  # type: ignore[no-untyped-def]
    kw = repo.publish(metadata=md("Dataset one", keywords=[gcmd("EARTH SCIENCE > OCEANS > SALINITY")]))
    person = repo.publish(
        metadata=md(
            "Dataset two", creators=[{"type": "Personal", "family_name": "Okafor", "given_name": "Ana"}]
        )
    )
    assert ids(client.get("/api/records?q=salinity")) == [kw]
    assert ids(client.get("/api/records?q=okafor")) == [person]


def test_phrases_and_fielded_terms(repo, client) -> None:  # type: ignore[no-untyped-def]
    phrase = repo.publish(metadata=md("Sea surface salinity"))
    scattered = repo.publish(metadata=md("Surface of the sea floor"))
    by_creator = repo.publish(
        metadata=md(
            "Wind at the Lusignan site",
            creators=[{"type": "Personal", "family_name": "Surface", "given_name": "Jo"}],
            keywords=[gcmd("EARTH SCIENCE > ATMOSPHERE > ATMOSPHERIC WINDS")],
        )
    )
    assert sorted(ids(client.get("/api/records?q=sea surface"))) == sorted([phrase, scattered])
    assert ids(client.get('/api/records?q="sea surface"')) == [phrase]
    assert sorted(ids(client.get("/api/records?q=title:surface"))) == sorted([phrase, scattered])
    assert ids(client.get("/api/records?q=creator:surface")) == [by_creator]
    assert ids(client.get("/api/records?q=keyword:winds")) == [by_creator]
    assert ids(client.get('/api/records?q=title:"surface of the sea"')) == [scattered]
    # punctuation is never query syntax
    assert client.get('/api/records?q=" OR * NEAR( title: "').status_code == 200


# -- facets ---------------------------------------------------------------------------------


def test_facets_count_and_combine_or_within_and_across(repo, client) -> None:  # type: ignore[no-untyped-def]
    a = repo.publish(
        metadata=md("A", keywords=[gcmd("EARTH SCIENCE > OCEANS > SALINITY")], publication_year=2020)
    )
    b = repo.publish(
        metadata=md(
            "B", keywords=[gcmd("EARTH SCIENCE > OCEANS > OCEAN TEMPERATURE")], publication_year=2021
        ),
        community="odatis",
    )
    c = repo.publish(
        metadata=md(
            "C",
            keywords=[
                {"scheme_name": "GEMET - INSPIRE themes", "scheme_uri": INSPIRE, "terms": [{"term": "Soil"}]}
            ],
            rights={"access_level": "restricted", "license": {"id": "CC-BY-4.0"}},
            publication_year=2021,
        )
    )
    r = client.get("/api/records")
    assert r.json["hits"]["total"] == 3
    assert buckets(r, "community") == {"aeris": 2, "odatis": 1}
    assert buckets(r, "year") == {"2021": 2, "2020": 1}
    assert buckets(r, "gcmd") == {
        "EARTH SCIENCE": 2,
        "EARTH SCIENCE > OCEANS": 2,
        "EARTH SCIENCE > OCEANS > SALINITY": 1,
        "EARTH SCIENCE > OCEANS > OCEAN TEMPERATURE": 1,
    }
    assert buckets(r, "inspire_theme") == {"Soil": 1}
    assert buckets(r, "access") == {"open": 2, "restricted": 1}
    assert buckets(r, "license") == {"CC-BY-4.0": 1}
    assert sorted(ids(client.get("/api/records?year=2020&year=2021"))) == sorted([a, b, c])  # OR
    assert sorted(ids(client.get("/api/records?year=2021&community=aeris"))) == [c]  # AND
    r = client.get("/api/records?gcmd=EARTH+SCIENCE+%3E+OCEANS")
    assert sorted(ids(r)) == sorted([a, b]) and buckets(r, "community") == {"aeris": 1, "odatis": 1}


# -- space and time -------------------------------------------------------------------------


def test_boxes_intersect_within_and_across_the_antimeridian(repo, client) -> None:  # type: ignore[no-untyped-def]
    france = repo.publish(metadata=md("France", spatial_extents=box(-5, 42, 8, 51)))
    pacific = repo.publish(metadata=md("Pacific", spatial_extents=box(160, -35, -150, -10)))  # crosses 180°
    point = repo.publish(
        metadata=md("Noumea", spatial_extents=[{"place": "Nouméa", "point": {"lon": 166.45, "lat": -22.27}}])
    )
    nowhere = repo.publish(metadata=md("No extent"))
    assert ids(client.get("/api/records?bbox=0,40,10,50")) == [france]
    # a query box near the antimeridian on its eastern side finds the crossing record
    assert ids(client.get("/api/records?bbox=-170,-30,-160,-20")) == [pacific]
    # a query box crossing the antimeridian
    assert sorted(ids(client.get("/api/records?bbox=170,-40,-170,0"))) == sorted([pacific])
    assert sorted(ids(client.get("/api/records?bbox=150,-40,-140,0"))) == sorted([pacific, point])
    # within: the record's whole extent inside the box
    assert sorted(ids(client.get("/api/records?bbox=150,-40,-140,0&bbox_relation=within"))) == sorted(
        [pacific, point]
    )
    assert ids(client.get("/api/records?bbox=165,-40,-140,0&bbox_relation=within")) == [point]
    assert ids(client.get("/api/records?bbox=-180,-90,180,90&bbox_relation=within&sort=title")) == [
        france,
        point,
        pacific,
    ]
    assert nowhere not in ids(client.get("/api/records?bbox=-180,-90,180,90"))


def test_time_overlap_with_open_ended_extents(repo, client) -> None:  # type: ignore[no-untyped-def]
    closed = repo.publish(metadata=md("Closed", temporal_extents=[{"start": "2015-01", "end": "2016-12"}]))
    ongoing = repo.publish(metadata=md("Ongoing", temporal_extents=[{"start": "2019-03-01"}]))
    ancient = repo.publish(metadata=md("1990s", temporal_extents=[{"start": "1990", "end": "2000"}]))
    repo.publish(metadata=md("Timeless"))
    assert ids(client.get("/api/records?time=2016-06-01/2016-07-01")) == [closed]
    assert sorted(ids(client.get("/api/records?time=2016-12-31/2019-03-01"))) == sorted([closed, ongoing])
    assert ids(client.get("/api/records?time=2030/")) == [ongoing]
    assert ids(client.get("/api/records?time=../1999")) == [ancient]
    assert ids(client.get("/api/records?time=2017/2019-02")) == []
    assert sorted(ids(client.get("/api/records?time=2000-12-31/.."))) == sorted([closed, ongoing, ancient])
    assert ids(client.get("/api/records?time=2001")) == []


def test_box_and_period_together(repo, client) -> None:  # type: ignore[no-untyped-def]
    """On SQLite the period is the R*Tree's third dimension (schema.SQLITE_RTREE): every case
    where the box and the period could disagree with the entry's own columns."""

    def period(start: str | None, end: str | None = None) -> list[dict[str, Any]]:
        return [{k: v for k, v in (("start", start), ("end", end)) if v}]

    both = repo.publish(
        metadata=md("Both", spatial_extents=box(0, 40, 10, 50), temporal_extents=period("2015", "2016"))
    )
    later = repo.publish(
        metadata=md("Later", spatial_extents=box(0, 40, 10, 50), temporal_extents=period("2018", "2019"))
    )
    no_period = repo.publish(metadata=md("No period", spatial_extents=box(0, 40, 10, 50)))
    no_box = repo.publish(metadata=md("No box", temporal_extents=period("2015", "2016")))
    ongoing = repo.publish(
        metadata=md("Ongoing", spatial_extents=box(5, 45, 6, 46), temporal_extents=period("2010"))
    )
    since_ever = repo.publish(
        metadata=md(
            "Since year 1", spatial_extents=box(5, 45, 6, 46), temporal_extents=period("0001", "2012-06-30")
        )
    )
    # two boxes far apart and two periods: the hull of the periods counts for either box
    several = repo.publish(
        metadata=md(
            "Several",
            spatial_extents=box(100, 0, 101, 1) + box(2, 41, 3, 42),
            temporal_extents=period("2000", "2001") + period("2020-01-01", "2020-02-01"),
        )
    )
    pacific = repo.publish(
        metadata=md(
            "Pacific",
            spatial_extents=box(160, -35, -150, -10),
            temporal_extents=period("2016-05-01", "2016-05-02"),
        )
    )
    gone = repo.publish(
        metadata=md("Withdrawn", spatial_extents=box(0, 40, 10, 50), temporal_extents=period("2015"))
    )
    repo.withdraw(gone)

    def found(query: str) -> list[str]:
        return sorted(ids(client.get(f"/api/records?{query}&size=50")))

    assert found("bbox=-1,39,11,51&time=2016-03/2016-04") == sorted([both, ongoing, several])
    assert found("bbox=-1,39,11,51&time=2011/2012") == sorted([ongoing, since_ever, several])
    assert found("bbox=-1,39,11,51&time=1990/..") == sorted([both, later, ongoing, since_ever, several])
    assert found("bbox=-1,39,11,51&time=../1900") == sorted([since_ever])
    assert found("bbox=-1,39,11,51&time=2017") == sorted([ongoing, several])
    assert found("bbox=-1,39,11,51&time=2020-03/") == sorted([ongoing])
    assert found("bbox=-1,39,11,51&time=2017&bbox_relation=within") == sorted([ongoing])
    assert found("bbox=99,-1,102,2&time=2010/2010-06") == sorted([several])
    assert found("bbox=-1,39,11,51") == sorted([both, later, no_period, ongoing, since_ever, several])
    assert no_box in found("time=2016-03/2016-04") and no_period not in found("time=2016-03/2016-04")
    # across the antimeridian, both halves of the query box
    assert found("bbox=170,-40,-170,0&time=2016-05-02/2016-06") == [pacific]
    assert found("bbox=170,-40,-170,0&time=2016-05-03/2016-06") == []
    assert found("bbox=-165,-40,-155,0&time=2016") == [pacific]
    # with text, the box and the period are checked per match (the FTS5 matches drive)
    assert found("q=several&bbox=-1,39,11,51&time=2020-01-15") == [several]
    assert found("q=several&bbox=-1,39,11,51&time=2019-01-15") == [several]
    assert found("q=several&bbox=-1,39,11,51&time=2022") == []


def test_the_period_key_keeps_the_order_of_dates() -> None:
    from app.search.interface import LAST_DAY, NO_PERIOD, day_key

    dates = ["0000-01-01", "0999-12-31", "1999-02-28", "1999-02-31", "1999-03-01", "2000-01-01", "9999-12-31"]
    keys = [day_key(d) for d in dates]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert keys[0] == 0 and keys[-1] == LAST_DAY == 3_719_999 < 2**24  # exact in a 32-bit float
    assert day_key(None) == NO_PERIOD < 0
    assert day_key("2015-01-01") == 749_580 and day_key("2016-12-31") == 750_323


def test_migration_0017_fills_the_rtree_period_from_the_indexed_entries(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """SQLite only (on PostgreSQL it does nothing): the SQL formula must give the indexer's keys."""
    import sqlite3

    from app.migrate import downgrade, upgrade

    path = tmp_path / "m.db"
    url = f"sqlite:///{path}"
    upgrade(url, "0016_hsearch")
    con = sqlite3.connect(path)
    with con:
        # the R*Tree as migration 0010 made it before 0017 (today 0010 makes the new one)
        con.execute("DROP TABLE search_rtree")
        con.execute("CREATE VIRTUAL TABLE search_rtree USING rtree(id, min_x, max_x, min_y, max_y)")
        for i, (start, end) in enumerate(
            [("2015-01-01", "2016-12-31"), ("0000-01-01", "9999-12-31"), (None, None)], 1
        ):
            con.execute(
                "INSERT INTO search_entries (id, record_id, parent_id, latest, published, title_sort, title, "
                "keywords, creators, body, time_start, time_end, display) "
                "VALUES (?, ?, ?, 1, '', '', '', '', '', '', ?, ?, '{}')",
                (i, f"r{i}", f"r{i}", start, end),
            )
            con.execute("INSERT INTO search_boxes VALUES (?, ?, 1.5, 2.5, 3.5, 4.5)", (10 + i, i))
            con.execute("INSERT INTO search_rtree VALUES (?, 1.5, 3.5, 2.5, 4.5)", (10 + i,))
    con.close()
    upgrade(url)
    con = sqlite3.connect(path)
    rows = con.execute(
        "SELECT id, min_x, max_x, min_y, max_y, min_t, max_t, entry_id FROM search_rtree ORDER BY id"
    ).fetchall()
    assert rows == [
        (11, 1.5, 3.5, 2.5, 4.5, 749_580, 750_323, 1),
        (12, 1.5, 3.5, 2.5, 4.5, 0, 3_719_999, 2),
        (13, 1.5, 3.5, 2.5, 4.5, -1, -1, 3),
    ]
    con.close()
    downgrade(url, "0016_hsearch")
    con = sqlite3.connect(path)
    assert con.execute("SELECT * FROM search_rtree ORDER BY id").fetchall() == [
        (11, 1.5, 3.5, 2.5, 4.5),
        (12, 1.5, 3.5, 2.5, 4.5),
        (13, 1.5, 3.5, 2.5, 4.5),
    ]
    con.close()


# -- sorting and paging ---------------------------------------------------------------------


def test_a_facet_filter_keeps_the_relevance_order_and_pages(repo, client) -> None:  # type: ignore[no-untyped-def]
    """With facets the hits are found from the facet index and only they are ranked (SQLite):
    the order must be the unfiltered ranking restricted to the facet, the paging complete."""
    in_abstract = repo.publish(
        metadata=md("Ocean buoys", abstracts=[{"text": "Hourly temperature of the surface."}]),
        community="odatis",
    )
    in_title = repo.publish(metadata=md("Surface temperature of lakes"), community="odatis")
    elsewhere = repo.publish(metadata=md("Temperature of rivers"), community="aeris")
    repo.publish(metadata=md("Soil moisture"), community="odatis")
    assert ids(client.get("/api/records?q=temperature&community=odatis")) == [in_title, in_abstract]
    both = "/api/records?q=temperature&community=odatis&community=aeris&resource_type=Dataset"
    assert set(ids(client.get(both))) == {in_title, in_abstract, elsewhere}
    r = client.get("/api/records?q=temperature&community=odatis&size=1")
    assert ids(r) == [in_title] and r.json["hits"]["total"] == 2
    assert ids(client.get(r.json["links"]["next"])) == [in_abstract]


@pytest.mark.parametrize("sort", ["newest", "oldest", "title", "relevance"])
def test_cursor_paging_walks_every_hit_once(repo, client, sort) -> None:  # type: ignore[no-untyped-def]
    titles = ["Kappa river", "Alpha river", "Delta river", "beta river", "Écho river", "Gamma stream"]
    published = {repo.publish(metadata=md(t)): t for t in titles}
    q = "&q=river" if sort == "relevance" else ""
    url, seen, pages = f"/api/records?size=2&sort={sort}{q}", [], 0
    while url:
        r = client.get(url)
        assert r.status_code == 200, r.json
        seen += ids(r)
        url = r.json["links"].get("next")
        pages += 1
        assert pages <= 3, "the cursor does not move on"
    expected = [rid for rid, t in published.items() if sort != "relevance" or "river" in t]
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))
    if sort == "title":  # accents and case do not change the order
        assert [published[i] for i in seen] == [
            "Alpha river",
            "beta river",
            "Delta river",
            "Écho river",
            "Gamma stream",
            "Kappa river",
        ]
    if sort == "newest":
        assert seen == list(reversed(list(published)))


def test_page_numbers_still_work(repo, client) -> None:  # type: ignore[no-untyped-def]
    made = [repo.publish(metadata=md(f"Item {n}")) for n in range(3)]
    first, second = (
        ids(client.get("/api/records?size=2&page=1")),
        ids(client.get("/api/records?size=2&page=2")),
    )
    assert sorted(first + second) == sorted(made)
    assert client.get("/api/records?size=2&page=1").json["links"]["next"].endswith("page=2")


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("bbox=1,2,3", "/bbox"),
        ("bbox=a,b,c,d", "/bbox"),
        ("bbox=0,60,10,50", "/bbox"),
        ("bbox=-200,0,10,10", "/bbox"),
        ("bbox=0,0,1,1&bbox_relation=touches", "/bbox_relation"),
        ("time=2020-13-01/", "/time"),
        ("time=2021/2020", "/time"),
        ("time=yesterday", "/time"),
        ("sort=random", "/sort"),
        ("cursor=!!!", "/cursor"),
        ("cursor=WyJ0aXRsZSIsImEiLDFd", "/cursor"),  # a title cursor given to the newest sort
        ("q=x&cursor=WyJyZWxldmFuY2UiLCJhYmMiLDFd", "/cursor"),  # ["relevance", "abc", 1]: not a score
        ("cursor=WyJuZXdlc3QiLCJhIiwxLDJd", "/cursor"),  # ["newest", "a", 1, 2]: too long
        ("colour=blue", "/colour"),
        ("size=0", "/size"),
        ("all_versions=maybe", "/all_versions"),
        ("q=" + "x" * 501, "/q"),
        ("q=a&q=b", "/q"),
        ("page=2&cursor=WyJuZXdlc3QiLCIiLDFd", "/page"),
    ],
)
def test_bad_search_input_is_a_400_naming_the_parameter(client, query, field) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/records?" + query)
    assert r.status_code == 400, (query, r.json)
    assert r.json["errors"][0]["field"] == field


# -- rebuilding -----------------------------------------------------------------------------


def test_reindex_rebuilds_the_index_and_resumes_from_its_checkpoint(app, repo, client) -> None:  # type: ignore[no-untyped-def]
    made = [
        repo.publish(metadata=md(f"Granite {n}", spatial_extents=box(n, n, n + 1, n + 1))) for n in range(5)
    ]
    before = client.get("/api/records?q=granite&bbox=0,0,2.5,2.5&sort=title").json
    with new_session(app) as s:  # lose the index (as after a restore from a dump without it)
        s.execute(SearchFacetCount.__table__.delete())
        s.execute(SearchFacet.__table__.delete())
        s.execute(SearchBox.__table__.delete())
        s.execute(SearchEntry.__table__.delete())
        if s.get_bind().dialect.name == "sqlite":
            from sqlalchemy import text

            s.execute(text("DELETE FROM search_fts"))
            s.execute(text("DELETE FROM search_rtree"))
        s.commit()
    assert client.get("/api/records").json["hits"]["total"] == 0
    runner = app.test_cli_runner()
    from app.cli import main

    env = {"ALLUVIUM_DATABASE_URL": app.config["DATABASE_URL"]}
    checkpoint = app.instance_path + "/search-reindex.checkpoint"
    # a reindex stopped after its first batch (of 2) leaves a checkpoint...
    r = runner.invoke(main, ["search", "reindex", "--batch", "2", "--stop-after", "1"], env=env)
    assert r.exit_code == 0, r.output
    with new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(SearchEntry)) == 2
    with open(checkpoint) as fh:
        assert fh.read().strip()
    # ... and the next run goes on from it
    r = runner.invoke(main, ["search", "reindex", "--batch", "2"], env=env)
    assert r.exit_code == 0, r.output
    assert "resuming after" in r.output and "5/5" in r.output
    after = client.get("/api/records?q=granite&bbox=0,0,2.5,2.5&sort=title").json
    assert [h["id"] for h in after["hits"]["hits"]] == [h["id"] for h in before["hits"]["hits"]]
    assert after["hits"]["total"] == before["hits"]["total"] == 3
    assert [h["id"] for h in after["hits"]["hits"]] == made[:3]
    assert client.get("/api/records").json["hits"]["total"] == 5
    import os

    assert not os.path.exists(checkpoint)


def test_query_less_counts_kept_by_the_indexer_equal_the_counted_ones(app, repo, client) -> None:  # type: ignore[no-untyped-def]
    """A query-less search reads search_facet_counts (kept by the indexer); after publications,
    a new version and a withdrawal they must equal the counts a filtered search computes over
    the same hit set (year filter covering every record), for latest and all versions."""
    kw = [{"term": "alpha"}]
    a = repo.publish(metadata=md("Count one", free_keywords=kw), community="odatis")
    repo.publish(metadata=md("Count two", free_keywords=[{"term": "beta"}]), community="aeris")
    c = repo.publish(metadata=md("Count three", free_keywords=kw), community="odatis")
    repo.new_version(a, 5)  # its keywords: the minimal example's, no "alpha"
    repo.withdraw(c)
    for extra in ("", "&all_versions=true"):
        browse = client.get("/api/records?size=1" + extra).json
        years = ",".join(b["key"] for b in browse["aggregations"]["year"]["buckets"])
        counted = client.get(
            f"/api/records?size=1{extra}&" + "&".join(f"year={y}" for y in years.split(","))
        ).json
        assert browse["hits"]["total"] == counted["hits"]["total"] == (2 if not extra else 3)
        assert browse["aggregations"] == counted["aggregations"]
    latest = client.get("/api/records").json["aggregations"]
    assert buckets_of(latest, "keyword")["beta"] == 1 and "alpha" not in buckets_of(latest, "keyword")
    assert buckets_of(latest, "community") == {"odatis": 1, "aeris": 1}
    # a stale count (as if a table had been edited by hand) is repaired by the next reindex
    with new_session(app) as s:
        s.execute(SearchFacetCount.__table__.update().values(n=SearchFacetCount.n + 7))
        s.commit()
    assert client.get("/api/records").json["hits"]["total"] == 9
    r = app.test_cli_runner().invoke(
        __import__("app.cli", fromlist=["main"]).main,
        ["search", "reindex", "--restart"],
        env={"ALLUVIUM_DATABASE_URL": app.config["DATABASE_URL"]},
    )
    assert r.exit_code == 0, r.output
    assert client.get("/api/records").json["aggregations"] == latest


def buckets_of(aggregations: dict[str, Any], facet: str) -> dict[str, int]:
    return {b["key"]: b["doc_count"] for b in aggregations[facet]["buckets"]}

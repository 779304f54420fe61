"""The catalogue page (/search) and the OpenSearch description document."""

from __future__ import annotations

import copy
import re

from lxml import etree

from schemas.examples import minimal_example
from tests._oai import Repo


def test_the_search_page_lists_results_with_marked_snippets_facets_and_both_languages(app, client) -> None:  # type: ignore[no-untyped-def]
    repo = Repo(app)
    md = copy.deepcopy(minimal_example())
    md["titles"] = [{"text": "Sea surface <b>salinity</b>"}]
    md["free_keywords"] = [{"term": "drifters"}]
    rid = repo.publish(metadata=md)
    r = client.get("/search?q=salinity&lang=en")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert f"/records/{rid}" in html and "1 result" in html
    # the title's markup is never markup on the page (SQLite's snippet keeps it as text,
    # PostgreSQL's ts_headline drops it); only the matched word is marked
    assert "<mark>salinity</mark>" in html and "<b>" not in html
    assert 'name="keyword" value="drifters"' in html and "<summary>Keyword</summary>" in html
    fr = client.get("/search?q=salinity", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(
        as_text=True
    )
    assert "Rechercher dans le catalogue" in fr and "1 résultat" in fr
    # every string through Flask-Babel: facet names, sort orders, access levels, the hint
    assert "<summary>Mot-clé</summary>" in fr and "Plus récents d’abord" in fr and "Accès ouvert" in fr
    assert "Keyword" not in fr and "Newest" not in fr
    # ?lang= overrides the browser's language for this page
    assert "<summary>Keyword</summary>" in client.get(
        "/search?q=salinity&lang=en", headers={"Accept-Language": "fr"}
    ).get_data(as_text=True)
    # the box and the period fields become the API's bbox and time
    assert f"/records/{rid}" not in client.get("/search?west=0&south=0&east=1&north=1").get_data(as_text=True)
    # CSP: no inline script or style (the layout's scripts are static files with src=).
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and "style=" not in html


def test_bad_search_input_on_the_page_names_the_field(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/search?west=0&south=60&east=10&north=50")
    assert r.status_code == 400 and "bbox: south must not be greater than north" in r.get_data(as_text=True)
    r = client.get("/search?start=2021-01-01&end=2020-01-01")
    assert r.status_code == 400 and "time: the start is after the end" in r.get_data(as_text=True)


def test_the_opensearch_description_has_the_geo_and_time_parameters(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/opensearch.xml")
    assert r.status_code == 200 and r.mimetype == "application/opensearchdescription+xml"
    root = etree.fromstring(r.data)
    ns = {"os": "http://a9.com/-/spec/opensearch/1.1/"}
    (json_url,) = [u for u in root.findall("os:Url", ns) if u.get("type") == "application/json"]
    template = json_url.get("template")
    assert template.startswith("http://alluvium.test/api/records?")
    assert "bbox={geo:box?}" in template and "time={time:start?}/{time:end?}" in template
    assert root.nsmap["geo"] == "http://a9.com/-/opensearch/extensions/geo/1.0/"
    assert root.nsmap["time"] == "http://a9.com/-/opensearch/extensions/time/1.0/"
    # a client filling the template the way the extensions define gets an answer
    filled = template.replace("{searchTerms?}", "sea").replace("{geo:box?}", "-10,40,10,50")
    filled = filled.replace("{time:start?}", "2020-01-01").replace("{time:end?}", "")
    filled = filled.replace("{count?}", "10").replace("&cursor={startPage?}", "")
    assert client.get(filled.removeprefix("http://alluvium.test")).status_code == 200


def test_the_home_page_leads_into_the_catalogue(app, client) -> None:  # type: ignore[no-untyped-def]
    repo = Repo(app)
    first = copy.deepcopy(minimal_example())
    first["titles"] = [{"text": "Glacier mass balance"}]
    first["free_keywords"] = [{"term": "glaciers"}]
    old = repo.publish(metadata=first, community="aeris")
    second = copy.deepcopy(first)
    second["titles"] = [{"text": "Lake ice phenology"}]
    new = repo.publish(metadata=second, community="odatis")
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'action="/search"' in html and 'role="search"' in html
    # communities and keywords with their counts, each a link to the filtered search
    assert 'href="/search?community=aeris"' in html and 'href="/search?community=odatis"' in html
    assert re.search(r'href="/search\?keyword=glaciers">glaciers</a> <span class="muted">\(2\)', html)
    assert "Browse the 2 published datasets" in html
    # latest first
    assert html.index(f"/records/{new}") < html.index(f"/records/{old}")
    fr = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Derniers jeux de données" in fr and "Parcourir les 2 jeux de données publiés" in fr

"""What machines read at a landing page URL: content negotiation, meta tags, the embedded
schema.org JSON-LD, and FAIR Signposting read by an independent client (the ``signposting``
package on PyPI) over HTTP from the app served on loopback."""

from __future__ import annotations

import json
import urllib.request
import warnings

import pytest
from lxml import etree
from lxml import html as lhtml

from exports import registry
from schemas.examples import rich_example
from tests.test_records_landing import FILES, make_people, open_rich, published

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def people(factory):  # type: ignore[no-untyped-def]
    return make_people(factory)


def test_datacite_json_is_the_flat_content_negotiation_form(people, client) -> None:  # type: ignore[no-untyped-def]
    rid = published(people, open_rich())
    r = client.get(f"/records/{rid}", headers={"Accept": "application/vnd.datacite.datacite+json"})
    assert r.status_code == 200 and r.mimetype == "application/vnd.datacite.datacite+json"
    body = r.json
    assert "data" not in body and "attributes" not in body
    assert body["id"] == f"http://alluvium.test/records/{rid}"  # no DOI: the landing page
    assert body["titles"][0]["title"].startswith("Température et salinité")
    assert body["types"]["resourceTypeGeneral"] == "Dataset"
    assert body["schemaVersion"] == "http://datacite.org/schema/kernel-4"
    # The REST API envelope stays at the export endpoint.
    assert "attributes" in client.get(f"/api/records/{rid}/export/datacite-json").json["data"]


@pytest.mark.parametrize("accept", ["application/xml", "text/xml"])
def test_plain_xml_gets_the_datacite_xml(people, client, accept) -> None:  # type: ignore[no-untyped-def]
    rid = published(people, open_rich())
    r = client.get(f"/records/{rid}", headers={"Accept": accept})
    assert r.status_code == 200 and r.mimetype == accept
    root = etree.fromstring(r.data)
    assert root.tag == "{http://datacite.org/schema/kernel-4}resource"


def test_unsatisfiable_accept_is_406_and_browsers_still_get_html(people, client) -> None:  # type: ignore[no-untyped-def]
    rid = published(people, open_rich())
    for accept in ("image/png", "application/pdf, video/*"):
        r = client.get(f"/records/{rid}", headers={"Accept": accept})
        assert r.status_code == 406, accept
        assert "text/html" in r.get_data(as_text=True) and "Accept" in r.headers["Vary"]
    assert client.get(f"/records/{rid}", headers={"Accept": BROWSER}).mimetype == "text/html"
    assert client.get(f"/records/{rid}").mimetype == "text/html"  # no Accept at all
    assert client.get(f"/records/{rid}", headers={"Accept": "application/x-research-info-systems"}).data.startswith(
        b"TY  - DATA"
    )


def test_head_carries_highwire_and_dublin_core_meta_tags(people, client) -> None:  # type: ignore[no-untyped-def]
    rid = published(people, open_rich())
    doc = lhtml.fromstring(client.get(f"/records/{rid}").get_data(as_text=True))

    def meta(name: str) -> list[str]:
        return doc.xpath(f"//head/meta[@name='{name}']/@content")

    assert meta("citation_title") == ["Température et salinité de surface des bouées dérivantes du Pacifique Sud-Ouest"]
    assert meta("citation_author") == ["Institut de recherche pour le développement", "Carberry, Josiah", "Dupont, Marie"]
    assert len(meta("citation_publication_date")) == 1 and meta("citation_publication_date")[0].count("/") == 2
    assert meta("citation_publisher") == ["ODATIS / Data Terra"]
    assert meta("DC.title") == meta("citation_title") and meta("DC.creator") == meta("citation_author")
    assert meta("DC.identifier") == [f"http://alluvium.test/records/{rid}"]
    assert doc.xpath("//head/link[@rel='schema.DC']/@href") == ["http://purl.org/dc/elements/1.1/"]


def test_embedded_json_ld_is_escaped_and_parses_offline(people, client) -> None:  # type: ignore[no-untyped-def]
    import rdflib

    md = open_rich()
    hostile = "Buoys </script><script>alert('x')</script> & <!-- more -->"
    md["titles"][0]["text"] = hostile
    rid = published(people, md, FILES)
    page = client.get(f"/records/{rid}").get_data(as_text=True)
    assert "<script>alert" not in page
    doc = lhtml.fromstring(page)
    scripts = doc.xpath("//script[@type='application/ld+json']")
    assert len(scripts) == 1
    raw = scripts[0].text
    assert "<" not in raw and ">" not in raw and "&" not in raw
    data = json.loads(raw)
    assert data["name"] == hostile
    # Offline: the schema.org context replaced by its vocabulary.
    data["@context"] = {"@vocab": "https://schema.org/"}
    with warnings.catch_warnings():
        # rdflib 7's JSON-LD parser builds a ConjunctiveGraph internally and warns about it.
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        g = rdflib.Graph().parse(data=json.dumps(data), format="json-ld")
    sdo = rdflib.Namespace("https://schema.org/")
    files = {
        str(g.value(d, sdo.name)): str(g.value(d, sdo.contentSize))
        for d in g.subjects(rdflib.RDF.type, sdo.DataDownload)
        if g.value(d, sdo.contentSize) is not None  # the record's files (not its online resources)
    }
    assert files == {k: f"{len(v)} B" for k, v in FILES.items()}


def _export_urls(base: str, rid: str) -> dict[str, str]:
    return {f"{base}/api/records/{rid}/export/{f.name}": f.media_type.split(";")[0] for f in registry.formats()}


def _check_signposts(sp, base: str, rid: str) -> None:  # type: ignore[no-untyped-def]
    assert str(sp.citeAs.target) == f"{base}/records/{rid}"
    described = {str(s.target): str(s.type) for s in sp.describedBy}
    assert described == _export_urls(base, rid)
    items = {str(s.target): str(s.type) for s in sp.items}
    assert items == {
        f"{base}/api/records/{rid}/files/sst.csv": "text/csv",
        f"{base}/api/records/{rid}/files/doc/readme.txt": "text/plain",
    }
    assert str(sp.license.target) == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert {str(t.target) for t in sp.types} == {"https://schema.org/Dataset", "https://schema.org/AboutPage"}
    assert {str(a.target) for a in sp.authors} == {
        "https://ror.org/05q3vnk25",
        "https://orcid.org/0000-0002-1825-0097",
        "https://orcid.org/0000-0002-1694-233X",
    }


def test_signposting_client_reads_level_1_and_level_2(people, app, live_server) -> None:  # type: ignore[no-untyped-def]
    from signposting import find_signposting_http, find_signposting_linkset

    app.config["BASE_URL"] = live_server  # the links must point at the server the client reads
    rid = published(people, open_rich(), FILES)
    landing = f"{live_server}/records/{rid}"

    level1 = find_signposting_http(landing)
    _check_signposts(level1, live_server, rid)
    linksets = {str(s.target): str(s.type) for s in level1.linksets}
    assert linksets == {f"{landing}/linkset.json": "application/linkset+json", f"{landing}/linkset": "application/linkset"}

    for url, media_type in linksets.items():
        level2 = find_signposting_linkset(url, media_type).for_context(landing)
        _check_signposts(level2, live_server, rid)

    # A file URL found this way downloads the file itself, not a page about it.
    for item in level1.items:
        with urllib.request.urlopen(str(item.target)) as r:
            assert r.status == 200
            key = str(item.target).split("/files/", 1)[1]
            assert r.read() == FILES[key]
    # An export found this way is that export.
    bib = next(s for s in level1.describedBy if str(s.target).endswith("/bibtex"))
    with urllib.request.urlopen(str(bib.target)) as r:
        assert r.read().startswith(b"@misc{")


def test_linkset_json_names_the_reverse_links(people, client) -> None:  # type: ignore[no-untyped-def]
    rid = published(people, open_rich(), FILES)
    r = client.get(f"/records/{rid}/linkset", headers={"Accept": "application/linkset+json"})
    assert r.status_code == 200 and r.mimetype == "application/linkset+json"
    anchors = {ctx["anchor"]: ctx for ctx in r.json["linkset"]}
    landing = f"http://alluvium.test/records/{rid}"
    assert anchors[f"http://alluvium.test/api/records/{rid}/files/sst.csv"]["collection"] == [
        {"href": landing, "type": "text/html"}
    ]
    assert anchors[f"http://alluvium.test/api/records/{rid}/export/datacite"]["describes"][0]["href"] == landing
    text = client.get(f"/records/{rid}/linkset").get_data(as_text=True)
    assert f'<{landing}>; rel="cite-as"; anchor="{landing}"' in text


def test_no_file_items_when_files_are_embargoed(people, client) -> None:  # type: ignore[no-untyped-def]
    rid = published(people, rich_example(), {"a.csv": b"x"})
    link = client.get(f"/records/{rid}").headers["Link"]
    assert 'rel="item"' not in link and 'rel="cite-as"' in link and 'rel="describedby"' in link


def test_many_files_are_left_out_of_the_header_but_not_of_the_linkset(people, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.web.records import signposting

    monkeypatch.setattr(signposting, "MAX_HEADER_ITEMS", 1)
    rid = published(people, open_rich(), FILES)
    link = client.get(f"/records/{rid}").headers["Link"]
    assert 'rel="item"' not in link and 'rel="linkset"' in link
    anchors = {c["anchor"]: c for c in client.get(f"/records/{rid}/linkset.json").json["linkset"]}
    assert len(anchors[f"http://alluvium.test/records/{rid}"]["item"]) == 2

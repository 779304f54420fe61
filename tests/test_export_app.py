"""Exports and imports through the REST API, the landing page and the CLI; the publish gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from app.cli import main as cli
from exports import registry
from exports.registry import Format
from schemas.examples import minimal_example, rich_example

DC4 = "{http://datacite.org/schema/kernel-4}"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "standards"
DATACITE_EXAMPLE = SHARED / "xsd/schema.datacite.org/meta/kernel-4.7/example/datacite-example-full-v4.xml"


@pytest.fixture
def people(factory):  # type: ignore[no-untyped-def]
    factory.community("aeris", "AERIS")
    return {
        "producer": factory.user("producer@example.org"),
        "other": factory.user("other@example.org"),
        "mod": factory.user("mod@example.org", role="moderator", communities=["aeris"]),
        "anon": factory.anonymous(),
    }


def draft(api, metadata=None):  # type: ignore[no-untyped-def]
    r = api.post("/api/records", json={"metadata": metadata if metadata is not None else minimal_example()})
    assert r.status_code == 201, r.json
    return r.json["id"]


def submit_and_assign(people, metadata=None):  # type: ignore[no-untyped-def]
    p, m = people["producer"], people["mod"]
    rid = draft(p, metadata)
    assert p.post(f"/api/records/{rid}/draft/actions/submit", json={"community": "aeris"}).status_code == 202
    assert m.post(f"/api/records/{rid}/review/actions/assign", json={}).status_code == 200
    return rid


def published(people, metadata=None):  # type: ignore[no-untyped-def]
    rid = submit_and_assign(people, metadata)
    r = people["mod"].post(f"/api/records/{rid}/review/actions/accept", json={})
    assert r.status_code == 200, r.json
    return rid


# --- export endpoint ------------------------------------------------------------------------


def test_export_a_published_record_as_datacite_xml(people) -> None:  # type: ignore[no-untyped-def]
    rid = published(people, rich_example())
    r = people["anon"].get(f"/api/records/{rid}/export/datacite")
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.datacite.datacite+xml"
    root = etree.fromstring(r.data)
    assert root.tag == f"{DC4}resource"
    # Published with the local PID provider: no DOI, the landing URL is the identifier.
    ident = root.find(f"{DC4}identifier")
    assert (ident.get("identifierType"), ident.text) == ("URL", f"http://alluvium.test/records/{rid}")
    assert root.find(f"{DC4}publicationYear").text == "2024"


def test_export_bibtex_and_csl_json_and_citation(people) -> None:  # type: ignore[no-untyped-def]
    rid = published(people)
    anon = people["anon"]
    bib = anon.get(f"/api/records/{rid}/export/bibtex")
    assert bib.mimetype == "application/x-bibtex"
    assert bib.data.decode().startswith(f"@misc{{alluvium:{rid},")
    csl = anon.get(f"/api/records/{rid}/export/csl-json")
    assert csl.mimetype == "application/vnd.citationstyles.csl+json"
    assert json.loads(csl.data)["type"] == "dataset"
    text = anon.get(f"/api/records/{rid}/export/citation").data.decode()
    assert text.startswith("Martin, Claire (")
    assert text.rstrip().endswith(
        f"Soil moisture at the Lusignan observatory. THEIA. http://alluvium.test/records/{rid}"
    )


def test_unknown_format_is_404_listing_the_known_ones(people) -> None:  # type: ignore[no-untyped-def]
    rid = published(people)
    r = people["anon"].get(f"/api/records/{rid}/export/marc21")
    assert r.status_code == 404
    assert "datacite" in r.json["message"] and "oai_dc" in r.json["message"]


def test_drafts_export_only_for_those_who_may_read_them(people) -> None:  # type: ignore[no-untyped-def]
    rid = draft(people["producer"])
    # The same answers as GET /api/records/<id> for the same callers.
    for who in ("anon", "other", "producer"):
        expected = people[who].get(f"/api/records/{rid}").status_code
        assert people[who].get(f"/api/records/{rid}/export/datacite").status_code == expected
    assert people["anon"].get(f"/api/records/{rid}/export/datacite?draft=1").status_code == 401
    assert people["other"].get(f"/api/records/{rid}/export/datacite?draft=1").status_code == 403
    mine = people["producer"].get(f"/api/records/{rid}/export/datacite?draft=1")
    assert mine.status_code == 200 and mine.data.startswith(b"<?xml")


def test_formats_listing(people) -> None:  # type: ignore[no-untyped-def]
    listed = {f["name"]: f for f in people["anon"].get("/api/exports/formats").json["formats"]}
    assert listed["datacite"]["importable"] is True
    assert listed["bibtex"]["media_type"] == "application/x-bibtex"
    assert {
        "datacite",
        "datacite45",
        "datacite-json",
        "oai_dc",
        "oai_datacite",
        "csl-json",
        "citation",
    } <= set(listed)


# --- content negotiation on the landing page -------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "mimetype", "starts"),
    [
        ("application/vnd.datacite.datacite+xml", "application/vnd.datacite.datacite+xml", b"<?xml"),
        ("application/x-bibtex", "application/x-bibtex", b"@misc{"),
        ("application/vnd.citationstyles.csl+json", "application/vnd.citationstyles.csl+json", b"{"),
        ("text/x-bibliography", "text/x-bibliography", b"Martin, Claire"),
        ("application/vnd.datacite.datacite+json", "application/vnd.datacite.datacite+json", b"{"),
    ],
)
def test_landing_page_negotiates_export_formats(people, client, accept, mimetype, starts) -> None:  # type: ignore[no-untyped-def]
    rid = published(people)
    r = client.get(f"/records/{rid}", headers={"Accept": accept})
    assert r.status_code == 200
    assert r.mimetype == mimetype
    assert r.data.startswith(starts)
    assert "Accept" in r.headers["Vary"]


def test_landing_page_keeps_html_and_json(people, client) -> None:  # type: ignore[no-untyped-def]
    rid = published(people)
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    html = client.get(f"/records/{rid}", headers={"Accept": browser})
    assert html.mimetype == "text/html" and "Accept" in html.headers["Vary"]
    assert client.get(f"/records/{rid}", headers={"Accept": "*/*"}).mimetype == "text/html"
    doc = client.get(f"/records/{rid}", headers={"Accept": "application/json"})
    assert doc.mimetype == "application/json" and doc.json["id"] == rid


def test_landing_negotiation_of_a_withdrawn_record_is_410(people, client, factory) -> None:  # type: ignore[no-untyped-def]
    rid = published(people)
    admin = factory.user("admin@example.org", role="admin")
    assert admin.post(f"/api/records/{rid}/actions/withdraw", json={"reason": "duplicate"}).status_code == 200
    r = client.get(f"/records/{rid}", headers={"Accept": "application/x-bibtex"})
    assert r.status_code == 410


# --- import ---------------------------------------------------------------------------------


def test_api_import_datacite_creates_a_draft_and_lists_unmapped(people, shared_standards) -> None:  # type: ignore[no-untyped-def]
    body = DATACITE_EXAMPLE.read_bytes()
    r = people["producer"].post("/api/records/import", data=body, headers={"Content-Type": "application/xml"})
    assert r.status_code == 201, r.json
    assert r.json["state"] == "draft"
    assert r.json["import"]["format"] == "datacite"
    assert r.json["metadata"]["titles"][0] == {"text": "Example Title", "lang": "en"}
    unmapped = r.json["import"]["unmapped"]
    assert any(u.startswith("/resource/relatedItems") for u in unmapped)
    # The draft is really stored.
    stored = people["producer"].get(f"/api/records/{r.json['id']}/draft").json
    assert stored["metadata"]["publisher"]["name"] == "Example Publisher"


def test_api_import_with_explicit_format_and_errors(people) -> None:  # type: ignore[no-untyped-def]
    p = people["producer"]
    xml = (
        b'<resource xmlns="http://datacite.org/schema/kernel-4">\n'
        b'<titles><title xml:lang="fr">Un titre</title></titles>\n</resource>'
    )
    r = p.post("/api/records/import?format=datacite", data=xml, headers={"Content-Type": "application/xml"})
    assert r.status_code == 201 and r.json["metadata"]["titles"] == [{"text": "Un titre", "lang": "fr"}]
    malformed = b"<resource xmlns='http://datacite.org/schema/kernel-4'>\n<titles>\n<title>x</titles>\n"
    r = p.post("/api/records/import", data=malformed, headers={"Content-Type": "application/xml"})
    assert r.status_code == 400 and "line 3" in r.json["message"]
    r = p.post("/api/records/import?format=bibtex", data=xml, headers={"Content-Type": "application/xml"})
    assert r.status_code == 400 and "no reader" in r.json["message"]
    r = p.post("/api/records/import", data=b"<foo/>", headers={"Content-Type": "application/xml"})
    assert r.status_code == 400 and "unknown record format" in r.json["message"]
    assert people["anon"].post("/api/records/import", data=xml).status_code == 401


# --- CLI ------------------------------------------------------------------------------------


def _env(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"ALLUVIUM_DATABASE_URL": app.config["DATABASE_URL"], "ALLUVIUM_BASE_URL": "http://alluvium.test"}


def test_cli_import_then_export(app, people, shared_standards, tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    r = runner.invoke(
        cli, ["import", str(DATACITE_EXAMPLE), "--owner", "producer@example.org"], env=_env(app)
    )
    assert r.exit_code == 0, r.output
    rid = r.stdout.strip().splitlines()[0]
    assert "not mapped" in r.stderr and "relatedItems" in r.stderr
    drafted = people["producer"].get(f"/api/records/{rid}/draft").json
    assert drafted["metadata"]["titles"][0]["text"] == "Example Title"

    # A draft: only as a user who may read it.
    r = runner.invoke(cli, ["export", rid, "--format", "datacite"], env=_env(app))
    assert r.exit_code == 1
    r = runner.invoke(
        cli, ["export", rid, "--format", "datacite", "--as", "producer@example.org"], env=_env(app)
    )
    assert r.exit_code == 0, r.output
    assert etree.fromstring(r.stdout.encode()).find(f"{DC4}titles/{DC4}title").text == "Example Title"

    r = runner.invoke(cli, ["import", str(DATACITE_EXAMPLE), "--owner", "nobody@example.org"], env=_env(app))
    assert r.exit_code == 1


def test_cli_export_all_writes_one_file_per_published_record(app, people, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ids = {published(people) for _ in range(3)}
    draft(people["producer"])  # not published: not exported
    runner = app.test_cli_runner()
    out = tmp_path / "out"
    r = runner.invoke(cli, ["export", "--all", "--format", "oai_dc", "--out", str(out)], env=_env(app))
    assert r.exit_code == 0, r.output
    assert {p.name for p in out.iterdir()} == {f"{i}.dc.xml" for i in ids}
    assert "wrote 3 file(s)" in r.stderr
    r = runner.invoke(cli, ["export", "--all", "--format", "oai_dc"], env=_env(app))
    assert r.exit_code == 2 and "--out" in r.output


def test_cli_import_malformed_names_the_line(app, people, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<resource xmlns='http://datacite.org/schema/kernel-4'>\n\n<titles>\n</resource>")
    r = app.test_cli_runner().invoke(
        cli, ["import", str(bad), "--owner", "producer@example.org"], env=_env(app)
    )
    assert r.exit_code == 1 and "line 4" in r.output


# --- publish gate ---------------------------------------------------------------------------


def _refusing_writer(document: dict) -> bytes:
    """A test double for "a format whose output does not validate": the DataCite namespace with a
    resourceType outside the controlled list."""
    return (
        b'<resource xmlns="http://datacite.org/schema/kernel-4"><resourceType resourceTypeGeneral="Spreadsheet"/>'
        b"</resource>"
    )


def test_publish_gate_refuses_a_record_whose_export_does_not_validate(
    people, monkeypatch, shared_standards
) -> None:  # type: ignore[no-untyped-def]
    rid = submit_and_assign(people)
    failing = Format(
        name="test-failing",
        title="a format that fails",
        media_type="application/x-test-failing",
        extension="xml",
        writer=_refusing_writer,
        namespace="http://datacite.org/schema/kernel-4",
        schema_location="http://schema.datacite.org/meta/kernel-4/metadata.xsd",
        is_xml=True,
    )
    monkeypatch.setitem(registry._REGISTRY, failing.name, failing)
    r = people["mod"].post(f"/api/records/{rid}/review/actions/accept", json={})
    assert r.status_code == 409
    assert "test-failing" in r.json["message"]
    fields = {e["field"]: e["messages"] for e in r.json["errors"]}
    assert list(fields) == ["/exports/test-failing"]
    assert any("Spreadsheet" in m for m in fields["/exports/test-failing"])
    assert people["mod"].get(f"/api/records/{rid}/draft").json["state"] == "under_review"
    # Without the failing format, the same record is accepted.
    monkeypatch.delitem(registry._REGISTRY, failing.name)
    assert people["mod"].post(f"/api/records/{rid}/review/actions/accept", json={}).status_code == 200


def test_publish_gate_reports_a_writer_that_raises(people, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rid = submit_and_assign(people)

    def broken(document: dict) -> bytes:
        raise ValueError("cannot write this")

    monkeypatch.setitem(
        registry._REGISTRY,
        "test-broken",
        Format("test-broken", "broken", "application/x-broken", "txt", broken),
    )
    r = people["mod"].post(f"/api/records/{rid}/review/actions/accept", json={})
    assert r.status_code == 409
    assert r.json["errors"] == [
        {"field": "/exports/test-broken", "messages": ["the writer failed: ValueError: cannot write this"]}
    ]


# --- files and versions in the exports (issue 13, "Machines, files") ---------------------------


def _published_with_file(people, rid=None):  # type: ignore[no-untyped-def]
    p, m = people["producer"], people["mod"]
    if rid is None:
        metadata = minimal_example()
        metadata["rights"] = {"access_level": "open", "license": {"id": "CC-BY-4.0"}}
        rid = draft(p, metadata)
    r = p.put(f"/api/records/{rid}/draft/files/obs.csv", data=b"t,v\n1,2\n", headers={"Content-Type": "text/csv"})
    assert r.status_code in (200, 201), r.json
    assert p.post(f"/api/records/{rid}/draft/actions/submit", json={"community": "aeris"}).status_code == 202
    assert m.post(f"/api/records/{rid}/review/actions/assign", json={}).status_code == 200
    assert m.post(f"/api/records/{rid}/review/actions/accept", json={}).json["state"] == "published"
    return rid


def test_exports_link_the_public_files_of_a_published_record(people) -> None:  # type: ignore[no-untyped-def]
    """DCAT downloadURL with media type and byte size, schema.org distribution with contentUrl,
    encodingFormat and contentSize; the URL downloads the file itself; a draft's files are never
    given."""
    anon = people["anon"]
    rid = _published_with_file(people)
    url = f"http://alluvium.test/api/records/{rid}/files/obs.csv"
    ttl = anon.get(f"/api/records/{rid}/export/dcat").data.decode()
    assert f"dcat:downloadURL <{url}>" in ttl
    assert "dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv>" in ttl
    assert 'dcat:byteSize "8"^^xsd:nonNegativeInteger' in ttl
    schemaorg = json.loads(anon.get(f"/api/records/{rid}/export/schemaorg").data)
    assert {"contentUrl": url, "encodingFormat": "text/csv", "contentSize": "8 B"}.items() <= next(
        d for d in schemaorg["distribution"] if d.get("name") == "obs.csv"
    ).items()
    download = anon.get(url.removeprefix("http://alluvium.test"))
    assert download.status_code == 200 and download.data == b"t,v\n1,2\n"
    # a new version in progress: its draft export names no file URL, public or draft
    v2 = people["producer"].post(f"/api/records/{rid}/versions").json["id"]
    ttl = people["producer"].get(f"/api/records/{v2}/export/dcat").data.decode()
    assert "downloadURL" not in ttl and "/draft/files" not in ttl


def test_every_format_links_previous_and_next_versions(people) -> None:  # type: ignore[no-untyped-def]
    """Version 1 names version 2 as its next version, version 2 names version 1 as previous, in
    every format; the draft of a version in progress is named by nobody."""
    p, anon = people["producer"], people["anon"]
    v1 = _published_with_file(people)
    v2 = p.post(f"/api/records/{v1}/versions").json["id"]
    for fmt in registry.formats():
        body = anon.get(f"/api/records/{v1}/export/{fmt.name}").data.decode()
        assert v2 not in body, fmt.name  # a draft is never advertised
    assert p.delete(f"/api/records/{v2}/draft/files/obs.csv").status_code in (200, 204)
    _published_with_file(people, v2)
    one, two = f"http://alluvium.test/records/{v1}", f"http://alluvium.test/records/{v2}"
    expected = {
        "datacite": (
            f'<relatedIdentifier relationType="IsPreviousVersionOf" relatedIdentifierType="URL">{two}<',
            f'<relatedIdentifier relationType="IsNewVersionOf" relatedIdentifierType="URL">{one}<',
        ),
        "datacite-json": ('"relationType": "IsPreviousVersionOf"', '"relationType": "IsNewVersionOf"'),
        "oai_dc": (f"<dc:relation>{two}</dc:relation>", f"<dc:relation>{one}</dc:relation>"),
        "dcat": (f"<{two}>", f"<{one}>"),
        "schemaorg": (None, one),  # isBasedOn; no schema.org property for a next version
        "iso19139": (two, one),
        "iso19115-3": (two, one),
    }
    for name, (in_one, in_two) in expected.items():
        body_one = anon.get(f"/api/records/{v1}/export/{name}").data.decode()
        body_two = anon.get(f"/api/records/{v2}/export/{name}").data.decode()
        assert in_one is None or in_one in body_one, (name, body_one)
        assert in_two in body_two, (name, body_two)
    for fmt in registry.formats():  # still valid where the format has a schema (publish gate)
        assert people["mod"].get(f"/api/records/{v2}/export/{fmt.name}").status_code == 200, fmt.name

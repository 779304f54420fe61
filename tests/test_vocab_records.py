"""Records checked against the loaded vocabularies, through the REST API and the web dashboard, on
a real database (SQLite, or PostgreSQL with ALLUVIUM_TEST_DATABASE_URL): labels refreshed on save
and submission, unknown terms refused at submission and acceptance, warnings shown to the
moderator, the vocabulary's citation in the exports."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from lxml import etree

from app.db import new_session
from app.services import vocabularies as vocab_svc
from curation import Actor
from schemas.examples import minimal_example

EX = "http://example.org/ocean"
EX2 = "http://example.org/biology"
INSPIRE = "http://inspire.ec.europa.eu/theme"
INSPIRE_TITLE = "GEMET - INSPIRE themes, version 1.0"

OCEAN = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix dct: <http://purl.org/dc/terms/> .
<{ex}> a skos:ConceptScheme ; dct:title "Ocean"@en, "Océan"@fr ; dct:issued "2020-01-15" ;
    dct:modified "{modified}" .
<{ex}/water> a skos:Concept ; skos:prefLabel "Eau"@fr, "Water"@en .
<{ex}/sst> a skos:Concept ; skos:prefLabel "Température de surface de la mer"@fr, "{sst_en}"@en ;
    skos:broader <{ex}/water> .
<{ex}/salinity> a skos:Concept ; skos:prefLabel "Salinité"@fr, "Salinity"@en .
<{ex}/old> a skos:Concept ; skos:prefLabel "Old SST"@en ; owl:deprecated true ; dct:isReplacedBy <{ex}/sst> .
<{ex}/split> a skos:Concept ; skos:prefLabel "Water properties"@en ; owl:deprecated true ;
    dct:isReplacedBy <{ex}/sst>, <{ex}/salinity> .
<{ex}/gone> a skos:Concept ; skos:prefLabel "Gone"@en ; owl:deprecated true .
"""
BIOLOGY = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
<{ex}> a skos:ConceptScheme ; dct:title "Biology"@en .
<{ex}/plankton> a skos:Concept ; skos:prefLabel "Plankton"@en .
"""


def import_ttl(app: Flask, tmp_path: Path, text: str, uri: str, name: str) -> None:
    path = tmp_path / f"{name}.ttl"
    path.write_text(text, encoding="utf-8")
    with new_session(app) as s:
        vocab_svc.import_vocabulary(s, Actor.system_actor(), path, uri, name)
        s.commit()


def import_ocean(
    app: Flask, tmp_path: Path, sst_en: str = "Sea surface temperature", modified: str = "2024-05-01"
) -> None:
    import_ttl(app, tmp_path, OCEAN.format(ex=EX, sst_en=sst_en, modified=modified), EX, "ocean")


@pytest.fixture
def people(app: Flask, factory: Any, tmp_path: Path) -> dict[str, Any]:
    with new_session(app) as s:
        vocab_svc.load_bundled(s, Actor.system_actor())
        s.commit()
    import_ocean(app, tmp_path)
    factory.community("odatis", "ODATIS")
    return {
        "producer": factory.user("producer@example.org"),
        "mod": factory.user("mod@example.org", role="moderator", communities=["odatis"]),
    }


def with_keywords(*groups: dict[str, Any], **fields: Any) -> dict[str, Any]:
    md = minimal_example()
    md["keywords"] = [copy.deepcopy(g) for g in groups]
    md.update(fields)
    return md


def new_draft(api: Any, metadata: dict[str, Any]) -> dict[str, Any]:
    r = api.post("/api/records", json={"metadata": metadata})
    assert r.status_code == 201, r.json
    return r.json


def submit(api: Any, rid: str) -> Any:
    return api.post(f"/api/records/{rid}/draft/actions/submit", json={"community": "odatis"})


# --- saving refreshes labels, URIs and citations ------------------------------------------------


def test_saving_a_draft_refreshes_labels_uris_and_the_thesaurus_citation(people: dict[str, Any]) -> None:
    p = people["producer"]
    rec = new_draft(
        p,
        with_keywords(
            {
                "scheme_name": "INSPIRE themes (typed by hand)",
                "scheme_uri": INSPIRE,
                "scheme_date": "2019-01-01",
                "terms": [
                    {"term": "Hydrographie ancienne", "value_uri": f"{INSPIRE}/hy", "lang": "fr"},
                    {"term": "ortho-imagerie"},
                ],
            },
            {
                "scheme_name": "my ocean list",
                "scheme_uri": EX,
                "terms": [{"term": "Water > Sea surface temperature"}, {"term": "SALINITY"}],
            },
            {"scheme_name": "Free words", "terms": [{"term": "drifters"}]},
        ),
    )
    inspire, ocean, free = rec["metadata"]["keywords"]
    assert inspire == {
        "scheme_name": INSPIRE_TITLE,
        "scheme_uri": INSPIRE,
        "scheme_date": "2008-06-01",
        "terms": [
            {"term": "Hydrographie", "value_uri": f"{INSPIRE}/hy", "lang": "fr"},
            {"term": "Ortho-imagerie", "value_uri": f"{INSPIRE}/oi"},
        ],
    }
    # The vocabulary's title and its latest date, a dct:modified: an ISO "revision" date.
    assert ocean == {
        "scheme_name": "Ocean",
        "scheme_uri": EX,
        "scheme_date": "2024-05-01",
        "scheme_date_type": "revision",
        "terms": [
            {"term": "Water > Sea surface temperature", "value_uri": f"{EX}/sst"},  # path form kept
            {"term": "Salinity", "value_uri": f"{EX}/salinity"},
        ],
    }
    assert free == {"scheme_name": "Free words", "terms": [{"term": "drifters"}]}  # no vocabulary: untouched

    # A merge patch is refreshed the same way.
    r = p.patch(
        f"/api/records/{rec['id']}/draft",
        headers={"If-Match": f'"{rec["revision_id"]}"'},
        json={"metadata": {"platforms": [{"term": "eau", "scheme_name": "x", "scheme_uri": EX}]}},
    )
    assert r.status_code == 200, r.json
    assert r.json["metadata"]["platforms"] == [
        {"term": "Eau", "value_uri": f"{EX}/water", "scheme_name": "Ocean", "scheme_uri": EX}
    ]


def test_exports_cite_the_vocabulary_not_the_producers_wrong_name(
    people: dict[str, Any], shared_standards: Path
) -> None:
    p = people["producer"]
    rid = new_draft(
        p,
        with_keywords(
            {
                "scheme_name": "Oshun",
                "scheme_uri": EX,
                "terms": [{"term": "Salinity", "value_uri": f"{EX}/salinity"}],
            },
            {
                "scheme_name": "themes",
                "scheme_uri": INSPIRE,
                "terms": [{"term": "Hydrography", "value_uri": f"{INSPIRE}/hy"}],
            },
        ),
    )["id"]

    r = p.get(f"/api/records/{rid}/export/datacite?draft=1")
    assert r.status_code == 200, r.data
    root = etree.fromstring(r.data)
    ns = {"d": "http://datacite.org/schema/kernel-4"}
    subjects = {s.text: s.attrib for s in root.iterfind("d:subjects/d:subject", ns)}
    assert subjects["Salinity"] == {"subjectScheme": "Ocean", "schemeURI": EX, "valueURI": f"{EX}/salinity"}
    assert subjects["Hydrography"]["subjectScheme"] == INSPIRE_TITLE

    ns = {
        "gmd": "http://www.isotc211.org/2005/gmd",
        "gmx": "http://www.isotc211.org/2005/gmx",
        "gco": "http://www.isotc211.org/2005/gco",
        "xlink": "http://www.w3.org/1999/xlink",
    }
    root = etree.fromstring(p.get(f"/api/records/{rid}/export/iso19139?draft=1").data)
    citations = {
        c.findtext("gmd:title/gmx:Anchor", namespaces=ns): (
            c.find("gmd:title/gmx:Anchor", ns).get("{http://www.w3.org/1999/xlink}href"),
            c.findtext("gmd:date/gmd:CI_Date/gmd:date/gco:Date", namespaces=ns),
            c.find("gmd:date/gmd:CI_Date/gmd:dateType/gmd:CI_DateTypeCode", ns).get("codeListValue"),
        )
        for c in root.iterfind(".//gmd:thesaurusName/gmd:CI_Citation", ns)
    }
    assert citations == {
        "Ocean": (EX, "2024-05-01", "revision"),
        INSPIRE_TITLE: (INSPIRE, "2008-06-01", "publication"),
    }

    ns3 = {
        "mri": "http://standards.iso.org/iso/19115/-3/mri/1.0",
        "cit": "http://standards.iso.org/iso/19115/-3/cit/2.0",
        "gcx": "http://standards.iso.org/iso/19115/-3/gcx/1.0",
    }
    root = etree.fromstring(p.get(f"/api/records/{rid}/export/iso19115-3?draft=1").data)
    titles = [t.text for t in root.iterfind(".//mri:thesaurusName/cit:CI_Citation/cit:title/gcx:Anchor", ns3)]
    assert titles == ["Ocean", INSPIRE_TITLE]

    # Every export of the record still validates against its official schema.
    from app.models import Record
    from app.services.documents import record_document
    from curation.checks import export_problems

    with new_session(p.client.application) as s:
        doc = record_document(s, s.get(Record, rid), "http://alluvium.test")
    assert export_problems(doc) == []


# --- submission ---------------------------------------------------------------------------------


def test_submission_refuses_a_term_missing_from_its_vocabulary_and_writes_nothing(
    people: dict[str, Any],
) -> None:
    p = people["producer"]
    rec = new_draft(
        p,
        with_keywords(
            {
                "scheme_name": "Ocean",
                "scheme_uri": EX,
                "terms": [
                    {"term": "Water", "value_uri": f"{EX}/water"},
                    {"term": "Sea ice", "value_uri": f"{EX}/sea-ice"},
                    {"term": "Kelp forests"},
                ],
            },
        ),
    )
    rid = rec["id"]
    r = submit(p, rid)
    assert r.status_code == 400
    fields = {e["field"]: e["messages"] for e in r.json["errors"]}
    assert list(fields) == ["/metadata/keywords/0/terms/1", "/metadata/keywords/0/terms/2"]
    assert (
        f"{EX}/sea-ice is not a concept of the vocabulary 'ocean'"
        in fields["/metadata/keywords/0/terms/1"][0]
    )
    assert (
        "'Kelp forests' is not a term of the vocabulary 'ocean'" in fields["/metadata/keywords/0/terms/2"][0]
    )
    after = p.get(f"/api/records/{rid}/draft")
    assert after.json["state"] == "draft" and after.json["revision_id"] == rec["revision_id"]
    assert after.json["review"]["community"] is None and after.json["submitted"] is None
    assert [e["action"] for e in p.get(f"/api/records/{rid}/events").json["hits"]["hits"]] == ["create"]

    # The validate action reports the same, and says submission would fail.
    report = p.post(f"/api/records/{rid}/draft/actions/validate").json
    assert report["valid"] is False
    assert [e["field"] for e in report["errors"]] == [
        "/metadata/keywords/0/terms/1",
        "/metadata/keywords/0/terms/2",
    ]
    assert [(f["field"], f["code"], f["severity"]) for f in report["findings"]] == [
        ("/metadata/keywords/0/terms/1", "unknown_term", "error"),
        ("/metadata/keywords/0/terms/2", "unknown_term", "error"),
    ]

    # Fixed, it goes through.
    fixed = p.patch(
        f"/api/records/{rid}/draft",
        headers={"If-Match": f'"{rec["revision_id"]}"'},
        json={
            "metadata": {
                "keywords": [
                    {
                        "scheme_name": "Ocean",
                        "scheme_uri": EX,
                        "terms": [{"term": "Water", "value_uri": f"{EX}/water"}],
                    }
                ]
            }
        },
    )
    assert fixed.status_code == 200
    assert submit(p, rid).status_code == 202


def test_deprecated_terms_and_unknown_vocabularies_reach_the_moderator(people: dict[str, Any]) -> None:
    p, m = people["producer"], people["mod"]
    rid = new_draft(
        p,
        with_keywords(
            {
                "scheme_name": "Ocean",
                "scheme_uri": EX,
                "terms": [
                    {"term": "Old SST", "value_uri": f"{EX}/old"},
                    {"term": "Water properties", "value_uri": f"{EX}/split"},
                    {"term": "Gone", "value_uri": f"{EX}/gone"},
                ],
            },
            {
                "scheme_name": "CF Standard Names",
                "scheme_uri": "https://vocab.nerc.ac.uk/collection/P07/current/",
                "terms": [{"term": "sea_water_temperature"}],
            },
        ),
    )["id"]

    report = p.post(f"/api/records/{rid}/draft/actions/validate").json
    assert report["valid"] is True and report["errors"] == []
    expected = [
        (
            "/metadata/keywords/0/terms/0",
            "deprecated",
            "warning",
            [{"uri": f"{EX}/sst", "label": "Sea surface temperature"}],
        ),
        (
            "/metadata/keywords/0/terms/1",
            "deprecated",
            "warning",
            [
                {"uri": f"{EX}/salinity", "label": "Salinity"},
                {"uri": f"{EX}/sst", "label": "Sea surface temperature"},
            ],
        ),
        ("/metadata/keywords/0/terms/2", "deprecated", "warning", None),
        ("/metadata/keywords/1", "unknown_scheme", "warning", None),
    ]
    assert [
        (f["field"], f["code"], f["severity"], f.get("replacements")) for f in report["findings"]
    ] == expected

    assert submit(p, rid).status_code == 202  # warnings never block

    # The review queue shows them on the submission...
    hits = m.get("/api/reviews").json["hits"]["hits"]
    assert [h["id"] for h in hits] == [rid]
    assert [
        (f["field"], f["code"], f["severity"], f.get("replacements")) for f in hits[0]["findings"]
    ] == expected
    old = hits[0]["findings"][0]
    assert old["message"] == (
        f"'Old SST' is deprecated in the vocabulary 'ocean'; use 'Sea surface temperature' ({EX}/sst) instead"
    )
    assert "names no replacement" in hits[0]["findings"][2]["message"]
    # ...and the submit event keeps them as they were at submission.
    submitted = [
        e for e in m.get(f"/api/records/{rid}/events").json["hits"]["hits"] if e["action"] == "submit"
    ]
    assert [
        (f["field"], f["code"], f["severity"], f.get("replacements"))
        for f in submitted[0]["data"]["findings"]
    ] == expected
    # Deprecated terms do not block acceptance either.
    assert m.post(f"/api/records/{rid}/review/actions/assign", json={}).status_code == 200
    assert m.post(f"/api/records/{rid}/review/actions/accept", json={}).status_code == 200


def test_submission_refreshes_labels_changed_since_the_draft_was_saved(
    app: Flask, people: dict[str, Any], tmp_path: Path
) -> None:
    p = people["producer"]
    rid = new_draft(
        p,
        with_keywords(
            {
                "scheme_name": "Ocean",
                "scheme_uri": EX,
                "terms": [{"term": "Sea surface temperature", "value_uri": f"{EX}/sst"}],
            },
        ),
    )["id"]
    import_ocean(app, tmp_path, sst_en="Sea-surface temperature (skin)", modified="2025-02-01")
    report = p.post(f"/api/records/{rid}/draft/actions/validate").json
    assert [(f["code"], f["severity"], f["label"]) for f in report["findings"]] == [
        ("label_refreshed", "info", "Sea-surface temperature (skin)")
    ]
    r = submit(p, rid)
    assert r.status_code == 202, r.json
    group = r.json["metadata"]["keywords"][0]
    assert group["terms"] == [{"term": "Sea-surface temperature (skin)", "value_uri": f"{EX}/sst"}]
    assert (group["scheme_date"], group["scheme_date_type"]) == ("2025-02-01", "revision")


def test_acceptance_refuses_a_term_missing_from_a_vocabulary_loaded_during_review(
    app: Flask, people: dict[str, Any], tmp_path: Path
) -> None:
    p, m = people["producer"], people["mod"]
    rid = new_draft(
        p,
        with_keywords(
            {
                "scheme_name": "Biology",
                "scheme_uri": EX2,
                "terms": [
                    {"term": "Plankton", "value_uri": f"{EX2}/plankton"},
                    {"term": "Krill", "value_uri": f"{EX2}/krill"},
                ],
            },
        ),
    )["id"]
    assert submit(p, rid).status_code == 202  # the vocabulary is not loaded: a warning only
    assert m.post(f"/api/records/{rid}/review/actions/assign", json={}).status_code == 200
    import_ttl(app, tmp_path, BIOLOGY.format(ex=EX2), EX2, "biology")
    finding = m.get("/api/reviews").json["hits"]["hits"][0]["findings"]
    assert [(f["field"], f["code"]) for f in finding] == [("/metadata/keywords/0/terms/1", "unknown_term")]
    r = m.post(f"/api/records/{rid}/review/actions/accept", json={})
    assert r.status_code == 400
    assert [e["field"] for e in r.json["errors"]] == ["/metadata/keywords/0/terms/1"]
    assert m.get(f"/api/records/{rid}/draft").json["state"] == "under_review"
    assert (
        m.post(
            f"/api/records/{rid}/review/actions/request-changes",
            json={"comment": "Krill is not in the vocabulary"},
        ).status_code
        == 200
    )


def test_the_moderators_dashboard_lists_the_findings(
    app: Flask, factory: Any, people: dict[str, Any]
) -> None:
    p = people["producer"]
    rid = new_draft(
        p,
        with_keywords(
            {
                "scheme_name": "Ocean",
                "scheme_uri": EX,
                "terms": [{"term": "Old SST", "value_uri": f"{EX}/old"}],
            },
        ),
    )["id"]
    assert submit(p, rid).status_code == 202
    client = app.test_client()
    csrf = client.get("/login").data.decode().split('name="_csrf" value="')[1].split('"')[0]
    r = client.post(
        "/login", data={"email": "mod@example.org", "password": "correct horse battery", "_csrf": csrf}
    )
    assert r.status_code == 302
    page = client.get("/me").data.decode()
    assert "Vocabulary checks" in page
    assert "/metadata/keywords/0/terms/0" in page
    assert (
        "&#39;Old SST&#39; is deprecated in the vocabulary &#39;ocean&#39;; use &#39;Sea surface temperature&#39;"
        in page
    )

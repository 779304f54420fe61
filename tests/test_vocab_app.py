"""Vocabularies in the app: import through the CLI, re-import, bundled load, API look-ups and
keyword checks against the database (SQLite, or PostgreSQL with ALLUVIUM_TEST_DATABASE_URL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.cli import main as cli
from app.db import new_session
from app.migrate import downgrade, upgrade
from app.models import VocabularyConcept, VocabularyScheme
from app.services import vocabularies as svc
from app.services.errors import Conflict, Forbidden
from curation import Actor
from curation.policy import Role

GCMD_SCIENCE = "https://gcmd.earthdata.nasa.gov/kms/concepts/concept_scheme/sciencekeywords"
GCMD = "https://gcmd.earthdata.nasa.gov/kms/concept/"
EX = "http://example.org/vocab"

TTL = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix dct: <http://purl.org/dc/terms/> .
<{ex}> a skos:ConceptScheme ; dct:title "Océan"@fr, "Ocean"@en .
<{ex}/water> a skos:Concept ; skos:prefLabel "Eau"@fr, "Water"@en ; skos:notation "W" .
<{ex}/sst> a skos:Concept ; skos:prefLabel "{sst_fr}"@fr, "Sea surface temperature"@en ;
    skos:altLabel "SST"@en ; skos:broader <{ex}/water> .
<{ex}/old> a skos:Concept ; skos:prefLabel "Sea surface temperature (old)"@en ; owl:deprecated true ;
    dct:isReplacedBy <{ex}/sst> .
{extra}
"""
SALINITY = f'<{EX}/salinity> a skos:Concept ; skos:prefLabel "Salinité"@fr, "Salinity"@en ; skos:broader <{EX}/water> .'


def write_ttl(
    tmp_path: Path, sst_fr: str = "Température de surface de la mer", extra: str = SALINITY
) -> Path:
    path = tmp_path / "ocean.ttl"
    path.write_text(TTL.format(ex=EX, sst_fr=sst_fr, extra=extra), encoding="utf-8")
    return path


def run(app: Flask, *args: str) -> Any:
    env = {"ALLUVIUM_DATABASE_URL": app.config["DATABASE_URL"]}
    return app.test_cli_runner().invoke(cli, ["vocab", *args], env=env)


def counts(app: Flask) -> tuple[int, int]:
    with new_session(app) as s:
        return (
            s.scalar(select(func.count()).select_from(VocabularyScheme)) or 0,
            s.scalar(select(func.count()).select_from(VocabularyConcept)) or 0,
        )


# --- import -----------------------------------------------------------------------------------


def test_cli_imports_gcmd_science_keywords_idempotently(app: Flask, shared_standards: Path) -> None:
    path = shared_standards / "vocabularies/gcmd/rdf/sciencekeywords.rdf"
    r = run(app, "import", str(path), "--scheme-uri", GCMD_SCIENCE, "--name", "gcmd-science")
    assert r.exit_code == 0, r.output
    assert "2000 new" in r.output
    assert counts(app) == (1, 2000)
    r = run(app, "import", str(path), "--scheme-uri", GCMD_SCIENCE)
    assert r.exit_code == 0, r.output
    assert "0 new, 0 updated, 2000 unchanged, 0 newly deprecated" in r.output
    assert counts(app) == (1, 2000)
    r = run(app, "list")
    assert f"gcmd-science\t2000\t9.1.5\t{GCMD_SCIENCE}" in r.output


def test_reimport_updates_labels_and_deprecates_removed_concepts(app: Flask, tmp_path: Path) -> None:
    system = Actor.system_actor()
    with new_session(app) as s:
        first = svc.import_vocabulary(s, system, write_ttl(tmp_path), EX, "ocean")
        s.commit()
        assert (first.created, first.scheme.concept_count) == (4, 4)
    with new_session(app) as s:
        again = svc.import_vocabulary(
            s, system, write_ttl(tmp_path, sst_fr="Température de la mer en surface", extra=""), EX
        )
        s.commit()
        assert (again.created, again.updated, again.unchanged, again.deprecated) == (0, 1, 2, 1)
        assert again.scheme.name == "ocean" and again.scheme.concept_count == 4
    with new_session(app) as s:
        sst = svc.get_term(s, "ocean", f"{EX}/sst")
        assert sst.pref_labels["fr"] == "Température de la mer en surface"
        salinity = svc.get_term(s, "ocean", f"{EX}/salinity")
        assert salinity.deprecated and salinity.pref_labels["en"] == "Salinity"
        # the label index follows: the new label is found, the old one is not
        assert [c.uri for c in svc.search_terms(s, "ocean", "temperature de la mer", "fr").hits] == [
            f"{EX}/sst"
        ]
        assert svc.search_terms(s, "ocean", "temperature de surface", "fr").total == 0
        assert svc.search_terms(s, "ocean", "salin", "en").total == 0
        assert svc.search_terms(s, "ocean", "salin", "en", include_deprecated=True).total == 1
    assert counts(app) == (1, 4)


def test_invalid_skos_imports_nothing(app: Flask, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n<a> a skos:Concept oops .\n")
    r = run(app, "import", str(bad), "--scheme-uri", EX)
    assert r.exit_code == 1
    assert "bad.ttl, line" in r.output and "not valid turtle" in r.output
    assert "Traceback" not in r.output
    none = tmp_path / "none.ttl"
    none.write_text("<http://a> <http://b> <http://c> .\n")
    r = run(app, "import", str(none), "--scheme-uri", EX)
    assert r.exit_code == 1 and "no skos:Concept" in r.output
    assert counts(app) == (0, 0)


def test_failed_import_rolls_back_as_one_transaction(app: Flask, tmp_path: Path) -> None:
    system = Actor.system_actor()
    other = tmp_path / "other.ttl"
    other.write_text(TTL.format(ex="http://example.org/other", sst_fr="x", extra=""), encoding="utf-8")
    with new_session(app) as s:
        svc.import_vocabulary(s, system, write_ttl(tmp_path), EX, "ocean")
        with pytest.raises(Conflict, match="already called 'ocean'"):
            svc.import_vocabulary(s, system, other, "http://example.org/other", "ocean")
        s.rollback()
    assert counts(app) == (0, 0)


def test_only_admins_import(app: Flask, tmp_path: Path) -> None:
    with new_session(app) as s, pytest.raises(Forbidden):
        svc.import_vocabulary(s, Actor(user_id=1, role=Role.MODERATOR), write_ttl(tmp_path), EX)


@pytest.mark.slow
def test_import_gemet_fr(app: Flask, shared_standards: Path) -> None:
    with new_session(app) as s:
        result = svc.import_vocabulary(
            s,
            Actor.system_actor(),
            shared_standards / "vocabularies/gemet/gemet-fr.geonetwork.rdf",
            "http://www.eionet.europa.eu/gemet/",
            "gemet",
        )
        s.commit()
        assert result.scheme.concept_count == 5570
        hits = svc.search_terms(s, "gemet", "competence environnementale", "fr").hits
        assert "http://www.eionet.europa.eu/gemet/concept/10012" in [c.uri for c in hits]


def test_inspire_registry_file_import(app: Flask, shared_standards: Path) -> None:
    with new_session(app) as s:
        svc.import_vocabulary(
            s,
            Actor.system_actor(),
            shared_standards / "vocabularies/inspire/theme.en.rdf",
            "http://inspire.ec.europa.eu/theme",
            "inspire-registry",
        )
        s.commit()
        page = svc.search_terms(s, "inspire-registry", "atmospheric", "en")
        # "Atmospheric conditions" is live; the retired "Atmospheric Conditions and meteorological…" is hidden
        assert [c.uri for c in page.hits] == ["http://inspire.ec.europa.eu/theme/ac"]


# --- bundled + API ----------------------------------------------------------------------------


@pytest.fixture
def loaded(app: Flask) -> Flask:
    r = run(app, "load-bundled")
    assert r.exit_code == 0, r.output
    return app


def test_bundled_vocabularies_load_on_a_fresh_database(loaded: Flask, client: Any) -> None:
    body = client.get("/api/vocabularies?lang=fr").get_json()
    names = {h["id"]: h for h in body["hits"]["hits"]}
    assert set(names) == {
        "inspire-themes",
        "iso-topic-categories",
        "datacite-resource-types",
        "datacite-contributor-types",
        "datacite-relation-types",
        "licences",
        "languages",
        "inspire-limitations",
        "inspire-conditions",
    }
    themes = names["inspire-themes"]
    assert (themes["uri"], themes["concept_count"]) == ("http://inspire.ec.europa.eu/theme", 34)
    assert themes["title"] == "GEMET - thèmes INSPIRE, version 1.0"
    assert themes["citation"]["date"] == "2008-06-01"
    # loading twice changes nothing
    r = run(loaded, "load-bundled")
    assert "34 unchanged" in r.output


def test_autocomplete_fr_en_prefix_and_word_match(loaded: Flask, client: Any) -> None:
    hits = client.get("/api/vocabularies/inspire-themes/terms?q=hydro&lang=fr").get_json()["hits"]
    assert [(h["notation"], h["label"]) for h in hits["hits"]] == [("hy", "Hydrographie")]
    hits = client.get("/api/vocabularies/inspire-themes/terms?q=hydro&lang=en").get_json()["hits"]
    assert hits["hits"][0]["label"] == "Hydrography"
    # word match inside the label, accents ignored: "Répartition des espèces"
    hits = client.get("/api/vocabularies/inspire-themes/terms?q=especes&lang=fr").get_json()["hits"]
    assert "Répartition des espèces" in [h["label"] for h in hits["hits"]]
    # label start ranks before word start: "Sols" before "Usage des sols"? both fr; check order
    labels = [
        h["label"]
        for h in client.get("/api/vocabularies/inspire-themes/terms?q=sol&lang=fr").get_json()["hits"]["hits"]
    ]
    assert labels[0] == "Sols" and "Usage des sols" in labels
    # unknown language falls back to English
    hit = client.get("/api/vocabularies/licences/terms?q=etalab&lang=de").get_json()["hits"]["hits"][0]
    assert (hit["uri"], hit["label"]) == ("https://spdx.org/licenses/etalab-2.0", "Etalab Open License 2.0")
    # size and empty query
    body = client.get("/api/vocabularies/languages/terms?size=5").get_json()["hits"]
    assert len(body["hits"]) == 5 and body["total"] == 49


def test_term_lookup_by_notation_and_uri(loaded: Flask, client: Any) -> None:
    body = client.get("/api/vocabularies/licences/terms/CC-BY-4.0?lang=fr").get_json()
    assert body["uri"] == "https://spdx.org/licenses/CC-BY-4.0"
    assert body["labels"]["en"] == "Creative Commons Attribution 4.0 International"
    uri = "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/INSPIRE_Directive_Article13_1e"
    body = client.get(
        "/api/vocabularies/inspire-limitations/terms/" + quote(uri, safe="") + "?lang=fr"
    ).get_json()
    assert body["notation"] == "INSPIRE_Directive_Article13_1e"
    assert "propriété intellectuelle" in body["definition"]
    r = client.get("/api/vocabularies/licences/terms/GPL-9.0")
    assert r.status_code == 404 and "GPL-9.0" in r.get_json()["message"]
    assert client.get("/api/vocabularies/nope/terms?q=a").status_code == 404
    r = client.get("/api/vocabularies/licences/terms?size=0")
    assert r.status_code == 400 and r.get_json()["errors"][0]["field"] == "/size"


def test_hierarchy_path_and_deprecated_terms(app: Flask, client: Any, shared_standards: Path) -> None:
    r = run(
        app,
        "import",
        str(shared_standards / "vocabularies/gcmd/rdf/sciencekeywords.rdf"),
        "--scheme-uri",
        GCMD_SCIENCE,
        "--name",
        "gcmd-science",
    )
    assert r.exit_code == 0, r.output
    hits = client.get("/api/vocabularies/gcmd-science/terms?q=atmospheric%20winds").get_json()["hits"]["hits"]
    winds = next(h for h in hits if h["uri"] == GCMD + "df160e31-ae45-41a4-9093-a80fe5303cea")
    # sciencekeywords.csv: "EARTH SCIENCE,ATMOSPHERE,ATMOSPHERIC WINDS"
    assert winds["path"] == "Science Keywords > EARTH SCIENCE > ATMOSPHERE > ATMOSPHERIC WINDS"
    assert [b["label"] for b in winds["broader"]] == ["Science Keywords", "EARTH SCIENCE", "ATMOSPHERE"]
    body = client.get("/api/vocabularies/gcmd-science/terms/df160e31-ae45-41a4-9093-a80fe5303cea").get_json()
    assert "SURFACE WINDS" in [n["label"] for n in body["narrower"]]
    assert body["definition"] == "Air in motion relative to the surface of the earth."


def test_deprecated_excluded_unless_asked(app: Flask, client: Any, tmp_path: Path) -> None:
    with new_session(app) as s:
        svc.import_vocabulary(s, Actor.system_actor(), write_ttl(tmp_path), EX, "ocean")
        s.commit()
    hits = client.get("/api/vocabularies/ocean/terms?q=sea").get_json()["hits"]
    assert [h["uri"] for h in hits["hits"]] == [f"{EX}/sst"]
    hits = client.get("/api/vocabularies/ocean/terms?q=sea&deprecated=true").get_json()["hits"]
    assert [h["uri"] for h in hits["hits"]] == [f"{EX}/sst", f"{EX}/old"]
    old = hits["hits"][1]
    assert old["deprecated"] is True
    assert old["replaced_by"] == [{"uri": f"{EX}/sst", "label": "Sea surface temperature"}]
    # alt label and notation are searchable; the broader path is shown
    sst = client.get("/api/vocabularies/ocean/terms?q=SST&lang=fr").get_json()["hits"]["hits"][0]
    assert (sst["label"], sst["path"]) == (
        "Température de surface de la mer",
        "Eau > Température de surface de la mer",
    )
    assert client.get("/api/vocabularies/ocean/terms?q=w").get_json()["hits"]["hits"][0]["notation"] == "W"


def test_keyword_checks_against_the_database(loaded: Flask) -> None:
    keywords = [
        {
            "scheme_name": "GEMET - INSPIRE themes, version 1.0",
            "scheme_uri": "http://inspire.ec.europa.eu/theme",
            "terms": [
                {"term": "Hydrography", "value_uri": "http://inspire.ec.europa.eu/theme/hy"},
                {
                    "term": "Hydrographie ancienne",
                    "value_uri": "http://inspire.ec.europa.eu/theme/hy",
                    "lang": "fr",
                },
                {"term": "Nope", "value_uri": "http://inspire.ec.europa.eu/theme/zz"},
                {"term": "ortho-imagerie"},
            ],
        },
        {"scheme_name": "GCMD", "scheme_uri": GCMD_SCIENCE, "terms": [{"term": "OCEANS"}]},
    ]
    with new_session(loaded) as s:
        found = [(f.path, f.code, f.label) for f in svc.check_keywords(s, keywords)]
    assert found == [
        ("/0/terms/1", "label_refreshed", "Hydrographie"),
        ("/0/terms/2", "unknown_term", None),
        ("/0/terms/3", "uri_found", "Ortho-imagerie"),
        ("/1", "unknown_scheme", None),
    ]


def test_openapi_lists_vocabulary_routes(client: Any) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"/vocabularies", "/vocabularies/{scheme}/terms", "/vocabularies/{scheme}/terms/{term_id}"} <= set(
        paths
    )


def test_migration_0002_downgrades_and_upgrades(database_url: str) -> None:
    downgrade(database_url, "0001")
    upgrade(database_url)

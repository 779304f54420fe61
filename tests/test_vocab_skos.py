"""The SKOS loader, the bundled vocabularies and the keyword checks (no database).

Expected values are read from the official files by eye (quoted in comments) or written by hand.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from vocabularies import bundled
from vocabularies.lookup import BundledIndex, check_keywords, normalise, refresh_keywords
from vocabularies.skos import SkosError, parse_skos

GCMD_SCIENCE = "https://gcmd.earthdata.nasa.gov/kms/concepts/concept_scheme/sciencekeywords"
GCMD = "https://gcmd.earthdata.nasa.gov/kms/concept/"
EX = "http://example.org/vocab"

SMALL_TTL = f"""
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix dct: <http://purl.org/dc/terms/> .
<{EX}> a skos:ConceptScheme ; dct:title "Océan"@fr, "Ocean"@en ; owl:versionInfo "2" ;
    dct:modified "2024-05-01" .
<{EX}/water> a skos:Concept ; skos:prefLabel "Eau"@fr, "Water"@en ; skos:notation "W" .
<{EX}/sst> a skos:Concept ; skos:prefLabel "Température de surface de la mer"@fr,
    "Sea surface temperature"@en ; skos:altLabel "SST"@en ; skos:broader <{EX}/water> ;
    skos:definition "Temperature of the upper ocean"@en .
<{EX}/old> a skos:Concept ; skos:prefLabel "Old SST"@en ; owl:deprecated true ;
    dct:isReplacedBy <{EX}/sst> .
<http://other.org/x> a skos:Concept ; skos:inScheme <http://other.org/> ; skos:prefLabel "Elsewhere"@en .
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_turtle_labels_hierarchy_deprecation(tmp_path: Path) -> None:
    vocab = parse_skos(write(tmp_path, "v.ttl", SMALL_TTL), EX)
    assert vocab.scheme.title == {"fr": "Océan", "en": "Ocean"}
    assert (vocab.scheme.version, vocab.scheme.modified) == ("2", "2024-05-01")
    concepts = vocab.by_uri()
    # the concept of another scheme is left out; concepts without inScheme belong to EX
    assert sorted(concepts) == [f"{EX}/old", f"{EX}/sst", f"{EX}/water"]
    sst = concepts[f"{EX}/sst"]
    assert sst.pref_labels == {"fr": "Température de surface de la mer", "en": "Sea surface temperature"}
    assert sst.alt_labels == {"en": ["SST"]}
    assert sst.definitions == {"en": "Temperature of the upper ocean"}
    assert sst.broader == [f"{EX}/water"]
    # narrower is inferred from the child's skos:broader
    assert concepts[f"{EX}/water"].narrower == [f"{EX}/sst"]
    assert concepts[f"{EX}/water"].notation == "W"
    old = concepts[f"{EX}/old"]
    assert old.deprecated and old.replaced_by == [f"{EX}/sst"]


def test_scheme_uri_required_when_file_is_ambiguous(tmp_path: Path) -> None:
    with pytest.raises(SkosError, match="give the scheme URI"):
        parse_skos(write(tmp_path, "v.ttl", SMALL_TTL))


def test_jsonld_inline_context_and_remote_context_refused(tmp_path: Path) -> None:
    doc = {
        "@context": {"skos": "http://www.w3.org/2004/02/skos/core#"},
        "@id": f"{EX}/a",
        "@type": "skos:Concept",
        "skos:prefLabel": {"@value": "Alpha", "@language": "en"},
    }
    vocab = parse_skos(write(tmp_path, "v.jsonld", json.dumps(doc)), EX)
    assert [c.pref_labels for c in vocab.concepts] == [{"en": "Alpha"}]
    doc["@context"] = "https://example.org/context.jsonld"
    with pytest.raises(SkosError, match="remote contexts .*https://example.org/context.jsonld"):
        parse_skos(write(tmp_path, "r.jsonld", json.dumps(doc)), EX)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "bad.ttl",
            "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n\n<a> a skos:Concept ;; oops",
            "line",
        ),
        (
            "bad.rdf",
            '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
            "<rdf:Description></rdf:RDF>",
            "line 3",
        ),
        ("bad.jsonld", '{"@id": ', "not valid JSON"),
        ("empty.ttl", "<http://a> <http://b> <http://c> .", "no skos:Concept"),
        ("v.txt", "whatever", "cannot tell the RDF syntax"),
    ],
)
def test_malformed_files_give_clear_errors(tmp_path: Path, name: str, text: str, message: str) -> None:
    with pytest.raises(SkosError, match=message) as info:
        parse_skos(write(tmp_path, name, text), EX)
    assert name in str(info.value)


def test_size_limit(tmp_path: Path) -> None:
    with pytest.raises(SkosError, match="limit"):
        parse_skos(write(tmp_path, "v.ttl", SMALL_TTL), EX, max_bytes=100)


def test_normalise() -> None:
    assert normalise("  Température de Surface (mer) ") == "temperature de surface mer"
    assert normalise("ATMOSPHERIC/OCEAN INDICATORS") == "atmospheric ocean indicators"


# --- official files ---------------------------------------------------------------------------


def test_gcmd_science_keywords(shared_standards: Path) -> None:
    vocab = parse_skos(shared_standards / "vocabularies/gcmd/rdf/sciencekeywords.rdf", GCMD_SCIENCE)
    assert len(vocab.concepts) == 2000  # standards README: "2000 science keywords"
    # <gcmd:keywordVersion>9.1.5</…><gcmd:schemeVersion>2020-07-16 07:42:36</…>
    assert (vocab.scheme.version, vocab.scheme.issued) == ("9.1.5", "2020-07-16")
    winds = vocab.by_uri()[GCMD + "df160e31-ae45-41a4-9093-a80fe5303cea"]
    assert winds.pref_labels == {"en": "ATMOSPHERIC WINDS"}
    assert winds.definitions["en"] == "Air in motion relative to the surface of the earth."
    assert winds.broader == [GCMD + "c47f6052-634e-40ef-a5ac-13f69f6f4c2a"]
    assert GCMD + "10685919-bc01-43e7-901a-b62ac44627f3" in winds.narrower


def test_inspire_registry_file_without_warnings(
    shared_standards: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    vocab = parse_skos(
        shared_standards / "vocabularies/inspire/theme.en.rdf", "http://inspire.ec.europa.eu/theme"
    )
    assert not [r for r in caplog.records if r.name.startswith("rdflib")]
    assert len(vocab.concepts) == 35
    assert vocab.scheme.title == {"en": "INSPIRE theme register"}
    assert vocab.scheme.issued == "2013-03-25"  # from "2013-03-25 14:14 PM UTC"
    concepts = vocab.by_uri()
    assert concepts["http://inspire.ec.europa.eu/theme/hy"].pref_labels == {"en": "Hydrography"}
    # adms:status …/status/invalid
    assert concepts["http://inspire.ec.europa.eu/theme/ac-mf"].deprecated
    assert sum(c.deprecated for c in vocab.concepts) == 1


def test_inspire_multilingual_fr_en(shared_standards: Path) -> None:
    vocab = parse_skos(shared_standards / "vocabularies/inspire/inspire-theme.multilingual.geonetwork.rdf")
    assert vocab.scheme.uri == "http://geonetwork-opensource.org/inspire-theme"
    assert len(vocab.concepts) == 34
    su = vocab.by_uri()["http://rdfdata.eionet.europa.eu/inspirethemes/themes/14"]
    assert (su.pref_labels["fr"], su.pref_labels["en"]) == ("Unités statistiques", "Statistical units")
    assert su.alt_labels[""] == ["su"]


def test_gemet_fr(shared_standards: Path) -> None:
    vocab = parse_skos(
        shared_standards / "vocabularies/gemet/gemet-fr.geonetwork.rdf", "http://www.eionet.europa.eu/gemet/"
    )
    assert len(vocab.concepts) == 5570
    assert vocab.scheme.title == {"": "GEMET"}
    assert vocab.scheme.source_uri == "http://geonetwork-opensource.org/gemet"
    c = vocab.by_uri()["http://www.eionet.europa.eu/gemet/concept/10012"]
    assert c.pref_labels == {"fr": "organisme administratif a compétence environnementale"}
    assert "http://www.eionet.europa.eu/gemet/concept/3715" in c.broader


# --- bundled ----------------------------------------------------------------------------------


def test_bundled_inspire_themes_fr_en() -> None:
    vocab = bundled.load_bundled_vocabulary("inspire-themes")
    assert len(vocab.concepts) == 34
    assert vocab.scheme.title["en"] == "GEMET - INSPIRE themes, version 1.0"
    assert vocab.scheme.issued == "2008-06-01"
    hy = vocab.by_uri()["http://inspire.ec.europa.eu/theme/hy"]
    assert hy.pref_labels == {"en": "Hydrography", "fr": "Hydrographie"}
    assert hy.notation == "hy"
    assert all(c.uri.startswith("http://inspire.ec.europa.eu/theme/") for c in vocab.concepts)


def test_bundled_licences_and_limitations() -> None:
    licences = bundled.load_bundled_vocabulary("licences").by_uri()
    assert sorted(licences) == [
        f"https://spdx.org/licenses/{i}"
        for i in ("CC-BY-4.0", "CC-BY-NC-4.0", "CC-BY-SA-4.0", "CC0-1.0", "ODbL-1.0", "etalab-2.0")
    ]
    assert licences["https://spdx.org/licenses/etalab-2.0"].pref_labels["fr"].startswith("Licence Ouverte")
    limits = bundled.load_bundled_vocabulary("inspire-limitations").by_uri()
    base = "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/"
    assert sorted(limits) == sorted(
        [base + "noLimitations"] + [base + f"INSPIRE_Directive_Article13_1{x}" for x in "abcdefgh"]
    )
    assert all(set(c.pref_labels) == {"en", "fr"} for c in limits.values())
    # INSPIRE TG metadata 2.0.1 section 2.5: the two codes it cites for conditions of access and use.
    conditions = bundled.load_bundled_vocabulary("inspire-conditions").by_uri()
    base = "http://inspire.ec.europa.eu/metadata-codelist/ConditionsApplyingToAccessAndUse/"
    assert sorted(conditions) == [base + "conditionsUnknown", base + "noConditionsApply"]
    assert conditions[base + "noConditionsApply"].pref_labels["en"] == "No conditions apply to access and use"
    assert conditions[base + "conditionsUnknown"].notation == "conditionsUnknown"
    assert all(set(c.pref_labels) == {"en", "fr"} for c in conditions.values())


def test_bundled_counts() -> None:
    counts = {item.name: len(vocab.concepts) for item, vocab in bundled.bundled_vocabularies()}
    assert counts["iso-topic-categories"] == 19  # ISO 19139 MD_TopicCategoryCode
    assert counts["datacite-resource-types"] == 34  # DataCite 4.7 resourceTypeGeneral
    assert counts["licences"] == 6
    assert counts["languages"] >= 24  # at least the EU official languages
    fr = bundled.load_bundled_vocabulary("languages").by_uri()[bundled.LANGUAGES + "/FRA"]
    assert (fr.notation, fr.pref_labels) == ("fr", {"en": "French", "fr": "français"})


def test_bundled_files_match_their_build_script(shared_standards: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build_bundled", bundled.BUNDLED_DIR.parent / "build_bundled.py"
    )
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    for name, text in module.build_all(shared_standards).items():
        assert (bundled.BUNDLED_DIR / name).read_text(encoding="utf-8") == text, name


# --- keyword checks ---------------------------------------------------------------------------


@pytest.fixture
def index(tmp_path: Path) -> BundledIndex:
    return BundledIndex([("ocean", parse_skos(write(tmp_path, "v.ttl", SMALL_TTL), EX))])


def test_check_keywords(index: BundledIndex) -> None:
    keywords = [
        {
            "scheme_name": "Ocean",
            "scheme_uri": EX,
            "terms": [
                {"term": "Sea surface temperature", "value_uri": f"{EX}/sst"},  # fine
                {"term": "SST old label", "value_uri": f"{EX}/sst", "lang": "fr"},  # label refreshed (fr)
                {"term": "whatever", "value_uri": f"{EX}/nope"},  # unknown
                {"term": "Old SST", "value_uri": f"{EX}/old"},  # deprecated
                {"term": "eau"},  # found by label
            ],
        },
        {
            "scheme_name": "CF",
            "scheme_uri": "https://vocab.nerc.ac.uk/collection/P07/current/",
            "terms": [{"term": "sea_water_temperature"}],
        },
        {"term": "free", "scheme_name": "none"},
    ]
    findings = {(f.path, f.code): f for f in check_keywords(keywords, index)}
    assert sorted(findings) == [
        ("/0/terms/1", "label_refreshed"),
        ("/0/terms/2", "unknown_term"),
        ("/0/terms/3", "deprecated"),
        ("/0/terms/4", "uri_found"),
        ("/1", "unknown_scheme"),
    ]
    assert findings[("/0/terms/1", "label_refreshed")].label == "Température de surface de la mer"
    assert findings[("/0/terms/2", "unknown_term")].severity == "error"
    deprecated = findings[("/0/terms/3", "deprecated")]
    assert deprecated.severity == "warning"
    assert deprecated.replacements == ({"uri": f"{EX}/sst", "label": "Sea surface temperature"},)
    assert "use 'Sea surface temperature' (http://example.org/vocab/sst) instead" in deprecated.message
    assert deprecated.as_dict()["replacements"] == [{"uri": f"{EX}/sst", "label": "Sea surface temperature"}]
    assert findings[("/0/terms/4", "uri_found")].concept_uri == f"{EX}/water"

    refreshed = refresh_keywords(keywords, index)
    assert refreshed[0]["terms"][1]["term"] == "Température de surface de la mer"
    assert refreshed[0]["terms"][4] == {"term": "Eau", "value_uri": f"{EX}/water"}
    assert refreshed[0]["scheme_date"] == "2024-05-01"
    assert keywords[0]["terms"][4] == {"term": "eau"}  # the input is not modified


def test_scheme_citation() -> None:
    citation = BundledIndex().scheme("http://inspire.ec.europa.eu/theme").citation("en")
    assert citation == {
        "title": "GEMET - INSPIRE themes, version 1.0",
        "uri": "http://inspire.ec.europa.eu/theme",
        "date": "2008-06-01",
        "date_type": "publication",
        "version": "1.0",
    }


def test_refresh_writes_the_vocabularys_citation(index: BundledIndex, tmp_path: Path) -> None:
    keywords = [
        # wrong name, stale date: the vocabulary's title and its latest date (a dct:modified)
        {
            "scheme_name": "Oceen (typo)",
            "scheme_uri": EX,
            "scheme_date": "2001-01-01",
            "terms": [{"term": "Water", "value_uri": f"{EX}/water"}],
        },
        # a single concept (platform): the title only
        {"term": "Water", "value_uri": f"{EX}/water", "scheme_uri": EX},
        # not loaded: left alone
        {
            "scheme_name": "CF",
            "scheme_uri": "https://vocab.nerc.ac.uk/collection/P07/current/",
            "scheme_date": "2001-01-01",
            "terms": [{"term": "x"}],
        },
    ]
    refreshed = refresh_keywords(keywords, index)
    assert {k: refreshed[0][k] for k in ("scheme_name", "scheme_date", "scheme_date_type")} == {
        "scheme_name": "Ocean",
        "scheme_date": "2024-05-01",
        "scheme_date_type": "revision",
    }
    assert refreshed[1] == {
        "term": "Water",
        "value_uri": f"{EX}/water",
        "scheme_uri": EX,
        "scheme_name": "Ocean",
    }
    assert refreshed[2] == keywords[2]

    # A publication date (dct:issued only) drops a stale date type.
    inspire = refresh_keywords(
        [
            {
                "scheme_name": "x",
                "scheme_uri": "http://inspire.ec.europa.eu/theme",
                "scheme_date": "2013-03-25",
                "scheme_date_type": "revision",
                "terms": [{"term": "Hydrography"}],
            }
        ],
        BundledIndex(),
    )[0]
    assert inspire == {
        "scheme_name": "GEMET - INSPIRE themes, version 1.0",
        "scheme_uri": "http://inspire.ec.europa.eu/theme",
        "scheme_date": "2008-06-01",
        "terms": [{"term": "Hydrography", "value_uri": "http://inspire.ec.europa.eu/theme/hy"}],
    }

    # A vocabulary without title or date (GCMD's RDF export, for one, has no title)
    # keeps the producer's name and date.
    bare = BundledIndex(
        [
            (
                "bare",
                parse_skos(
                    write(
                        tmp_path,
                        "bare.ttl",
                        f"""
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <{EX}/bare> a skos:ConceptScheme .
        <{EX}/bare/a> a skos:Concept ; skos:inScheme <{EX}/bare> ; skos:prefLabel "A"@en .
        """,
                    ),
                    f"{EX}/bare",
                ),
            )
        ]
    )
    group = {
        "scheme_name": "My list",
        "scheme_uri": f"{EX}/bare",
        "scheme_date": "2022-02-02",
        "terms": [{"term": "A"}],
    }
    assert refresh_keywords([group], bare)[0] == group | {
        "terms": [{"term": "A", "value_uri": f"{EX}/bare/a"}]
    }
    assert refresh_keywords([{"scheme_uri": f"{EX}/bare", "term": "A"}], bare)[0]["scheme_name"] == "bare"


def test_hierarchy_path_keywords(index: BundledIndex) -> None:
    keywords = [
        {
            "scheme_name": "Ocean",
            "scheme_uri": EX,
            "terms": [
                {"term": "Water > Sea surface temperature", "value_uri": f"{EX}/sst"},  # current: no finding
                {"term": "EARTH SCIENCE > Water > SST", "value_uri": f"{EX}/sst"},  # leaf is not the label
                {"term": "Water > Sea surface temperature"},  # found by its leaf
                {"term": "Water > Kelp"},  # unknown leaf
            ],
        }
    ]
    findings = [(f.path, f.code, f.label) for f in check_keywords(keywords, index)]
    assert findings == [
        ("/0/terms/1", "label_refreshed", "Sea surface temperature"),
        ("/0/terms/2", "uri_found", None),
        ("/0/terms/3", "unknown_term", None),
    ]
    terms = refresh_keywords(keywords, index)[0]["terms"]
    assert terms[:3] == [
        {"term": "Water > Sea surface temperature", "value_uri": f"{EX}/sst"},
        {"term": "Sea surface temperature", "value_uri": f"{EX}/sst"},
        {"term": "Water > Sea surface temperature", "value_uri": f"{EX}/sst"},
    ]
    assert terms[3] == {"term": "Water > Kelp"}


def test_deprecated_without_replacement(tmp_path: Path) -> None:
    ttl = SMALL_TTL + f'<{EX}/gone> a skos:Concept ; skos:prefLabel "Gone"@en ; owl:deprecated true .\n'
    index = BundledIndex([("ocean", parse_skos(write(tmp_path, "g.ttl", ttl), EX))])
    [finding] = check_keywords(
        [{"scheme_name": "Ocean", "scheme_uri": EX, "terms": [{"term": "Gone", "value_uri": f"{EX}/gone"}]}],
        index,
    )
    assert (finding.code, finding.severity, finding.replacements) == ("deprecated", "warning", ())
    assert finding.message == "'Gone' is deprecated in the vocabulary 'ocean' and it names no replacement"
    assert "replacements" not in finding.as_dict()


def test_curation_findings_point_into_the_metadata(index: BundledIndex) -> None:
    from curation.checks import refresh_vocabulary_terms, vocabulary_errors, vocabulary_findings
    from schemas import FieldError

    metadata = {
        "titles": [{"text": "t"}],
        "keywords": [
            {
                "scheme_name": "Ocean",
                "scheme_uri": EX,
                "terms": [
                    {"term": "Old SST", "value_uri": f"{EX}/old"},
                    {"term": "nope", "value_uri": f"{EX}/nope"},
                    {"term": "eau"},
                ],
            }
        ],
        "platforms": [{"term": "Buoy", "scheme_uri": EX}],
        "instruments": [{"term": "CTD"}],  # no vocabulary: not checked
        "variables": [{"term": "SST", "scheme_name": "NERC", "scheme_uri": "http://vocab.nerc.ac.uk/P01/"}],
    }
    findings = vocabulary_findings(metadata, index)
    assert [(f.path, f.code, f.severity) for f in findings] == [
        ("/keywords/0/terms/1", "unknown_term", "error"),
        ("/platforms/0", "unknown_term", "error"),
        ("/keywords/0/terms/0", "deprecated", "warning"),
        ("/variables/0", "unknown_scheme", "warning"),
        ("/keywords/0/terms/2", "uri_found", "info"),
    ]
    assert vocabulary_errors(findings) == [
        FieldError("/keywords/0/terms/1", [f"{EX}/nope is not a concept of the vocabulary 'ocean' ({EX})"]),
        FieldError("/platforms/0", [f"'Buoy' is not a term of the vocabulary 'ocean' ({EX})"]),
    ]
    refreshed = refresh_vocabulary_terms(metadata, index)
    assert refreshed["keywords"][0]["terms"][2] == {"term": "Eau", "value_uri": f"{EX}/water"}
    assert refreshed["platforms"] == [{"term": "Buoy", "scheme_uri": EX, "scheme_name": "Ocean"}]
    assert refreshed["instruments"] == metadata["instruments"]
    assert metadata["keywords"][0]["terms"][2] == {"term": "eau"}  # the input is not modified


# --- DataCite lists in French -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "fr"),
    [
        ("datacite-resource-types", "Dataset", "Jeu de données"),
        ("datacite-resource-types", "Software", "Logiciel"),
        ("datacite-resource-types", "Preprint", "Prépublication"),
        ("datacite-resource-types", "ConferencePaper", "Communication dans un congrès"),
        ("datacite-contributor-types", "ContactPerson", "Personne à contacter"),
        ("datacite-contributor-types", "Editor", "Éditeur scientifique"),
        ("datacite-contributor-types", "RightsHolder", "Titulaire des droits"),
        ("datacite-relation-types", "IsCitedBy", "Est cité par"),
        ("datacite-relation-types", "IsDerivedFrom", "Est dérivé de"),
        ("datacite-relation-types", "HasPart", "A pour partie"),
    ],
)
def test_datacite_lists_have_french_labels(name: str, value: str, fr: str) -> None:
    concept = next(c for c in bundled.load_bundled_vocabulary(name).concepts if c.notation == value)
    assert concept.pref_labels["fr"] == fr


def test_every_datacite_value_has_a_distinct_french_label() -> None:
    for name in ("datacite-resource-types", "datacite-contributor-types", "datacite-relation-types"):
        vocab = bundled.load_bundled_vocabulary(name)
        assert vocab.scheme.title["fr"].startswith("Types de")
        labels = [c.pref_labels.get("fr") for c in vocab.concepts]
        assert all(labels), name
        assert len(set(labels)) == len(labels), name
    # the French label finds the term too
    index = BundledIndex()
    found = index.concept_by_label(bundled.DATACITE_RESOURCE_TYPES, "jeu de donnees")
    assert found is not None and found.notation == "Dataset"


def test_build_script_refuses_a_datacite_list_without_all_its_french_labels() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build_bundled", bundled.BUNDLED_DIR.parent / "build_bundled.py"
    )
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    partial = {k: v for k, v in module.RESOURCE_TYPES_FR.items() if k != "Dataset"}
    with pytest.raises(SystemExit, match=r"missing \['Dataset'\]"):
        module.datacite("resourceTypeGeneral", bundled.DATACITE_RESOURCE_TYPES, {"en": "x"}, partial)

"""vocabularies.controlled: the committed lists, their look-ups, and their freshness."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from vocabularies import controlled

ROOT = Path(__file__).resolve().parents[1]
STANDARDS = Path("/work/shared/standards")


def test_datacite_lists() -> None:
    assert controlled.datacite_version() == "4.7"
    assert controlled.is_datacite("resourceTypeGeneral", "Dataset")
    assert controlled.is_datacite("resourceTypeGeneral", "StudyRegistration")  # new in 4.5
    assert not controlled.is_datacite("resourceTypeGeneral", "dataset")  # case as in the XSD
    assert len(controlled.datacite_list("resourceTypeGeneral")) == 34
    assert controlled.datacite_list("nameType") == ("Organizational", "Personal")
    assert controlled.datacite_list("titleType") == (
        "AlternativeTitle",
        "Subtitle",
        "TranslatedTitle",
        "Other",
    )
    assert "Coverage" in controlled.datacite_list("dateType")
    assert "HasTranslation" in controlled.datacite_list("relationType")
    assert "RAiD" in controlled.datacite_list("relatedIdentifierType")
    assert controlled.is_datacite("funderIdentifierType", "Crossref Funder ID")
    assert controlled.is_datacite("contributorType", "DataCurator")
    assert controlled.is_datacite("descriptionType", "TechnicalInfo")
    with pytest.raises(KeyError):
        controlled.datacite_list("colourType")


def test_spdx() -> None:
    cc = controlled.spdx_license("cc-by-4.0")
    assert cc["id"] == "CC-BY-4.0"
    assert cc["name"] == "Creative Commons Attribution 4.0 International"
    assert cc["reference"] == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert cc["deprecated"] is False
    # The French government open licence is in SPDX under this id.
    assert controlled.spdx_license("etalab-2.0")["name"] == "Etalab Open License 2.0"
    assert controlled.spdx_license("GPL-2.0")["deprecated"] is True
    assert controlled.spdx_license("MIT")["osi_approved"] is True
    assert controlled.spdx_license("CC-BY-5.0") is None
    assert controlled.spdx_version() == "3.27.0"


def test_iso639() -> None:
    fr = controlled.iso639("fr")
    assert (fr["alpha3_b"], fr["alpha3_t"], fr["en"], fr["fr"]) == ("fre", "fra", "French", "français")
    assert controlled.iso639("FRA")["alpha2"] == "fr"
    assert controlled.iso639("ger")["alpha2"] == "de"
    assert controlled.iso639("haw")["alpha2"] is None  # 639-2 only
    assert controlled.iso639("xx") is None
    assert controlled.iso639("qaa") is None  # local-use range is not a language


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("fr", "fr"),
        ("FR", "fr"),
        ("fre", "fr"),
        ("fra", "fr"),
        ("en-gb", "en-GB"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("haw", "haw"),
        ("de-CH-1996", "de-CH-1996"),
        ("es-419", "es-419"),
    ],
)
def test_language_tags(tag: str, expected: str) -> None:
    assert controlled.normalize_language_tag(tag) == expected


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("xx", "'xx' is not an ISO 639 language code"),
        ("english", "is not a language tag"),
        ("fr-", "is not a language tag"),
        ("qaa", "'qaa' is not an ISO 639 language code"),
    ],
)
def test_language_tags_invalid(tag: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        controlled.normalize_language_tag(tag)


def test_iso_codelists() -> None:
    topics = controlled.iso_codelist("MD_TopicCategoryCode")
    assert len(topics) == 19
    assert topics[0] == "farming" and "oceans" in topics
    assert "extraTerrestrial" not in topics  # 19115-1 only; not in the ISO 19139 enumeration
    roles = controlled.iso_codelist("CI_RoleCode")
    assert len(roles) == 11 and "pointOfContact" in roles and "principalInvestigator" in roles
    scopes = controlled.iso_codelist("MD_ScopeCode")
    assert len(scopes) == 16 and {"dataset", "series", "service", "software"} <= set(scopes)
    # the five of ISO 19139, then the ISO 19115-1 additions (keyword groups of any type are kept)
    assert controlled.iso_codelist("MD_KeywordTypeCode") == (
        "discipline",
        "place",
        "stratum",
        "temporal",
        "theme",
        "dataCentre",
        "featureType",
        "instrument",
        "platform",
        "process",
        "product",
        "project",
        "service",
        "subTopicCategory",
        "taxon",
    )
    assert controlled.iso_codelist("CI_OnLineFunctionCode") == (
        "download",
        "information",
        "offlineAccess",
        "order",
        "search",
        "browsing",
        "fileAccess",
    )
    assert controlled.is_iso_code("CI_RoleCode", "author")
    assert not controlled.is_iso_code("CI_RoleCode", "Author")
    assert controlled.iso_code_description("CI_RoleCode", "owner") == "party that owns the resource"


def _builder():
    path = ROOT / "vocabularies/data/build_controlled.py"
    spec = importlib.util.spec_from_file_location("build_controlled", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_lists_equal_official_files() -> None:
    if not (STANDARDS / "README.md").exists():
        pytest.skip(f"the official standards bundle is not at {STANDARDS}; nothing to compare with")
    built = _builder().build_all(STANDARDS)
    assert set(built) == {"datacite.json", "spdx_licenses.json", "iso639.json", "iso19115.json"}
    for name, text in built.items():
        committed = (ROOT / "vocabularies/data" / name).read_text(encoding="utf-8")
        assert committed == text, f"{name} is stale: run python3 vocabularies/data/build_controlled.py"

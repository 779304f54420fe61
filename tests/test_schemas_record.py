"""Examples, tiers, completeness, display title and the record document."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from schemas import (
    RecordValidationError,
    display_title,
    field_tiers,
    load_metadata,
    load_record_document,
    record_formats_and_size,
    validate_metadata,
)
from schemas.examples import example_record_document, minimal_example, rich_example
from schemas.metadata import MetadataSchema

ROOT = Path(__file__).resolve().parents[1]


# --- examples -------------------------------------------------------------------------------------


def test_minimal_example_is_valid_for_submission_and_unchanged() -> None:
    loaded = load_metadata(minimal_example(), require_mandatory=True)
    expected = minimal_example()
    expected["creators"][0]["name"] = "Martin, Claire"  # the only derived value
    assert loaded == expected


def test_rich_example_is_valid_and_uses_every_top_level_field() -> None:
    data = rich_example()
    loaded = load_metadata(data, require_mandatory=True)
    assert set(data) == set(MetadataSchema().fields)
    assert set(loaded) == set(MetadataSchema().fields)


def test_rich_example_normalisation() -> None:
    loaded = load_metadata(rich_example(), require_mandatory=True)
    assert loaded["creators"][2]["identifiers"] == [{"identifier": "0000-0002-1694-233X", "scheme": "ORCID"}]
    assert loaded["creators"][2]["name"] == "Dupont, Marie"
    assert loaded["spatial_extents"][0]["bbox"] == {
        "west": 160.0,
        "east": -150.0,
        "south": -35.0,
        "north": -10.0,
    }
    assert loaded["temporal_extents"][0] == {"start": "2019-03-01"}
    assert loaded["rights"]["license"] == {
        "id": "CC-BY-4.0",
        "name": "Creative Commons Attribution 4.0 International",
        "uri": "https://spdx.org/licenses/CC-BY-4.0.html",
    }
    assert loaded["funding"][0]["funder_identifier"] == "https://doi.org/10.13039/501100001665"
    assert loaded["funding"][1]["funder_identifier_type"] == "ROR"
    assert loaded["related_identifiers"][0] == {
        "identifier": "10.1029/2020jc016000",
        "scheme": "DOI",
        "relation_type": "IsCitedBy",
        "resource_type": "JournalArticle",
    }
    assert [k["scheme_uri"] for k in loaded["keywords"]] == [
        "https://gcmd.earthdata.nasa.gov/kms/concepts/concept_scheme/sciencekeywords",
        "http://inspire.ec.europa.eu/theme",
    ]


def test_examples_are_fresh_copies() -> None:
    first = rich_example()
    first["titles"].clear()
    assert rich_example()["titles"]


# --- tiers and completeness -----------------------------------------------------------------------


def test_field_tiers() -> None:
    tiers = field_tiers()
    assert tiers["/titles"] == "mandatory"
    assert tiers["/creators"] == "mandatory"
    assert tiers["/rights/access_level"] == "mandatory"
    assert tiers["/rights/license"] == "recommended"
    assert tiers["/keywords"] == "recommended"
    assert tiers["/platforms"] == "optional"
    assert tiers["/creators/*/identifiers/*/identifier"] == "mandatory"
    assert tiers["/contacts/*/email"] == "mandatory"
    assert tiers["/creators/*/email"] == "optional"
    assert set(tiers.values()) == {"mandatory", "recommended", "optional"}


def test_docs_list_every_field_with_its_tier() -> None:
    profile = (ROOT / "docs/metadata-profile.md").read_text(encoding="utf-8")
    documented = dict(
        re.findall(r"^\| `(/[^`]*)` \|[^|]*\|[^|]*\| (mandatory|recommended|optional) \|", profile, re.M)
    )
    assert documented == field_tiers()


def test_completeness_grows_with_recommended_fields() -> None:
    minimal = validate_metadata(minimal_example())
    assert minimal.valid and minimal.errors == [] and minimal.missing_mandatory == []
    # 7 mandatory present out of 7 mandatory + 17 recommended
    assert minimal.completeness == pytest.approx(7 / 24, abs=1e-4)
    assert "/keywords" in minimal.missing_recommended
    more = minimal_example() | {"version": "1.0", "languages": ["fr"]}
    report = validate_metadata(more)
    assert report.completeness == pytest.approx(9 / 24, abs=1e-4)
    assert "/version" not in report.missing_recommended
    rich = validate_metadata(rich_example())
    assert rich.completeness == 1.0 and rich.missing_recommended == [] and rich.valid


def test_validate_metadata_reports_missing_mandatory_and_never_raises() -> None:
    report = validate_metadata({"titles": [{"text": "x"}], "languages": ["xx"]})
    assert not report.valid
    assert report.missing_mandatory == [
        "/resource_type/general",
        "/abstracts",
        "/creators",
        "/contacts",
        "/publisher/name",
        "/rights/access_level",
    ]
    assert {e.field for e in report.errors} == {"/languages/0", *report.missing_mandatory}
    assert report.completeness == pytest.approx(2 / 24, abs=1e-4)  # titles + languages present
    for bad in (None, [], "x", {"titles": 5}):
        assert validate_metadata(bad).valid is False  # type: ignore[arg-type]


# --- display title --------------------------------------------------------------------------------


def test_display_title() -> None:
    assert display_title(rich_example()).startswith("Température et salinité")
    assert display_title({"titles": [{"text": "Sub", "type": "Subtitle"}, {"text": " Main "}]}) == "Main"
    assert display_title({"titles": [{"text": "Sub", "type": "Subtitle"}]}) == "(untitled)"
    assert display_title({}) == "(untitled)"
    assert display_title({"titles": "oops"}) == "(untitled)"


# --- record document ------------------------------------------------------------------------------


def test_formats_and_size() -> None:
    files = [
        {"key": "a.nc", "size": 10, "mimetype": "application/x-netcdf"},
        {"key": "b.csv", "size": 5},
        {"key": "c.nc", "size": 1, "mimetype": "application/x-netcdf"},
        {"key": "README", "size": 0},
    ]
    assert record_formats_and_size(files) == (
        ["application/x-netcdf", "text/csv", "application/octet-stream"],
        16,
    )
    assert record_formats_and_size([]) == ([], 0)


def test_record_document_loads_and_derives() -> None:
    document = example_record_document()
    document["formats"] = ["wrong"]
    loaded = load_record_document(document, require_mandatory=True)
    assert loaded["formats"] == ["application/x-netcdf", "image/png"]
    assert loaded["size"] == 2050
    assert loaded["pids"]["doi"]["identifier"] == "10.5072/alluvium.abcd-1234"
    assert loaded["versions"] == {"index": 2, "is_latest": True, "parent_id": "abcd-0000"}
    assert loaded["metadata"]["creators"][1]["identifiers"][0]["identifier"] == "0000-0002-1825-0097"


def test_record_document_errors_have_document_pointers() -> None:
    document = example_record_document()
    document["files"][1]["key"] = "buoys_2019.nc"
    document["files"][0]["checksum"]["md5"] = "xyz"
    document["created"] = "2024-05-01"
    document["pids"]["doi"]["identifier"] = "nope"
    document["metadata"]["graphic_overviews"][0]["file"] = "missing.png"
    document["metadata"]["languages"] = ["xx"]
    document["versions"]["index"] = 0
    del document["metadata"]["abstracts"]
    with pytest.raises(RecordValidationError) as info:
        load_record_document(document, require_mandatory=True)
    assert {e.field: e.messages for e in info.value.errors} == {
        "/created": ["'2024-05-01' must be a date-time with a time zone, e.g. 2024-05-01T10:00:00Z"],
        "/files/0/checksum/md5": ["must be 32 hexadecimal characters"],
        "/files/1/key": ["file key 'buoys_2019.nc' is used twice"],
        "/metadata/abstracts": ["is required to submit"],
        "/metadata/graphic_overviews/0/file": ["'missing.png' is not the key of a file of this record"],
        "/metadata/languages/0": ["'xx' is not an ISO 639 language code"],
        "/pids/doi/identifier": [
            "'nope' is not a DOI (expected 10.<prefix>/<suffix>, e.g. 10.5281/zenodo.1)"
        ],
        "/versions/index": ["must be 1 or more"],
    }


def test_record_document_requires_id_and_metadata() -> None:
    with pytest.raises(RecordValidationError) as info:
        load_record_document({"links": {"self_html": "not a url"}})
    assert {e.field: e.messages for e in info.value.errors} == {
        "/id": ["is required"],
        "/links/self_html": ["'not a url' is not a URL (it contains spaces)"],
        "/metadata": ["is required"],
    }


def test_record_document_is_not_modified() -> None:
    document = example_record_document()
    before = copy.deepcopy(document)
    load_record_document(document)
    assert document == before


def test_invalid_file_does_not_also_blame_the_graphic_overview() -> None:
    document = example_record_document()
    document["files"][2] = {"key": "quicklook.png", "size": -5}
    with pytest.raises(RecordValidationError) as info:
        load_record_document(document)
    assert {e.field: e.messages for e in info.value.errors} == {"/files/2/size": ["must be 0 or more"]}
    document["files"] = [{"key": "a.nc", "size": 1}, "not a file"]
    with pytest.raises(RecordValidationError) as info:
        load_record_document(document)
    assert {e.field: e.messages for e in info.value.errors} == {"/files/1": ["must be an object"]}

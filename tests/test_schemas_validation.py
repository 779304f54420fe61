"""schemas.load_metadata: every validation rule, with the JSON pointer and message it reports."""

from __future__ import annotations

from typing import Any

import pytest

from schemas import FieldError, RecordValidationError, load_metadata
from schemas.examples import minimal_example


def errors_of(data: dict, *, require_mandatory: bool = False) -> dict[str, list[str]]:
    with pytest.raises(RecordValidationError) as info:
        load_metadata(data, require_mandatory=require_mandatory)
    assert all(isinstance(e, FieldError) for e in info.value.errors)
    return {e.field: e.messages for e in info.value.errors}


def with_(**changes: Any) -> dict:
    data = minimal_example()
    data.update(changes)
    return data


def person(**extra: Any) -> dict:
    return {"type": "Personal", "family_name": "Martin", "given_name": "Claire", **extra}


# --- identifiers in agents -----------------------------------------------------------------------


def test_orcid_check_digit_is_reported_at_its_pointer() -> None:
    data = with_(creators=[person(identifiers=[{"identifier": "0000-0002-1825-0098", "scheme": "ORCID"}])])
    assert errors_of(data) == {
        "/creators/0/identifiers/0/identifier": ["ORCID 0000-0002-1825-0098 has a wrong check digit"]
    }


def test_orcid_is_normalised_and_scheme_detected() -> None:
    data = with_(creators=[person(identifiers=[{"identifier": "https://orcid.org/0000-0002-1825-0097"}])])
    assert load_metadata(data)["creators"][0]["identifiers"] == [
        {"identifier": "0000-0002-1825-0097", "scheme": "ORCID"}
    ]


def test_mistyped_orcid_without_scheme_still_gets_the_check_digit_message() -> None:
    data = with_(creators=[person(identifiers=[{"identifier": "0000-0002-1825-0098"}])])
    assert errors_of(data) == {
        "/creators/0/identifiers/0/identifier": ["ORCID 0000-0002-1825-0098 has a wrong check digit"]
    }


def test_unrecognisable_identifier_needs_a_scheme() -> None:
    bad = with_(creators=[person(identifiers=[{"identifier": "12345"}])])
    assert errors_of(bad) == {
        "/creators/0/identifiers/0/scheme": [
            "is required: the identifier is not a recognisable ORCID, ROR or ISNI"
        ]
    }
    good = with_(creators=[person(identifiers=[{"identifier": "12345", "scheme": "IdRef"}])])
    assert load_metadata(good)["creators"][0]["identifiers"] == [{"identifier": "12345", "scheme": "IdRef"}]


def test_orcid_on_an_organisation_and_ror_on_a_person_are_refused() -> None:
    data = with_(
        creators=[
            {"type": "Organizational", "name": "IRD", "identifiers": [{"identifier": "0000-0002-1825-0097"}]},
            person(identifiers=[{"identifier": "https://ror.org/02feahw73"}]),
        ]
    )
    assert errors_of(data) == {
        "/creators/0/identifiers/0/scheme": ["ORCID is not an identifier scheme for an organisation"],
        "/creators/1/identifiers/0/scheme": ["ROR is not an identifier scheme for a person"],
    }


def test_ror_affiliation_checksum() -> None:
    bad = with_(creators=[person(affiliations=[{"name": "CNRS", "ror": "https://ror.org/02feahw74"}])])
    assert errors_of(bad) == {
        "/creators/0/affiliations/0/ror": ["ROR id https://ror.org/02feahw74 has a wrong checksum"]
    }
    good = with_(creators=[person(affiliations=[{"name": "CNRS", "ror": "02FEAHW73"}])])
    assert load_metadata(good)["creators"][0]["affiliations"] == [
        {"name": "CNRS", "ror": "https://ror.org/02feahw73"}
    ]


def test_ror_form() -> None:
    data = with_(publisher={"name": "THEIA", "ror": "https://ror.org/12feahw73"})
    (message,) = errors_of(data)["/publisher/ror"]
    assert message.startswith("'https://ror.org/12feahw73' is not a ROR id")


# --- agents ---------------------------------------------------------------------------------------


def test_person_name_is_derived_from_family_and_given_names() -> None:
    assert load_metadata(minimal_example())["creators"][0]["name"] == "Martin, Claire"


def test_agent_needs_type_and_a_name() -> None:
    assert errors_of(with_(creators=[{"given_name": "Claire"}])) == {
        "/creators/0/type": ["is required"],
        "/creators/0/name": ["is required (or give family_name for a person)"],
    }


def test_organisation_cannot_have_person_fields() -> None:
    data = with_(
        creators=[
            {"type": "Organizational", "name": "IRD", "given_name": "X", "affiliations": [{"name": "CNRS"}]}
        ]
    )
    assert errors_of(data) == {
        "/creators/0/given_name": ["is only for persons (type Personal)"],
        "/creators/0/affiliations": ["is only for persons (type Personal)"],
    }


def test_contact_needs_a_valid_email() -> None:
    missing = with_(contacts=[{"type": "Organizational", "name": "THEIA"}])
    assert errors_of(missing) == {"/contacts/0/email": ["is required"]}
    bad = with_(contacts=[{"type": "Organizational", "name": "THEIA", "email": "theia at example.org"}])
    assert errors_of(bad) == {
        "/contacts/0/email": ["'theia at example.org' is not an e-mail address (expected name@example.org)"]
    }
    good = with_(contacts=[{"type": "Organizational", "name": "THEIA", "email": "Data@THEIA-Land.FR"}])
    assert load_metadata(good)["contacts"][0]["email"] == "Data@theia-land.fr"


def test_contributor_type_and_iso_role() -> None:
    errs = errors_of(with_(contributors=[person(role="writer")]))
    assert list(errs) == ["/contributors/0/contributor_type", "/contributors/0/role"]
    assert errs["/contributors/0/contributor_type"] == ["is required"]
    assert errs["/contributors/0/role"][0].startswith(
        "'writer' is not an ISO CI_RoleCode; use one of: resourceProvider"
    )
    bad_type = with_(contributors=[person(contributor_type="Reviewer")])
    assert errors_of(bad_type)["/contributors/0/contributor_type"][0].startswith(
        "'Reviewer' is not a DataCite contributorType; use one of: ContactPerson, DataCollector"
    )
    good = with_(contributors=[person(contributor_type="datacurator", role="processor")])
    loaded = load_metadata(good)["contributors"][0]
    assert (loaded["contributor_type"], loaded["role"]) == ("DataCurator", "processor")


# --- controlled lists, titles ---------------------------------------------------------------------


def test_resource_type_general_is_a_datacite_value_and_case_is_normalised() -> None:
    bad = with_(resource_type={"general": "Data set"})
    assert errors_of(bad)["/resource_type/general"][0].startswith(
        "'Data set' is not a DataCite resourceTypeGeneral; use one of: Audiovisual, Award"
    )
    assert load_metadata(with_(resource_type={"general": "dataset"}))["resource_type"] == {
        "general": "Dataset"
    }


def test_hierarchy_level_is_an_iso_scope_code() -> None:
    bad = with_(resource_type={"general": "Dataset", "hierarchy_level": "collection"})
    assert errors_of(bad)["/resource_type/hierarchy_level"][0].startswith(
        "'collection' is not an ISO MD_ScopeCode"
    )
    good = with_(resource_type={"general": "Collection", "hierarchy_level": "series"})
    assert load_metadata(good)["resource_type"]["hierarchy_level"] == "series"


def test_titles_need_a_main_title_and_valid_types() -> None:
    only_alt = with_(titles=[{"text": "Alt", "type": "AlternativeTitle"}])
    assert errors_of(only_alt) == {"/titles": ["needs a main title (a title without type)"]}
    bad_type = with_(titles=[{"text": "Main"}, {"text": "Sub", "type": "Main"}])
    assert errors_of(bad_type) == {
        "/titles/1/type": [
            "'Main' is not a DataCite titleType; use one of: AlternativeTitle, Subtitle, TranslatedTitle, Other"
        ]
    }


def test_description_type_excludes_abstract() -> None:
    data = with_(descriptions=[{"text": "x", "type": "Abstract"}])
    assert errors_of(data)["/descriptions/0/type"][0].startswith(
        "'Abstract' is not a DataCite descriptionType"
    )
    good = with_(descriptions=[{"text": "x", "type": "Methods"}])
    assert load_metadata(good)["descriptions"] == [{"text": "x", "type": "Methods"}]


def test_topic_categories() -> None:
    data = with_(topic_categories=["oceans", "extraTerrestrial"])
    assert list(errors_of(data)) == ["/topic_categories/1"]
    assert load_metadata(with_(topic_categories=["oceans"]))["topic_categories"] == ["oceans"]


# --- languages ------------------------------------------------------------------------------------


def test_language_tags() -> None:
    data = with_(languages=["fr", "xx"], metadata_language="english", titles=[{"text": "T", "lang": "zz-FR"}])
    assert errors_of(data) == {
        "/languages/1": ["'xx' is not an ISO 639 language code"],
        "/metadata_language": ["'english' is not a language tag (expected e.g. fr, en, fr-CA or eng)"],
        "/titles/0/lang": ["'zz' is not an ISO 639 language code"],
    }
    good = load_metadata(with_(languages=["fre", "EN-gb"], metadata_language="fra"))
    assert (good["languages"], good["metadata_language"]) == (["fr", "en-GB"], "fr")


# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2019",
        "2019-03",
        "2019-03-01",
        "2019-03-01T10:00:00Z",
        "2019-03-01T10:00:00.5+02:00",
        "2019-03-01T10:00",
        "2019/2020",
        "2019-03/..",
        "../2020-01-01",
        "2020-02-29",
    ],
)
def test_dates_accepted(value: str) -> None:
    loaded = load_metadata(with_(dates=[{"date": value, "type": "Created"}]))
    assert loaded["dates"] == [{"date": value, "type": "Created"}]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "03/2019",
            "'03/2019' is not an interval of dates: '03' is not a date (expected YYYY, YYYY-MM, "
            "YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)",
        ),
        ("2019-13", "'2019-13' is not a real date: month 13 does not exist"),
        ("2019-02-29", "'2019-02-29' is not a real date: day is out of range for month"),
        ("2020/2019", "'2020/2019' starts after it ends (2020 is later than 2019)"),
        ("../..", "'../..' is open at both ends; give at least a start or an end"),
        (
            "1 May 2019",
            "'1 May 2019' is not a date (expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)",
        ),
    ],
)
def test_dates_refused(value: str, message: str) -> None:
    assert errors_of(with_(dates=[{"date": value, "type": "Created"}])) == {"/dates/0/date": [message]}


def test_date_type_is_datacite() -> None:
    data = with_(dates=[{"date": "2020", "type": "Published"}])
    assert errors_of(data)["/dates/0/type"][0].startswith("'Published' is not a DataCite dateType")


def test_date_time_is_normalised_to_upper_case() -> None:
    loaded = load_metadata(with_(dates=[{"date": "2019-03-01t10:00:00z", "type": "Updated"}]))
    assert loaded["dates"][0]["date"] == "2019-03-01T10:00:00Z"


def test_temporal_extent_order_and_open_end() -> None:
    bad = with_(temporal_extents=[{"start": "2019-03-01", "end": "2019-02"}])
    assert errors_of(bad) == {
        "/temporal_extents/0/end": ["is before the start (2019-02 is earlier than 2019-03-01)"]
    }
    assert errors_of(with_(temporal_extents=[{"end": "2019"}])) == {
        "/temporal_extents/0/start": ["is required"]
    }
    interval = with_(temporal_extents=[{"start": "2019-03-01", "end": "2019-03"}])
    assert errors_of(with_(temporal_extents=[{"start": "2019/2020"}])) == {
        "/temporal_extents/0/start": [
            "'2019/2020' is an interval; a single date is expected here "
            "(YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)"
        ]
    }
    assert load_metadata(interval)["temporal_extents"] == [{"start": "2019-03-01", "end": "2019-03"}]
    assert load_metadata(with_(temporal_extents=[{"start": "2019"}]))["temporal_extents"] == [
        {"start": "2019"}
    ]


def test_publication_year() -> None:
    assert errors_of(with_(publication_year=24)) == {"/publication_year": ["must be a four-digit year"]}
    assert errors_of(with_(publication_year="2024")) == {"/publication_year": ["must be a whole number"]}
    assert load_metadata(with_(publication_year=2024))["publication_year"] == 2024


# --- space ----------------------------------------------------------------------------------------


def bbox(**kw: float) -> dict:
    return {"west": 0.0, "east": 10.0, "south": 40.0, "north": 50.0} | kw


def test_bbox_ranges_and_order() -> None:
    data = with_(
        spatial_extents=[
            {"bbox": bbox(west=-181)},
            {"bbox": bbox(north=91)},
            {"bbox": bbox(south=50, north=40)},
        ]
    )
    assert errors_of(data) == {
        "/spatial_extents/0/bbox/west": ["must be a longitude between -180 and 180"],
        "/spatial_extents/1/bbox/north": ["must be a latitude between -90 and 90"],
        "/spatial_extents/2/bbox/south": ["south latitude 50 is greater than north latitude 40"],
    }


def test_bbox_crossing_the_antimeridian_is_allowed() -> None:
    loaded = load_metadata(with_(spatial_extents=[{"bbox": bbox(west=170, east=-170)}]))
    assert loaded["spatial_extents"][0]["bbox"] == {
        "west": 170.0,
        "east": -170.0,
        "south": 40.0,
        "north": 50.0,
    }


def test_bbox_fields_required() -> None:
    assert errors_of(with_(spatial_extents=[{"bbox": {"west": 1, "east": 2, "south": 3}}])) == {
        "/spatial_extents/0/bbox/north": ["is required"]
    }


def test_point_and_polygon() -> None:
    ring = [[0, 0], [1, 0], [1, 1], [0, 0]]
    good = with_(
        spatial_extents=[
            {"point": {"lon": 2.35, "lat": 48.85}},
            {"polygon": {"type": "Polygon", "coordinates": [ring]}},
        ]
    )
    loaded = load_metadata(good)["spatial_extents"]
    assert loaded[1]["polygon"] == {
        "type": "Polygon",
        "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]],
    }
    bad = with_(
        spatial_extents=[
            {"point": {"lon": 200, "lat": 0}},
            {"polygon": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}},
            {"polygon": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}},
            {"polygon": {"type": "MultiPolygon", "coordinates": []}},
            {"polygon": {"type": "Polygon", "coordinates": [[[0, 0], [1, 95], [1, 1], [0, 0]]]}},
        ]
    )
    assert errors_of(bad) == {
        "/spatial_extents/0/point/lon": ["must be a longitude between -180 and 180"],
        "/spatial_extents/1/polygon": ["exterior ring is not closed (its first and last positions differ)"],
        "/spatial_extents/2/polygon": ["exterior ring must have at least 4 positions (first = last)"],
        "/spatial_extents/3/polygon": ['must be a GeoJSON Polygon ("type": "Polygon")'],
        "/spatial_extents/4/polygon": ["exterior ring position 1 [1, 95] is outside -180..180 / -90..90"],
    }


def test_spatial_extent_needs_a_location() -> None:
    assert errors_of(with_(spatial_extents=[{"place_uri": "https://sws.geonames.org/2988507/"}])) == {
        "/spatial_extents/0": ["needs at least one of place, bbox, polygon or point"]
    }
    assert load_metadata(with_(spatial_extents=[{"place": "Paris"}]))["spatial_extents"] == [
        {"place": "Paris"}
    ]


def test_vertical_extent_resolution_and_crs() -> None:
    bad = with_(
        vertical_extent={"minimum": 10, "maximum": 0, "crs": "WGS84"},
        spatial_resolutions=[
            {"distance": 0},
            {"distance": 10, "scale_denominator": 5},
            {"unit": "m", "scale_denominator": 5},
        ],
        reference_systems=["EPSG:4326", "lambert"],
    )
    assert errors_of(bad) == {
        "/reference_systems/1": ["'lambert' is not an EPSG code (expected EPSG:<number>, e.g. EPSG:4326)"],
        "/spatial_resolutions/0/distance": ["must be greater than 0"],
        "/spatial_resolutions/1": ["give either distance or scale_denominator (exactly one)"],
        "/spatial_resolutions/2/unit": ["is only used with distance"],
        "/vertical_extent/crs": ["'WGS84' is not an EPSG code (expected EPSG:<number>, e.g. EPSG:4326)"],
        "/vertical_extent/minimum": ["minimum 10 is greater than maximum 0"],
    }
    good = load_metadata(
        with_(
            vertical_extent={"minimum": -50, "maximum": 0, "crs": "epsg:5714"},
            spatial_resolutions=[{"distance": 30}],
            reference_systems=["http://www.opengis.net/def/crs/EPSG/0/2154", "4326"],
        )
    )
    assert good["vertical_extent"] == {"minimum": -50.0, "maximum": 0.0, "crs": "EPSG:5714"}
    assert good["spatial_resolutions"] == [{"distance": 30.0, "unit": "m"}]
    assert good["reference_systems"] == ["EPSG:2154", "EPSG:4326"]


# --- rights ---------------------------------------------------------------------------------------


def test_access_level_and_embargo() -> None:
    assert errors_of(with_(rights={"access_level": "closed"})) == {
        "/rights/access_level": [
            "'closed' is not an access level; use one of: open, embargoed, restricted, metadata_only"
        ]
    }
    assert errors_of(with_(rights={"access_level": "embargoed"})) == {
        "/rights/embargo_until": ["is required when access_level is embargoed"]
    }
    assert errors_of(with_(rights={"access_level": "open", "embargo_until": "2030-01-01"})) == {
        "/rights/embargo_until": ["is only allowed when access_level is embargoed (not open)"]
    }
    assert errors_of(with_(rights={"access_level": "embargoed", "embargo_until": "2030"})) == {
        "/rights/embargo_until": ["'2030' must be a full date YYYY-MM-DD"]
    }
    assert errors_of(with_(rights={"access_level": "embargoed", "embargo_until": "2030-02-30"})) == {
        "/rights/embargo_until": ["'2030-02-30' is not a real date: day is out of range for month"]
    }
    good = load_metadata(with_(rights={"access_level": "embargoed", "embargo_until": "2030-01-01"}))
    assert good["rights"] == {"access_level": "embargoed", "embargo_until": "2030-01-01"}


def test_licence_spdx() -> None:
    assert errors_of(with_(rights={"access_level": "open", "license": {"id": "CC-BY-5.0"}})) == {
        "/rights/license/id": ["'CC-BY-5.0' is not an SPDX licence id (see spdx.org/licenses)"]
    }
    assert errors_of(with_(rights={"access_level": "open", "license": {"id": "GPL-2.0"}})) == {
        "/rights/license/id": ["SPDX licence id GPL-2.0 is deprecated; use its current id"]
    }
    assert errors_of(with_(rights={"access_level": "open", "license": {"uri": "https://example.org/l"}})) == {
        "/rights/license": ["give an SPDX licence id, or a name for another licence"]
    }
    loaded = load_metadata(with_(rights={"access_level": "open", "license": {"id": "etalab-2.0"}}))
    assert loaded["rights"]["license"] == {
        "id": "etalab-2.0",
        "name": "Etalab Open License 2.0",
        "uri": "https://spdx.org/licenses/etalab-2.0.html",
    }
    loaded = load_metadata(with_(rights={"access_level": "open", "license": {"id": "cc0-1.0"}}))
    assert loaded["rights"]["license"]["id"] == "CC0-1.0"
    custom = load_metadata(
        with_(
            rights={
                "access_level": "restricted",
                "license": {"name": "Data policy", "uri": "https://example.org/p"},
            }
        )
    )
    assert custom["rights"]["license"] == {"name": "Data policy", "uri": "https://example.org/p"}


# --- keywords, funding, related identifiers, uris ---------------------------------------------------


def test_keywords() -> None:
    bad = with_(
        keywords=[
            {"terms": [{"term": "x", "value_uri": "not a uri"}]},
            {"scheme_name": "GCMD", "terms": []},
            {"scheme_name": "G", "terms": [{"term": "y"}], "keyword_type": "topic"},
        ]
    )
    errs = errors_of(bad)
    assert errs["/keywords/0/scheme_name"] == ["is required"]
    assert errs["/keywords/0/terms/0/value_uri"] == [
        "'not a uri' is not a URI (expected e.g. https://example.org/x or urn:x:y)"
    ]
    assert errs["/keywords/1/terms"] == ["is required"]  # an empty list is dropped, so it is missing
    assert errs["/keywords/2/keyword_type"][0].startswith("'topic' is not an ISO MD_KeywordTypeCode")
    assert len(errs) == 4


def test_thesaurus_date_type() -> None:
    group = {"scheme_name": "GCMD", "scheme_date": "2020-07-16", "terms": [{"term": "x"}]}
    ok = load_metadata(with_(keywords=[group | {"scheme_date_type": "Revision"}]))
    assert ok["keywords"][0]["scheme_date_type"] == "revision"
    errs = errors_of(
        with_(
            keywords=[
                group | {"scheme_date_type": "adopted"},
                {"scheme_name": "G", "scheme_date_type": "revision", "terms": [{"term": "y"}]},
            ]
        )
    )
    assert errs == {
        "/keywords/0/scheme_date_type": [
            "'adopted' is not an ISO CI_DateTypeCode of a thesaurus citation (creation, publication, revision); "
            "use one of: creation, publication, revision"
        ],
        "/keywords/1/scheme_date_type": ["names the type of scheme_date, which is missing"],
    }


def test_funding() -> None:
    bad = with_(
        funding=[
            {"award_number": "1"},
            {"funder_name": "ANR", "funder_identifier": "10.13039/nope"},
            {"funder_name": "X", "funder_identifier": "abc"},
            {
                "funder_name": "ANR",
                "funder_identifier": "10.1234/501100001665",
                "funder_identifier_type": "Crossref Funder ID",
            },
        ]
    )
    assert errors_of(bad) == {
        "/funding/0/funder_name": ["is required"],
        "/funding/1/funder_identifier": [
            "'10.13039/nope' is not a Crossref Funder ID (expected 10.13039/<number>)"
        ],
        "/funding/2/funder_identifier_type": [
            "is required: the funder identifier is not a recognisable ROR id or Crossref Funder ID"
        ],
        "/funding/3/funder_identifier": [
            "'10.1234/501100001665' is not a Crossref Funder ID (expected 10.13039/<number>)"
        ],
    }
    good = load_metadata(
        with_(
            funding=[
                {"funder_name": "ANR", "funder_identifier": "10.13039/501100001665"},
                {"funder_name": "CNES", "funder_identifier": "04h1h0y33"},
            ]
        )
    )
    assert good["funding"] == [
        {
            "funder_name": "ANR",
            "funder_identifier": "https://doi.org/10.13039/501100001665",
            "funder_identifier_type": "Crossref Funder ID",
        },
        {
            "funder_name": "CNES",
            "funder_identifier": "https://ror.org/04h1h0y33",
            "funder_identifier_type": "ROR",
        },
    ]


def test_related_identifiers() -> None:
    bad = with_(
        related_identifiers=[
            {"identifier": "10.5281/zenodo.1", "relation_type": "Cites2"},
            {"identifier": "doi:10.1/x", "relation_type": "Cites"},
            {"identifier": "something", "relation_type": "Cites"},
            {
                "identifier": "https://example.org",
                "scheme": "url",
                "relation_type": "Cites",
                "resource_type": "Data",
            },
        ]
    )
    errs = errors_of(bad)
    assert errs["/related_identifiers/0/relation_type"][0].startswith(
        "'Cites2' is not a DataCite relationType"
    )
    assert errs["/related_identifiers/1/identifier"] == [
        "'doi:10.1/x' is not a DOI (expected 10.<prefix>/<suffix>, e.g. 10.5281/zenodo.1)"
    ]
    assert errs["/related_identifiers/2/scheme"] == [
        "is required: the identifier's type could not be recognised"
    ]
    assert errs["/related_identifiers/3/resource_type"][0].startswith(
        "'Data' is not a DataCite resourceTypeGeneral"
    )
    assert len(errs) == 4
    good = load_metadata(
        with_(
            related_identifiers=[
                {"identifier": "https://doi.org/10.1029/2020JC016000", "relation_type": "IsCitedBy"},
                {"identifier": "ark:12148/bpt6k1", "relation_type": "References", "scheme": "ark"},
            ]
        )
    )
    assert good["related_identifiers"] == [
        {"identifier": "10.1029/2020jc016000", "scheme": "DOI", "relation_type": "IsCitedBy"},
        {"identifier": "ark:/12148/bpt6k1", "scheme": "ARK", "relation_type": "References"},
    ]


def test_uris_and_urls() -> None:
    bad = with_(
        platforms=[{"term": "BUOYS", "scheme_uri": "gcmd platforms"}],
        graphic_overviews=[{"url": "ftp://example.org/logo.png", "type": "logo"}, {"type": "thumbnail"}],
    )
    assert errors_of(bad) == {
        "/graphic_overviews/0/url": [
            "'ftp://example.org/logo.png' is not a URL (expected http:// or https:// and a host name)"
        ],
        "/graphic_overviews/1": ["give either file or url (exactly one)"],
        "/platforms/0/scheme_uri": [
            "'gcmd platforms' is not a URI (expected e.g. https://example.org/x or urn:x:y)"
        ],
    }


def test_inspire_conformity() -> None:
    bad = with_(
        inspire_conformity=[
            {"specification": "Reg 1089/2010", "specification_date": "2010-12-08", "degree": "passed"}
        ]
    )
    assert errors_of(bad) == {
        "/inspire_conformity/0/degree": [
            "'passed' is not an INSPIRE degree of conformity; use one of: conformant, notConformant, notEvaluated"
        ]
    }


# --- structure: unknown keys, types, empties, all errors at once, mandatory -------------------------


def test_unknown_keys_are_errors_at_every_level() -> None:
    data = with_(colour="blue", publisher={"name": "THEIA", "city": "Toulouse"})
    data["creators"][0]["orcid"] = "0000-0002-1825-0097"
    assert errors_of(data) == {
        "/colour": ["is not a known field"],
        "/creators/0/orcid": ["is not a known field"],
        "/publisher/city": ["is not a known field"],
    }


def test_type_errors() -> None:
    data = with_(
        titles="A title",
        publisher=["THEIA"],
        version=2,
        spatial_extents=[{"bbox": {"west": True, "east": 1, "south": 1, "north": 2}}],
    )
    assert errors_of(data) == {
        "/publisher": ["must be an object"],
        "/spatial_extents/0/bbox/west": ["must be a number"],
        "/titles": ["must be a list"],
        "/version": ["must be a text string"],
    }


def test_not_an_object() -> None:
    with pytest.raises(RecordValidationError) as info:
        load_metadata(["not", "a", "dict"])  # type: ignore[arg-type]
    assert info.value.errors == [FieldError("", ["metadata must be a JSON object"])]


def test_whitespace_stripped_and_empty_values_dropped() -> None:
    data = with_(
        version="  1.0 ",
        descriptions=[],
        lineage=[{"text": "   "}],
        free_keywords=[{"term": " soil "}],
        publisher={"name": " THEIA ", "ror": ""},
        languages=["", "fr", None],
    )
    loaded = load_metadata(data)
    assert loaded["version"] == "1.0"
    assert loaded["publisher"] == {"name": "THEIA"}
    assert loaded["free_keywords"] == [{"term": "soil"}]
    assert loaded["languages"] == ["fr"]
    assert "descriptions" not in loaded and "lineage" not in loaded


def test_pointers_keep_the_producer_indices_when_empty_items_are_dropped() -> None:
    data = with_(languages=["", "fr", "xx"], creators=[{}, person(email="nope")])
    assert errors_of(data) == {
        "/creators/1/email": ["'nope' is not an e-mail address (expected name@example.org)"],
        "/languages/2": ["'xx' is not an ISO 639 language code"],
    }


def test_all_errors_are_reported_at_once() -> None:
    data = with_(publication_year=1, languages=["xx"], rights={"access_level": "nope"}, colour="red")
    assert set(errors_of(data)) == {"/publication_year", "/languages/0", "/rights/access_level", "/colour"}


def test_missing_mandatory_only_reported_on_submit() -> None:
    empty_draft = load_metadata({"titles": [{"text": "Draft"}]})
    assert empty_draft == {"titles": [{"text": "Draft"}]}
    assert errors_of({"titles": [{"text": "Draft"}]}, require_mandatory=True) == {
        "/abstracts": ["is required to submit"],
        "/contacts": ["is required to submit"],
        "/creators": ["is required to submit"],
        "/publisher/name": ["is required to submit"],
        "/resource_type/general": ["is required to submit"],
        "/rights/access_level": ["is required to submit"],
    }


def test_submit_reports_invalid_and_missing_together() -> None:
    data = minimal_example()
    del data["abstracts"]
    data["languages"] = ["xx"]
    assert errors_of(data, require_mandatory=True) == {
        "/abstracts": ["is required to submit"],
        "/languages/0": ["'xx' is not an ISO 639 language code"],
    }


def test_input_is_not_modified() -> None:
    data = with_(creators=[person(identifiers=[{"identifier": "https://orcid.org/0000-0002-1825-0097"}])])
    load_metadata(data)
    assert data["creators"][0]["identifiers"] == [{"identifier": "https://orcid.org/0000-0002-1825-0097"}]


@pytest.mark.parametrize(
    ("changes", "pointer", "message"),
    [
        ({"rights": 3.5}, "/rights", "must be an object"),
        ({"spatial_extents": [True]}, "/spatial_extents/0", "must be an object"),
        ({"spatial_resolutions": [7]}, "/spatial_resolutions/0", "must be an object"),
        ({"graphic_overviews": ["logo.png"]}, "/graphic_overviews/0", "must be an object"),
        (
            {"spatial_extents": [{"bbox": {"west": 10**400, "east": 1, "south": 1, "north": 2}}]},
            "/spatial_extents/0/bbox/west",
            "is too large",
        ),
        (
            {
                "spatial_extents": [
                    {
                        "polygon": {
                            "type": "Polygon",
                            "coordinates": [[[10**400, 0], [1, 0], [1, 1], [10**400, 0]]],
                        }
                    }
                ]
            },
            "/spatial_extents/0/polygon",
            f"exterior ring position 0 [{10**400}, 0] is outside -180..180 / -90..90",
        ),
    ],
)
def test_odd_values_give_errors_not_exceptions(changes: dict, pointer: str, message: str) -> None:
    assert errors_of(with_(**changes)) == {pointer: [message]}


def test_bbox_order_reported_together_with_a_field_error() -> None:
    data = with_(spatial_extents=[{"bbox": {"west": "x", "east": 1, "south": 5, "north": 1}}])
    assert errors_of(data) == {
        "/spatial_extents/0/bbox/south": ["south latitude 5 is greater than north latitude 1"],
        "/spatial_extents/0/bbox/west": ["must be a number"],
    }

"""schema.org Dataset JSON-LD export: valid JSON-LD, the properties Google Dataset Search reads,
hand-checked values, and a reviewed golden file."""

from __future__ import annotations

import difflib
import json
import os
import re
from pathlib import Path

import pytest
from _linked_records import all_documents, edge, rich
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from exports import by_media_type, get_format
from exports.schemaorg import box_string, temporal_coverage, to_jsonld, write_jsonld
from vocabularies import rdf

DOCS = all_documents()
GOLDEN = Path(__file__).parent / "golden" / "schemaorg" / "rich.jsonld"
SDO = Namespace("https://schema.org/")
BOX = re.compile(r"^-?\d+(\.\d+)? -?\d+(\.\d+)? -?\d+(\.\d+)? -?\d+(\.\d+)?$")


def as_graph(document: dict) -> Graph:
    """Parse offline: the published ``"https://schema.org/"`` context is replaced by its @vocab."""
    offline = {**document, "@context": {"@vocab": "https://schema.org/"}}
    return rdf.parse_graph(json.dumps(offline), "json-ld")


def boxes(document: dict) -> list[str]:
    out = []
    for place in document.get("spatialCoverage", []):
        geo = place.get("geo", [])
        for shape in geo if isinstance(geo, list) else [geo]:
            if "box" in shape:
                out.append(shape["box"])
    return out


@pytest.mark.parametrize("name", sorted(DOCS))
def test_every_record_is_a_dataset_in_valid_jsonld(name: str) -> None:
    produced = json.loads(write_jsonld(DOCS[name]))
    assert produced["@context"] == "https://schema.org/"
    g = as_graph(produced)
    datasets = list(g.subjects(RDF.type, SDO.Dataset))
    assert len(datasets) == 1
    for prop in ("name", "description", "creator", "publisher", "datePublished"):
        assert g.value(datasets[0], SDO[prop]) is not None, prop
    for box in boxes(produced):
        assert BOX.match(box), box


def test_registered_format() -> None:
    fmt = get_format("schemaorg")
    assert fmt.media_type == "application/ld+json"
    assert by_media_type("application/vnd.schemaorg.ld+json") is fmt


def test_rich_hand_checked() -> None:
    doc = to_jsonld(rich())
    assert doc["@type"] == "Dataset"
    assert doc["@id"] == "https://doi.org/10.5072/alluvium.abcd-1234"
    assert doc["name"] == "Température et salinité de surface des bouées dérivantes du Pacifique Sud-Ouest"
    assert doc["description"].startswith("Séries temporelles horaires")
    assert doc["url"] == "https://alluvium.example.org/records/abcd-1234"
    assert doc["identifier"][0] == {
        "@type": "PropertyValue",
        "propertyID": "https://registry.identifiers.org/registry/doi",
        "value": "doi:10.5072/alluvium.abcd-1234",
        "url": "https://doi.org/10.5072/alluvium.abcd-1234",
    }
    carberry = doc["creator"][1]
    assert carberry["@type"] == "Person"
    assert carberry["@id"] == "https://orcid.org/0000-0002-1825-0097"
    assert carberry["affiliation"][0]["@id"] == "https://ror.org/02feahw73"
    assert doc["creator"][0] == {
        "@type": "Organization",
        "@id": "https://ror.org/05q3vnk25",
        "identifier": "https://ror.org/05q3vnk25",
        "name": "Institut de recherche pour le développement",
    }
    assert doc["publisher"]["@id"] == "https://ror.org/04h1h0y33"
    assert doc["datePublished"] == "2024-06-01"
    assert doc["version"] == "1.2.0"
    assert "drifters" in doc["keywords"]
    assert doc["contributor"][0]["@id"] == "https://orcid.org/0000-0001-5109-3700"
    assert doc["license"] == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert doc["isAccessibleForFree"] is False
    assert doc["conditionsOfAccess"].startswith("Embargoed until 2026-12-31.")
    assert doc["temporalCoverage"] == ["2019-03-01/..", "2015-01/2016-12"]
    assert doc["variableMeasured"][0]["unitText"] == "K"
    assert doc["measurementTechnique"][0] == "CTD"
    assert doc["funding"][0]["@type"] == "MonetaryGrant"
    assert doc["funding"][0]["identifier"] == "ANR-19-CE01-0001"
    assert doc["funding"][0]["funder"]["@id"] == "https://doi.org/10.13039/501100001665"
    assert doc["citation"] == ["https://doi.org/10.1029/2020jc016000"]
    assert doc["isBasedOn"] == ["https://doi.org/10.17882/42182", "https://github.com/example/swp-drift-qc"]
    assert doc["inLanguage"] == ["fr", "en"]
    assert doc["includedInDataCatalog"] == {
        "@type": "DataCatalog",
        "name": "Alluvium",
        "url": "https://alluvium.example.org/",
    }
    # embargoed: no file to download yet; the producer's online resources are described
    assert doc["distribution"] == [
        {
            "@type": "DataDownload",
            "url": "https://sextant.ifremer.fr/services/wms/swp_drifters",
            "name": "swp_drifters_sst",
            "description": "Sea surface temperature along the buoy tracks",
            "encodingFormat": "OGC:WMS",
        },
        {
            "@type": "DataDownload",
            "contentUrl": "https://tds.example.org/thredds/dodsC/swp/drifters.nc",
            "name": "Accès OPeNDAP",
            "encodingFormat": "OPeNDAP:OPeNDAP",
        },
        {
            "@type": "DataDownload",
            "url": "https://www.odatis-ocean.fr/swp-drifters/user-guide",
            "name": "User guide",
            "encodingFormat": "WWW:LINK-1.0-http--link",
        },
    ]
    assert doc["additionalType"] == "In situ time series"
    assert doc["description"].endswith("\n\nOne NetCDF-4 CF-1.8 file per buoy.")
    assert {
        "@value": "Hourly time series of sea surface temperature and salinity measured by drifting "
        "buoys on both sides of the antimeridian.",
        "@language": "en",
    } in doc["abstract"]
    assert doc["keywords"][2] == {
        "@type": "DefinedTerm",
        "@id": "http://inspire.ec.europa.eu/theme/of",
        "name": "Oceanographic geographical features",
        "url": "http://inspire.ec.europa.eu/theme/of",
        "inDefinedTermSet": "http://inspire.ec.europa.eu/theme",
    }
    assert "oceans" in doc["keywords"]
    assert doc["publisher"]["logo"] == "https://www.odatis-ocean.fr/logo.png"
    assert "thumbnailUrl" not in doc  # the thumbnail is a file of an embargoed record
    assert doc["usageInfo"] == [
        {
            "@type": "CreativeWork",
            "text": {"@value": "Cite the dataset DOI in any publication.", "@language": "en"},
        }
    ]


def test_rich_spatial_coverage() -> None:
    places = to_jsonld(rich())["spatialCoverage"]
    # Dateline-crossing box split at ±180°, "S W N E" (schema.org box: lat lon lat lon).
    assert places[0]["geo"] == [
        {"@type": "GeoShape", "box": "-35 160 -10 180"},
        {"@type": "GeoShape", "box": "-35 -180 -10 -150"},
    ]
    assert places[1]["geo"] == {
        "@type": "GeoShape",
        "polygon": "-22.8 163.5 -22.8 168.2 -19.5 168.2 -19.5 163.5 -22.8 163.5",
    }
    assert places[2]["geo"] == {"@type": "GeoCoordinates", "latitude": -22.27, "longitude": 166.45}
    assert places[2]["sameAs"] == "https://sws.geonames.org/2139521/"
    assert places[2]["@id"] == "https://sws.geonames.org/2139521/"


def test_box_and_interval_helpers() -> None:
    assert box_string(42.0, -2.0, 43.4, 3.5) == "42 -2 43.4 3.5"
    assert temporal_coverage({"start": "2018-01-08"}) == "2018-01-08/.."
    assert temporal_coverage({"start": "2015-01", "end": "2016-12"}) == "2015-01/2016-12"


def test_open_record_has_downloads() -> None:
    doc = to_jsonld(edge("polygon"))
    assert doc["isAccessibleForFree"] is True
    assert doc["distribution"] == [
        {
            "@type": "DataDownload",
            "name": "data.csv",
            "contentUrl": "https://alluvium.example.org/api/records/edge-polygon/files/data.csv",
            "encodingFormat": "text/csv",
            "contentSize": "120 B",
            "sha256": "b" * 64,
        }
    ]
    assert doc["spatialCoverage"][0]["geo"]["polygon"] == "46.4 0.1 46.4 0.13 46.43 0.13 46.4 0.1"


def test_dateline_edge_is_split() -> None:
    assert boxes(to_jsonld(edge("dateline"))) == ["-20 170 -10 180", "-20 -180 -10 -170"]


@pytest.mark.parametrize(
    ("name", "free", "conditions"),
    [
        ("embargo", False, "Embargoed until 2030-01-01."),
        ("restricted", False, "Restricted access: files are shared on request. Sur demande motivée."),
        ("metadata_only", False, "Metadata only: the data files are not distributed by this repository."),
        ("open_time", True, None),
    ],
)
def test_access_levels(name: str, free: bool, conditions: str | None) -> None:
    doc = to_jsonld(edge(name))
    assert doc["isAccessibleForFree"] is free
    assert doc.get("conditionsOfAccess") == conditions
    assert ("distribution" in doc) is free
    if name == "open_time":
        assert doc["temporalCoverage"] == "2018-01-08/.."


def test_organisation_creator_and_multilingual_titles() -> None:
    assert to_jsonld(edge("org_creator"))["creator"] == [
        {
            "@type": "Organization",
            "@id": "https://ror.org/04h1h0y33",
            "identifier": "https://ror.org/04h1h0y33",
            "name": "Centre national d'études spatiales",
        }
    ]
    doc = to_jsonld(edge("multilingual"))
    assert doc["name"] == "Humidité du sol à Lusignan"
    assert doc["alternateName"] == ["Soil moisture at Lusignan", "Bodenfeuchte in Lusignan"]
    assert doc["description"] == "Humidité du sol quotidienne à 10 cm."


def test_creator_iri_in_graph() -> None:
    g = as_graph(to_jsonld(rich()))
    person = URIRef("https://orcid.org/0000-0002-1825-0097")
    assert (person, RDF.type, SDO.Person) in g
    assert (person, SDO.familyName, Literal("Carberry")) in g


def _normalised(data: bytes) -> str:
    return json.dumps(json.loads(data), ensure_ascii=False, indent=2, sort_keys=True)


def test_rich_matches_golden_file() -> None:
    produced = write_jsonld(rich())
    if os.environ.get("ALLUVIUM_REGENERATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_bytes(produced)
    expected, actual = _normalised(GOLDEN.read_bytes()), _normalised(produced)
    if expected != actual:
        diff = difflib.unified_diff(
            expected.splitlines(), actual.splitlines(), "golden", "produced", lineterm=""
        )
        pytest.fail("schema.org export differs from tests/golden/schemaorg/rich.jsonld:\n" + "\n".join(diff))

"""Record documents for the DataCite / DC / OAI-DataCite / citation export tests.

Built from the canonical examples and the demo records, normalised by the real schema loader
(as the app stores them), plus edge cases: polygons only, a box across the antimeridian,
open-ended time, organisation creators, multilingual titles, embargo, restricted and
metadata-only access, no DOI.
"""

from __future__ import annotations

import copy
from typing import Any

import schemas
from app.demo import RECORDS
from schemas.examples import example_record_document, minimal_example


def document(
    metadata: dict[str, Any], *, doi: str | None = None, record_id: str = "rec01-abcde"
) -> dict[str, Any]:
    """A loaded record document around ``metadata`` (a DOI only when given)."""
    doc: dict[str, Any] = {
        "id": record_id,
        "pids": {"doi": {"identifier": doi, "provider": "datacite"}} if doi else {},
        "created": "2024-05-01T10:00:00Z",
        "publication_date": "2024-06-01",
        "files": [{"key": "data.csv", "size": 120, "mimetype": "text/csv"}],
        "links": {"self_html": f"https://alluvium.example.org/records/{record_id}"},
        "metadata": metadata,
    }
    return schemas.load_record_document(doc)


def rich_document() -> dict[str, Any]:
    return schemas.load_record_document(example_record_document())


def _edge(changes: dict[str, Any]) -> dict[str, Any]:
    md = minimal_example()
    md.update(copy.deepcopy(changes))
    return md


EDGE_METADATA: dict[str, dict[str, Any]] = {
    "polygon-only": _edge(
        {
            "spatial_extents": [
                {
                    "polygon": {
                        "type": "Polygon",
                        "coordinates": [[[2.0, 46.0], [3.0, 46.0], [3.0, 47.0], [2.0, 47.0], [2.0, 46.0]]],
                    }
                }
            ]
        }
    ),
    "dateline-box": _edge(
        {"spatial_extents": [{"bbox": {"west": 170.0, "east": -170.0, "south": -20.0, "north": -10.0}}]}
    ),
    "open-ended-time": _edge({"temporal_extents": [{"start": "2020-01-01"}]}),
    "organisation-creator": _edge(
        {
            "creators": [
                {
                    "type": "Organizational",
                    "name": "Ifremer",
                    "identifiers": [{"identifier": "https://ror.org/044jxhp58"}],
                }
            ]
        }
    ),
    "multilingual-titles": _edge(
        {
            "titles": [
                {"text": "Humidité du sol à Lusignan", "lang": "fr"},
                {"text": "Soil moisture at Lusignan", "lang": "en", "type": "TranslatedTitle"},
                {"text": "Bodenfeuchte in Lusignan", "lang": "de", "type": "TranslatedTitle"},
            ],
            "abstracts": [
                {"text": "Humidité journalière.", "lang": "fr"},
                {"text": "Daily moisture.", "lang": "en"},
            ],
        }
    ),
    "embargo": _edge({"rights": {"access_level": "embargoed", "embargo_until": "2030-01-31"}}),
    "restricted": _edge(
        {"rights": {"access_level": "restricted", "license": {"name": "Data policy of THEIA"}}}
    ),
    "metadata-only": _edge({"rights": {"access_level": "metadata_only"}}),
    "points-and-places": _edge(
        {"spatial_extents": [{"place": "Lusignan"}, {"point": {"lon": 0.12, "lat": 46.43}, "place": "Tower"}]}
    ),
}


def all_documents() -> dict[str, dict[str, Any]]:
    """name -> record document: rich (with DOI), minimal, every demo record, every edge case;
    the rich and minimal records once more without a DOI."""
    docs = {"rich": rich_document(), "minimal": document(minimal_example(), doi="10.5072/alluvium.min")}
    no_doi = rich_document()
    no_doi["pids"] = {}
    docs["rich-no-doi"] = no_doi
    docs["minimal-no-doi"] = document(minimal_example())
    for index, (state, _community, metadata) in enumerate(RECORDS):
        docs[f"demo-{index}-{state}"] = document(metadata, doi=f"10.5072/alluvium.demo{index}")
    for name, metadata in EDGE_METADATA.items():
        docs[f"edge-{name}"] = document(metadata)
    return docs

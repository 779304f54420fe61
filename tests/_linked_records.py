"""Record documents for the DCAT-AP and schema.org export tests: the rich and minimal examples,
every demo record, and edge cases. Each is validated by ``load_record_document`` first, as the
exports receive it in production."""

from __future__ import annotations

import copy
from typing import Any

from app.demo import RECORDS
from schemas import load_record_document
from schemas.examples import example_record_document, minimal_example

BASE = "https://alluvium.example.org"


def wrap(metadata: dict[str, Any], rid: str, **extra: Any) -> dict[str, Any]:
    """A record document around ``metadata``, shaped like ``example_record_document()``."""
    doc = {
        "id": rid,
        "publication_date": "2024-06-01",
        "files": [
            {
                "key": "data.csv",
                "size": 120,
                "mimetype": "text/csv",
                "checksum": {"sha256": "b" * 64},
            }
        ],
        "links": {"self_html": f"{BASE}/records/{rid}", "files": f"{BASE}/api/records/{rid}/files"},
        "metadata": metadata,
    }
    doc.update(extra)
    return load_record_document(doc)


def rich() -> dict[str, Any]:
    doc = example_record_document()
    doc["links"]["files"] = f"{BASE}/api/records/abcd-1234/files"
    return load_record_document(doc)


def _edge(name: str) -> dict[str, Any]:
    md = minimal_example()
    if name == "polygon":
        md["spatial_extents"] = [
            {
                "place": "Lusignan",
                "polygon": {
                    "type": "Polygon",
                    "coordinates": [[[0.10, 46.40], [0.13, 46.40], [0.13, 46.43], [0.10, 46.40]]],
                },
            }
        ]
    elif name == "dateline":
        md["spatial_extents"] = [{"bbox": {"west": 170.0, "east": -170.0, "south": -20.0, "north": -10.0}}]
    elif name == "open_time":
        md["temporal_extents"] = [{"start": "2018-01-08"}]
    elif name == "org_creator":
        md["creators"] = [
            {
                "type": "Organizational",
                "name": "Centre national d'études spatiales",
                "identifiers": [{"identifier": "https://ror.org/04h1h0y33"}],
            }
        ]
    elif name == "multilingual":
        md["titles"] = [
            {"text": "Humidité du sol à Lusignan", "lang": "fr"},
            {"text": "Soil moisture at Lusignan", "lang": "en", "type": "TranslatedTitle"},
            {"text": "Bodenfeuchte in Lusignan", "lang": "de", "type": "TranslatedTitle"},
        ]
        md["abstracts"] = [
            {"text": "Humidité du sol quotidienne à 10 cm.", "lang": "fr"},
            {"text": "Daily soil moisture at 10 cm depth.", "lang": "en"},
        ]
        md["languages"] = ["fr", "en"]
    elif name == "embargo":
        md["rights"] = {
            "access_level": "embargoed",
            "embargo_until": "2030-01-01",
            "license": {"id": "CC0-1.0"},
        }
    elif name == "restricted":
        md["rights"] = {
            "access_level": "restricted",
            "license": {"id": "CC-BY-NC-4.0"},
            "access_constraints": [{"text": "Sur demande motivée.", "lang": "fr"}],
        }
    elif name == "metadata_only":
        md["rights"] = {"access_level": "metadata_only"}
        return wrap(md, f"edge-{name}", files=[])
    return wrap(md, f"edge-{name}")


EDGE_NAMES = [
    "polygon",
    "dateline",
    "open_time",
    "org_creator",
    "multilingual",
    "embargo",
    "restricted",
    "metadata_only",
]


def all_documents() -> dict[str, dict[str, Any]]:
    """name → validated record document, for parametrised tests."""
    docs = {"rich": rich(), "minimal": wrap(minimal_example(), "minimal-1")}
    for index, (_state, _community, metadata) in enumerate(RECORDS, start=1):
        docs[f"demo-{index}"] = wrap(copy.deepcopy(metadata), f"demo-{index}")
    for name in EDGE_NAMES:
        docs[f"edge-{name}"] = _edge(name)
    return docs


def edge(name: str) -> dict[str, Any]:
    return _edge(name)

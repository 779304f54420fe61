"""Audit of issue 10, round trips: the writer/reader pairs that tests/test_roundtrip_properties.py
does not run (DataCite 4.5, oai_datacite, DataCite for services), with the same Hypothesis
records. Each test names the documented losses of its format (docs/exports.md).

Pure tests: no app, no database.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from test_roundtrip_properties import SETTINGS, document, record

from exports import datacite, registry
from exports.importing import import_record


def _datacite_expected_related(md: dict[str, Any]) -> list[dict[str, Any]]:
    """Documented loss: online resources come back as URL related identifiers."""
    return md["related_identifiers"] + [
        {
            "identifier": o["url"],
            "scheme": "URL",
            "relation_type": "IsDocumentedBy"
            if o["function"] == "information" and o.get("protocol") in (None, "WWW:LINK-1.0-http--link")
            else "References",
        }
        for o in md.get("online_resources", [])
    ]


def _check_datacite(md: dict[str, Any], back: dict[str, Any], *, kernel45: bool = False) -> None:
    assert back["titles"] == md["titles"]
    assert back["abstracts"] == md["abstracts"]
    assert back["spatial_extents"] == md["spatial_extents"]
    if not kernel45:
        assert back["temporal_extents"] == md["temporal_extents"]
    assert back["creators"] == md["creators"]
    related = _datacite_expected_related(md)
    if kernel45:  # documented loss: RAiD and SWHID are 4.6+ relatedIdentifierTypes
        related = [r for r in related if r.get("scheme") not in ("RAiD", "SWHID")]
    assert back.get("related_identifiers", []) == related


@SETTINGS
@given(record())
def test_oai_datacite_round_trip(md: dict[str, Any]) -> None:
    fmt = registry.get_format("oai_datacite")
    name, result = import_record(fmt.writer(document(md)))
    assert name == "oai_datacite"
    _check_datacite(md, result.metadata)


@SETTINGS
@given(record(service=True))
def test_datacite_service_round_trip(md: dict[str, Any]) -> None:
    _, result = import_record(datacite.write_xml(document(md)))
    back = result.metadata
    assert back["resource_type"]["general"] == "Service"
    _check_datacite(md, back)


@SETTINGS
@given(record())
def test_datacite45_round_trip(md: dict[str, Any]) -> None:
    fmt = registry.get_format("datacite45")
    _, result = import_record(fmt.writer(document(md)))
    _check_datacite(md, result.metadata, kernel45=True)


@pytest.mark.xfail(
    strict=True,
    reason="datacite45 writes temporal extents as dateType=Other dateInformation=Coverage (4.5 has "
    "no Coverage type); the DataCite reader keeps them as dates of type Other instead of temporal "
    "extents, and docs/exports.md does not list that loss (notes/audit10.md)",
)
@SETTINGS
@given(record())
def test_datacite45_temporal_extents_round_trip(md: dict[str, Any]) -> None:
    fmt = registry.get_format("datacite45")
    _, result = import_record(fmt.writer(document(md)))
    assert result.metadata.get("temporal_extents") == md["temporal_extents"]

"""Controlled lists used by the canonical metadata schema.

The lists are the project's own JSON files in ``vocabularies/data/`` (regenerated from the
official standards bundle by ``vocabularies/data/build_controlled.py``), so a fresh install
needs no external file. Every loader is cached: the files are read once per process.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


@cache
def _load(filename: str) -> dict[str, Any]:
    return json.loads((DATA_DIR / filename).read_text(encoding="utf-8"))


# --- DataCite 4.7 -----------------------------------------------------------------------------


def datacite_version() -> str:
    """Version of the DataCite Metadata Schema the lists come from (e.g. ``"4.7"``)."""
    return _load("datacite.json")["version"]


def datacite_list(list_name: str) -> tuple[str, ...]:
    """Values of a DataCite controlled list, in schema order.

    ``list_name`` is the XSD type name: ``resourceTypeGeneral``, ``contributorType``,
    ``relationType``, ``relatedIdentifierType``, ``dateType``, ``descriptionType``, ``titleType``,
    ``funderIdentifierType``, ``nameType``, ``numberType``. Raises ``KeyError`` for other names.
    """
    return tuple(_load("datacite.json")["lists"][list_name])


@cache
def _datacite_set(list_name: str) -> frozenset[str]:
    return frozenset(datacite_list(list_name))


def is_datacite(list_name: str, value: str) -> bool:
    """True when ``value`` is exactly (case-sensitively, as in the XSD) in the DataCite list."""
    return value in _datacite_set(list_name)


# --- SPDX -------------------------------------------------------------------------------------


@cache
def _spdx_by_lower() -> dict[str, str]:
    return {lid.lower(): lid for lid in _load("spdx_licenses.json")["licenses"]}


def spdx_version() -> str:
    """SPDX License List version the data comes from."""
    return _load("spdx_licenses.json")["version"]


def spdx_license(license_id: str) -> dict[str, Any] | None:
    """The SPDX licence for an id, matched case-insensitively (SPDX ids are case-insensitive,
    SPDX spec annex B), or None.

    Returns ``{"id", "name", "reference", "see_also", "osi_approved", "deprecated"}`` where
    ``id`` has the canonical SPDX spelling (e.g. ``cc-by-4.0`` -> ``CC-BY-4.0``).
    """
    canonical = _spdx_by_lower().get(license_id.strip().lower())
    if canonical is None:
        return None
    return {"id": canonical, **_load("spdx_licenses.json")["licenses"][canonical]}


@cache
def _spdx_by_url() -> dict[str, str]:
    out: dict[str, str] = {}
    for lid, entry in _load("spdx_licenses.json")["licenses"].items():
        for url in [entry.get("reference"), *entry.get("see_also", [])]:
            if url:
                out.setdefault(_url_key(url), lid)
    return out


def _url_key(url: str) -> str:
    key = url.strip().lower().split("://", 1)[-1].removeprefix("www.").rstrip("/")
    return key.removesuffix("/legalcode")


def spdx_license_by_url(url: str) -> str | None:
    """The SPDX id whose reference or see-also URL is ``url`` (scheme, ``www.``, a trailing
    slash and ``/legalcode`` ignored), or None: maDMP gives licences as URLs."""
    return _spdx_by_url().get(_url_key(url))


def spdx_current_licenses() -> list[tuple[str, str]]:
    """(id, name) of every SPDX licence that is not deprecated, sorted by id (case-insensitive)."""
    listed = _load("spdx_licenses.json")["licenses"]
    current = [(lid, v["name"]) for lid, v in listed.items() if not v.get("deprecated")]
    return sorted(current, key=lambda pair: pair[0].lower())


# --- ISO 639 ----------------------------------------------------------------------------------


@cache
def _iso639_index() -> dict[str, dict[str, Any]]:
    index: dict[str, dict[str, Any]] = {}
    for entry in _load("iso639.json")["languages"]:
        for key in ("alpha2", "alpha3_b", "alpha3_t"):
            if entry[key]:
                index.setdefault(entry[key], entry)
    return index


def iso639(code: str) -> dict[str, Any] | None:
    """The ISO 639 entry for a 2-letter (639-1) or 3-letter (639-2/B or /T) code, or None.

    Returns ``{"alpha2", "alpha3_b", "alpha3_t", "en", "fr"}``; lookup is case-insensitive.
    """
    entry = _iso639_index().get(code.strip().lower())
    return dict(entry) if entry else None


# --- ISO 19115 / 19139 ------------------------------------------------------------------------


def iso_codelist(list_id: str) -> tuple[str, ...]:
    """Codes of an ISO list: ``MD_TopicCategoryCode``, ``CI_RoleCode``, ``MD_ScopeCode``,
    ``MD_KeywordTypeCode``. Topic categories are restricted to the 19 that ISO 19139 allows."""
    entries = _load("iso19115.json")["lists"][list_id]
    return tuple(e["code"] for e in entries if e.get("in_19139", True))


@cache
def _iso_set(list_id: str) -> frozenset[str]:
    return frozenset(iso_codelist(list_id))


def is_iso_code(list_id: str, value: str) -> bool:
    """True when ``value`` is a code of the ISO list ``list_id`` (case-sensitive, as in XML)."""
    return value in _iso_set(list_id)


def iso_code_description(list_id: str, code: str) -> str | None:
    """The English definition of an ISO code, for help texts."""
    for entry in _load("iso19115.json")["lists"][list_id]:
        if entry["code"] == code:
            return entry["description"]
    return None


# --- BCP 47 language tags ---------------------------------------------------------------------

# RFC 5646 section 2.1 "langtag" (private-use-only and grandfathered tags are not accepted):
# language[-script][-region]*(-variant)*(-extension)[-privateuse]
_LANGTAG = re.compile(
    r"^(?P<language>[a-z]{2,3})"
    r"(?:-(?P<script>[a-z]{4}))?"
    r"(?:-(?P<region>[a-z]{2}|\d{3}))?"
    r"(?P<rest>(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*"
    r"(?:-[\da-wyz](?:-[a-z\d]{2,8})+)*"
    r"(?:-x(?:-[a-z\d]{1,8})+)?)$",
    re.I,
)


def normalize_language_tag(tag: str) -> str:
    """Check a BCP 47 (RFC 5646) language tag and return it in canonical form.

    The primary language subtag must be an ISO 639-1 or ISO 639-2 code (the offline LoC list;
    ISO 639-3-only codes are not known here). RFC 5646 section 2.2.1 says to use the 2-letter
    code when one exists, so ``fre``/``fra`` become ``fr``; case follows section 2.1.1
    (``fr``, ``Latn``, ``CA``). Raises ``ValueError`` with a plain-words reason.
    """
    text = tag.strip().replace("_", "-")
    match = _LANGTAG.match(text)
    if not match:
        raise ValueError(f"{tag.strip()!r} is not a language tag (expected e.g. fr, en, fr-CA or eng)")
    entry = iso639(match["language"])
    if entry is None:
        raise ValueError(f"{match['language']!r} is not an ISO 639 language code")
    parts = [entry["alpha2"] or entry["alpha3_t"]]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    return "-".join(parts) + match["rest"].lower()


# --- online resource protocols ------------------------------------------------------------------

#: Protocols of an online resource (canonical ``online_resources[].protocol``): the GeoNetwork
#: protocol names most catalogues write in ISO ``CI_OnlineResource/protocol``, one per access
#: kind. (value, label, OGC service type or None).
ONLINE_PROTOCOLS: tuple[tuple[str, str, str | None], ...] = (
    ("WWW:DOWNLOAD-1.0-http--download", "HTTP download", None),
    ("WWW:LINK-1.0-http--link", "Web page (documentation, information)", None),
    ("WWW:DOWNLOAD-1.0-ftp--download", "FTP download", None),
    ("OGC:WMS", "OGC Web Map Service", "WMS"),
    ("OGC:WFS", "OGC Web Feature Service", "WFS"),
    ("OGC:WCS", "OGC Web Coverage Service", "WCS"),
    ("OGC:WMTS", "OGC Web Map Tile Service", "WMTS"),
    ("OGC:CSW", "OGC Catalogue Service for the Web", "CSW"),
    ("OGC:SOS", "OGC Sensor Observation Service", "SOS"),
    ("OGC API - Features", "OGC API - Features", "OGC API"),
    ("OGC API - Records", "OGC API - Records", "OGC API"),
    ("OGC API - Coverages", "OGC API - Coverages", "OGC API"),
    ("OGC API - Maps", "OGC API - Maps", "OGC API"),
    ("OGC API - Tiles", "OGC API - Tiles", "OGC API"),
    ("OPeNDAP:OPeNDAP", "OPeNDAP", None),
    ("UNIDATA:THREDDS", "THREDDS catalogue", None),
    ("ESRI:REST", "Esri ArcGIS REST service", None),
)

_PROTOCOL_ALIASES = (
    (re.compile(r"^(?:OGC:)?WMS\b", re.I), "OGC:WMS"),
    (re.compile(r"^(?:OGC:)?WFS\b", re.I), "OGC:WFS"),
    (re.compile(r"^(?:OGC:)?WCS\b", re.I), "OGC:WCS"),
    (re.compile(r"^(?:OGC:)?WMTS\b", re.I), "OGC:WMTS"),
    (re.compile(r"^(?:OGC:)?CSW\b", re.I), "OGC:CSW"),
    (re.compile(r"^(?:OGC:)?SOS\b", re.I), "OGC:SOS"),
    (re.compile(r"^OGC ?API[ -:]*Features", re.I), "OGC API - Features"),
    (re.compile(r"^OGC ?API[ -:]*Records", re.I), "OGC API - Records"),
    (re.compile(r"^OGC ?API[ -:]*Coverages", re.I), "OGC API - Coverages"),
    (re.compile(r"^OGC ?API[ -:]*Maps", re.I), "OGC API - Maps"),
    (re.compile(r"^OGC ?API[ -:]*Tiles", re.I), "OGC API - Tiles"),
    (re.compile(r"opendap|dods", re.I), "OPeNDAP:OPeNDAP"),
    (re.compile(r"thredds", re.I), "UNIDATA:THREDDS"),
    (re.compile(r"^(?:WWW:DOWNLOAD.*ftp|ftp)\b", re.I), "WWW:DOWNLOAD-1.0-ftp--download"),
    (re.compile(r"^(?:WWW:DOWNLOAD|download|HTTP:DOWNLOAD)", re.I), "WWW:DOWNLOAD-1.0-http--download"),
    (re.compile(r"^(?:WWW:LINK|https?$|http-?link|WWW:URL)", re.I), "WWW:LINK-1.0-http--link"),
    (re.compile(r"^ESRI:", re.I), "ESRI:REST"),
)


def online_protocols() -> tuple[str, ...]:
    """The protocol values an online resource may have."""
    return tuple(value for value, _, _ in ONLINE_PROTOCOLS)


def online_protocol(text: str | None) -> str | None:
    """The canonical protocol for a protocol name as catalogues spell it (``OGC:WMS-1.1.1-http-get-map``
    → ``OGC:WMS``, ``HTTP`` → the web-link protocol), or None when it is not recognised."""
    if not text:
        return None
    value = text.strip()
    if value in online_protocols():
        return value
    for pattern, protocol in _PROTOCOL_ALIASES:
        if pattern.search(value):
            return protocol
    return None


def ogc_service_type(protocol: str | None) -> str | None:
    """``WMS``, ``WFS``… for an OGC service protocol (whose resources may name a layer), else None."""
    return next((kind for value, _, kind in ONLINE_PROTOCOLS if value == protocol), None)

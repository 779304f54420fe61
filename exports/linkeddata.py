"""Helpers shared by the linked-data crosswalks (DCAT-AP / GeoDCAT-AP and schema.org).

Plain Python only: these read the canonical record document and return strings and dicts.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

from vocabularies import controlled, identifiers


def doi_of(doc: dict[str, Any]) -> str | None:
    """The record's DOI (bare, lower case), if one is registered."""
    pid = (doc.get("pids") or {}).get("doi") or {}
    return pid.get("identifier")


def doi_url(doi: str) -> str:
    """The https resolver URL of a DOI (DOI Handbook section 3.8, DataCite display guidance)."""
    return f"https://doi.org/{doi}"


def landing_page(doc: dict[str, Any]) -> str | None:
    """The record's landing page in Alluvium (``links.self_html``)."""
    return (doc.get("links") or {}).get("self_html")


def file_url(doc: dict[str, Any], key: str) -> str | None:
    """Download URL of a file, from the record's ``links.files`` (absent: no URL is made up)."""
    base = (doc.get("links") or {}).get("files")
    return f"{base.rstrip('/')}/{quote(key)}" if base else None


#: Version links of the record document (app/services/documents.version_links) → DataCite 4.x
#: relationType (property 12.b) of the relation they state, from this version's point of view.
VERSION_LINKS = (
    ("concept", "IsVersionOf"),
    ("version_previous", "IsNewVersionOf"),
    ("version_next", "IsPreviousVersionOf"),
)


def version_relations(doc: dict[str, Any]) -> list[dict[str, str]]:
    """The links between versions (previous, next, concept) as canonical related identifiers:
    scheme DOI for a ``https://doi.org/`` URL, else URL."""
    links = doc.get("links") or {}
    out = []
    for name, relation in VERSION_LINKS:
        url = links.get(name)
        if not url:
            continue
        if url.startswith("https://doi.org/"):
            out.append({"identifier": url[len("https://doi.org/") :], "scheme": "DOI", "relation_type": relation})
        else:
            out.append({"identifier": url, "scheme": "URL", "relation_type": relation})
    return out


def with_version_relations(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with its version relations added to ``metadata.related_identifiers`` (those the
    metadata already states are not repeated); ``doc`` itself when it has none. Every registered
    writer sees the document through this (exports.registry.register)."""
    relations = version_relations(doc)
    if not relations:
        return doc
    md = dict(doc.get("metadata") or {})
    present = {
        (str(r.get("identifier", "")).lower(), r.get("relation_type")) for r in md.get("related_identifiers") or []
    }
    added = [r for r in relations if (r["identifier"].lower(), r["relation_type"]) not in present]
    if not added:
        return doc
    md["related_identifiers"] = [*(md.get("related_identifiers") or []), *added]
    return {**doc, "metadata": md}


def main_title(metadata: dict[str, Any]) -> dict[str, Any] | None:
    """The main title (the title without ``type``)."""
    return next((t for t in metadata.get("titles", []) if "type" not in t), None)


def display_titles(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """Main and translated titles: the names of the resource, one per language."""
    return [t for t in metadata.get("titles", []) if t.get("type") in (None, "TranslatedTitle")]


def agent_uri(agent: dict[str, Any]) -> str | None:
    """Resolvable URI of a person (ORCID) or organisation (ROR); other schemes if they resolve."""
    by_scheme = {i.get("scheme"): i["identifier"] for i in agent.get("identifiers", [])}
    for scheme in ("ORCID", "ROR", "ISNI"):
        if scheme in by_scheme:
            return identifiers.identifier_url(scheme, by_scheme[scheme])
    return None


def funder_uri(funding: dict[str, Any]) -> str | None:
    """URI of a funder: ROR URL or Crossref Funder ID DOI URL (both stored normalised as URLs)."""
    value = funding.get("funder_identifier")
    if value and value.startswith(("http://", "https://")):
        return value
    return None


def related_url(related: dict[str, Any]) -> str | None:
    """Resolvable URL of a related identifier, or None for schemes without a resolver (ISBN...)."""
    scheme = related.get("scheme")
    if not scheme:
        return None
    return identifiers.identifier_url(scheme, related["identifier"])


def spdx_uri(license_id: str) -> str:
    """The SPDX licence IRI used in RDF (SPDX 2.3 annex, ``http://spdx.org/licenses/<id>``)."""
    return f"http://spdx.org/licenses/{license_id}"


def iso639_alpha3(tag: str) -> str | None:
    """ISO 639-2/T (terminology) code of a BCP 47 tag's primary subtag: ``fr-FR`` -> ``fra``."""
    entry = controlled.iso639(tag.split("-")[0])
    return entry["alpha3_t"] or entry["alpha3_b"] if entry else None


def bbox_crosses_antimeridian(bbox: dict[str, float]) -> bool:
    """West greater than east: the box spans the 180° meridian (ISO 19115 EX_GeographicBoundingBox)."""
    return bbox["west"] > bbox["east"]


def num(value: float) -> str:
    """A coordinate written without a useless ``.0`` (``160`` not ``160.0``, ``-22.8`` kept)."""
    text = repr(float(value))
    if "e" in text:  # 1e-05: no exponent in WKT, DCMI Box or GeoJSON-in-text
        text = format(Decimal(text), "f")
    return text[:-2] if text.endswith(".0") else text

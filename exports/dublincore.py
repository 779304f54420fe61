"""Simple Dublin Core as OAI-PMH ``oai_dc``, shaped for Dataverse's OAI harvester.

OAI-PMH 2.0 section 6.2 / ``oai_dc.xsd``: a ``oai_dc:dc`` root holding any of the 15 DCMES
elements (``simpledc20021212.xsd``), each repeatable, each with an optional ``xml:lang``.
Dataverse (Recherche Data Gouv) harvesting ``oai_dc`` takes the persistent identifier from the
first ``dc:identifier`` that is a resolvable URL, reads ``dc:date`` as ``YYYY-MM-DD`` and
``dc:language`` as ISO 639 names/codes; we therefore write the ``https://doi.org/…`` URL (or the
landing URL when there is no DOI) first, the publication date as a full date and 3-letter
ISO 639-2/T (= ISO 639-3 for individual languages) codes.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

import schemas
from exports.datacite import ACCESS_RIGHTS, doi_of
from exports.linkeddata import num
from exports.registry import Format, register
from vocabularies import controlled, identifiers

OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
OAI_DC_XSD = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"


def iso639_3(tag: str) -> str:
    """ISO 639-2/T (3-letter) code of a BCP 47 tag's language: ``fr`` -> ``fra``, ``en-GB`` -> ``eng``."""
    entry = controlled.iso639(tag.split("-")[0])
    if entry is None:
        return tag
    return entry["alpha3_t"] or entry["alpha3_b"]


def _date(document: dict[str, Any]) -> str | None:
    """``YYYY-MM-DD``: the publication date, else the Issued date, else the creation day."""
    if document.get("publication_date"):
        return str(document["publication_date"])[:10]
    for d in (document.get("metadata") or {}).get("dates") or []:
        if d.get("type") == "Issued" and len(d["date"]) >= 10 and "/" not in d["date"]:
            return d["date"][:10]
    if document.get("created"):
        return str(document["created"])[:10]
    return None


def identifiers_of(document: dict[str, Any]) -> list[str]:
    """The record's identifiers, the citable one first: DOI URL (or landing URL), landing URL, others."""
    out: list[str] = []
    doi = doi_of(document)
    landing = (document.get("links") or {}).get("self_html") or (
        (document.get("pids") or {}).get("local") or {}
    ).get("url")
    if doi:
        out.append(f"https://doi.org/{doi}")
    if landing:
        out.append(landing)
    for alt in (document.get("metadata") or {}).get("alternate_identifiers") or []:
        out.append(alt["identifier"])
    return list(dict.fromkeys(out))


def _coverage(md: dict[str, Any]) -> list[str]:
    out = []
    for ext in md.get("spatial_extents") or []:
        if ext.get("place"):
            out.append(ext["place"])
        if ext.get("bbox"):
            # DCMI Box encoding scheme (https://www.dublincore.org/specifications/dublin-core/dcmi-box/).
            b = ext["bbox"]
            out.append(
                f"westlimit={num(b['west'])}; eastlimit={num(b['east'])}; "
                f"southlimit={num(b['south'])}; northlimit={num(b['north'])}"
            )
        if ext.get("point"):
            # DCMI Point encoding scheme.
            # Full precision: "%g" kept six significant digits (-119.221094 became -119.221).
            out.append(f"east={num(ext['point']['lon'])}; north={num(ext['point']['lat'])}")
    for t in md.get("temporal_extents") or []:
        # ISO 8601 interval (docs/metadata-profile.md); an open end is ".." (ISO 8601-2 / EDTF).
        out.append(f"{t['start']}/{t.get('end') or '..'}")
    return out


def dc_element(document: dict[str, Any]) -> etree._Element:
    """The ``oai_dc:dc`` element for ``document`` (namespaces declared on it)."""
    md = document.get("metadata") or {}
    root = etree.Element(f"{{{OAI_DC}}}dc", nsmap={"oai_dc": OAI_DC, "dc": DC, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI_DC} {OAI_DC_XSD}")

    def add(name: str, text: Any, lang: str | None = None) -> None:
        if text is None or str(text).strip() == "":
            return
        el = etree.SubElement(root, f"{{{DC}}}{name}")
        el.text = str(text)
        if lang:
            el.set(XML_LANG, lang)

    # Dataverse reads the global id from the first dc:identifier: write it first.
    for ident in identifiers_of(document):
        add("identifier", ident)
    for t in md.get("titles") or []:
        add("title", t["text"], t.get("lang"))
    for c in md.get("creators") or []:
        add("creator", c.get("name"))
    for group in md.get("keywords") or []:
        for term in group.get("terms") or []:
            add("subject", term["term"], term.get("lang"))
    for kw in md.get("free_keywords") or []:
        add("subject", kw["term"], kw.get("lang"))
    for code in md.get("topic_categories") or []:
        add("subject", code)
    for key in ("platforms", "instruments", "variables"):
        for concept in md.get(key) or []:
            add("subject", concept["term"])
    for a in md.get("abstracts") or []:
        add("description", a["text"], a.get("lang"))
    for d in md.get("descriptions") or []:
        add("description", d["text"], d.get("lang"))
    for d in md.get("lineage") or []:
        add("description", d["text"], d.get("lang"))
    add("publisher", (md.get("publisher") or {}).get("name"))
    for c in md.get("contributors") or []:
        add("contributor", c.get("name"))
    # dc:date holds dates only: Dataverse (Recherche Data Gouv) parses every dc:date as one, and
    # the OpenAIRE "info:eu-repo/date/embargoEnd/…" URI is not. The embargo end is said in
    # dc:rights below (oai_datacite keeps the OpenAIRE form, docs/exports.md).
    add("date", _date(document))
    rights = md.get("rights") or {}
    rt = md.get("resource_type") or {}
    add("type", rt.get("general"))
    if rt.get("name"):
        add("type", rt["name"])
    formats, _ = schemas.record_formats_and_size(document.get("files") or [])
    for mt in formats:
        add("format", mt)
    for lang in md.get("languages") or []:
        add("language", iso639_3(lang))
    for r in md.get("related_identifiers") or []:
        add("relation", identifiers.identifier_url(r.get("scheme") or "", r["identifier"]) or r["identifier"])
    for item in md.get("online_resources") or []:
        add("relation", item["url"])
    for cov in _coverage(md):
        add("coverage", cov)
    lic = rights.get("license") or {}
    if lic:
        add("rights", lic.get("uri") or lic.get("name"))
    if rights.get("access_level") in ACCESS_RIGHTS:
        add("rights", ACCESS_RIGHTS[rights["access_level"]][0])
    if rights.get("access_level") == "embargoed" and rights.get("embargo_until"):
        # The sentence the ISO outputs write in otherConstraints.
        add("rights", f"Embargoed until {rights['embargo_until'][:10]}", "en")
    for key in ("use_constraints", "access_constraints"):
        for text in rights.get(key) or []:
            add("rights", text["text"], text.get("lang"))
    return root


def write_oai_dc(document: dict[str, Any]) -> bytes:
    """``oai_dc`` XML for ``document``."""
    return etree.tostring(dc_element(document), xml_declaration=True, encoding="UTF-8", pretty_print=True)


OAI_DC_FORMAT = register(
    Format(
        name="oai_dc",
        version="2",  # online resources, services, issue 10 fixes
        title="Dublin Core (OAI-PMH oai_dc)",
        media_type="application/x-oai-dc+xml",
        extension="dc.xml",
        writer=write_oai_dc,
        namespace=OAI_DC,
        schema_location=OAI_DC_XSD,
        aliases=("application/oai_dc+xml",),
        is_xml=True,
    )
)

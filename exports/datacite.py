"""DataCite Metadata Schema 4.x: XML (kernel-4 = 4.7, and a kernel-4.5 variant), REST API JSON, import.

One function, :func:`attributes`, maps the canonical record document to the DataCite REST API
JSON ``data.attributes`` object (https://support.datacite.org/docs/api-create-dois). The XML is
written from that same dict as text (see "writers" below), the same bytes the ``datacite``
package's ``schema45.dump_etree`` gave when it wrote it (that package is now only the oracle of
tests/test_export_datacite_writer.py). Namespace ``http://datacite.org/schema/kernel-4``, the
same for 4.5 and 4.7: only ``xsi:schemaLocation`` differs, and an ``identifier`` is written
when the record has no DOI yet (see below).

No DOI yet (drafts, records published with the local PID provider): ``identifier`` is required
by every kernel-4.x XSD (an ``xs:all`` member without ``minOccurs="0"``), and its
``identifierType`` attribute is an untyped string. We write
``<identifier identifierType="URL">`` + the landing page URL, and repeat the landing URL as an
``alternateIdentifier`` of type ``URL`` (what the DataCite REST API JSON carries, since it has no
identifier without a DOI). The XML stays schema-valid; DataCite itself only registers documents
that carry a DOI, which the DataCite PID provider mints before it sends one.

Values added to the DataCite controlled lists in 4.6 and 4.7 do not exist in kernel-4.5; the
``datacite45`` variant replaces or leaves them out (:data:`_NOT_IN_45`).
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from typing import Any

from lxml import etree

import schemas
from exports.registry import Format, ImportError_, ImportResult, register
from exports.xmlutil import safe_parse
from vocabularies import controlled, identifiers

NS = "http://datacite.org/schema/kernel-4"
KERNEL_NS_PREFIX = "http://datacite.org/schema/kernel-"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS = "http://www.w3.org/XML/1998/namespace"
KERNEL4_XSD = "http://schema.datacite.org/meta/kernel-4/metadata.xsd"
KERNEL45_XSD = "http://schema.datacite.org/meta/kernel-4.5/metadata.xsd"
MEDIA_TYPE_XML = "application/vnd.datacite.datacite+xml"
MEDIA_TYPE_JSON = "application/vnd.datacite.datacite+json"
SPDX_URI = "https://spdx.org/licenses/"

#: eu-repo access rights vocabulary (OpenAIRE Guidelines for Data Archives, "Rights"); Zenodo and
#: OpenAIRE read them from DataCite ``rightsList/rights/@rightsURI``.
ACCESS_RIGHTS = {
    "open": ("info:eu-repo/semantics/openAccess", "Open Access"),
    "embargoed": ("info:eu-repo/semantics/embargoedAccess", "Embargoed Access"),
    "restricted": ("info:eu-repo/semantics/restrictedAccess", "Restricted Access"),
    "metadata_only": ("info:eu-repo/semantics/closedAccess", "Closed Access"),
}
_ACCESS_BY_URI = {uri: level for level, (uri, _) in ACCESS_RIGHTS.items()}
EMBARGO_END = "info:eu-repo/date/embargoEnd/"

#: Scheme URIs DataCite documents for nameIdentifierScheme / affiliationIdentifierScheme.
_SCHEME_URIS = {"ORCID": "https://orcid.org", "ROR": "https://ror.org", "ISNI": "https://isni.org/isni/"}

TOPIC_SCHEME = "ISO 19115 Topic Category"  # docs/metadata-profile.md spelling
TOPIC_SCHEME_URI = "https://standards.iso.org/iso/19139/resources/gmxCodelists.xml#MD_TopicCategoryCode"

# Schema 4.6 and 4.7 revision history (kernel-4/metadata.xsd header): values 4.5 does not know.
_NOT_IN_45 = {
    "resourceTypeGeneral": {"Award", "Project", "Poster", "Presentation"},
    "relatedIdentifierType": {"CSTR", "RRID", "RAiD", "SWHID"},
    "contributorType": {"Translator"},
    "relationType": {"HasTranslation", "IsTranslationOf", "Other"},
    "dateType": {"Coverage"},
}


# --- canonical -> DataCite JSON ----------------------------------------------------------------


def _lang(item: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    if item.get("lang"):
        out["lang"] = item["lang"]
    return out


def _name_identifiers(agent: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for ident in agent.get("identifiers") or []:
        scheme = ident.get("scheme") or "Other"
        value = ident["identifier"]
        # DataCite 4.x property 2.4 nameIdentifier: ORCID as its https URL with schemeURI.
        url = identifiers.identifier_url(scheme, value) if scheme in _SCHEME_URIS else None
        entry = {"nameIdentifier": url or value, "nameIdentifierScheme": scheme}
        if scheme in _SCHEME_URIS:
            entry["schemeUri"] = _SCHEME_URIS[scheme]
        out.append(entry)
    return out


def _agent(agent: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": agent.get("name") or agent.get("family_name", ""),
        "nameType": agent["type"],
    }
    if agent.get("given_name"):
        out["givenName"] = agent["given_name"]
    if agent.get("family_name"):
        out["familyName"] = agent["family_name"]
    ids = _name_identifiers(agent)
    if ids:
        out["nameIdentifiers"] = ids
    affs = []
    for aff in agent.get("affiliations") or []:
        entry = {"name": aff["name"]}
        if aff.get("ror"):
            # DataCite 4.3+ affiliationIdentifier (property 2.5.1).
            entry.update(
                affiliationIdentifier=aff["ror"],
                affiliationIdentifierScheme="ROR",
                schemeUri="https://ror.org",
            )
        affs.append(entry)
    if affs:
        out["affiliation"] = affs
    return out


def _landing(document: dict[str, Any]) -> str | None:
    links = document.get("links") or {}
    local = (document.get("pids") or {}).get("local") or {}
    return links.get("self_html") or local.get("url")


def doi_of(document: dict[str, Any]) -> str | None:
    """The record's DOI (bare, ``10.x/y``) or None."""
    doi = (document.get("pids") or {}).get("doi") or {}
    return doi.get("identifier") or None


def publication_year(document: dict[str, Any]) -> str:
    """DataCite publicationYear: the metadata's, else the publication date's, else creation's, else this year."""
    md = document.get("metadata") or {}
    if md.get("publication_year"):
        return str(md["publication_year"])
    for key in ("publication_date", "created"):
        if document.get(key):
            return str(document[key])[:4]
    return str(_dt.date.today().year)


def _subjects(md: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for group in md.get("keywords") or []:
        for term in group.get("terms") or []:
            entry = {"subject": term["term"], "subjectScheme": group["scheme_name"]}
            if group.get("scheme_uri"):
                entry["schemeUri"] = group["scheme_uri"]
            if term.get("value_uri"):
                entry["valueUri"] = term["value_uri"]
            out.append(_lang(term, entry))
    for kw in md.get("free_keywords") or []:
        out.append(_lang(kw, {"subject": kw["term"]}))
    for code in md.get("topic_categories") or []:
        out.append({"subject": code, "subjectScheme": TOPIC_SCHEME, "schemeUri": TOPIC_SCHEME_URI})
    # Platforms, instruments and variables have no DataCite property; as subjects of their
    # vocabulary they stay findable (DataCite 4.x property 6 Subject).
    for key in ("platforms", "instruments", "variables"):
        for concept in md.get(key) or []:
            entry = {"subject": concept["term"]}
            if concept.get("scheme_name"):
                entry["subjectScheme"] = concept["scheme_name"]
            if concept.get("scheme_uri"):
                entry["schemeUri"] = concept["scheme_uri"]
            if concept.get("value_uri"):
                entry["valueUri"] = concept["value_uri"]
            out.append(entry)
    return out


def _dates(document: dict[str, Any]) -> list[dict[str, Any]]:
    md = document.get("metadata") or {}
    out = []
    for d in md.get("dates") or []:
        entry = {"date": d["date"], "dateType": d["type"]}
        if d.get("information"):
            entry["dateInformation"] = d["information"]
        out.append(entry)
    have = {(d["date"], d["dateType"]) for d in out}
    # DataCite 4.x property 8 Date: "Available" = end of an embargo; "Issued" = publication.
    embargo = (md.get("rights") or {}).get("embargo_until")
    if embargo and (embargo, "Available") not in have:
        out.append({"date": embargo, "dateType": "Available", "dateInformation": "End of embargo"})
    issued = document.get("publication_date")
    if issued and not any(d["dateType"] == "Issued" for d in out):
        out.append({"date": issued, "dateType": "Issued"})
    # Temporal coverage: dateType Coverage (added in 4.6), an RKMS-ISO 8601 / EDTF interval.
    for ext in md.get("temporal_extents") or []:
        value = f"{ext['start']}/{ext.get('end') or '..'}"
        if (value, "Coverage") not in have:
            out.append({"date": value, "dateType": "Coverage"})
    return out


def _rights(md: dict[str, Any]) -> list[dict[str, Any]]:
    rights = md.get("rights") or {}
    out: list[dict[str, Any]] = []
    lic = rights.get("license") or {}
    if lic:
        entry: dict[str, Any] = {"rights": lic.get("name") or lic.get("id")}
        if lic.get("uri"):
            entry["rightsUri"] = lic["uri"]
        if lic.get("id"):
            # DataCite 4.2+ property 16.2-16.4: SPDX short identifier.
            entry.update(rightsIdentifier=lic["id"], rightsIdentifierScheme="SPDX", schemeUri=SPDX_URI)
        out.append(_lang({"lang": "en"}, entry))
    level = rights.get("access_level")
    if level in ACCESS_RIGHTS:
        uri, label = ACCESS_RIGHTS[level]
        out.append({"rights": label, "rightsUri": uri})
    if level == "embargoed" and rights.get("embargo_until"):
        # OpenAIRE Guidelines for Data Archives: the embargo end as an info:eu-repo date URI.
        end = rights["embargo_until"][:10]
        out.append({"rights": f"Embargo end: {end}", "rightsUri": f"{EMBARGO_END}{end}"})
    # Access constraints have no DataCite property (docs/metadata-profile.md); use constraints do.
    for text in rights.get("use_constraints") or []:
        out.append(_lang(text, {"rights": text["text"]}))
    return out


def _geo(md: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for ext in md.get("spatial_extents") or []:
        geo: dict[str, Any] = {}
        if ext.get("place"):
            geo["geoLocationPlace"] = ext["place"]
        if ext.get("point"):
            geo["geoLocationPoint"] = {
                "pointLongitude": ext["point"]["lon"],
                "pointLatitude": ext["point"]["lat"],
            }
        if ext.get("bbox"):
            b = ext["bbox"]
            # DataCite 4.x property 18.3: west > east is how a box crossing the 180° meridian is written.
            geo["geoLocationBox"] = {
                "westBoundLongitude": b["west"],
                "eastBoundLongitude": b["east"],
                "southBoundLatitude": b["south"],
                "northBoundLatitude": b["north"],
            }
        if ext.get("polygon"):
            # Property 18.4 geoLocationPolygon: the exterior ring only (DataCite has no holes).
            ring = ext["polygon"]["coordinates"][0]
            geo["geoLocationPolygon"] = [
                {"polygonPoint": {"pointLongitude": lon, "pointLatitude": lat}} for lon, lat, *_ in ring
            ]
        if geo:
            out.append(geo)
    return out


def _funding(md: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for f in md.get("funding") or []:
        entry = {"funderName": f["funder_name"]}
        for src, dst in (
            ("funder_identifier", "funderIdentifier"),
            ("funder_identifier_type", "funderIdentifierType"),
            ("award_number", "awardNumber"),
            ("award_uri", "awardUri"),
            ("award_title", "awardTitle"),
        ):
            if f.get(src):
                entry[dst] = f[src]
        out.append(entry)
    return out


def _descriptions(md: dict[str, Any]) -> list[dict[str, Any]]:
    out = [
        _lang(a, {"description": a["text"], "descriptionType": "Abstract"}) for a in md.get("abstracts") or []
    ]
    out += [
        _lang(d, {"description": d["text"], "descriptionType": d["type"]})
        for d in md.get("descriptions") or []
    ]
    # ISO lineage statement <-> DataCite descriptionType Methods (DataCite-ISO crosswalk practice).
    out += [
        _lang(d, {"description": d["text"], "descriptionType": "Methods"}) for d in md.get("lineage") or []
    ]
    return out


def _review(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The community review the version passed, as a description of type Other (in English)."""
    statement = schemas.review_statement(document.get("reviewed_by"))
    return [{"description": statement, "descriptionType": "Other", "lang": "en"}] if statement else []


def _online_resources(md: dict[str, Any]) -> list[dict[str, Any]]:
    """Online resources as related identifiers of type URL (DataCite has no access-link property):
    a documentation page (function ``information`` over plain http) ``IsDocumentedBy``, any other
    link (download, service, OPeNDAP…) ``References``. Protocol, names, function and layer are
    lost (docs/exports.md)."""
    out = []
    for item in md.get("online_resources") or []:
        documentation = item.get("function") == "information" and item.get("protocol") in (
            None,
            "WWW:LINK-1.0-http--link",
        )
        out.append(
            {
                "relatedIdentifier": item["url"],
                "relatedIdentifierType": "URL",
                "relationType": "IsDocumentedBy" if documentation else "References",
            }
        )
    return out


def attributes(document: dict[str, Any], *, kernel: str = "4.7") -> dict[str, Any]:
    """DataCite REST API ``data.attributes`` for a canonical record document.

    ``kernel="4.5"`` leaves out or replaces the controlled values that schema 4.5 lacks.
    """
    md = document.get("metadata") or {}
    attrs: dict[str, Any] = {}
    doi = doi_of(document)
    landing = _landing(document)
    if doi:
        attrs["doi"] = doi
    if landing:
        attrs["url"] = landing
    rt = md.get("resource_type") or {}
    attrs["types"] = {"resourceTypeGeneral": rt.get("general") or "Dataset"}
    if rt.get("name"):
        attrs["types"]["resourceType"] = rt["name"]
    attrs["creators"] = [_agent(a) for a in md.get("creators") or []]
    attrs["titles"] = [
        _lang(t, {"title": t["text"], **({"titleType": t["type"]} if t.get("type") else {})})
        for t in md.get("titles") or []
    ]
    pub = md.get("publisher") or {}
    publisher: dict[str, Any] = {"name": pub.get("name") or ""}
    if pub.get("ror"):
        # DataCite 4.5 property 4.1-4.3 publisherIdentifier.
        publisher.update(
            publisherIdentifier=pub["ror"], publisherIdentifierScheme="ROR", schemeUri="https://ror.org/"
        )
    attrs["publisher"] = publisher
    attrs["publicationYear"] = publication_year(document)
    optional = {
        "subjects": _subjects(md),
        "contributors": [
            {**_agent(c), "contributorType": c["contributor_type"]} for c in md.get("contributors") or []
        ]
        + [{**_agent(c), "contributorType": "ContactPerson"} for c in md.get("contacts") or []],
        "dates": _dates(document),
        "alternateIdentifiers": [
            {"alternateIdentifier": a["identifier"], "alternateIdentifierType": a["scheme"]}
            for a in md.get("alternate_identifiers") or []
        ]
        + (
            [{"alternateIdentifier": landing, "alternateIdentifierType": "URL"}]
            if landing and not doi
            else []
        ),
        "relatedIdentifiers": [
            {
                "relatedIdentifier": r["identifier"],
                "relatedIdentifierType": r.get("scheme")
                or identifiers.detect_scheme(r["identifier"])
                or "URL",
                "relationType": r["relation_type"],
                **({"resourceTypeGeneral": r["resource_type"]} if r.get("resource_type") else {}),
            }
            for r in md.get("related_identifiers") or []
            if r.get("scheme") != "Other"  # no DataCite relatedIdentifierType for it
        ]
        + _online_resources(md),
        "sizes": _sizes(document),
        "formats": _formats(document),
        "rightsList": _rights(md),
        "descriptions": _descriptions(md) + _review(document),
        "geoLocations": _geo(md),
        "fundingReferences": _funding(md),
    }
    if md.get("languages"):
        attrs["language"] = md["languages"][0]  # DataCite property 9 Language: one primary language
    if md.get("version"):
        attrs["version"] = md["version"]
    attrs.update({k: v for k, v in optional.items() if v})
    attrs["schemaVersion"] = "http://datacite.org/schema/kernel-4"
    if kernel == "4.5":
        _downgrade_to_45(attrs)
    return attrs


def _files(document: dict[str, Any]) -> tuple[list[str], int, int]:
    files = document.get("files") or []
    formats, size = schemas.record_formats_and_size(files)
    return formats, size, len(files)


def _sizes(document: dict[str, Any]) -> list[str]:
    _, size, count = _files(document)
    return [f"{size} bytes", f"{count} files"] if count else []


def _formats(document: dict[str, Any]) -> list[str]:
    return _files(document)[0]


def _downgrade_to_45(attrs: dict[str, Any]) -> None:
    types = attrs["types"]
    if types["resourceTypeGeneral"] in _NOT_IN_45["resourceTypeGeneral"]:
        types.setdefault("resourceType", types["resourceTypeGeneral"])
        types["resourceTypeGeneral"] = "Other"
    for c in attrs.get("contributors", []):
        if c["contributorType"] in _NOT_IN_45["contributorType"]:
            c["contributorType"] = "Other"
    for d in attrs.get("dates", []):
        if d["dateType"] in _NOT_IN_45["dateType"]:
            d["dateInformation"] = (
                f"{d['dateType']}: {d['dateInformation']}" if d.get("dateInformation") else d["dateType"]
            )
            d["dateType"] = "Other"
    attrs["relatedIdentifiers"] = [
        r
        for r in attrs.get("relatedIdentifiers", [])
        if r["relationType"] not in _NOT_IN_45["relationType"]
        and r["relatedIdentifierType"] not in _NOT_IN_45["relatedIdentifierType"]
    ]
    for r in attrs["relatedIdentifiers"]:
        if r.get("resourceTypeGeneral") in _NOT_IN_45["resourceTypeGeneral"]:
            r["resourceTypeGeneral"] = "Other"
    if not attrs["relatedIdentifiers"]:
        del attrs["relatedIdentifiers"]


# --- writers -----------------------------------------------------------------------------------
#
# The XML is written as text from the ``attributes`` dict, in one pass: the same document, byte
# for byte, that the ``datacite`` package's ``schema45.dump_etree`` gave once serialised by lxml
# (pretty-printed, two-space indentation, ``<x/>`` for an element without text, ``<x></x>`` for
# one with empty text), which tests/test_export_datacite_writer.py checks against that package.
# Element order is the package's rule order, with ``identifier`` first; attribute order is the
# order in which the package set them. Escaping is libxml2's: ``& < >`` and CR in text;
# ``& < > "`` and TAB, LF, CR in attribute values. Characters XML 1.0 cannot carry raise
# ValueError, as lxml does (:func:`xml_document`).

XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>\n"
#: Characters XML 1.0 cannot carry, in UTF-8: C0 controls but TAB, LF, CR; U+FFFE, U+FFFF.
_NOT_XML_CHARS = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")
#: What lxml said about such a character (the same error as before this writer).
_XML_ERROR = "All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters"


def xml_text(value: str) -> str:
    """Text content, escaped as libxml2 does (a non-string raises TypeError, as lxml does)."""
    if "&" in value or "<" in value or ">" in value or "\r" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return value


_ATTR_SPECIAL = re.compile('[&<>"\t\n\r]')
_ATTR_ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "\t": "&#9;",
    "\n": "&#10;",
    "\r": "&#13;",
}


def _esc_attr(value: str) -> str:
    """An attribute value, escaped as libxml2 does (a non-string raises TypeError)."""
    if _ATTR_SPECIAL.search(value):
        value = _ATTR_SPECIAL.sub(lambda m: _ATTR_ESCAPES[m.group()], value)
    return value


def _att(name: str, value: Any) -> str:
    """`` name="value"`` when ``value`` is set (non-empty), else "" (the package's
    ``set_elem_attr`` / ``set_non_empty_attr``)."""
    return f' {name}="{_esc_attr(value)}"' if value else ""


def _leaf(ind: str, tag: str, text: str | None, attrs: str = "") -> str:
    if text is None:
        return f"{ind}<{tag}{attrs}/>"
    return f"{ind}<{tag}{attrs}>{xml_text(text)}</{tag}>"


def _agents(out: list[str], ind: str, tag: str, agents: list[dict[str, Any]]) -> None:
    """``creators`` or ``contributors`` (``tag`` is the singular)."""
    i1, i2 = ind + "  ", ind + "    "
    out.append(f"{ind}<{tag}s>")
    for a in agents:
        kind = _att("contributorType", a.get("contributorType")) if tag == "contributor" else ""
        out.append(f"{i1}<{tag}{kind}>")
        out.append(
            f"{i2}<{tag}Name{_att('nameType', a.get('nameType'))}{_att('xml:lang', a.get('lang'))}>"
            f"{xml_text(a['name'])}</{tag}Name>"
        )
        if a.get("givenName"):
            out.append(f"{i2}<givenName>{xml_text(a['givenName'])}</givenName>")
        if a.get("familyName"):
            out.append(f"{i2}<familyName>{xml_text(a['familyName'])}</familyName>")
        for n in a.get("nameIdentifiers", []):
            if n.get("nameIdentifier"):
                scheme = n["nameIdentifierScheme"]
                out.append(
                    f'{i2}<nameIdentifier nameIdentifierScheme="{_esc_attr(scheme)}"'
                    f"{_att('schemeURI', n.get('schemeUri'))}>{xml_text(n['nameIdentifier'])}</nameIdentifier>"
                )
        for f in a.get("affiliation", []):
            if f.get("name"):
                out.append(
                    f"{i2}<affiliation{_att('affiliationIdentifier', f.get('affiliationIdentifier'))}"
                    f"{_att('affiliationIdentifierScheme', f.get('affiliationIdentifierScheme'))}"
                    f"{_att('schemeURI', f.get('schemeUri'))}>{xml_text(f['name'])}</affiliation>"
                )
        out.append(f"{i1}</{tag}>")
    out.append(f"{ind}</{tag}s>")


def _xml_point(out: list[str], ind: str, tag: str, p: dict[str, Any]) -> None:
    out.append(f"{ind}<{tag}>")
    out.append(f"{ind}  <pointLongitude>{xml_text(str(p['pointLongitude']))}</pointLongitude>")
    out.append(f"{ind}  <pointLatitude>{xml_text(str(p['pointLatitude']))}</pointLatitude>")
    out.append(f"{ind}</{tag}>")


def _resource_lines(
    out: list[str],
    attrs: dict[str, Any],
    document: dict[str, Any],
    *,
    schema_location: str,
    ind: str = "",
    declare_xsi: bool = True,
) -> None:
    """Append the lines of the ``<resource>`` element for ``attrs`` (indented by ``ind``) to ``out``."""
    i1, i2, i3 = ind + "  ", ind + "    ", ind + "      "
    xsi = f' xmlns:xsi="{XSI}"' if declare_xsi else ""
    out.append(f'{ind}<resource xmlns="{NS}"{xsi} xsi:schemaLocation="{NS} {_esc_attr(schema_location)}">')
    if attrs.get("doi"):
        out.append(f'{i1}<identifier identifierType="DOI">{xml_text(attrs["doi"])}</identifier>')
    else:
        # No DOI yet: see the module docstring.
        url = attrs.get("url") or f"urn:alluvium:{document.get('id', '')}"
        out.append(f'{i1}<identifier identifierType="URL">{xml_text(url)}</identifier>')
    get = attrs.get
    if get("alternateIdentifiers"):
        out.append(f"{i1}<alternateIdentifiers>")
        for v in attrs["alternateIdentifiers"]:
            out.append(
                f"{i2}<alternateIdentifier{_att('alternateIdentifierType', v.get('alternateIdentifierType'))}>"
                f"{xml_text(v['alternateIdentifier'])}</alternateIdentifier>"
            )
        out.append(f"{i1}</alternateIdentifiers>")
    if get("creators"):
        _agents(out, i1, "creator", attrs["creators"])
    if get("titles"):
        out.append(f"{i1}<titles>")
        for v in attrs["titles"]:
            kind = v.get("titleType") or v.get("type")
            out.append(
                _leaf(i2, "title", v["title"], _att("xml:lang", v.get("lang")) + _att("titleType", kind))
            )
        out.append(f"{i1}</titles>")
    pub = get("publisher")
    if pub:
        out.append(
            f"{i1}<publisher{_att('publisherIdentifier', pub.get('publisherIdentifier'))}"
            f"{_att('publisherIdentifierScheme', pub.get('publisherIdentifierScheme'))}"
            f"{_att('schemeURI', pub.get('schemeUri'))}>{xml_text(pub.get('name'))}</publisher>"
        )
    if get("publicationYear"):
        out.append(f"{i1}<publicationYear>{xml_text(attrs['publicationYear'])}</publicationYear>")
    if get("subjects"):
        out.append(f"{i1}<subjects>")
        for v in attrs["subjects"]:
            out.append(
                f"{i2}<subject{_att('xml:lang', v.get('lang'))}{_att('subjectScheme', v.get('subjectScheme'))}"
                f"{_att('schemeURI', v.get('schemeUri'))}{_att('valueURI', v.get('valueUri'))}>"
                f"{xml_text(v['subject'])}</subject>"
            )
        out.append(f"{i1}</subjects>")
    if get("contributors"):
        _agents(out, i1, "contributor", attrs["contributors"])
    if get("dates"):
        out.append(f"{i1}<dates>")
        for v in attrs["dates"]:
            out.append(
                f'{i2}<date dateType="{_esc_attr(v["dateType"])}"{_att("dateInformation", v.get("dateInformation"))}>'
                f"{xml_text(v['date'])}</date>"
            )
        out.append(f"{i1}</dates>")
    if get("language"):
        out.append(f"{i1}<language>{xml_text(attrs['language'])}</language>")
    if "types" in attrs:
        types = attrs["types"]
        general = f' resourceTypeGeneral="{_esc_attr(types["resourceTypeGeneral"])}"'
        out.append(_leaf(i1, "resourceType", types.get("resourceType"), general))
    if get("relatedIdentifiers"):
        out.append(f"{i1}<relatedIdentifiers>")
        for v in attrs["relatedIdentifiers"]:
            extra = (
                _att("relatedMetadataScheme", v.get("relatedMetadataScheme"))
                + _att("schemeURI", v.get("schemeUri"))
                + _att("schemeType", v.get("schemeType"))
                + _att("resourceTypeGeneral", v.get("resourceTypeGeneral"))
                if v
                else ""
            )
            out.append(
                _leaf(
                    i2,
                    "relatedIdentifier",
                    v["relatedIdentifier"],
                    f' relationType="{_esc_attr(v["relationType"])}"{extra}'
                    + _att("relatedIdentifierType", v.get("relatedIdentifierType")),
                )
            )
        out.append(f"{i1}</relatedIdentifiers>")
    for plural, tag in (("sizes", "size"), ("formats", "format")):
        if get(plural):
            out.append(f"{i1}<{plural}>")
            out.extend(_leaf(i2, tag, v) for v in attrs[plural])
            out.append(f"{i1}</{plural}>")
    if get("version"):
        out.append(f"{i1}<version>{xml_text(attrs['version'])}</version>")
    if get("rightsList"):
        out.append(f"{i1}<rightsList>")
        for v in attrs["rightsList"]:
            a = (
                _att("rightsURI", v.get("rightsUri"))
                + _att("rightsIdentifierScheme", v.get("rightsIdentifierScheme"))
                + _att("rightsIdentifier", v.get("rightsIdentifier"))
                + _att("schemeURI", v.get("schemeUri"))
                + _att("xml:lang", v.get("lang"))
            )
            if "rights" in v:
                out.append(f"{i2}<rights{a}>{xml_text(v['rights'])}</rights>")
            else:
                out.append(f"{i2}<rights{a}/>")
        out.append(f"{i1}</rightsList>")
    if get("descriptions"):
        out.append(f"{i1}<descriptions>")
        for v in attrs["descriptions"]:
            out.append(
                f'{i2}<description descriptionType="{_esc_attr(v["descriptionType"])}"'
                f"{_att('xml:lang', v.get('lang'))}>{xml_text(v['description'])}</description>"
            )
        out.append(f"{i1}</descriptions>")
    if get("geoLocations"):
        i4 = i3 + "  "
        out.append(f"{i1}<geoLocations>")
        for v in attrs["geoLocations"]:
            start = len(out)
            out.append(f"{i2}<geoLocation>")
            if v.get("geoLocationPlace"):
                out.append(f"{i3}<geoLocationPlace>{xml_text(v['geoLocationPlace'])}</geoLocationPlace>")
            if v.get("geoLocationPoint"):
                _xml_point(out, i3, "geoLocationPoint", v["geoLocationPoint"])
            box = v.get("geoLocationBox")
            if box:
                out.append(f"{i3}<geoLocationBox>")
                for side in (
                    "westBoundLongitude",
                    "eastBoundLongitude",
                    "southBoundLatitude",
                    "northBoundLatitude",
                ):
                    out.append(f"{i4}<{side}>{xml_text(str(box[side]))}</{side}>")
                out.append(f"{i3}</geoLocationBox>")
            polygon = v.get("geoLocationPolygon")
            if polygon:
                inner = len(out)
                out.append(f"{i3}<geoLocationPolygon>")
                for p in polygon:
                    if p.get("polygonPoint"):
                        _xml_point(out, i4, "polygonPoint", p["polygonPoint"])
                    if p.get("inPolygonPoint"):
                        _xml_point(out, i4, "inPolygonPoint", p["inPolygonPoint"])
                if len(out) == inner + 1:
                    out[inner] = f"{i3}<geoLocationPolygon/>"
                else:
                    out.append(f"{i3}</geoLocationPolygon>")
            if len(out) == start + 1:
                out[start] = f"{i2}<geoLocation/>"
            else:
                out.append(f"{i2}</geoLocation>")
        out.append(f"{i1}</geoLocations>")
    if get("fundingReferences"):
        out.append(f"{i1}<fundingReferences>")
        for v in attrs["fundingReferences"]:
            out.append(f"{i2}<fundingReference>")
            out.append(f"{i3}<funderName>{xml_text(v.get('funderName'))}</funderName>")
            if v.get("funderIdentifier"):
                out.append(
                    f"{i3}<funderIdentifier{_att('funderIdentifierType', v.get('funderIdentifierType'))}>"
                    f"{xml_text(v['funderIdentifier'])}</funderIdentifier>"
                )
            if v.get("awardNumber"):
                out.append(
                    f"{i3}<awardNumber{_att('awardURI', v.get('awardUri'))}>{xml_text(v['awardNumber'])}</awardNumber>"
                )
            if v.get("awardTitle"):
                out.append(f"{i3}<awardTitle>{xml_text(v['awardTitle'])}</awardTitle>")
            out.append(f"{i2}</fundingReference>")
        out.append(f"{i1}</fundingReferences>")
    out.append(f"{ind}</resource>")


def xml_document(lines: list[str]) -> bytes:
    """The document's bytes: XML declaration, the lines, a final newline (as lxml's pretty print).

    A lone surrogate raises UnicodeEncodeError and any other character XML 1.0 cannot carry
    (C0 controls but TAB, LF, CR; U+FFFE, U+FFFF) ValueError, as lxml did: the input schema
    refuses them (schemas/limits.py), so only documents that bypassed it can hold them.
    """
    data = (XML_DECLARATION + "\n".join(lines) + "\n").encode("utf-8")
    if _NOT_XML_CHARS.search(data):
        raise ValueError(_XML_ERROR)
    return data


def _schema_location(kernel: str) -> str:
    return KERNEL45_XSD if kernel == "4.5" else KERNEL4_XSD


def resource_lines(
    document: dict[str, Any], *, kernel: str = "4.7", indent: str = "", declare_xsi: bool = True
) -> list[str]:
    """The lines of the ``<resource>`` element for ``document``, each prefixed by ``indent``.

    ``declare_xsi=False`` leaves the ``xmlns:xsi`` declaration to an enclosing element (the
    OAI-PMH wrapper, exports.oai_datacite).
    """
    out: list[str] = []
    _resource_lines(
        out,
        attributes(document, kernel=kernel),
        document,
        schema_location=_schema_location(kernel),
        ind=indent,
        declare_xsi=declare_xsi,
    )
    return out


def resource_element(document: dict[str, Any], *, kernel: str = "4.7") -> etree._Element:
    """The ``<resource>`` element (kernel-4 namespace) for ``document``, parsed from the XML."""
    return etree.fromstring(xml_document(resource_lines(document, kernel=kernel)))


def write_xml(document: dict[str, Any]) -> bytes:
    """DataCite XML, kernel-4 (schema 4.7)."""
    return xml_document(resource_lines(document))


def write_xml_45(document: dict[str, Any]) -> bytes:
    """DataCite XML valid against kernel-4.5."""
    return xml_document(resource_lines(document, kernel="4.5"))


def write_json(document: dict[str, Any]) -> bytes:
    """DataCite REST API JSON: ``{"data": {"type": "dois", "attributes": {...}}}``."""
    data: dict[str, Any] = {"type": "dois", "attributes": attributes(document)}
    if doi_of(document):
        data = {"id": doi_of(document), **data}
    return json.dumps({"data": data}, ensure_ascii=False, indent=2).encode()


# --- reader ------------------------------------------------------------------------------------


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _text(el: etree._Element | None) -> str:
    return " ".join((el.text or "").split()) if el is not None else ""


def _xml_lang(el: etree._Element) -> str | None:
    lang = el.get(f"{{{XML_NS}}}lang")
    if not lang:
        return None
    try:
        return controlled.normalize_language_tag(lang)
    except ValueError:
        return None


def _path(el: etree._Element) -> str:
    """The XPath of ``el`` in its document by local names, with a position where the element has
    siblings of its name (``/resource/creators/creator[2]/affiliation``): import answers name
    what was not kept by source XPath, and that XPath selects that element only."""
    parts = []
    while el is not None and isinstance(el.tag, str):
        step = _local(el)
        before = sum(1 for _ in el.itersiblings(el.tag, preceding=True))
        if before or next(el.itersiblings(el.tag), None) is not None:
            step += f"[{before + 1}]"
        parts.append(step)
        el = el.getparent()
    return "/" + "/".join(reversed(parts))


_ORGANISATION_WORDS = re.compile(
    r"\b(?:univ\w*|institut\w*|inst\.|laborator\w*|lab|cent(?:er|re)|centro|department|dept\.?|"
    r"agency|survey|service|council|ministry|minist\w+|office|foundation|museum|society|association|"
    r"company|corporation|corp\.?|inc\.?|ltd\.?|llc|gmbh|s\.a\.|sas|ag|consortium|observatory|"
    r"observatoire|program(?:me)?|project|team|group|network|school|college|faculty|hospital|bureau|"
    r"administration|authority|commission|committee|national|federal|research|data|ifremer|cnrs|noaa|nasa)\b",
    re.I,
)


def looks_like_person_name(name: str) -> bool:
    """Whether a name without nameType reads as a person's "Family, Given" (DataCite 4.x property
    2.1): exactly one comma, short parts, no word that names an organisation. "University of
    California, Berkeley" is an organisation, "Carberry, Josiah" a person."""
    family, sep, given = name.partition(",")
    if not sep or "," in given:
        return False
    family, given = family.strip(), given.strip()
    if not family or not given or len(family.split()) > 3 or len(given.split()) > 3:
        return False
    return not _ORGANISATION_WORDS.search(name)


#: Properties DataCite allows once (kernel-4 xs:all): a repeat is reported, the first kept.
SINGLE_VALUED = {"identifier", "publisher", "publicationYear", "language", "resourceType", "version"}


class _Reader:
    def __init__(self, root: etree._Element):
        self.root = root
        self.ns = etree.QName(root).namespace or ""
        self.md: dict[str, Any] = {}
        self.unmapped: list[str] = []
        self.identifier: str | None = None

    def skip(self, el: etree._Element, why: str = "not mapped") -> None:
        value = _text(el)
        attrs = " ".join(f'{etree.QName(k).localname}="{v}"' for k, v in el.attrib.items())
        detail = ", ".join(x for x in (attrs, repr(value[:60]) if value else "") if x)
        self.unmapped.append(f"{_path(el)}: {why}" + (f" ({detail})" if detail else ""))

    def children(self, el: etree._Element, name: str) -> list[etree._Element]:
        out = []
        for child in el:
            if _local(child) == name:
                out.append(child)
            elif isinstance(child.tag, str):
                self.skip(child)
        return out

    def agent_from_name(self, name: etree._Element) -> dict[str, Any]:
        text = _text(name)
        kind = name.get("nameType") or ("Personal" if looks_like_person_name(text) else "Organizational")
        return {"type": kind, "name": text}

    def agent(self, el: etree._Element, name_tag: str, only: etree._Element | None = None) -> dict[str, Any]:
        agent: dict[str, Any] = {}
        ids: list[dict[str, str]] = []
        affs: list[dict[str, str]] = []
        for child in el:
            tag = _local(child)
            if tag == name_tag and only is not None and child is not only:
                continue  # read by the caller
            if tag == name_tag:
                agent["name"] = _text(child)
                if child.get("nameType"):
                    agent["type"] = child.get("nameType")
            elif tag == "givenName":
                agent["given_name"] = _text(child)
            elif tag == "familyName":
                agent["family_name"] = _text(child)
            elif tag == "nameIdentifier":
                scheme = child.get("nameIdentifierScheme") or ""
                value = _text(child)
                if scheme.upper() in ("ORCID", "ROR", "ISNI"):
                    ids.append({"identifier": value, "scheme": scheme.upper()})
                elif value:
                    ids.append({"identifier": value, "scheme": scheme or "Other"})
            elif tag == "affiliation":
                aff = {"name": _text(child)}
                ident = child.get("affiliationIdentifier")
                if ident and (child.get("affiliationIdentifierScheme") or "").upper() == "ROR":
                    aff["ror"] = ident
                elif ident:
                    self.skip(child, "affiliation identifier of a scheme other than ROR not kept")
                if aff["name"]:
                    affs.append(aff)
            elif isinstance(child.tag, str):
                self.skip(child)
        if "type" not in agent:
            # nameType is optional in DataCite; given/family names or an ORCID mean a person.
            personal = (
                "given_name" in agent or "family_name" in agent or any(i["scheme"] == "ORCID" for i in ids)
            )
            personal = personal or looks_like_person_name(agent.get("name", ""))
            agent["type"] = "Personal" if personal else "Organizational"
        if agent["type"] == "Organizational":
            for key in ("given_name", "family_name"):
                agent.pop(key, None)
            if affs:
                self.unmapped.append(f"{_path(el)}/affiliation: affiliations of an organisation not kept")
                affs = []
        if ids:
            agent["identifiers"] = ids
        if affs:
            agent["affiliations"] = affs
        return agent

    def read(self) -> ImportResult:
        md = self.md
        handlers = {
            "identifier": self.r_identifier,
            "creators": self.r_creators,
            "titles": self.r_titles,
            "publisher": self.r_publisher,
            "publicationYear": self.r_year,
            "resourceType": self.r_type,
            "subjects": self.r_subjects,
            "contributors": self.r_contributors,
            "dates": self.r_dates,
            "language": self.r_language,
            "alternateIdentifiers": self.r_alternates,
            "relatedIdentifiers": self.r_related,
            "sizes": self.r_sizes,
            "formats": self.r_formats,
            "version": lambda el: md.__setitem__("version", _text(el)) if _text(el) else None,
            "rightsList": self.r_rights,
            "descriptions": self.r_descriptions,
            "geoLocations": self.r_geo,
            "fundingReferences": self.r_funding,
        }
        seen: set[str] = set()
        for child in self.root:
            if not isinstance(child.tag, str):
                continue
            tag = _local(child)
            handler = handlers.get(tag)
            if tag in SINGLE_VALUED and tag in seen:
                self.skip(child, f"a repeated {tag} is not kept (the first one is)")
            elif tag == "rights":  # kernel 2.0: rights directly under resource, no rightsList
                self.r_rights(child, items=[child])
            elif handler is None:
                self.skip(child)
            else:
                handler(child)
            seen.add(tag)
        self.finish()
        return ImportResult(md, self.unmapped, self.identifier)

    def r_identifier(self, el: etree._Element) -> None:
        value, kind = _text(el), el.get("identifierType") or ""
        self.identifier = value or None
        if kind.upper() != "DOI" and value:
            self.md.setdefault("alternate_identifiers", []).append(
                {"identifier": value, "scheme": kind or "Other"}
            )

    def r_creators(self, el: etree._Element) -> None:
        creators = []
        for c in self.children(el, "creator"):
            names = [n for n in c if _local(n) == "creatorName"]
            creators.append(self.agent(c, "creatorName", only=names[0] if names else None))
            # Several creatorName in one creator (invalid, but written by old kernel-2/3 tools):
            # each further name is a creator of its own instead of overwriting the first.
            for extra in names[1:]:
                creators.append(self.agent_from_name(extra))
                self.unmapped.append(
                    f"{_path(extra)}: a further creatorName in one creator made a creator of its own"
                )
        self.md["creators"] = creators

    def r_contributors(self, el: etree._Element) -> None:
        for c in self.children(el, "contributor"):
            if c.get("contributorType") == "Funder":
                self.funder_contributor(c)
                continue
            agent = self.agent(c, "contributorName")
            agent["contributor_type"] = c.get("contributorType") or "Other"
            self.md.setdefault("contributors", []).append(agent)

    def funder_contributor(self, c: etree._Element) -> None:
        """Kernel 2/3 ``contributorType="Funder"`` (removed in kernel 4, replaced by
        fundingReference): a funding reference with the funder's identifier."""
        entry: dict[str, Any] = {}
        for child in c:
            tag = _local(child)
            if tag == "contributorName":
                entry["funder_name"] = _text(child)
            elif tag == "nameIdentifier" and _text(child):
                entry["funder_identifier"] = _text(child)
                scheme = child.get("nameIdentifierScheme") or ""
                known = {t.lower(): t for t in controlled.datacite_list("funderIdentifierType")}
                if scheme.lower() in known:
                    entry["funder_identifier_type"] = known[scheme.lower()]
                elif scheme.upper() == "FUNDREF" or "10.13039/" in entry["funder_identifier"]:
                    entry["funder_identifier_type"] = "Crossref Funder ID"
                elif scheme:
                    entry["funder_identifier_type"] = "Other"
            elif isinstance(child.tag, str):
                self.skip(child)
        if entry.get("funder_name"):
            self.md.setdefault("funding", []).append(entry)
            self.unmapped.append(f"{_path(c)}: contributor of type Funder read as a funding reference")
        else:
            self.skip(c, "Funder contributor without a name")

    def r_titles(self, el: etree._Element) -> None:
        titles = []
        for t in self.children(el, "title"):
            title: dict[str, Any] = {"text": _text(t)}
            if t.get("titleType"):
                title["type"] = t.get("titleType")
            if _xml_lang(t):
                title["lang"] = _xml_lang(t)
            titles.append(title)
        self.md["titles"] = titles

    def r_publisher(self, el: etree._Element) -> None:
        pub: dict[str, Any] = {"name": _text(el)}
        if el.get("publisherIdentifier") and (el.get("publisherIdentifierScheme") or "").upper() == "ROR":
            pub["ror"] = el.get("publisherIdentifier")
        self.md["publisher"] = pub

    def r_year(self, el: etree._Element) -> None:
        if _text(el).isdigit():
            self.md["publication_year"] = int(_text(el))
        else:
            self.skip(el, "not a four-digit year")

    def r_type(self, el: etree._Element) -> None:
        rt: dict[str, Any] = {"general": el.get("resourceTypeGeneral") or "Other"}
        if _text(el):
            rt["name"] = _text(el)
        self.md["resource_type"] = rt

    def r_subjects(self, el: etree._Element) -> None:
        groups: dict[tuple[str, str | None], dict[str, Any]] = {}
        for s in self.children(el, "subject"):
            term, scheme = _text(s), s.get("subjectScheme")
            if not term:
                continue
            if (scheme or "").lower() == TOPIC_SCHEME.lower():
                self.md.setdefault("topic_categories", []).append(term)
                continue
            entry: dict[str, Any] = {"term": term}
            if s.get("valueURI"):
                entry["value_uri"] = s.get("valueURI")
            if _xml_lang(s):
                entry["lang"] = _xml_lang(s)
            if s.get("classificationCode"):
                self.skip(s, "classificationCode not kept")
            if scheme:
                key = (scheme, s.get("schemeURI"))
                group = groups.setdefault(key, {"scheme_name": scheme, "terms": []})
                if s.get("schemeURI"):
                    group["scheme_uri"] = s.get("schemeURI")
                group["terms"].append(entry)
            else:
                if "value_uri" in entry:
                    self.skip(s, "valueURI of a subject without subjectScheme not kept")
                    entry.pop("value_uri")
                self.md.setdefault("free_keywords", []).append(entry)
        if groups:
            self.md["keywords"] = list(groups.values())

    def r_dates(self, el: etree._Element) -> None:
        for d in self.children(el, "date"):
            value, kind = _text(d), d.get("dateType") or ""
            info = d.get("dateInformation")
            # Coverage (4.6+), or its 4.5 form Other + "Coverage" (what datacite45 writes; the
            # 4.5 schema has no Coverage type): an interval is a temporal extent.
            coverage = (kind == "Coverage" and not info) or (kind == "Other" and info == "Coverage")
            if coverage and "/" in value:
                start, _, end = value.partition("/")
                ext = {"start": start}
                if end not in ("", "..", "open", "unknown"):
                    ext["end"] = end
                self.md.setdefault("temporal_extents", []).append(ext)
                continue
            entry: dict[str, Any] = {"date": value.replace("/open", "/.."), "type": kind}
            if info:
                entry["information"] = info
            self.md.setdefault("dates", []).append(entry)

    def r_language(self, el: etree._Element) -> None:
        try:
            self.md["languages"] = [controlled.normalize_language_tag(_text(el))]
        except ValueError:
            self.skip(el, "not an ISO 639 language")

    def r_alternates(self, el: etree._Element) -> None:
        for a in self.children(el, "alternateIdentifier"):
            value, kind = _text(a), a.get("alternateIdentifierType") or "Other"
            if value and value == self.identifier:
                continue  # the landing URL we repeat when there is no DOI
            self.md.setdefault("alternate_identifiers", []).append({"identifier": value, "scheme": kind})

    def r_related(self, el: etree._Element) -> None:
        for r in self.children(el, "relatedIdentifier"):
            entry = {"identifier": _text(r), "relation_type": r.get("relationType") or ""}
            if r.get("relatedIdentifierType"):
                entry["scheme"] = r.get("relatedIdentifierType")
            if r.get("resourceTypeGeneral"):
                entry["resource_type"] = r.get("resourceTypeGeneral")
            for attr in ("relatedMetadataScheme", "schemeURI", "schemeType", "relationTypeInformation"):
                if r.get(attr):
                    self.unmapped.append(f"{_path(r)}/@{attr}: not mapped ({r.get(attr)!r})")
            self.md.setdefault("related_identifiers", []).append(entry)

    def r_sizes(self, el: etree._Element) -> None:
        # Sizes and formats describe the files; they are derived from the uploaded files.
        for s in self.children(el, "size"):
            self.skip(s, "derived from the files, not imported")

    def r_formats(self, el: etree._Element) -> None:
        for s in self.children(el, "format"):
            self.skip(s, "derived from the files, not imported")

    def r_rights(self, el: etree._Element, items: list[etree._Element] | None = None) -> None:
        rights: dict[str, Any] = dict(self.md.get("rights") or {})
        for r in items if items is not None else self.children(el, "rights"):
            uri, ident = r.get("rightsURI") or "", r.get("rightsIdentifier")
            if uri in _ACCESS_BY_URI:
                rights["access_level"] = _ACCESS_BY_URI[uri]
            elif uri.startswith(EMBARGO_END):
                rights["embargo_until"] = uri[len(EMBARGO_END) :]
            elif (
                ident
                and (r.get("rightsIdentifierScheme") or "").upper() == "SPDX"
                and controlled.spdx_license(ident)
            ):
                if (rights.get("license") or {}).get("id") == ident:
                    # the same licence again, named in another language: the canonical licence
                    # has one name (the SPDX one)
                    self.skip(r, "the same licence named again (in another language) is not kept")
                elif "license" in rights:
                    self.skip(r, "a second licence is not kept")
                else:
                    rights["license"] = {"id": ident}
            elif uri or ident:
                lic = {"name": _text(r) or ident or uri}
                if uri:
                    lic["uri"] = uri
                if "license" in rights:
                    self.skip(r, "a second licence is not kept")
                else:
                    rights["license"] = lic
            elif _text(r):
                entry = {"text": _text(r)}
                if _xml_lang(r):
                    entry["lang"] = _xml_lang(r)
                rights.setdefault("use_constraints", []).append(entry)
        if "embargo_until" in rights and rights.get("access_level") != "embargoed":
            self.unmapped.append(f"{_path(el)}: embargo end without embargoedAccess not kept")
            del rights["embargo_until"]
        if rights:
            self.md["rights"] = rights

    def r_descriptions(self, el: etree._Element) -> None:
        for d in self.children(el, "description"):
            kind = d.get("descriptionType") or "Other"
            # <br/> is allowed inside a description (DataCite 4.x property 17): keep its text.
            text = " ".join("".join(d.itertext()).split())
            if not text:
                continue
            entry = {"text": text}
            if _xml_lang(d):
                entry["lang"] = _xml_lang(d)
            if kind == "Abstract":
                self.md.setdefault("abstracts", []).append(entry)
            else:
                self.md.setdefault("descriptions", []).append({**entry, "type": kind})

    def r_geo(self, el: etree._Element) -> None:
        for g in self.children(el, "geoLocation"):
            ext: dict[str, Any] = {}
            for child in g:
                tag = _local(child)
                try:
                    if tag == "geoLocationPlace":
                        ext["place"] = _text(child)
                    elif tag == "geoLocationPoint":
                        p = _point(child)
                        ext["point"] = {"lon": p[0], "lat": p[1]}
                    elif tag == "geoLocationBox" and not any(isinstance(c.tag, str) for c in child):
                        # Kernel 3: "south west north east" as text (lower-left, upper-right corner).
                        south, west, north, east = (float(v) for v in _text(child).replace(",", " ").split())
                        ext["bbox"] = {"west": west, "east": east, "south": south, "north": north}
                    elif tag == "geoLocationBox":
                        vals = {_local(c): float(_text(c)) for c in child if isinstance(c.tag, str)}
                        ext["bbox"] = {
                            "west": vals["westBoundLongitude"],
                            "east": vals["eastBoundLongitude"],
                            "south": vals["southBoundLatitude"],
                            "north": vals["northBoundLatitude"],
                        }
                    elif tag == "geoLocationPolygon":
                        ring = [_point(p) for p in child if _local(p) == "polygonPoint"]
                        for p in child:
                            if _local(p) == "inPolygonPoint":
                                self.skip(p, "inPolygonPoint not kept")
                        if ring and ring[0] != ring[-1]:
                            ring.append(ring[0])
                        if "polygon" in ext:
                            self.skip(child, "a second polygon in one geoLocation is not kept")
                        else:
                            ext["polygon"] = {"type": "Polygon", "coordinates": [ring]}
                    elif isinstance(child.tag, str):
                        self.skip(child)
                except (KeyError, ValueError, TypeError):
                    self.skip(child, "incomplete or non-numeric coordinates")
            if ext:
                self.md.setdefault("spatial_extents", []).append(ext)

    def r_funding(self, el: etree._Element) -> None:
        for f in self.children(el, "fundingReference"):
            entry: dict[str, Any] = {}
            for child in f:
                tag, value = _local(child), _text(child)
                if tag == "funderName":
                    entry["funder_name"] = value
                elif tag == "funderIdentifier":
                    entry["funder_identifier"] = value
                    if child.get("funderIdentifierType"):
                        entry["funder_identifier_type"] = child.get("funderIdentifierType")
                elif tag == "awardNumber":
                    entry["award_number"] = value
                    if child.get("awardURI"):
                        entry["award_uri"] = child.get("awardURI")
                elif tag == "awardTitle":
                    entry["award_title"] = value
                elif isinstance(child.tag, str):
                    self.skip(child)
            self.md.setdefault("funding", []).append(entry)

    def finish(self) -> None:
        md = self.md
        rights = md.get("rights") or {}
        # DataCite "Available" + embargoedAccess = end of the embargo (see _dates).
        if rights.get("access_level") == "embargoed":
            for d in list(md.get("dates") or []):
                if d["type"] == "Available":
                    rights.setdefault("embargo_until", d["date"][:10])
                    if d.get("information") == "End of embargo":
                        md["dates"].remove(d)
                    break
        if md.get("dates") == []:
            del md["dates"]
        # ContactPerson contributors are our contacts only when they carry an e-mail; DataCite has none.
        titles = md.get("titles") or []
        if titles and all("type" in t for t in titles):
            titles[0].pop("type")
            self.unmapped.append(
                "/resource/titles/title[1]: no main title; the first title was made the main one"
            )


def read_xml(data: bytes) -> ImportResult:
    """Read a DataCite XML record (kernel-3 or any kernel-4.x) into canonical metadata.

    Every element or attribute that has no place in the canonical model is listed in
    ``unmapped``; values that the canonical schema refuses are dropped by the importer
    (``exports.importing``) and listed there too.
    """
    root = safe_parse(data)
    ns = etree.QName(root).namespace or ""
    # Kernel 2.0 records have no namespace (xsi:noNamespaceSchemaLocation).
    if etree.QName(root).localname != "resource" or not (ns.startswith(KERNEL_NS_PREFIX) or not ns):
        raise ImportError_(f"not a DataCite record: the root element is {root.tag}", line=root.sourceline)
    return _Reader(root).read()


def _point(el: etree._Element) -> list[float]:
    """[lon, lat] of a kernel-4 point, or of a kernel-3 text point "lat lon"."""
    if not any(isinstance(c.tag, str) for c in el):
        lat, lon = (float(v) for v in _text(el).replace(",", " ").split())
        return [lon, lat]
    vals = {_local(c): float(_text(c)) for c in el if isinstance(c.tag, str)}
    return [vals["pointLongitude"], vals["pointLatitude"]]


DATACITE = register(
    Format(
        name="datacite",
        version="2",  # online resources, services, issue 10 fixes
        title="DataCite XML (Metadata Schema 4.7, kernel-4)",
        media_type=MEDIA_TYPE_XML,
        extension="datacite.xml",
        writer=write_xml,
        reader=read_xml,
        namespace=NS,
        schema_location=KERNEL4_XSD,
        is_xml=True,
    )
)
DATACITE45 = register(
    Format(
        name="datacite45",
        version="2",  # online resources, services, issue 10 fixes
        title="DataCite XML (Metadata Schema 4.5)",
        media_type="application/vnd.datacite.datacite+xml;schemaVersion=4.5",
        extension="datacite45.xml",
        writer=write_xml_45,
        reader=read_xml,
        namespace=NS,
        schema_location=KERNEL45_XSD,
        is_xml=True,
    )
)
DATACITE_JSON = register(
    Format(
        name="datacite-json",
        version="2",  # online resources, services, issue 10 fixes
        title="DataCite JSON (REST API)",
        media_type=MEDIA_TYPE_JSON,
        extension="datacite.json",
        writer=write_json,
    )
)

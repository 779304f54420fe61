"""Shared by the ISO 19139 and ISO 19115-3 crosswalks: code tables, conventions and the reader's
bookkeeping (what was consumed, what must be reported as unmapped).

Both encodings carry the same ISO 19115 concepts, so the decisions about what goes where are
made once here and documented in docs/exports.md ("ISO 19139 / INSPIRE").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from lxml import etree

from schemas import load_metadata
from schemas.errors import RecordValidationError
from vocabularies import controlled, identifiers

# --- INSPIRE constants (INSPIRE TG metadata 2.0.1, sections 2.4 and 3) ------------------------

INSPIRE_THEMES_TITLE = "GEMET - INSPIRE themes, version 1.0"
INSPIRE_THEMES_DATE = "2008-06-01"
INSPIRE_THEMES_URI = "http://inspire.ec.europa.eu/theme"
LIMITATIONS = "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/"
NO_LIMITATIONS = (LIMITATIONS + "noLimitations", "No limitations to public access")
# Article 13(1)(e) "intellectual property rights": the ground a research-data embargo or a
# restriction chosen by the producer rests on (the TG's limitations on public access take a value of this code list).
IPR_LIMITATION = (
    LIMITATIONS + "INSPIRE_Directive_Article13_1e",
    "Public access limited according to Article 13(1)(e) of the INSPIRE Directive",
)
CONDITIONS_UNKNOWN = (
    "http://inspire.ec.europa.eu/metadata-codelist/ConditionsApplyingToAccessAndUse/conditionsUnknown",
    "Conditions unknown",
)

# Phrases that carry the access level inside otherConstraints, and are recognised on import.
EMBARGO_TEXT = "Embargoed until {date}"
RESTRICTED_TEXT = "Restricted access: the data files are available on request"
METADATA_ONLY_TEXT = "Metadata only: no data files are distributed"
_EMBARGO_RE = re.compile(r"^Embargoed until (\d{4}-\d{2}-\d{2})$")

DEFAULT_EXPLANATION = "See the referenced specification"

# --- roles (ISO 19115:2003 CI_RoleCode, the list the canonical model uses) ---------------------

CREATOR_ROLES = ("author", "originator", "principalInvestigator")
# DataCite contributorType -> CI_RoleCode, used when a contributor has no ISO role of its own.
CONTRIBUTOR_ROLE = {
    "ContactPerson": "pointOfContact",
    "DataCurator": "custodian",
    "DataManager": "custodian",
    "Distributor": "distributor",
    "HostingInstitution": "distributor",
    "Producer": "processor",
    "RightsHolder": "owner",
}
DEFAULT_CONTRIBUTOR_ROLE = "resourceProvider"
# CI_RoleCode -> DataCite contributorType on import (ISO has no contributor type; "Other" else).
ROLE_CONTRIBUTOR = {
    "pointOfContact": "ContactPerson",
    "custodian": "DataCurator",
    "distributor": "Distributor",
    "processor": "Producer",
    "owner": "RightsHolder",
}

# --- dates: DataCite dateType <-> CI_DateTypeCode (ISO 19115:2003 has only these three) ------

DATE_TYPES = {"Created": "creation", "Issued": "publication", "Updated": "revision"}
DATE_TYPES_BACK = {v: k for k, v in DATE_TYPES.items()}

# --- related identifiers: DataCite relationType <-> DS_AssociationTypeCode ---------------------

ASSOCIATION = {"IsPartOf": "largerWorkCitation", "IsDerivedFrom": "source"}
DEFAULT_ASSOCIATION = "crossReference"
ASSOCIATION_BACK = {
    "largerWorkCitation": "IsPartOf",
    "source": "IsDerivedFrom",
    "crossReference": "References",
}

# Default MD_ScopeCode from DataCite resourceTypeGeneral (docs/metadata-profile.md, /resource_type/general).
SCOPE_FROM_GENERAL = {
    "Dataset": "dataset",
    "Collection": "series",
    "Software": "software",
    "Service": "service",
    "Model": "model",
}


def scope_code(resource_type: dict[str, Any]) -> str:
    """hierarchy_level, else the default for resourceTypeGeneral, else dataset."""
    return resource_type.get("hierarchy_level") or SCOPE_FROM_GENERAL.get(
        resource_type.get("general", ""), "dataset"
    )


# Descriptions other than the abstract go into supplementalInformation as "Type: text" paragraphs.
DESCRIPTION_SEPARATOR = "\n\n"


def description_paragraph(description: dict[str, Any]) -> str:
    return f"{description['type']}: {description['text']}"


def parse_descriptions(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Split supplementalInformation back into typed descriptions; untyped paragraphs -> Other."""
    out = []
    types = controlled.datacite_list("descriptionType")
    for para in (p.strip() for p in text.split(DESCRIPTION_SEPARATOR)):
        if not para:
            continue
        kind, sep, rest = para.partition(": ")
        if sep and kind in types and kind != "Abstract":
            out.append({"type": kind, "text": rest})
        else:
            out.append({"type": "Other", "text": para})
    return out, []


# --- languages --------------------------------------------------------------------------------


def iso639_2(tag: str | None) -> str | None:
    """ISO 639-2/B code of a BCP 47 tag's language (INSPIRE TG 2.0.1 section 2.2.3: 639-2/B)."""
    if not tag:
        return None
    entry = controlled.iso639(tag.split("-")[0])
    if entry is None:
        return None
    return entry["alpha3_b"] or entry["alpha3_t"]


def bcp47(code: str | None) -> str | None:
    """A canonical BCP 47 tag from an ISO 639-1/2 code as found in a record, None when unknown."""
    if not code:
        return None
    try:
        return controlled.normalize_language_tag(code.strip())
    except ValueError:
        return None


# --- identifiers as URIs (gmx:Anchor xlink:href) ----------------------------------------------


def agent_identifier_uri(ident: dict[str, Any]) -> str | None:
    """An agent identifier as a resolvable URI (ORCID, ROR, ISNI), or the value when it is a URL."""
    value, scheme = ident.get("identifier", ""), (ident.get("scheme") or "").upper()
    if value.startswith(("http://", "https://")):
        return value
    if scheme == "ORCID":
        return f"https://orcid.org/{value}"
    if scheme == "ROR":
        return f"https://ror.org/{value}"
    if scheme == "ISNI":
        return f"https://isni.org/isni/{value.replace(' ', '')}"
    return None


def doi_url(doi: str) -> str:
    return f"https://doi.org/{identifiers.normalize_doi(doi)}"


def identifier_uri(identifier: str, scheme: str | None) -> str | None:
    """The resolvable form of a related identifier, when it has one."""
    if identifier.startswith(("http://", "https://")):
        return identifier
    if (scheme or "").upper() == "DOI":
        try:
            return doi_url(identifier)
        except ValueError:
            return None
    if (scheme or "").lower() == "handle":
        return f"https://hdl.handle.net/{identifier}"
    return None


_EPSG_URI = re.compile(r"(?:EPSG/\d+/|EPSG:[\d.]*:|EPSG:+|^)(\d{4,6})$", re.I)


def epsg_uri(code: str) -> str:
    return "http://www.opengis.net/def/crs/EPSG/0/" + code.split(":")[-1]


def parse_epsg(*candidates: str | None) -> str | None:
    """``EPSG:<n>`` from a code, URN or URI (WGS 84 / "CRS84" → EPSG:4326); None otherwise."""
    for value in candidates:
        if not value:
            continue
        text = value.strip()
        if re.search(r"CRS:?84$|WGS ?84$", text, re.I):
            return "EPSG:4326"
        match = re.search(r"EPSG(?:/\d+/|:[\d.]*:|:+|\s+)(\d{4,6})\b", text, re.I) or re.fullmatch(
            r"(\d{4,6})", text
        )
        if match:
            return f"EPSG:{int(match.group(1))}"
    return None


def embargo_date(text: str) -> str | None:
    match = _EMBARGO_RE.match(text.strip())
    return match.group(1) if match else None


def access_phrases(rights: dict[str, Any]) -> list[str]:
    """The otherConstraints sentences stating the access level (open: none)."""
    level = rights.get("access_level")
    if level == "embargoed" and rights.get("embargo_until"):
        return [EMBARGO_TEXT.format(date=rights["embargo_until"])]
    if level == "restricted":
        return [RESTRICTED_TEXT]
    if level == "metadata_only":
        return [METADATA_ONLY_TEXT]
    return []


# --- dates in gco:Date / gco:DateTime -------------------------------------------------------


def iso_date(value: str) -> tuple[str, str] | None:
    """("Date"|"DateTime", lexical value) for a canonical date; None for intervals."""
    if "/" in value:
        return None
    if "T" in value:
        text = value
        # xs:dateTime needs seconds (XML Schema part 2, 3.2.7); EDTF allows hh:mm.
        text = re.sub(r"T(\d{2}:\d{2})(?=Z|[+-]\d{2}:\d{2}|$)", r"T\1:00", text)
        return "DateTime", text
    return "Date", value


# --- the reader's bookkeeping -----------------------------------------------------------------


class Reading:
    """What an import has consumed from the source tree, and what it could not map."""

    def __init__(self, root: etree._Element, prefixes: dict[str, str]):
        self.root = root
        self.prefixes = {v: k for k, v in prefixes.items()}
        self.consumed: set[etree._Element] = set()
        self.unmapped: list[str] = []

    def path(self, el: etree._Element) -> str:
        """A readable XPath of ``el`` with the usual prefixes and 1-based positions."""
        parts = []
        node = el
        while node is not None and isinstance(node.tag, str):
            qname = etree.QName(node)
            prefix = node.prefix or self.prefixes.get(qname.namespace, qname.namespace)
            name = f"{prefix}:{qname.localname}"
            parent = node.getparent()
            if parent is not None:
                same = [c for c in parent if c.tag == node.tag]
                if len(same) > 1:
                    name += f"[{same.index(node) + 1}]"
            parts.append(name)
            node = parent
        return "/" + "/".join(reversed(parts))

    def take(self, *elements: etree._Element | None) -> None:
        """Mark elements (and everything inside them) as mapped or deliberately ignored."""
        for el in elements:
            if el is not None:
                self.consumed.update(el.iter())

    def report(self, el: etree._Element, why: str) -> None:
        """Report ``el`` as not mapped, with its value, and mark it consumed."""
        self.unmapped.append(f"{self.path(el)}: {why} ({summary(el)})")
        self.take(el)

    def leftovers(self) -> None:
        """Report every element with a value that no mapping consumed (nothing silently dropped)."""
        for el in self.root.iter():
            if not isinstance(el.tag, str) or el in self.consumed:
                continue
            has_children = any(isinstance(c.tag, str) for c in el)
            value = value_of(el)
            if not has_children and value:
                self.unmapped.append(f"{self.path(el)}: not mapped ({value})")
                self.consumed.add(el)


XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def value_of(el: etree._Element) -> str:
    text = (el.text or "").strip()
    for attr in ("codeListValue", XLINK_HREF, "uom"):
        if el.get(attr):
            text = f"{text} [{el.get(attr)}]" if text else el.get(attr)
    return text


def summary(el: etree._Element, limit: int = 160) -> str:
    texts = [value_of(e) for e in el.iter() if isinstance(e.tag, str) and value_of(e)]
    text = " | ".join(texts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- making imported metadata loadable ---------------------------------------------------------


def _drop(metadata: dict[str, Any], pointer: str) -> str | None:
    """Remove the smallest meaningful unit holding ``pointer``; returns what was removed."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.strip("/").split("/") if p != ""]
    if not parts:
        return None
    top = parts[0]
    if top not in metadata:
        return None
    value = metadata[top]
    if isinstance(value, list) and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(value):
        item = value.pop(int(parts[1]))
        if not value:
            del metadata[top]
        return f"/{top}/{parts[1]}: {item!r}"
    if isinstance(value, dict) and len(parts) > 1 and parts[1] in value and top != "rights":
        item = value.pop(parts[1])
        return f"/{top}/{parts[1]}: {item!r}"
    if isinstance(value, dict) and len(parts) > 1 and parts[1] in value:
        # rights: keep the access level, drop the offending member
        if parts[1] == "access_level":
            del metadata[top]
            return f"/{top}: {value!r}"
        item = value.pop(parts[1])
        return f"/{top}/{parts[1]}: {item!r}"
    del metadata[top]
    return f"/{top}: {value!r}"


def loadable(metadata: dict[str, Any], unmapped: list[str]) -> dict[str, Any]:
    """Metadata that ``schemas.load_metadata`` accepts as a draft: invalid parts are removed and
    reported in ``unmapped`` with the validation message, never raised."""
    for _ in range(200):
        try:
            return load_metadata(metadata)
        except RecordValidationError as exc:
            progressed = False
            for error in exc.errors:
                removed = _drop(metadata, error.field)
                if removed:
                    unmapped.append(f"{removed}: invalid in the canonical model ({' '.join(error.messages)})")
                    progressed = True
                    break
            if not progressed:
                unmapped.append(f"whole record: {exc}")
                return load_metadata({})
    return load_metadata({})


def first(items: Iterable[Any]) -> Any:
    return next(iter(items), None)


# --- what both writers write, independent of the XML encoding ----------------------------------


def credit_texts(metadata: dict[str, Any]) -> list[str]:
    """Funding as human-readable credit lines (no ISO 19115:2003 element holds funding)."""
    out = []
    for funding in metadata.get("funding", []):
        parts = [funding["funder_name"]]
        if funding.get("funder_identifier"):
            parts[0] += f" ({funding['funder_identifier']})"
        if funding.get("award_number"):
            parts.append(f"grant {funding['award_number']}")
        if funding.get("award_title"):
            parts.append(funding["award_title"])
        out.append(", ".join(parts))
    return out


def citation_dates(metadata: dict[str, Any], document: dict[str, Any]) -> list[tuple[str, str]]:
    """(value, CI_DateTypeCode) of the resource citation: Created/Issued/Updated, else the
    document's publication date, else the publication year."""
    dates = [(d["date"], DATE_TYPES[d["type"]]) for d in metadata.get("dates", []) if d["type"] in DATE_TYPES]
    dates = [(value, kind) for value, kind in dates if iso_date(value)]
    if document.get("publication_date") and not any(kind == "publication" for _, kind in dates):
        dates.append((document["publication_date"], "publication"))
    if not dates and metadata.get("publication_year"):
        dates.append((str(metadata["publication_year"]), "publication"))
    return dates


def cited_parties(metadata: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """(agent, CI_RoleCode) for creators, contributors and the publisher, in that order."""
    out = [(creator, creator.get("role", "author")) for creator in metadata.get("creators", [])]
    for contributor in metadata.get("contributors", []):
        role = contributor.get("role") or CONTRIBUTOR_ROLE.get(
            contributor.get("contributor_type", ""), DEFAULT_CONTRIBUTOR_ROLE
        )
        out.append((contributor, role))
    if metadata.get("publisher"):
        publisher = {"type": "Organizational", "name": metadata["publisher"].get("name", "")}
        if metadata["publisher"].get("ror"):
            publisher["identifiers"] = [{"identifier": metadata["publisher"]["ror"], "scheme": "ROR"}]
        out.append((publisher, "publisher"))
    return out


#: (title, URI, date, ISO CI_DateTypeCode of the date)
Thesaurus = tuple[str, str | None, str | None, str]


def thesaurus_citation(group: dict[str, Any]) -> Thesaurus:
    """The ``thesaurusName`` citation of a keyword group.

    The record's own citation (``scheme_name``, ``scheme_uri``, ``scheme_date`` and its
    ``scheme_date_type``, filled from the loaded vocabulary when the record was saved). The
    INSPIRE spatial data themes are always cited as INSPIRE TG metadata 2.0.1 section 2.4.2
    requires, "GEMET - INSPIRE themes, version 1.0", publication 2008-06-01, whatever edition of
    the theme register the repository has loaded (re-importing the registry's file renames the
    vocabulary "INSPIRE theme register", which INSPIRE validators would refuse).
    """
    if group.get("scheme_uri") == INSPIRE_THEMES_URI or group["scheme_name"] == INSPIRE_THEMES_TITLE:
        return (INSPIRE_THEMES_TITLE, group.get("scheme_uri"), INSPIRE_THEMES_DATE, "publication")
    date_type = group.get("scheme_date_type") or "publication"
    return (group["scheme_name"], group.get("scheme_uri"), group.get("scheme_date"), date_type)


def keyword_groups(
    metadata: dict[str, Any],
) -> list[tuple[list[dict[str, Any]], str | None, Thesaurus | None]]:
    """Every MD_Keywords to write: (terms, MD_KeywordTypeCode, thesaurus citation).

    Controlled keywords by vocabulary (:func:`thesaurus_citation`), free keywords, then
    platforms and instruments (ISO 19115-1 MD_KeywordTypeCode ``platform`` / ``instrument``,
    which GeoNetwork also uses in 19139) and variables (``theme`` keywords of their vocabulary),
    one group per vocabulary.
    """
    out: list[tuple[list[dict[str, Any]], str | None, Thesaurus | None]] = []
    for group in metadata.get("keywords", []):
        out.append((group["terms"], group.get("keyword_type"), thesaurus_citation(group)))
    if metadata.get("free_keywords"):
        out.append((metadata["free_keywords"], None, None))
    for field, keyword_type in (
        ("platforms", "platform"),
        ("instruments", "instrument"),
        ("variables", "theme"),
    ):
        groups: dict[tuple[str | None, str | None], list[dict[str, Any]]] = {}
        for concept in metadata.get(field, []):
            groups.setdefault((concept.get("scheme_name"), concept.get("scheme_uri")), []).append(concept)
        for (name, uri), concepts in groups.items():
            if name:
                out.append((concepts, keyword_type, (name, uri, None, "publication")))
            else:  # a variable without vocabulary is a free keyword
                out.append((concepts, keyword_type if field != "variables" else None, None))
    return out


def online_resources(document: dict[str, Any], metadata: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Resource locators (INSPIRE TG): (URL, name, description, CI_OnLineFunctionCode).

    The DOI and the landing page; a download link per file while the data are open and the
    document knows its files URL (``links.files``).
    """
    links = document.get("links") or {}
    doi = ((document.get("pids") or {}).get("doi") or {}).get("identifier")
    online = []
    if doi:
        online.append((doi_url(doi), "DOI", "Landing page of the dataset (DOI)", "information"))
    if links.get("self_html"):
        online.append((links["self_html"], "Landing page", "Landing page of the dataset", "information"))
    if (metadata.get("rights") or {}).get("access_level", "open") == "open":
        for item in document.get("files", []):
            url = file_url(document, item["key"])
            if url:
                online.append((url, item["key"], "Data file", "download"))
    return online


def file_url(document: dict[str, Any], key: str) -> str | None:
    from urllib.parse import quote

    base = (document.get("links") or {}).get("files")
    return f"{base}/{quote(key)}" if base else None


def protocol(function: str) -> str:
    """GeoNetwork protocol names for plain links and downloads."""
    return "WWW:DOWNLOAD-1.0-http--download" if function == "download" else "WWW:LINK-1.0-http--link"


def overview_file(document: dict[str, Any], overview: dict[str, Any]) -> tuple[str, str | None]:
    """(file name or URL, media type) of a graphic overview."""
    import mimetypes

    name = overview.get("url") or file_url(document, overview["file"]) or overview["file"]
    mimetype = next(
        (f.get("mimetype") for f in document.get("files", []) if f.get("key") == overview.get("file")), None
    )
    return name, mimetype or mimetypes.guess_type(name, strict=False)[0]

"""Shared by the ISO 19139 and ISO 19115-3 crosswalks: code tables, conventions, the XML builders
of the elements both encodings structure alike (:class:`Writer`), and the reader's bookkeeping
(what was consumed, what must be reported as unmapped).

Both encodings carry the same ISO 19115 concepts, so the decisions about what goes where are
made once here and documented in docs/exports.md ("ISO 19139 / INSPIRE").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from lxml import etree

from schemas import load_metadata, record_formats_and_size
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
CONDITIONS = "http://inspire.ec.europa.eu/metadata-codelist/ConditionsApplyingToAccessAndUse/"
CONDITIONS_UNKNOWN = (
    CONDITIONS + "conditionsUnknown",
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

# ISO 19115-1:2014 CI_RoleCode values the 2003 list (ours) lacks -> (closest 2003 role or None,
# what the party becomes: "creator", "funding" or a DataCite contributorType). Import reports each.
ROLES_19115_1 = {
    "coAuthor": ("author", "creator"),
    "collaborator": (None, "ProjectMember"),
    "contributor": (None, "Other"),
    "editor": (None, "Editor"),
    "mediator": ("distributor", "Distributor"),
    "rightsHolder": ("owner", "RightsHolder"),
    "stakeholder": (None, "Other"),
    "sponsor": (None, "funding"),
    "funder": (None, "funding"),
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


def record_doi(document: dict[str, Any]) -> str | None:
    """The DOI a record document holds in ``pids``, if any."""
    return ((document.get("pids") or {}).get("doi") or {}).get("identifier")


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
    if scheme in identifiers.NORMALIZERS:  # SWHID, ARK… that have a resolver
        return identifiers.identifier_url(scheme, identifier)
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


def limitation_label(item: dict[str, Any], lang: str | None) -> str:
    """A chosen LimitationsOnPublicAccess value's label in ``lang`` (the code list's own), else
    its stored text."""
    from vocabularies.bundled import load_bundled_vocabulary

    concept = load_bundled_vocabulary("inspire-limitations").by_uri().get(item["uri"])
    labels = dict(concept.pref_labels) if concept is not None else {}
    return labels.get((lang or "en")[:2]) or item.get("text") or labels.get("en") or item["uri"]


def condition_label(item: dict[str, Any], lang: str | None) -> str:
    """A chosen ConditionsApplyingToAccessAndUse value's label in ``lang`` (the code list's own),
    else its stored text."""
    from vocabularies.bundled import load_bundled_vocabulary

    concept = load_bundled_vocabulary("inspire-conditions").by_uri().get(item["uri"])
    labels = dict(concept.pref_labels) if concept is not None else {}
    return labels.get((lang or "en")[:2]) or item.get("text") or labels.get("en") or item["uri"]


def coded_conditions(hrefs: list[str], rights: dict[str, Any]) -> list[dict[str, Any]]:
    """The use constraints read back from ConditionsApplyingToAccessAndUse Anchors (in
    useLimitation or otherConstraints): known codes, labelled in English; the lone
    conditionsUnknown the writer adds when a record has neither licence nor condition is not one."""
    if hrefs == [CONDITIONS_UNKNOWN[0]] and not rights.get("license") and not rights.get("use_constraints"):
        return []
    known = [h for h in hrefs if condition_label({"uri": h}, "en") != h]
    return [{"uri": h, "text": condition_label({"uri": h}, "en"), "lang": "en"} for h in known]


def default_limitation(rights: dict[str, Any]) -> str:
    """The LimitationsOnPublicAccess URI written when the producer chose none."""
    return (NO_LIMITATIONS if rights.get("access_level", "open") == "open" else IPR_LIMITATION)[0]


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


def loadable(
    metadata: dict[str, Any], unmapped: list[str], root: etree._Element | None = None
) -> dict[str, Any]:
    """Metadata that ``schemas.load_metadata`` accepts as a draft: invalid parts are removed and
    reported in ``unmapped`` with the validation message, never raised. Linear in the input:
    all errors are collected and dropped at once (``exports.importing.drop_invalid``). With the
    source ``root``, each is named by its source XPath first (``exports.importing.SourceLocator``)."""
    from exports.importing import SourceLocator, drop_invalid

    try:
        loaded, drops = drop_invalid(metadata)
    except RecordValidationError as exc:
        unmapped.append(f"whole record: {exc}")
        return load_metadata({})
    locator = SourceLocator(root) if root is not None and drops else None
    for pointer, messages, value in drops:
        source = locator.locate(value) if locator is not None else None
        where = f"{source} ({pointer})" if source else pointer
        unmapped.append(f"{where}: {value!r}: invalid in the canonical model ({' '.join(messages)})")
    return loaded


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
    doi = record_doi(document)
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


#: (name, description) of the links the writers derive from the record document itself: the
#: reader recognises them, so that a re-import does not turn them into online resources.
DERIVED_LINKS = {
    ("DOI", "Landing page of the dataset (DOI)"),
    ("Landing page", "Landing page of the dataset"),
}
DERIVED_FILE_DESCRIPTION = "Data file"


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


# --- the XML builders both writers share --------------------------------------------------------

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
# INSPIRE TG 2.0.1 section 2.2.3 (TG 1.3 section 2.2.7): ISO 639-2/B codes from this list.
LANGUAGE_CODELIST = "http://www.loc.gov/standards/iso639-2/"

# Codelist element -> the ISO 19115-3 package that declares it (ISO 19139 declares all in gmd).
CODELIST_PACKAGE = {
    "CI_RoleCode": "cit",
    "CI_DateTypeCode": "cit",
    "CI_OnLineFunctionCode": "cit",
    "MD_ScopeCode": "mcc",
    "MD_CharacterSetCode": "lan",
    "MD_KeywordTypeCode": "mri",
    "DS_AssociationTypeCode": "mri",
    "MD_RestrictionCode": "mco",
}


def num(value: float | int) -> str:
    """Shortest decimal text of a number (no exponent, no trailing .0 noise)."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def gml_time(value: str) -> str:
    """A canonical date as a gml time position (xs:dateTime with seconds; intervals as given)."""
    kind_text = iso_date(value)
    return kind_text[1] if kind_text else value


def record_id_prefix(document: dict[str, Any]) -> str:
    """``r`` + 8 hex digits of SHA-256 of the record id: the prefix of every ``id`` and
    ``gml:id`` an ISO writer emits.

    Both are ``xs:ID``, unique per XML document, and an OAI-PMH ``ListRecords`` page or a CSW
    response is one document holding many records: bare ``FRE`` or ``period1`` repeat there and
    the page is invalid against OAI-PMH.xsd with the payload schemas. The prefix is stable
    (the same record always gets the same ids) and an NCName (starts with a letter), as
    ``gml:id`` requires.
    """
    digest = hashlib.sha256(str(document.get("id", "")).encode("utf-8")).hexdigest()
    return "r" + digest[:8]


# --- the document the writers write -------------------------------------------------------------
#
# The writers write the XML text themselves, in document order, instead of building an lxml tree:
# about 300 elements a record made the lxml calls their main cost (issue 10). The output is the
# document lxml wrote, byte for byte (``etree.tostring(..., pretty_print=True,
# xml_declaration=True, encoding="UTF-8")``): same declaration, indentation, escaping and empty
# elements; tests/test_export_iso_writer.py compares it with the previous writer's output.
#
# An element is a handle, :data:`Node`; the builders take the parent's handle as they took the
# lxml parent. Adding to an element closes the elements opened inside it since (its descendants),
# so the builders keep their shape; adding to an element already closed is refused.

#: An element: ``[depth, its end tag(s), index of its start tag(s) in the output]``.
Node = list

#: libxml2 indents two spaces a level, up to 60 (its MAX_INDENT).
_INDENTS = ["  " * min(depth, 30) for depth in range(128)]
#: What must be escaped in a text or attribute value, or refused (what lxml refuses: C0 controls
#: other than tab, LF and CR; U+FFFE and U+FFFF): one search per value finds both.
_TEXT_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]").search
_ATTRIBUTE_SPECIAL = re.compile('[&<>"\n\r\t\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]').search
_ATTRIBUTE_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]").search
XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>\n"


def not_xml(value: str) -> ValueError:
    """lxml's own refusal, with its message: a value the XML data model cannot carry."""
    return ValueError(
        "All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters"
        f" (in {value[:80]!r})"
    )


def escape_text(text: str) -> str:
    """Character data as libxml2 escapes it: ``&``, ``<``, ``>`` and carriage return."""
    if _TEXT_SPECIAL(text) is None:
        return text
    if _NOT_XML(text) is not None:
        raise not_xml(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def escape_attribute(value: str) -> str:
    """An attribute value as libxml2 escapes it (between double quotes; tab, LF, CR as references)."""
    if _ATTRIBUTE_SPECIAL(value) is None:
        return value
    if _NOT_XML(value) is not None:
        raise not_xml(value)
    return value.translate(_ATTRIBUTE_ESCAPES)


def joined(start: str, parts: list[str], end: str) -> str:
    """Start tags, the serialised children, end tags; the innermost element written empty
    (``<name/>``, as libxml2 does) when there is no child."""
    if parts:
        return start + "".join(parts) + end
    return start[:-2] + "/>\n" + end[end.index("\n") + 1 :]


#: Per writer class: "package:local" as the builders spell it -> the name written.
_NAMES: dict[type, dict[str, str]] = {}
#: Per writer class: serialised fragments that recur from record to record (code-list values,
#: thesaurus and specification citations, nil properties), by what determines them.
_FRAGMENTS: dict[type, dict[tuple[Any, ...], str]] = {}
_FRAGMENTS_MAX = 20_000
#: Per writer class: the start and end tags of an element or chain of elements by depth and names.
_TAGS: dict[type, dict[tuple[int, str | tuple[str, ...]], tuple[str, str, str]]] = {}
#: Per writer class: the tags around the text of a property holding one element (:meth:`Writer.wrap`).
_WRAPS: dict[type, dict[tuple[Any, ...], tuple[str, str]]] = {}


class Writer:
    """Writes one MD_Metadata from a record document: the builders both encodings share.

    ISO 19115-3 split the single gmd namespace of ISO 19139 into packages (cit, mri, mco, gex,
    mrd, mcc, mdq, lan, mdb) and moved gmx:Anchor to gcx. The shared builders name elements by
    their 19115-3 package; a subclass maps those prefixes onto its own in ``PACKAGES`` (ISO 19139:
    all of them to gmd, gcx to gmx). Everything whose structure differs between the two encodings
    (responsible parties, identifiers, the metadata root, distribution formats, data quality)
    stays in the format modules.

    :meth:`build` writes the elements (it returns the root's :data:`Node`), :meth:`write` returns
    the document's bytes; :meth:`element` parses them for a caller that needs an lxml tree. Every
    prefix a name uses must be declared on the root (``NSMAP``) or on an ancestor (srv).
    """

    NSMAP: dict[str, str] = {}
    #: 19115-3 package prefix -> the prefix this encoding uses for it (absent: the same).
    PACKAGES: dict[str, str] = {}
    CODELISTS = ""
    #: gmd:CI_Citation requires a date (written nil when unknown); cit:CI_Citation does not.
    CITATION_DATE_REQUIRED = False

    def __init__(self, document: dict[str, Any]):
        self.doc = document
        self.md = document.get("metadata") or {}
        self.md_lang = self.md.get("metadata_language")
        self.locales: list[str] = []  # BCP 47 tags of PT_Locale declarations, in first-use order
        self.gml_ids = 0
        self.id_prefix = record_id_prefix(document)
        cls = type(self)
        self.names = _NAMES.get(cls) or _NAMES.setdefault(cls, {})
        self.fragments = _FRAGMENTS.get(cls) or _FRAGMENTS.setdefault(cls, {})
        self.tags = _TAGS.get(cls) or _TAGS.setdefault(cls, {})
        self.wraps = _WRAPS.get(cls) or _WRAPS.setdefault(cls, {})
        self.out: list[str] = [XML_DECLARATION]  # the document's text, in pieces
        self.open: list[Node] = []  # the open elements, the root first

    def write(self) -> bytes:
        self.build()
        self.close_all()
        # Every value went through escape_text or escape_attribute, which refuse what XML
        # cannot carry; a lone surrogate fails here, as it did in lxml.
        return "".join(self.out).encode("utf-8")

    def element(self) -> etree._Element:
        """The document as an lxml tree (parsed from :meth:`write`)."""
        return etree.fromstring(self.write())

    def build(self) -> Node:
        raise NotImplementedError

    # -- the output ------------------------------------------------------------------------

    def enter(self, parent: Node) -> int:
        """Close the elements opened inside ``parent``; the depth of its children."""
        depth = parent[0] + 1
        self.close_to(depth)
        if not self.open or self.open[-1] is not parent:
            name = parent[1].split(">")[0].strip().removeprefix("</")
            raise ValueError(f"{name}: element already closed (the writer adds out of order)")
        return depth

    def close_to(self, depth: int) -> None:
        """Close the open elements at ``depth`` and deeper (0: all of them)."""
        stack, out = self.open, self.out
        while stack and stack[-1][0] >= depth:
            _, closing, start = stack.pop()
            if len(out) == start + 1:  # nothing inside: <name/>, as libxml2 writes it
                out[start] = out[start][:-2] + "/>\n" + closing[closing.index("\n") + 1 :]
            else:
                out.append(closing)

    def close_all(self) -> None:
        self.close_to(0)

    def slot(self, parent: Node) -> int:
        """A place among ``parent``'s children, here, to be filled later by :meth:`fill`."""
        self.enter(parent)
        self.out.append("")
        return len(self.out) - 1

    def mark(self, parent: Node) -> int:
        """Where the next child of ``parent`` starts (for :meth:`fill`)."""
        self.enter(parent)
        return len(self.out)

    def fill(self, slot: int, mark: int, parent: Node) -> None:
        """Move the children of ``parent`` written since ``mark`` to ``slot``."""
        self.enter(parent)
        out = self.out
        out[slot] = "".join(out[mark:])
        del out[mark:]

    # -- small builders --------------------------------------------------------------------

    def prefix(self, package: str) -> str:
        return self.PACKAGES.get(package, package)

    def n(self, name: str) -> str:
        """The written name of ``package:local`` (``cit:title`` is ``gmd:title`` in ISO 19139);
        ``prefix__name`` (a keyword argument's spelling) is ``prefix:name``, a bare name itself."""
        out = self.names.get(name)
        if out is None:
            package, sep, local = name.replace("__", ":").partition(":")
            out = self.names[name] = f"{self.prefix(package)}:{local}" if sep else name
        return out

    def attributes(self, attrs: dict[str, str]) -> str:
        n = self.n
        return "".join([f' {n(key)}="{escape_attribute(value)}"' for key, value in attrs.items()])

    def root(self, name: str, nsmap: dict[str, str], **attrs: str) -> Node:
        """The document element, declaring ``nsmap``."""
        declarations = "".join([f' xmlns:{p}="{escape_attribute(uri)}"' for p, uri in nsmap.items()])
        n = self.n(name)
        node = [0, f"</{n}>\n", len(self.out)]
        self.out.append(f"<{n}{declarations}{self.attributes(attrs)}>\n")
        self.open.append(node)
        return node

    def tags_of(self, key: tuple[int, str | tuple[str, ...]]) -> tuple[str, str, str]:
        """(start tags, end tags, innermost written name) of an element, or of a chain of
        elements each the only child of the one before, at depth ``key[0]``."""
        tags = self.tags.get(key)
        if tags is None:
            depth, names = key
            written = [self.n(name) for name in ((names,) if isinstance(names, str) else names)]
            start = "".join([f"{_INDENTS[depth + i]}<{n}>\n" for i, n in enumerate(written)])
            end = "".join([f"{_INDENTS[depth + i]}</{n}>\n" for i, n in reversed(list(enumerate(written)))])
            tags = self.tags[key] = (start, end, written[-1])
        return tags

    def sub(self, parent: Node, name: str, text: str | None = None, **attrs: str) -> Node:
        """A child element; ``prefix__name`` keyword arguments are qualified attributes. With a
        text, the element is written whole (it takes no children)."""
        stack = self.open
        if stack[-1] is not parent:
            self.enter(parent)
        depth = parent[0] + 1
        start, end, n = self.tags.get((depth, name)) or self.tags_of((depth, name))
        out = self.out
        node = [depth, end, len(out)]
        if attrs:
            start = f"{start[:-2]}{self.attributes(attrs)}>\n"
        if text is None:
            out.append(start)
            stack.append(node)
        else:
            out.append(f"{start[:-1]}{escape_text(text)}</{n}>\n")
        return node

    def subs(self, parent: Node, *names: str, text: str | None = None, **attrs: str) -> Node:
        """A chain of elements, each the only child of the one before (a property and its
        object): ``subs(p, "a", "b")`` is ``sub(sub(p, "a"), "b")``. ``text`` and ``attrs`` are
        the innermost element's, whose node is returned."""
        stack = self.open
        if stack[-1] is not parent:
            self.enter(parent)
        depth = parent[0] + 1
        start, end, n = self.tags.get((depth, names)) or self.tags_of((depth, names))
        out = self.out
        node = [depth + len(names) - 1, end, len(out)]
        if attrs:
            start = f"{start[:-2]}{self.attributes(attrs)}>\n"
        if text is None:
            out.append(start)
            stack.append(node)
        else:
            out.append(f"{start[:-1]}{escape_text(text)}</{n}>\n{end[end.index(chr(10)) + 1 :]}")
        return node

    def leaf_xml(self, depth: int, name: str, text: str) -> str:
        """An element holding ``text`` only, serialised at ``depth``."""
        start, _, n = self.tags.get((depth, name)) or self.tags_of((depth, name))
        return f"{start[:-1]}{escape_text(text)}</{n}>\n"

    def add(self, parent: Node, xml: str) -> None:
        """Serialised elements (made at ``parent``'s depth + 1) as ``parent``'s next children."""
        if self.open[-1] is not parent:
            self.enter(parent)
        self.out.append(xml)

    def nil(self, parent: Node, name: str, reason: str) -> None:
        """An empty property with ``gco:nilReason``."""
        depth = parent[0] + 1
        key = ("nil", depth, name, reason)
        fragment = self.fragments.get(key)
        if fragment is None:
            fragment = self.fragment(key, f'{_INDENTS[depth]}<{self.n(name)} gco:nilReason="{reason}"/>\n')
        self.add(parent, fragment)

    def fragment(self, key: tuple[Any, ...], text: str) -> str:
        """Remember ``text`` as the fragment for ``key`` (the cache is emptied when it is full)."""
        if len(self.fragments) >= _FRAGMENTS_MAX:
            self.fragments.clear()
        self.fragments[key] = text
        return text

    def gml_id(self, prefix: str) -> str:
        """A ``gml:id`` unique across records (see :func:`record_id_prefix`)."""
        self.gml_ids += 1
        return f"{self.id_prefix}-{prefix}{self.gml_ids}"

    def string(self, parent: Node, name: str, text: str, href: str | None = None) -> None:
        """A CharacterString property, or an Anchor when the value has a URI (TG 2.0.1 2.4.2)."""
        if self.open[-1] is not parent:
            self.enter(parent)
        self.out.append(self.string_xml(parent[0] + 1, name, text, href))

    def string_xml(self, depth: int, name: str, text: str, href: str | None = None) -> str:
        """The serialised CharacterString / Anchor property at ``depth``."""
        if _TEXT_SPECIAL(text) is not None:
            text = escape_text(text)
        if href:
            if _ATTRIBUTE_SPECIAL(href) is not None:
                href = escape_attribute(href)
            start, end = self.wraps.get((depth, name, "gcx:Anchor")) or self.wrap((depth, name, "gcx:Anchor"))
            return f'{start} xlink:href="{href}">{text}{end}'
        start, end = self.wraps.get((depth, name)) or self.wrap((depth, name, "gco:CharacterString"))
        return f"{start}>{text}{end}"

    def wrap(self, key: tuple[int, str, str]) -> tuple[str, str]:
        """A property holding one element with a text: ``(start, end)`` around
        ``attributes>text`` at depth ``key[0]``, for the property ``key[1]`` and element ``key[2]``."""
        tags = self.wraps.get(key)
        if tags is None:
            depth, name, inner = key
            n, i = self.n(name), self.n(inner)
            tags = (
                f"{_INDENTS[depth]}<{n}>\n{_INDENTS[depth + 1]}<{i}",
                f"</{i}>\n{_INDENTS[depth]}</{n}>\n",
            )
            self.wraps[key] = tags
            if inner == "gco:CharacterString":
                self.wraps[(depth, name)] = tags
        return tags

    def locale_id(self, lang: str) -> str:
        """The ``id`` of the PT_Locale for ``lang`` (``r1a2b3c4d-FRE``); ``locale="#…"`` cites it."""
        if lang not in self.locales:
            self.locales.append(lang)
        return f"{self.id_prefix}-{(iso639_2(lang) or lang).upper()}"

    def text(self, parent: Node, name: str, items: list[dict[str, Any]], keep_order: bool = False) -> None:
        """A possibly multilingual text (:meth:`text_xml`)."""
        if self.open[-1] is not parent:
            self.enter(parent)
        self.out.append(self.text_xml(parent[0] + 1, name, items, keep_order))

    def text_xml(self, depth: int, name: str, items: list[dict[str, Any]], keep_order: bool = False) -> str:
        """A possibly multilingual text (ISO 19139 section 7.3 PT_FreeText; lan: in 19115-3).

        The gco:CharacterString holds the text in the metadata language; the other languages are
        LocalisedCharacterStrings pointing at a PT_Locale. When no text is in the metadata
        language, the first text is both the default and a localised string, so that a reader
        learns its language (the convention GeoNetwork uses too).
        """
        md_lang = self.md_lang
        if len(items) == 1 and items[0].get("lang") in (None, md_lang):  # the common case
            return self.string_xml(depth, name, items[0]["text"])
        if keep_order:  # the first item (a main title) stays first, whatever its language
            default = items[0] if items[0].get("lang") in (None, md_lang) else None
        else:
            default = next((i for i in items if i.get("lang") in (None, md_lang)), None)
        others = [i for i in items if i is not default and i.get("lang") and i.get("lang") != md_lang]
        same = [i for i in items if i is not default and i not in others]
        base = items[0] if default is None else default
        if default is None:
            # No text in the metadata language: the first is the default and every text is
            # localised, never joined (a re-import read the main title as "fr\n\nen").
            default_text = base["text"]
            others = [i for i in items if i.get("lang")]
        elif keep_order:  # titles: each language its own string; only untagged ones are joined
            unlabelled = [i for i in items if i is not default and not i.get("lang")]
            default_text = DESCRIPTION_SEPARATOR.join([base["text"], *(i["text"] for i in unlabelled)])
            others = [i for i in items if i is not default and i.get("lang")]
        else:
            default_text = DESCRIPTION_SEPARATOR.join([base["text"], *(i["text"] for i in same)])
        if default is not None and md_lang and any(o["text"] == default_text for o in others):
            # A translation identical to the default text (a name, a word both languages share):
            # the default is also given as a localised string in the metadata language, or a
            # reader would take the default for a copy of the translation and drop it.
            others = [{"text": default_text, "lang": default.get("lang") or md_lang}, *others]
        if not others:
            return self.string_xml(depth, name, default_text)
        i0, i1, i2, i3 = _INDENTS[depth], _INDENTS[depth + 1], _INDENTS[depth + 2], _INDENTS[depth + 3]
        n, lan = self.n(name), self.prefix("lan")
        parts = [
            f'{i0}<{n} xsi:type="{lan}:PT_FreeText_PropertyType">\n'
            f"{i1}<gco:CharacterString>{escape_text(default_text)}</gco:CharacterString>\n"
            f"{i1}<{lan}:PT_FreeText>\n"
        ]
        for item in others:
            parts.append(
                f"{i2}<{lan}:textGroup>\n"
                f'{i3}<{lan}:LocalisedCharacterString locale="#{escape_attribute(self.locale_id(item["lang"]))}">'
                f"{escape_text(item['text'])}</{lan}:LocalisedCharacterString>\n"
                f"{i2}</{lan}:textGroup>\n"
            )
        parts.append(f"{i1}</{lan}:PT_FreeText>\n{i0}</{n}>\n")
        return "".join(parts)

    def language_code(self, parent: Node, name: str, tag: str) -> None:
        """A LanguageCode property: ISO 639-2/B (INSPIRE TG 2.0.1 section 2.2.3), else the tag."""
        self.add(parent, self.language_code_xml(parent[0] + 1, name, tag))

    def language_code_xml(self, depth: int, name: str, tag: str) -> str:
        key = ("language", depth, name, tag)
        fragment = self.fragments.get(key)
        if fragment is None:
            code = iso639_2(tag) or tag
            indent, n, element = _INDENTS[depth], self.n(name), self.n("lan:LanguageCode")
            fragment = self.fragment(
                key,
                f'{indent}<{n}>\n{_INDENTS[depth + 1]}<{element} codeList="{LANGUAGE_CODELIST}"'
                f' codeListValue="{escape_attribute(code)}">{escape_text(code)}</{element}>\n{indent}</{n}>\n',
            )
        return fragment

    def code(self, parent: Node, name: str, codelist: str, value: str) -> None:
        """A codelist property; codeList points into the ISO catalogue (ISO 19139 section 8.5.5)."""
        self.add(parent, self.code_xml(parent[0] + 1, name, codelist, value))

    def code_xml(self, depth: int, name: str, codelist: str, value: str) -> str:
        key = (depth, name, codelist, value)
        fragment = self.fragments.get(key)
        if fragment is None:
            indent, n = _INDENTS[depth], self.n(name)
            element = self.n(f"{CODELIST_PACKAGE[codelist]}:{codelist}")
            fragment = self.fragment(
                key,
                f"{indent}<{n}>\n{_INDENTS[depth + 1]}<{element}"
                f' codeList="{escape_attribute(self.CODELISTS + codelist)}" codeListValue="{escape_attribute(value)}">'
                f"{escape_text(value)}</{element}>\n{indent}</{n}>\n",
            )
        return fragment

    def date(self, parent: Node, name: str, value: str, date_type: str) -> None:
        self.add(parent, self.date_xml(parent[0] + 1, name, value, date_type))

    def date_xml(self, depth: int, name: str, value: str, date_type: str) -> str:
        kind, text = iso_date(value)
        key = ("date", depth, name, kind, date_type)
        tags = self.wraps.get(key)
        if tags is None:
            i0, i1, i2, i3 = _INDENTS[depth], _INDENTS[depth + 1], _INDENTS[depth + 2], _INDENTS[depth + 3]
            n, ci, date = self.n(name), self.n("cit:CI_Date"), self.n("cit:date")
            tags = self.wraps[key] = (
                f"{i0}<{n}>\n{i1}<{ci}>\n{i2}<{date}>\n{i3}<gco:{kind}>",
                f"</gco:{kind}>\n{i2}</{date}>\n"
                f"{self.code_xml(depth + 2, 'cit:dateType', 'CI_DateTypeCode', date_type)}{i1}</{ci}>\n{i0}</{n}>\n",
            )
        return f"{tags[0]}{escape_text(text)}{tags[1]}"

    def citation(
        self,
        parent: Node,
        name: str,
        title: str,
        href: str | None,
        date: str | None,
        date_type: str = "publication",
    ) -> None:
        """A thesaurus or specification citation: title (Anchor when a URI is known) and its date
        (publication unless told otherwise; nil when unknown where the encoding requires one)."""
        self.add(parent, self.citation_xml(parent[0] + 1, name, title, href, date, date_type))

    def citation_xml(
        self,
        depth: int,
        name: str,
        title: str,
        href: str | None,
        date: str | None,
        date_type: str = "publication",
    ) -> str:
        key = ("citation", depth, name, title, href, date, date_type)
        fragment = self.fragments.get(key)
        if fragment is None:
            i0, i1, n, ci = _INDENTS[depth], _INDENTS[depth + 1], self.n(name), self.n("cit:CI_Citation")
            if date:
                dated = self.date_xml(depth + 2, "cit:date", date, date_type)
            elif self.CITATION_DATE_REQUIRED:
                dated = f'{_INDENTS[depth + 2]}<{self.n("cit:date")} gco:nilReason="unknown"/>\n'
            else:
                dated = ""
            fragment = self.fragment(
                key,
                f"{i0}<{n}>\n{i1}<{ci}>\n{self.string_xml(depth + 2, 'cit:title', title, href)}{dated}"
                f"{i1}</{ci}>\n{i0}</{n}>\n",
            )
        return fragment

    def keywords(
        self,
        parent: Node,
        terms: list[dict[str, Any]],
        keyword_type: str | None,
        thesaurus: Thesaurus | None,
    ) -> None:
        """One MD_Keywords: terms (Anchor when the concept has a URI), type, thesaurusName."""
        depth = parent[0] + 1
        start, end, _ = self.tags_of((depth, ("mri:descriptiveKeywords", "mri:MD_Keywords")))
        inner = depth + 2
        parts = []
        for term in terms:
            if term.get("value_uri"):
                parts.append(self.string_xml(inner, "mri:keyword", term["term"], term["value_uri"]))
            else:
                parts.append(
                    self.text_xml(inner, "mri:keyword", [{"text": term["term"], "lang": term.get("lang")}])
                )
        if keyword_type:
            parts.append(self.code_xml(inner, "mri:type", "MD_KeywordTypeCode", keyword_type))
        if thesaurus:
            parts.append(self.citation_xml(inner, "mri:thesaurusName", *thesaurus))
        self.add(parent, joined(start, parts, end))

    # -- parts of the identification -------------------------------------------------------

    def titles_dates_edition(self, cit: Node) -> None:
        """The resource citation's title (translations as PT_FreeText), alternate titles, dates
        (TG 2.0.1 section 2.6.2: creation / publication / revision) and edition."""
        md = self.md
        titles = md.get("titles", [])
        main = [t for t in titles if "type" not in t] or titles[:1]
        translated = [t for t in titles if t.get("type") == "TranslatedTitle"]
        if main:
            self.text(cit, "cit:title", main + translated, keep_order=True)
        else:
            self.nil(cit, "cit:title", "missing")
        for title in titles:
            if title.get("type") not in (None, "TranslatedTitle"):
                self.text(cit, "cit:alternateTitle", [title])
        dates = citation_dates(md, self.doc)
        for value, date_type in dates:
            self.date(cit, "cit:date", value, date_type)
        if not dates and self.CITATION_DATE_REQUIRED:
            self.nil(cit, "cit:date", "unknown")
        if md.get("version"):
            self.string(cit, "cit:edition", md["version"])

    def party(self, parent: Node, name: str, agent: dict[str, Any], role: str) -> None:
        raise NotImplementedError

    def abstract_credits_contacts(self, ident: Node) -> None:
        md = self.md
        if md.get("abstracts"):
            self.text(ident, "mri:abstract", md["abstracts"])
        else:
            self.nil(ident, "mri:abstract", "missing")
        # Funding has no ISO 19115:2003 element; credit ("recognition of those who contributed")
        # carries it as text for people, and the reader reports it as unmapped.
        for line in credit_texts(md):
            self.string(ident, "mri:credit", line)
        # Responsible organisation (INSPIRE TG): identificationInfo pointOfContact with e-mail.
        for contact in md.get("contacts", []):
            self.party(ident, "mri:pointOfContact", contact, contact.get("role", "pointOfContact"))

    def overviews_keywords_constraints(self, ident: Node) -> None:
        """graphicOverview, descriptiveKeywords and resourceConstraints: consecutive in the
        MD_Identification sequence of both encodings."""
        for overview in self.md.get("graphic_overviews", []):
            self.overview(ident, overview)
        for terms, keyword_type, thesaurus in keyword_groups(self.md):
            self.keywords(ident, terms, keyword_type, thesaurus)
        self.constraints(ident)

    def spatial_resolutions(self, ident: Node) -> None:
        """Spatial resolution (TG 2.0.1 section 2.8.2): a distance with its unit, or a scale."""
        for res in self.md.get("spatial_resolutions", []):
            mr = self.subs(ident, "mri:spatialResolution", "mri:MD_Resolution")
            if "scale_denominator" in res:
                frac = self.subs(mr, "mri:equivalentScale", "mri:MD_RepresentativeFraction")
                self.subs(frac, "mri:denominator", "gco:Integer", text=str(res["scale_denominator"]))
            else:
                distance = self.sub(mr, "mri:distance")
                self.sub(distance, "gco:Distance", num(res["distance"]), uom=res.get("unit", "m"))

    def topic_categories(self, ident: Node) -> None:
        for topic in self.md.get("topic_categories", []):
            self.subs(ident, "mri:topicCategory", "mri:MD_TopicCategoryCode", text=topic)

    def overview(self, ident: Node, overview: dict[str, Any]) -> None:
        bg = self.subs(ident, "mri:graphicOverview", "mcc:MD_BrowseGraphic")
        name, mimetype = overview_file(self.doc, overview)
        self.string(bg, "mcc:fileName", name)
        self.string(bg, "mcc:fileDescription", overview.get("description") or overview["type"])
        if mimetype:
            self.string(bg, "mcc:fileType", mimetype)

    def constraints(self, ident: Node) -> None:
        """Conditions of access and use, limitations on public access (TG 2.0.1 section 2.5:
        two MD_LegalConstraints, otherRestrictions + otherConstraints Anchors)."""
        rights = self.md.get("rights") or {}
        use = self.subs(ident, "mri:resourceConstraints", "mco:MD_LegalConstraints")
        self.code(use, "mco:useConstraints", "MD_RestrictionCode", "otherRestrictions")
        licence = rights.get("license")
        if licence:
            self.string(
                use, "mco:otherConstraints", licence.get("name") or licence.get("id", ""), licence.get("uri")
            )
        for item in rights.get("use_constraints", []):
            if item.get("uri", "").startswith(CONDITIONS):  # an INSPIRE code: its Anchor
                self.string(use, "mco:otherConstraints", condition_label(item, self.md_lang), item["uri"])
            else:
                self.text(use, "mco:otherConstraints", [item])
        if not licence and not rights.get("use_constraints"):
            self.string(use, "mco:otherConstraints", CONDITIONS_UNKNOWN[1], CONDITIONS_UNKNOWN[0])
        access = self.subs(ident, "mri:resourceConstraints", "mco:MD_LegalConstraints")
        self.code(access, "mco:accessConstraints", "MD_RestrictionCode", "otherRestrictions")
        # The producer's INSPIRE limitations (code-list values) as Anchors, labelled in the
        # metadata language; none chosen: the one the access level implies.
        chosen = [c for c in rights.get("access_constraints", []) if c.get("uri", "").startswith(LIMITATIONS)]
        for item in chosen:
            self.string(access, "mco:otherConstraints", limitation_label(item, self.md_lang), item["uri"])
        if not chosen:
            href, label = NO_LIMITATIONS if rights.get("access_level", "open") == "open" else IPR_LIMITATION
            self.string(access, "mco:otherConstraints", label, href)
        for phrase in access_phrases(rights):
            self.string(access, "mco:otherConstraints", phrase)
        for item in rights.get("access_constraints", []):
            if item not in chosen:
                self.text(access, "mco:otherConstraints", [item])

    def extents(self, ident: Node, prop: str = "mri:extent") -> None:
        """One EX_Extent per spatial extent, then one for the temporal and vertical extents."""
        md = self.md
        tags, string, leaf = self.tags_of, self.string_xml, self.leaf_xml
        depth = ident[0] + 1
        start, end, _ = tags((depth, (prop, "gex:EX_Extent")))
        inner = depth + 2  # the children of EX_Extent
        for extent in md.get("spatial_extents", []):
            parts = []
            if extent.get("place"):
                parts.append(string(inner, "gex:description", extent["place"]))
            if extent.get("place_uri"):
                uri = extent["place_uri"]
                id_start, id_end, _ = tags(
                    (
                        inner,
                        (
                            "gex:geographicElement",
                            "gex:EX_GeographicDescription",
                            "gex:geographicIdentifier",
                            "mcc:MD_Identifier",
                        ),
                    )
                )
                parts += [id_start, string(inner + 4, "mcc:code", extent.get("place") or uri, uri), id_end]
            if extent.get("bbox"):
                # Geographic bounding box (TG 2.0.1 section 2.6.1). West > east is allowed and means
                # the box crosses the antimeridian (ISO 19115 EX_GeographicBoundingBox: longitudes
                # are not ordered); it is written as given, never split.
                box = extent["bbox"]
                box_start, box_end, _ = tags(
                    (inner, ("gex:geographicElement", "gex:EX_GeographicBoundingBox"))
                )
                parts.append(box_start)
                for name, key in (
                    ("gex:westBoundLongitude", "west"),
                    ("gex:eastBoundLongitude", "east"),
                    ("gex:southBoundLatitude", "south"),
                    ("gex:northBoundLatitude", "north"),
                ):
                    decimal_start, decimal_end = self.wrap((inner + 2, name, "gco:Decimal"))
                    parts.append(f"{decimal_start}>{num(box[key])}{decimal_end}")
                parts.append(box_end)
            if extent.get("polygon"):
                polygon_start, polygon_end, _ = tags(
                    (inner, ("gex:geographicElement", "gex:EX_BoundingPolygon", "gex:polygon", "gml:Polygon"))
                )
                polygon_start = f"{polygon_start[:-2]}{self.attributes({'gml__id': self.gml_id('polygon'), 'srsName': CRS84})}>\n"
                rings = []
                for index, ring in enumerate(extent["polygon"]["coordinates"]):
                    ring_start, ring_end, _ = tags(
                        (inner + 4, ("gml:exterior" if index == 0 else "gml:interior", "gml:LinearRing"))
                    )
                    positions = " ".join(f"{num(x)} {num(y)}" for x, y in ring)
                    rings += [ring_start, leaf(inner + 6, "gml:posList", positions), ring_end]
                parts.append(joined(polygon_start, rings, polygon_end))
            if extent.get("point"):
                point_start, point_end, _ = tags(
                    (inner, ("gex:geographicElement", "gex:EX_BoundingPolygon", "gex:polygon", "gml:Point"))
                )
                point_start = f"{point_start[:-2]}{self.attributes({'gml__id': self.gml_id('point'), 'srsName': CRS84})}>\n"
                position = f"{num(extent['point']['lon'])} {num(extent['point']['lat'])}"
                parts += [point_start, leaf(inner + 4, "gml:pos", position), point_end]
            self.add(ident, joined(start, parts, end))
        if md.get("temporal_extents") or md.get("vertical_extent"):
            ex = self.subs(ident, prop, "gex:EX_Extent")
            # Temporal extent (TG 2.0.1 section 2.6.1): gml:TimePeriod; an open end is
            # indeterminatePosition="now" (ISO 19108 TM_IndeterminateValue, as GeoNetwork writes it).
            period_start, period_end, _ = tags(
                (inner, ("gex:temporalElement", "gex:EX_TemporalExtent", "gex:extent", "gml:TimePeriod"))
            )
            for temporal in md.get("temporal_extents", []):
                begin = leaf(inner + 4, "gml:beginPosition", gml_time(temporal["start"]))
                if temporal.get("end"):
                    finish = leaf(inner + 4, "gml:endPosition", gml_time(temporal["end"]))
                else:
                    finish = (
                        f'{_INDENTS[inner + 4]}<{self.n("gml:endPosition")} indeterminatePosition="now"/>\n'
                    )
                gml_id = escape_attribute(self.gml_id("period"))
                self.add(ex, f'{period_start[:-2]} gml:id="{gml_id}">\n{begin}{finish}{period_end}')
            vertical = md.get("vertical_extent")
            if vertical:
                ve = self.subs(ex, "gex:verticalElement", "gex:EX_VerticalExtent")
                self.subs(ve, "gex:minimumValue", "gco:Real", text=num(vertical["minimum"]))
                self.subs(ve, "gex:maximumValue", "gco:Real", text=num(vertical["maximum"]))
                self.vertical_crs(ve, vertical.get("crs"))

    def vertical_crs(self, ve: Node, crs: str | None) -> None:
        raise NotImplementedError

    def supplemental_information(self, ident: Node) -> None:
        """Descriptions other than the abstract, as "Type: text" paragraphs."""
        if self.md.get("descriptions"):
            paragraphs = [description_paragraph(d) for d in self.md["descriptions"]]
            self.string(ident, "mri:supplementalInformation", DESCRIPTION_SEPARATOR.join(paragraphs))

    # -- distribution and quality ----------------------------------------------------------

    def distribution(self, root: Node) -> None:
        """Formats (from the files) and the resource locators (TG 2.0.1 section 2.3.2)."""
        doc = self.doc
        formats, size = record_formats_and_size(doc.get("files", []))
        online = online_resources(doc, self.md)
        # A service's own resources are its operations' connect points (written there).
        own = [] if getattr(self, "is_service", False) else self.md.get("online_resources", [])
        if not formats and not online and not own:
            return
        dist = self.subs(root, "mdb:distributionInfo", "mrd:MD_Distribution")
        for media_type in formats:
            self.distribution_format(self.subs(dist, "mrd:distributionFormat", "mrd:MD_Format"), media_type)
        if online or own:
            opts = self.subs(dist, "mrd:transferOptions", "mrd:MD_DigitalTransferOptions")
            if size:  # ISO 19115 transferSize is in megabytes
                self.subs(opts, "mrd:transferSize", "gco:Real", text=num(round(size / 1e6, 6)))
            depth = opts[0] + 1
            start, end, _ = self.tags_of((depth, ("mrd:onLine", "cit:CI_OnlineResource")))
            inner, string = depth + 2, self.string_xml
            for url, name, description, function in online:
                self.add(
                    opts,
                    f"{start}{self.linkage_xml(inner, url)}{string(inner, 'cit:protocol', protocol(function))}"
                    f"{string(inner, 'cit:name', name)}{string(inner, 'cit:description', description)}"
                    f"{self.code_xml(inner, 'cit:function', 'CI_OnLineFunctionCode', function)}{end}",
                )
            for item in own:
                self.online_resource(self.sub(opts, "mrd:onLine"), item)

    def online_resource(self, prop: Node, item: dict[str, Any]) -> None:
        """A canonical online resource as CI_OnlineResource (linkage, protocol, applicationProfile,
        name, description, function: the order of both encodings). An OGC service's layer goes in
        ``name`` (the GeoNetwork convention readers of WMS/WFS links expect), its names then only
        when there is no layer (docs/exports.md)."""
        res = self.sub(prop, "cit:CI_OnlineResource")
        self.linkage(res, item["url"])
        if item.get("protocol"):
            self.string(res, "cit:protocol", item["protocol"])
        if item.get("application_profile"):
            self.string(res, "cit:applicationProfile", item["application_profile"])
        if item.get("layer_name"):
            self.string(res, "cit:name", item["layer_name"])
        elif item.get("names"):
            self.text(res, "cit:name", item["names"])
        if item.get("descriptions"):
            self.text(res, "cit:description", item["descriptions"])
        if item.get("function"):
            self.code(res, "cit:function", "CI_OnLineFunctionCode", item["function"])

    def distribution_format(self, fmt: Node, media_type: str) -> None:
        raise NotImplementedError

    def linkage(self, res: Node, url: str) -> None:
        self.add(res, self.linkage_xml(res[0] + 1, url))

    def linkage_xml(self, depth: int, url: str) -> str:
        raise NotImplementedError

    def conformity_reports(self, dq: Node) -> None:
        """INSPIRE conformity (TG 2.0.1 section 2.7): one DQ_DomainConsistency per specification;
        pass true / false, or nilReason="unknown" when not evaluated."""
        for conformity in self.md.get("inspire_conformity", []):
            dc = self.subs(dq, "mdq:report", "mdq:DQ_DomainConsistency")
            result = self.subs(dc, "mdq:result", "mdq:DQ_ConformanceResult")
            self.citation(
                result,
                "mdq:specification",
                conformity["specification"],
                conformity.get("specification_uri"),
                conformity["specification_date"],
            )
            self.string(result, "mdq:explanation", DEFAULT_EXPLANATION)
            degree = conformity["degree"]
            if degree == "notEvaluated":
                self.nil(result, "mdq:pass", "unknown")
            else:
                self.subs(
                    result, "mdq:pass", "gco:Boolean", text="true" if degree == "conformant" else "false"
                )

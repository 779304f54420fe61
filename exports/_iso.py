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


def loadable(metadata: dict[str, Any], unmapped: list[str], root: etree._Element | None = None) -> dict[str, Any]:
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


_QNAMES: dict[type, dict[str, str]] = {}
_SubElement = etree.SubElement


class Writer:
    """Builds one MD_Metadata from a record document: the builders both encodings share.

    ISO 19115-3 split the single gmd namespace of ISO 19139 into packages (cit, mri, mco, gex,
    mrd, mcc, mdq, lan, mdb) and moved gmx:Anchor to gcx. The shared builders name elements by
    their 19115-3 package; a subclass maps those prefixes onto its own in ``PACKAGES`` (ISO 19139:
    all of them to gmd, gcx to gmx). Everything whose structure differs between the two encodings
    (responsible parties, identifiers, the metadata root, distribution formats, data quality)
    stays in the format modules.
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

    def write(self) -> bytes:
        return etree.tostring(self.build(), xml_declaration=True, encoding="UTF-8", pretty_print=True)

    def build(self) -> etree._Element:
        raise NotImplementedError

    # -- small builders --------------------------------------------------------------------

    def prefix(self, package: str) -> str:
        return self.PACKAGES.get(package, package)

    def q(self, name: str) -> str:
        # Clark names are cached per encoding: a record asks for the same few hundred names
        # tens of thousands of times per second (bench/export_throughput.py).
        cache = _QNAMES.setdefault(type(self), {})
        out = cache.get(name)
        if out is None:
            package, local = name.split(":")
            out = cache[name] = f"{{{self.NSMAP[self.prefix(package)]}}}{local}"
        return out

    def sub(self, parent: etree._Element, name: str, text: str | None = None, **attrs: str) -> etree._Element:
        """A child element; ``prefix__name`` keyword arguments are qualified attributes."""
        el = _SubElement(parent, self.q(name))
        if attrs:
            for key, value in attrs.items():
                el.set(self.q(key.replace("__", ":")) if "__" in key else key, value)
        if text is not None:
            el.text = text
        return el

    def gml_id(self, prefix: str) -> str:
        """A ``gml:id`` unique across records (see :func:`record_id_prefix`)."""
        self.gml_ids += 1
        return f"{self.id_prefix}-{prefix}{self.gml_ids}"

    def string(self, parent: etree._Element, name: str, text: str, href: str | None = None) -> etree._Element:
        """A CharacterString property, or an Anchor when the value has a URI (TG 2.0.1 2.4.2)."""
        el = self.sub(parent, name)
        if href:
            self.sub(el, "gcx:Anchor", text, xlink__href=href)
        else:
            self.sub(el, "gco:CharacterString", text)
        return el

    def locale_id(self, lang: str) -> str:
        """The ``id`` of the PT_Locale for ``lang`` (``r1a2b3c4d-FRE``); ``locale="#…"`` cites it."""
        if lang not in self.locales:
            self.locales.append(lang)
        return f"{self.id_prefix}-{(iso639_2(lang) or lang).upper()}"

    def text(
        self, parent: etree._Element, name: str, items: list[dict[str, Any]], keep_order: bool = False
    ) -> etree._Element:
        """A possibly multilingual text (ISO 19139 section 7.3 PT_FreeText; lan: in 19115-3).

        The gco:CharacterString holds the text in the metadata language; the other languages are
        LocalisedCharacterStrings pointing at a PT_Locale. When no text is in the metadata
        language, the first text is both the default and a localised string, so that a reader
        learns its language (the convention GeoNetwork uses too).
        """
        if keep_order:  # the first item (a main title) stays first, whatever its language
            default = items[0] if items[0].get("lang") in (None, self.md_lang) else None
        else:
            default = next((i for i in items if i.get("lang") in (None, self.md_lang)), None)
        others = [i for i in items if i is not default and i.get("lang") and i.get("lang") != self.md_lang]
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
        if default is not None and self.md_lang and any(o["text"] == default_text for o in others):
            # A translation identical to the default text (a name, a word both languages share):
            # the default is also given as a localised string in the metadata language, or a
            # reader would take the default for a copy of the translation and drop it.
            others = [{"text": default_text, "lang": default.get("lang") or self.md_lang}, *others]
        el = self.sub(parent, name)
        self.sub(el, "gco:CharacterString", default_text)
        if others:
            el.set(self.q("xsi:type"), f"{self.prefix('lan')}:PT_FreeText_PropertyType")
            free = self.sub(el, "lan:PT_FreeText")
            for item in others:
                group = self.sub(free, "lan:textGroup")
                self.sub(
                    group,
                    "lan:LocalisedCharacterString",
                    item["text"],
                    locale="#" + self.locale_id(item["lang"]),
                )
        return el

    def code(self, parent: etree._Element, name: str, codelist: str, value: str) -> etree._Element:
        """A codelist property; codeList points into the ISO catalogue (ISO 19139 section 8.5.5)."""
        prop = self.sub(parent, name)
        self.sub(
            prop,
            f"{CODELIST_PACKAGE[codelist]}:{codelist}",
            value,
            codeList=self.CODELISTS + codelist,
            codeListValue=value,
        )
        return prop

    def date(self, parent: etree._Element, name: str, value: str, date_type: str) -> None:
        kind, text = iso_date(value)
        ci = self.sub(self.sub(parent, name), "cit:CI_Date")
        self.sub(self.sub(ci, "cit:date"), f"gco:{kind}", text)
        self.code(ci, "cit:dateType", "CI_DateTypeCode", date_type)

    def citation(
        self,
        parent: etree._Element,
        name: str,
        title: str,
        href: str | None,
        date: str | None,
        date_type: str = "publication",
    ) -> None:
        """A thesaurus or specification citation: title (Anchor when a URI is known) and its date
        (publication unless told otherwise; nil when unknown where the encoding requires one)."""
        ci = self.sub(self.sub(parent, name), "cit:CI_Citation")
        self.string(ci, "cit:title", title, href)
        if date:
            self.date(ci, "cit:date", date, date_type)
        elif self.CITATION_DATE_REQUIRED:
            self.sub(ci, "cit:date", **{"gco__nilReason": "unknown"})

    def keywords(
        self,
        parent: etree._Element,
        terms: list[dict[str, Any]],
        keyword_type: str | None,
        thesaurus: Thesaurus | None,
    ) -> None:
        """One MD_Keywords: terms (Anchor when the concept has a URI), type, thesaurusName."""
        kw = self.sub(self.sub(parent, "mri:descriptiveKeywords"), "mri:MD_Keywords")
        for term in terms:
            if term.get("value_uri"):
                self.string(kw, "mri:keyword", term["term"], term["value_uri"])
            else:
                self.text(kw, "mri:keyword", [{"text": term["term"], "lang": term.get("lang")}])
        if keyword_type:
            self.code(kw, "mri:type", "MD_KeywordTypeCode", keyword_type)
        if thesaurus:
            self.citation(kw, "mri:thesaurusName", *thesaurus)

    # -- parts of the identification -------------------------------------------------------

    def titles_dates_edition(self, cit: etree._Element) -> None:
        """The resource citation's title (translations as PT_FreeText), alternate titles, dates
        (TG 2.0.1 section 2.6.2: creation / publication / revision) and edition."""
        md = self.md
        titles = md.get("titles", [])
        main = [t for t in titles if "type" not in t] or titles[:1]
        translated = [t for t in titles if t.get("type") == "TranslatedTitle"]
        if main:
            self.text(cit, "cit:title", main + translated, keep_order=True)
        else:
            self.sub(cit, "cit:title", **{"gco__nilReason": "missing"})
        for title in titles:
            if title.get("type") not in (None, "TranslatedTitle"):
                self.text(cit, "cit:alternateTitle", [title])
        dates = citation_dates(md, self.doc)
        for value, date_type in dates:
            self.date(cit, "cit:date", value, date_type)
        if not dates and self.CITATION_DATE_REQUIRED:
            self.sub(cit, "cit:date", **{"gco__nilReason": "unknown"})
        if md.get("version"):
            self.string(cit, "cit:edition", md["version"])

    def party(self, parent: etree._Element, name: str, agent: dict[str, Any], role: str) -> None:
        raise NotImplementedError

    def abstract_credits_contacts(self, ident: etree._Element) -> None:
        md = self.md
        if md.get("abstracts"):
            self.text(ident, "mri:abstract", md["abstracts"])
        else:
            self.sub(ident, "mri:abstract", **{"gco__nilReason": "missing"})
        # Funding has no ISO 19115:2003 element; credit ("recognition of those who contributed")
        # carries it as text for people, and the reader reports it as unmapped.
        for line in credit_texts(md):
            self.string(ident, "mri:credit", line)
        # Responsible organisation (INSPIRE TG): identificationInfo pointOfContact with e-mail.
        for contact in md.get("contacts", []):
            self.party(ident, "mri:pointOfContact", contact, contact.get("role", "pointOfContact"))

    def overviews_keywords_constraints(self, ident: etree._Element) -> None:
        """graphicOverview, descriptiveKeywords and resourceConstraints: consecutive in the
        MD_Identification sequence of both encodings."""
        for overview in self.md.get("graphic_overviews", []):
            self.overview(ident, overview)
        for terms, keyword_type, thesaurus in keyword_groups(self.md):
            self.keywords(ident, terms, keyword_type, thesaurus)
        self.constraints(ident)

    def spatial_resolutions(self, ident: etree._Element) -> None:
        """Spatial resolution (TG 2.0.1 section 2.8.2): a distance with its unit, or a scale."""
        for res in self.md.get("spatial_resolutions", []):
            mr = self.sub(self.sub(ident, "mri:spatialResolution"), "mri:MD_Resolution")
            if "scale_denominator" in res:
                frac = self.sub(self.sub(mr, "mri:equivalentScale"), "mri:MD_RepresentativeFraction")
                self.sub(self.sub(frac, "mri:denominator"), "gco:Integer", str(res["scale_denominator"]))
            else:
                distance = self.sub(mr, "mri:distance")
                self.sub(distance, "gco:Distance", num(res["distance"]), uom=res.get("unit", "m"))

    def topic_categories(self, ident: etree._Element) -> None:
        for topic in self.md.get("topic_categories", []):
            self.sub(self.sub(ident, "mri:topicCategory"), "mri:MD_TopicCategoryCode", topic)

    def overview(self, ident: etree._Element, overview: dict[str, Any]) -> None:
        bg = self.sub(self.sub(ident, "mri:graphicOverview"), "mcc:MD_BrowseGraphic")
        name, mimetype = overview_file(self.doc, overview)
        self.string(bg, "mcc:fileName", name)
        self.string(bg, "mcc:fileDescription", overview.get("description") or overview["type"])
        if mimetype:
            self.string(bg, "mcc:fileType", mimetype)

    def constraints(self, ident: etree._Element) -> None:
        """Conditions of access and use, limitations on public access (TG 2.0.1 section 2.5:
        two MD_LegalConstraints, otherRestrictions + otherConstraints Anchors)."""
        rights = self.md.get("rights") or {}
        use = self.sub(self.sub(ident, "mri:resourceConstraints"), "mco:MD_LegalConstraints")
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
        access = self.sub(self.sub(ident, "mri:resourceConstraints"), "mco:MD_LegalConstraints")
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

    def extents(self, ident: etree._Element, prop: str = "mri:extent") -> None:
        """One EX_Extent per spatial extent, then one for the temporal and vertical extents."""
        md = self.md
        for extent in md.get("spatial_extents", []):
            ex = self.sub(self.sub(ident, prop), "gex:EX_Extent")
            if extent.get("place"):
                self.string(ex, "gex:description", extent["place"])
            if extent.get("place_uri"):
                gd = self.sub(self.sub(ex, "gex:geographicElement"), "gex:EX_GeographicDescription")
                mid = self.sub(self.sub(gd, "gex:geographicIdentifier"), "mcc:MD_Identifier")
                self.string(mid, "mcc:code", extent.get("place") or extent["place_uri"], extent["place_uri"])
            if extent.get("bbox"):
                # Geographic bounding box (TG 2.0.1 section 2.6.1). West > east is allowed and means
                # the box crosses the antimeridian (ISO 19115 EX_GeographicBoundingBox: longitudes
                # are not ordered); it is written as given, never split.
                box = extent["bbox"]
                bb = self.sub(self.sub(ex, "gex:geographicElement"), "gex:EX_GeographicBoundingBox")
                for name, key in (
                    ("westBoundLongitude", "west"),
                    ("eastBoundLongitude", "east"),
                    ("southBoundLatitude", "south"),
                    ("northBoundLatitude", "north"),
                ):
                    self.sub(self.sub(bb, f"gex:{name}"), "gco:Decimal", num(box[key]))
            if extent.get("polygon"):
                bp = self.sub(self.sub(ex, "gex:geographicElement"), "gex:EX_BoundingPolygon")
                poly = self.sub(
                    self.sub(bp, "gex:polygon"), "gml:Polygon", **{"gml__id": self.gml_id("polygon")}
                )
                poly.set("srsName", CRS84)
                for index, ring in enumerate(extent["polygon"]["coordinates"]):
                    wrapper = self.sub(poly, "gml:exterior" if index == 0 else "gml:interior")
                    linear = self.sub(wrapper, "gml:LinearRing")
                    self.sub(linear, "gml:posList", " ".join(f"{num(x)} {num(y)}" for x, y in ring))
            if extent.get("point"):
                bp = self.sub(self.sub(ex, "gex:geographicElement"), "gex:EX_BoundingPolygon")
                point = self.sub(
                    self.sub(bp, "gex:polygon"), "gml:Point", **{"gml__id": self.gml_id("point")}
                )
                point.set("srsName", CRS84)
                self.sub(point, "gml:pos", f"{num(extent['point']['lon'])} {num(extent['point']['lat'])}")
        if md.get("temporal_extents") or md.get("vertical_extent"):
            ex = self.sub(self.sub(ident, prop), "gex:EX_Extent")
            # Temporal extent (TG 2.0.1 section 2.6.1): gml:TimePeriod; an open end is
            # indeterminatePosition="now" (ISO 19108 TM_IndeterminateValue, as GeoNetwork writes it).
            for temporal in md.get("temporal_extents", []):
                te = self.sub(self.sub(ex, "gex:temporalElement"), "gex:EX_TemporalExtent")
                period = self.sub(
                    self.sub(te, "gex:extent"), "gml:TimePeriod", **{"gml__id": self.gml_id("period")}
                )
                self.sub(period, "gml:beginPosition", gml_time(temporal["start"]))
                if temporal.get("end"):
                    self.sub(period, "gml:endPosition", gml_time(temporal["end"]))
                else:
                    self.sub(period, "gml:endPosition", indeterminatePosition="now")
            vertical = md.get("vertical_extent")
            if vertical:
                ve = self.sub(self.sub(ex, "gex:verticalElement"), "gex:EX_VerticalExtent")
                self.sub(self.sub(ve, "gex:minimumValue"), "gco:Real", num(vertical["minimum"]))
                self.sub(self.sub(ve, "gex:maximumValue"), "gco:Real", num(vertical["maximum"]))
                self.vertical_crs(ve, vertical.get("crs"))

    def vertical_crs(self, ve: etree._Element, crs: str | None) -> None:
        raise NotImplementedError

    def supplemental_information(self, ident: etree._Element) -> None:
        """Descriptions other than the abstract, as "Type: text" paragraphs."""
        if self.md.get("descriptions"):
            paragraphs = [description_paragraph(d) for d in self.md["descriptions"]]
            self.string(ident, "mri:supplementalInformation", DESCRIPTION_SEPARATOR.join(paragraphs))

    # -- distribution and quality ----------------------------------------------------------

    def distribution(self, root: etree._Element) -> None:
        """Formats (from the files) and the resource locators (TG 2.0.1 section 2.3.2)."""
        doc = self.doc
        formats, size = record_formats_and_size(doc.get("files", []))
        online = online_resources(doc, self.md)
        # A service's own resources are its operations' connect points (written there).
        own = [] if getattr(self, "is_service", False) else self.md.get("online_resources", [])
        if not formats and not online and not own:
            return
        dist = self.sub(self.sub(root, "mdb:distributionInfo"), "mrd:MD_Distribution")
        for media_type in formats:
            self.distribution_format(
                self.sub(self.sub(dist, "mrd:distributionFormat"), "mrd:MD_Format"), media_type
            )
        if online or own:
            opts = self.sub(self.sub(dist, "mrd:transferOptions"), "mrd:MD_DigitalTransferOptions")
            if size:  # ISO 19115 transferSize is in megabytes
                self.sub(self.sub(opts, "mrd:transferSize"), "gco:Real", num(round(size / 1e6, 6)))
            for url, name, description, function in online:
                res = self.sub(self.sub(opts, "mrd:onLine"), "cit:CI_OnlineResource")
                self.linkage(res, url)
                self.string(res, "cit:protocol", protocol(function))
                self.string(res, "cit:name", name)
                self.string(res, "cit:description", description)
                self.code(res, "cit:function", "CI_OnLineFunctionCode", function)
            for item in own:
                self.online_resource(self.sub(opts, "mrd:onLine"), item)

    def online_resource(self, prop: etree._Element, item: dict[str, Any]) -> None:
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

    def distribution_format(self, fmt: etree._Element, media_type: str) -> None:
        raise NotImplementedError

    def linkage(self, res: etree._Element, url: str) -> None:
        raise NotImplementedError

    def conformity_reports(self, dq: etree._Element) -> None:
        """INSPIRE conformity (TG 2.0.1 section 2.7): one DQ_DomainConsistency per specification;
        pass true / false, or nilReason="unknown" when not evaluated."""
        for conformity in self.md.get("inspire_conformity", []):
            dc = self.sub(self.sub(dq, "mdq:report"), "mdq:DQ_DomainConsistency")
            result = self.sub(self.sub(dc, "mdq:result"), "mdq:DQ_ConformanceResult")
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
                self.sub(result, "mdq:pass", **{"gco__nilReason": "unknown"})
            else:
                self.sub(
                    self.sub(result, "mdq:pass"), "gco:Boolean", "true" if degree == "conformant" else "false"
                )

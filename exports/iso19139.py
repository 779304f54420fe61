"""ISO 19139 (gmd, 2007 schemas, GML 3.2) crosswalk meeting the INSPIRE metadata requirements for
data sets and series (INSPIRE Technical Guidance for metadata, TG 2.0.1 for the ISO 19139
encoding; TG 1.3 where 2.0 only reworded it), and its reader for records exported by
GeoNetwork/Sextant (2007 schemas, and the 2006 tree with GML namespace http://www.opengis.net/gml).

The element order of every complex type follows gmd.xsd (20070417); docs/exports.md lists the
XPath of each canonical field and what is lost.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from exports import _iso as I
from exports.registry import Format, ImportError_, ImportResult, register
from exports.xmlutil import safe_parse
from schemas import review_statement
from vocabularies import controlled

GMD = "http://www.isotc211.org/2005/gmd"
GCO = "http://www.isotc211.org/2005/gco"
GMX = "http://www.isotc211.org/2005/gmx"
SRV = "http://www.isotc211.org/2005/srv"
GML = "http://www.opengis.net/gml/3.2"
GML_2006 = "http://www.opengis.net/gml"
XLINK = "http://www.w3.org/1999/xlink"
# Thesaurus citation date types, in the order the reader prefers them.
THESAURUS_DATE_TYPES = ("publication", "revision", "creation")
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"gmd": GMD, "gco": GCO, "gmx": GMX, "gml": GML, "xlink": XLINK, "xsi": XSI}

SCHEMA_LOCATION = "http://schemas.opengis.net/iso/19139/20070417/gmd/gmd.xsd"
# Wrapper for validation (standards README: srv/gmx records need gmd + gmx + srv imported together).
SCHEMAS = (
    (GMD, SCHEMA_LOCATION),
    (GMX, "http://schemas.opengis.net/iso/19139/20070417/gmx/gmx.xsd"),
    (SRV, "http://schemas.opengis.net/iso/19139/20070417/srv/1.0/srv.xsd"),
)
CODELISTS = "http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#"
# INSPIRE TG 2.0.1 section 2.2.3 (TG 1.3 section 2.2.7): ISO 639-2/B codes from this list.
LANGUAGE_CODELIST = I.LANGUAGE_CODELIST


class _Writer(I.Writer):
    """Builds one gmd:MD_Metadata from a record document.

    The builders shared with ISO 19115-3 (exports/_iso.py) name elements by their 19115-3
    package; ISO 19139 has all of them in gmd, and the Anchor in gmx.
    """

    NSMAP = NSMAP | {"srv": SRV}  # srv is declared on SV_ServiceIdentification only
    PACKAGES = {p: "gmd" for p in ("mdb", "cit", "mri", "mco", "gex", "mrd", "mcc", "mdq", "lan")} | {
        "gcx": "gmx"
    }
    CODELISTS = CODELISTS
    CITATION_DATE_REQUIRED = True

    def language(self, parent: I.Node, name: str, tag: str) -> None:
        self.language_code(parent, name, tag)

    def party(self, parent: I.Node, name: str, agent: dict[str, Any], role: str) -> None:
        """CI_ResponsibleParty (TG 2.0.1 section 2.11: organisation name and e-mail, role code)."""
        depth = parent[0] + 1
        start, end, _ = self.tags_of((depth, (name, "gmd:CI_ResponsibleParty")))
        inner = depth + 2
        uri = next(
            (I.agent_identifier_uri(i) for i in agent.get("identifiers", []) if I.agent_identifier_uri(i)),
            None,
        )
        out = [start]
        if agent.get("type") == "Personal":
            out.append(
                self.string_xml(
                    inner, "gmd:individualName", agent.get("name") or agent.get("family_name", ""), uri
                )
            )
            affiliation = I.first(agent.get("affiliations", []))
            if affiliation:
                out.append(
                    self.string_xml(
                        inner, "gmd:organisationName", affiliation["name"], affiliation.get("ror")
                    )
                )
        else:
            out.append(
                self.string_xml(inner, "gmd:organisationName", agent.get("name", ""), uri or agent.get("ror"))
            )
        if agent.get("email"):
            info_start, info_end, _ = self.tags_of(
                (inner, ("gmd:contactInfo", "gmd:CI_Contact", "gmd:address", "gmd:CI_Address"))
            )
            out += [
                info_start,
                self.string_xml(inner + 4, "gmd:electronicMailAddress", agent["email"]),
                info_end,
            ]
        out += [self.code_xml(inner, "gmd:role", "CI_RoleCode", role), end]
        self.add(parent, "".join(out))

    # -- the record ------------------------------------------------------------------------

    def build(self) -> I.Node:
        md, doc = self.md, self.doc
        root = self.root("gmd:MD_Metadata", NSMAP, xsi__schemaLocation=f"{GMD} {SCHEMA_LOCATION}")
        self.string(root, "gmd:fileIdentifier", str(doc.get("id", "")))
        if self.md_lang:
            self.language(root, "gmd:language", self.md_lang)
        self.code(root, "gmd:characterSet", "MD_CharacterSetCode", "utf8")
        level = I.scope_code(md.get("resource_type") or {})
        self.code(root, "gmd:hierarchyLevel", "MD_ScopeCode", level)
        if (md.get("resource_type") or {}).get("name"):
            self.string(root, "gmd:hierarchyLevelName", md["resource_type"]["name"])
        # Metadata point of contact (INSPIRE TG): role pointOfContact, with e-mail.
        for contact in md.get("contacts", []):
            self.party(root, "gmd:contact", contact, "pointOfContact")
        if not md.get("contacts"):  # gmd:contact is 1..n (gmd.xsd); a draft may have none yet
            self.nil(root, "gmd:contact", "missing")
        stamp = doc.get("updated") or doc.get("created") or doc.get("publication_date")
        stamp = stamp or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        kind, text = I.iso_date(stamp)
        self.subs(root, "gmd:dateStamp", f"gco:{kind}", text=text)
        self.string(root, "gmd:metadataStandardName", "ISO 19115:2003/19139")
        self.string(root, "gmd:metadataStandardVersion", "1.0")
        locales_at = self.slot(root)
        for crs in md.get("reference_systems", []):
            rs = self.subs(root, "gmd:referenceSystemInfo", "gmd:MD_ReferenceSystem")
            rid = self.subs(rs, "gmd:referenceSystemIdentifier", "gmd:RS_Identifier")
            self.string(rid, "gmd:code", crs, I.epsg_uri(crs))
            self.string(rid, "gmd:codeSpace", "EPSG")
        holder = self.sub(root, "gmd:identificationInfo")
        if self.is_service:
            # srv is declared on the service identification only (as lxml wrote it).
            self.service_identification(self.sub(holder, "srv:SV_ServiceIdentification", xmlns__srv=SRV))
        else:
            self.identification(self.sub(holder, "gmd:MD_DataIdentification"))
        self.distribution(root)
        self.quality(root, level)
        # PT_Locale declarations (ISO 19139 section 7.3; TG 2.0.1 section 2.2.4) go after
        # metadataStandardVersion/dataSetURI; they are known only once every text is written.
        mark = self.mark(root)
        for lang in self.locales:
            pt = self.subs(root, "gmd:locale", "gmd:PT_Locale", id=self.locale_id(lang))
            self.language(pt, "gmd:languageCode", lang)
            self.code(pt, "gmd:characterEncoding", "MD_CharacterSetCode", "utf8")
        self.fill(locales_at, mark, root)
        return root

    @property
    def is_service(self) -> bool:
        rt = self.md.get("resource_type") or {}
        return I.scope_code(rt) == "service"

    def service_identification(self, ident: I.Node) -> None:
        """srv:SV_ServiceIdentification (ISO 19119 / 19139 srv 1.0), in the order of srv.xsd:
        the shared AbstractMD_Identification part, then serviceType (mandatory; "other" when
        unknown), versions, extents, couplingType (loose), and one operation per online resource
        with it as connectPoint (containsOperations is 1..n: nil when there is none). Online
        resources are therefore not repeated in the distribution. Languages, topic categories,
        resolutions and descriptions have no place in a service identification (docs/exports.md)."""
        rt = self.md.get("resource_type") or {}
        self.common_identification(ident)
        service_type = self.sub(ident, "srv:serviceType")
        self.sub(service_type, "gco:LocalName", rt.get("service_type") or "other")
        for version in rt.get("service_versions", []):
            self.string(ident, "srv:serviceTypeVersion", version)
        self.extents(ident, "srv:extent")
        coupling = self.sub(ident, "srv:couplingType")
        self.sub(
            coupling,
            "srv:SV_CouplingType",
            "loose",
            codeList=CODELISTS + "SV_CouplingType",
            codeListValue="loose",
        )
        resources = self.md.get("online_resources", [])
        for item in resources:
            op = self.subs(ident, "srv:containsOperations", "srv:SV_OperationMetadata")
            self.string(op, "srv:operationName", item.get("protocol") or "access")
            self.subs(
                op,
                "srv:DCP",
                "srv:DCPList",
                text="WebServices",
                codeList=CODELISTS + "DCPList",
                codeListValue="WebServices",
            )
            self.online_resource(self.sub(op, "srv:connectPoint"), item)
        if not resources:
            self.nil(ident, "srv:containsOperations", "missing")

    def common_identification(self, ident: I.Node) -> None:
        """The AbstractMD_Identification elements data sets and services share (gmd.xsd order):
        citation, abstract, credit, pointOfContact, graphicOverview, descriptiveKeywords,
        resourceConstraints, aggregationInfo."""
        md = self.md
        cit = self.subs(ident, "gmd:citation", "gmd:CI_Citation")
        self.titles_dates_edition(cit)
        # Unique resource identifier (INSPIRE TG 2.0: the code as a gmx:Anchor to a resolvable URI).
        doi = I.record_doi(self.doc)
        if doi:
            url = I.doi_url(doi)
            self.string(self.subs(cit, "gmd:identifier", "gmd:MD_Identifier"), "gmd:code", url, url)
        for alt in md.get("alternate_identifiers", []):
            rid = self.subs(cit, "gmd:identifier", "gmd:RS_Identifier")
            self.string(rid, "gmd:code", alt["identifier"])
            self.string(rid, "gmd:codeSpace", alt["scheme"])
        for agent, role in I.cited_parties(md):
            self.party(cit, "gmd:citedResponsibleParty", agent, role)

        self.abstract_credits_contacts(ident)
        self.overviews_keywords_constraints(ident)
        depth = ident[0] + 1
        start, end, _ = self.tags_of((depth, ("gmd:aggregationInfo", "gmd:MD_AggregateInformation")))
        id_start, id_end, _ = self.tags_of(
            (depth + 2, ("gmd:aggregateDataSetIdentifier", "gmd:MD_Identifier"))
        )
        inner = depth + 4  # the children of MD_Identifier
        for related in md.get("related_identifiers", []):
            scheme = related.get("scheme")
            authority = self.citation_xml(inner, "gmd:authority", scheme, None, None) if scheme else ""
            uri = I.identifier_uri(related["identifier"], scheme)
            association = I.ASSOCIATION.get(related["relation_type"], I.DEFAULT_ASSOCIATION)
            self.add(
                ident,
                f"{start}{id_start}{authority}{self.string_xml(inner, 'gmd:code', related['identifier'], uri)}"
                f"{id_end}{self.code_xml(depth + 2, 'gmd:associationType', 'DS_AssociationTypeCode', association)}"
                f"{end}",
            )

    def identification(self, ident: I.Node) -> None:
        """gmd:MD_DataIdentification, in the element order of gmd.xsd."""
        md = self.md
        self.common_identification(ident)
        self.spatial_resolutions(ident)
        # Resource language (TG 2.0.1 section 2.2.3): mandatory when the data contain text.
        for lang in md.get("languages", []):
            self.language(ident, "gmd:language", lang)
        if not md.get("languages"):
            self.nil(ident, "gmd:language", "unknown")
        self.code(ident, "gmd:characterSet", "MD_CharacterSetCode", "utf8")
        self.topic_categories(ident)
        self.extents(ident)
        self.supplemental_information(ident)

    def vertical_crs(self, ve: I.Node, crs: str | None) -> None:
        """gmd:verticalCRS by reference (xlink to the EPSG URI), nil when unknown (mandatory)."""
        if crs:
            self.sub(ve, "gmd:verticalCRS", xlink__href=I.epsg_uri(crs), xlink__title=crs)
        else:
            self.nil(ve, "gmd:verticalCRS", "unknown")

    def distribution_format(self, fmt: I.Node, media_type: str) -> None:
        self.string(fmt, "gmd:name", media_type)
        self.nil(fmt, "gmd:version", "unknown")

    def linkage_xml(self, depth: int, url: str) -> str:
        start, end = self.wrap((depth, "gmd:linkage", "gmd:URL"))
        return f"{start}>{I.escape_text(url)}{end}"

    def quality(self, root: I.Node, level: str) -> None:
        """Conformity (TG 2.0.1 section 2.7) and lineage (section 2.6.3) in one DQ_DataQuality."""
        md = self.md
        review = self.doc.get("reviewed_by")
        if not md.get("inspire_conformity") and not md.get("lineage") and not review:
            return
        dq = self.subs(root, "gmd:dataQualityInfo", "gmd:DQ_DataQuality")
        self.code(self.subs(dq, "gmd:scope", "gmd:DQ_Scope"), "gmd:level", "MD_ScopeCode", level)
        self.conformity_reports(dq)
        if md.get("lineage") or review:
            lineage = self.subs(dq, "gmd:lineage", "gmd:LI_Lineage")
            if md.get("lineage"):
                self.text(lineage, "gmd:statement", md["lineage"])
            if review:
                # The community review as a process step (ISO 19115 LI_ProcessStep): what was
                # done and when; the processor (a person) only when the repository names them.
                step = self.subs(lineage, "gmd:processStep", "gmd:LI_ProcessStep")
                desc = self.sub(step, "gmd:description")
                self.sub(desc, "gco:CharacterString", review_statement(review))
                when = self.sub(step, "gmd:dateTime")
                self.sub(when, "gco:DateTime", f"{review['date']}T00:00:00")


def write_iso19139(document: dict[str, Any]) -> bytes:
    """ISO 19139 gmd:MD_Metadata (INSPIRE TG 2.0.1) for a canonical record document."""
    return _Writer(document).write()


# --- reader -----------------------------------------------------------------------------------

#: A data set's or a service's identification (ISO 19119 SV_ServiceIdentification, srv namespace).
IDENTIFICATIONS = (
    "gmd:identificationInfo/gmd:MD_DataIdentification|gmd:identificationInfo/srv:SV_ServiceIdentification"
)
READ_NS = {"gmd": GMD, "gco": GCO, "gmx": GMX, "srv": SRV, "gml": GML, "gml31": GML_2006, "xlink": XLINK}
_GML = (GML, GML_2006)
_SPDX_URL = re.compile(r"spdx\.org/licenses/([^/#?]+?)(?:\.html|\.json)?/?$", re.I)
_CC_URL = re.compile(r"creativecommons\.org/(licenses|publicdomain)/([a-z-]+)/(\d\.\d)", re.I)
_DOI_TEXT = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}/\S+)$", re.I)
_LOCAL = re.compile(r"\b(gmd|gco|gmx|gml|gml31|srv):([A-Za-z_]\w*)")
# A credit line as exports._iso.credit_texts writes it: "Funder (identifier), grant N, title".
_CREDIT = re.compile(
    r"(?P<name>[^()]+?)(?: \((?P<id>[^()\s]+)\))?(?:, grant (?P<award>[^,]+))?(?:, (?P<title>.+))?"
)
_SCOPE_TO_GENERAL = {
    "dataset": "Dataset",
    "series": "Collection",
    "nonGeographicDataset": "Dataset",
    "service": "Service",
    "software": "Software",
    "model": "Model",
}


def _licence_from(text: str | None, href: str | None) -> dict[str, Any] | None:
    """A canonical licence from an otherConstraints value: SPDX or Creative Commons URL, or a
    text that names a licence."""
    for value in (href, text):
        if not value:
            continue
        match = _SPDX_URL.search(value)
        if match and controlled.spdx_license(match.group(1)):
            return {"id": controlled.spdx_license(match.group(1))["id"]}
        match = _CC_URL.search(value)
        if match:
            kind, name, version = match.groups()
            candidate = "CC0-1.0" if kind.lower() == "publicdomain" else f"CC-{name.upper()}-{version}"
            if controlled.spdx_license(candidate):
                return {"id": controlled.spdx_license(candidate)["id"]}
    if text and re.search(r"licen[cs]e|licence ouverte|open licence", text, re.I):
        licence = {"name": text}
        if href:
            licence["uri"] = href
        return licence
    return None


class _Reader:
    """Maps one gmd:MD_Metadata onto canonical metadata, reporting everything else."""

    def __init__(self, root: etree._Element):
        self.root = root
        prefixes = dict(READ_NS)
        self.r = I.Reading(root, prefixes)
        self.md: dict[str, Any] = {}
        self.source_identifier: str | None = None
        self.locales: dict[str, str] = {}
        self.md_lang: str | None = None
        self.source_roles: dict[int, str] = {}  # id(agent) -> what an ISO 19115-1 role makes it

    # -- helpers ---------------------------------------------------------------------------

    loose = False  # 19115-3 subclass: match local names, whatever the namespace version

    def all(self, el: etree._Element, path: str) -> list[etree._Element]:
        if self.loose:
            path = _LOCAL.sub(r"*[local-name()='\2']", path)
        return el.xpath(path, namespaces=READ_NS)

    def one(self, el: etree._Element, path: str) -> etree._Element | None:
        found = self.all(el, path)
        return found[0] if found else None

    def value(self, prop: etree._Element | None) -> tuple[str | None, str | None]:
        """(text, href) of a CharacterString / Anchor / URL property; marks it consumed."""
        if prop is None:
            return None, None
        self.r.take(prop)
        for child in prop:
            if not isinstance(child.tag, str) or etree.QName(child).localname == "PT_FreeText":
                continue
            text = (child.text or "").strip() or None
            href = child.get(I.XLINK_HREF) or None
            if child.get("codeListValue"):
                text = child.get("codeListValue")
            return text, href
        return None, prop.get(I.XLINK_HREF)

    def texts(self, prop: etree._Element) -> list[dict[str, Any]]:
        """Texts of a possibly multilingual property (see _Writer.text for the convention)."""
        default, _ = self.value(prop)
        localised = []
        for loc in self.all(prop, "gmd:PT_FreeText/gmd:textGroup/gmd:LocalisedCharacterString"):
            text = (loc.text or "").strip()
            if text:
                localised.append({"text": text, "lang": self.locale_lang(loc.get("locale", ""))})
        out = []
        if default and not any(item["text"] == default for item in localised):
            out.append({"text": default, "lang": self.md_lang})
        out += localised
        return [{k: v for k, v in item.items() if v} for item in out]

    def locale_lang(self, ref: str) -> str | None:
        key = ref.lstrip("#")
        # Undeclared: guess from the id, ours (r1a2b3c4d-FRE) or a bare code (FRE).
        return self.locales.get(key) or I.bcp47(key.rsplit("-", 1)[-1].lower())

    def code(self, prop: etree._Element | None) -> str | None:
        if prop is None:
            return None
        self.r.take(prop)
        child = next((c for c in prop if isinstance(c.tag, str)), None)
        if child is None:
            return None
        return child.get("codeListValue") or (child.text or "").strip() or None

    def date(self, prop: etree._Element | None) -> str | None:
        if prop is None:
            return None
        self.r.take(prop)
        child = self.one(prop, "gco:Date|gco:DateTime")
        return (child.text or "").strip() if child is not None and child.text else None

    # -- the record ------------------------------------------------------------------------

    def read(self) -> ImportResult:
        root, md, r = self.root, self.md, self.r
        self.declared_locales("gmd:locale/gmd:PT_Locale", "gmd:languageCode")
        self.md_lang = I.bcp47(self.code(self.one(root, "gmd:language")))
        if self.md_lang:
            md["metadata_language"] = self.md_lang
        file_id, _ = self.value(self.one(root, "gmd:fileIdentifier"))
        # Record-level values of the source catalogue, not metadata of the resource:
        r.take(
            *self.all(
                root, "gmd:characterSet|gmd:dateStamp|gmd:metadataStandardName|gmd:metadataStandardVersion"
            )
        )
        level = self.code(self.one(root, "gmd:hierarchyLevel"))
        name, _ = self.value(self.one(root, "gmd:hierarchyLevelName"))
        self.resource_type(level, name)
        self.reference_systems()
        idents = self.all(root, IDENTIFICATIONS)
        for extra in self.all(root, "gmd:identificationInfo")[1:]:
            r.report(extra, "only the first identification is imported")
        if idents:
            self.identification(idents[0])
        metadata_contacts = [self.party(p) for p in self.all(root, "gmd:contact/gmd:CI_ResponsibleParty")]
        # Metadata points of contact (MD_Metadata/gmd:contact): usually the resource contacts again.
        for prop, agent in zip(self.all(root, "gmd:contact"), metadata_contacts, strict=True):
            r.consumed.update(set(prop.iterchildren()) | {prop})
            self.metadata_contact(prop, agent)
        self.distribution()
        self.quality()
        return self.result(file_id)

    # -- parts both encodings share (the 19115-3 reader passes its own paths) --------------

    def declared_locales(self, path: str, language: str) -> None:
        """PT_Locale declarations: id -> BCP 47 tag, for the locale references of PT_FreeText."""
        for loc in self.all(self.root, path):
            lang = I.bcp47(self.code(self.one(loc, language)))
            if loc.get("id") and lang:
                self.locales[loc.get("id")] = lang
            self.r.take(loc.getparent())

    def resource_type(self, level: str | None, name: str | None) -> None:
        resource_type: dict[str, Any] = {"general": _SCOPE_TO_GENERAL.get(level or "dataset", "Other")}
        if level:
            resource_type["hierarchy_level"] = level
        if name:
            resource_type["name"] = name
        self.md["resource_type"] = resource_type

    def reference_systems(self) -> None:
        md, r = self.md, self.r
        for rs in self.all(self.root, "gmd:referenceSystemInfo"):
            text, href = self.value(self.one(rs, ".//gmd:code"))
            space, _ = self.value(self.one(rs, ".//gmd:codeSpace"))
            epsg = I.parse_epsg(href, text, f"{space}:{text}" if space and text else None)
            if epsg:
                md.setdefault("reference_systems", []).append(epsg)
                r.take(rs)
            else:
                r.report(rs, "not an EPSG reference system")

    def metadata_contact(self, prop: etree._Element, agent: dict[str, Any]) -> None:
        """A metadata point of contact: kept as a contact when it has an e-mail not seen yet."""
        if not agent.get("email"):
            # Kept as a party (a contact needs an e-mail): a ContactPerson contributor, once.
            known = [c.get("name") for c in self.md.get("contributors", []) + self.md.get("contacts", [])]
            if agent.get("name") and agent["name"] not in known:
                agent.pop("role", None)
                self.md.setdefault("contributors", []).append({**agent, "contributor_type": "ContactPerson"})
                self.r.unmapped.append(
                    f"{self.r.path(prop)}: metadata point of contact without usable e-mail kept as a ContactPerson contributor"
                )
        elif not any(c.get("email") == agent.get("email") for c in self.md.get("contacts", [])):
            self.md.setdefault("contacts", []).append(agent)

    def add_related(
        self,
        code: str | None,
        href: str | None,
        association: str | None,
        scheme: str | None,
        where: etree._Element | None = None,
    ) -> None:
        from vocabularies import identifiers

        item: dict[str, Any] = {
            "identifier": code or href,
            "relation_type": I.ASSOCIATION_BACK.get(association or "", "References"),
        }
        if scheme and controlled.is_datacite("relatedIdentifierType", scheme):
            item["scheme"] = scheme
        elif code and identifiers.detect_scheme(code):
            pass  # DOI, Handle, URL… detected by the schema
        elif href and identifiers.detect_scheme(href):
            item["identifier"] = href
        elif item["identifier"]:
            # An identifier of a type DataCite does not list: kept as Other, never dropped.
            item["scheme"] = "Other"
            place = self.r.path(where) if where is not None else "related identifier"
            self.r.unmapped.append(
                f"{place}: identifier type not recognised ({scheme or 'no type'}), kept with scheme Other"
                f" ({item['identifier']})"
            )
        self.md.setdefault("related_identifiers", []).append(item)

    def result(self, file_id: str | None) -> ImportResult:
        """What remains unconsumed is reported; the metadata is made loadable."""
        self.source_identifier = self.source_identifier or file_id
        self.r.leftovers()
        unmapped = list(self.r.unmapped)
        metadata = I.loadable(self.md, unmapped, self.root)
        return ImportResult(metadata=metadata, unmapped=unmapped, source_identifier=self.source_identifier)

    def party(self, rp: etree._Element) -> dict[str, Any]:
        """A canonical agent from a CI_ResponsibleParty (role in ``role``)."""
        person, person_uri = self.value(self.one(rp, "gmd:individualName"))
        org, org_uri = self.value(self.one(rp, "gmd:organisationName"))
        position, _ = self.value(self.one(rp, "gmd:positionName"))
        email, _ = self.value(
            self.one(
                rp, "gmd:contactInfo/gmd:CI_Contact/gmd:address/gmd:CI_Address/gmd:electronicMailAddress"
            )
        )
        agent: dict[str, Any]
        if person:
            agent = {"type": "Personal", "name": person}
            family, sep, given = person.partition(", ")
            if sep and family and given:
                agent["family_name"], agent["given_name"] = family, given
            if person_uri:
                agent["identifiers"] = [{"identifier": person_uri}]
            if org:
                agent["affiliations"] = [
                    {"name": org, **({"ror": org_uri} if org_uri and "ror.org" in org_uri else {})}
                ]
        else:
            agent = {"type": "Organizational", "name": org or position or ""}
            if org_uri:
                agent["identifiers"] = [{"identifier": org_uri}]
        self.email_of(agent, email, rp)
        self.role_of(agent, self.one(rp, "gmd:role"))
        return agent

    def email_of(self, agent: dict[str, Any], email: str | None, party: etree._Element) -> None:
        """Sets a usable e-mail; a placeholder (``n/a``, ``none``, ``x@``) is reported, and the
        party is kept without it (as a contributor rather than a contact)."""
        if not email:
            return
        from marshmallow import ValidationError

        from schemas.fields import Email

        try:
            agent["email"] = Email().deserialize(email)
        except ValidationError:
            self.r.unmapped.append(
                f"{self.r.path(party)}: e-mail address not usable, party kept without it ({email})"
            )

    def role_of(self, agent: dict[str, Any], prop: etree._Element | None) -> None:
        """Sets the CI_RoleCode; an ISO 19115-1 role the 2003 list lacks is mapped onto the closest
        one (``I.ROLES_19115_1``) and the mapping reported; any other unknown role is reported."""
        role = self.code(prop)
        if not role or prop is None:
            return
        if controlled.is_iso_code("CI_RoleCode", role):
            agent["role"] = role
            return
        path = self.r.path(prop)
        if role in I.ROLES_19115_1:
            closest, becomes = I.ROLES_19115_1[role]
            if closest:
                agent["role"] = closest
            self.source_roles[id(agent)] = becomes
            what = {"creator": "a creator", "funding": "a funding reference"}.get(
                becomes, f"contributor type {becomes}"
            )
            self.r.unmapped.append(
                f"{path}: ISO 19115-1 role {role} mapped to {what}" + (f", role {closest}" if closest else "")
            )
        else:
            self.source_roles[id(agent)] = "Other"  # a cited party of unknown role: a contributor
            self.r.unmapped.append(
                f"{path}: role {role!r} is not an ISO CI_RoleCode; party kept without role"
            )

    def identification(self, ident: etree._Element) -> None:
        md, r = self.md, self.r
        r.consumed.update({ident.getparent(), ident})  # children are consumed one by one
        cit = self.one(ident, "gmd:citation/gmd:CI_Citation")
        if cit is not None:
            self.citation(cit)
        for prop in self.all(ident, "gmd:abstract"):
            md["abstracts"] = self.texts(prop)
        for prop in self.all(ident, "gmd:purpose"):
            for item in self.texts(prop):
                md.setdefault("descriptions", []).append({"type": "Other", **item})
        for prop in self.all(ident, "gmd:credit"):
            self.credit(prop)
        contacts_from_poc = []
        for prop in self.all(ident, "gmd:pointOfContact"):
            rp = self.one(prop, "*")
            if rp is None:
                continue
            agent = self.party(rp)
            r.consumed.update({prop, rp})  # what party() did not read stays reportable
            contacts_from_poc.append(agent)
            if agent.get("email"):
                md.setdefault("contacts", []).append(agent)
            else:
                md.setdefault("contributors", []).append({**agent, "contributor_type": "ContactPerson"})
        # Sextant often lists the authors only as points of contact: use them when the citation has none.
        if not md.get("creators"):
            for agent in contacts_from_poc:
                if agent.get("role") in I.CREATOR_ROLES:
                    creator = {k: v for k, v in agent.items() if k != "email"}
                    if creator.get("role") == "author":
                        del creator["role"]
                    md.setdefault("creators", []).append(creator)
        for prop in self.all(ident, "gmd:graphicOverview"):
            self.overview(prop)
        for prop in self.all(ident, "gmd:descriptiveKeywords"):
            self.keywords(prop)
        self.constraints(ident)
        for agg in self.all(ident, "gmd:aggregationInfo/gmd:MD_AggregateInformation"):
            self.related(agg)
        for res in self.all(ident, "gmd:spatialResolution/gmd:MD_Resolution"):
            distance = self.one(res, "gmd:distance/gco:Distance")
            scale = self.one(
                res, "gmd:equivalentScale/gmd:MD_RepresentativeFraction/gmd:denominator/gco:Integer"
            )
            try:
                if distance is not None:
                    entry: dict[str, Any] = {
                        "distance": float(distance.text),
                        "unit": distance.get("uom") or "m",
                    }
                elif scale is not None:
                    entry = {"scale_denominator": int(scale.text)}
                else:
                    continue
            except (TypeError, ValueError):
                r.report(res, "not a number")
                continue
            md.setdefault("spatial_resolutions", []).append(entry)
            r.take(res.getparent())
        for prop in self.all(ident, "gmd:language"):
            lang = I.bcp47(self.code(prop))
            if lang:
                md.setdefault("languages", []).append(lang)
            elif self.code(prop):
                r.report(prop, "not an ISO 639 language code")
        r.take(*self.all(ident, "gmd:characterSet"))
        for prop in self.all(ident, "gmd:topicCategory"):
            r.take(prop)
            topic = (self.one(prop, "gmd:MD_TopicCategoryCode").text or "").strip()
            md.setdefault("topic_categories", []).append(topic)
        for ex in self.all(ident, "gmd:extent/gmd:EX_Extent|srv:extent/gmd:EX_Extent"):
            self.extent(ex)
        for prop in self.all(ident, "gmd:supplementalInformation"):
            for item in self.texts(prop):
                descriptions, _ = I.parse_descriptions(item["text"])
                md.setdefault("descriptions", []).extend(descriptions)
        if etree.QName(ident).localname == "SV_ServiceIdentification":
            self.service(ident)

    def service(self, ident: etree._Element) -> None:
        """ISO 19119 service identification: resource type Service, service type and versions,
        keywords, and each operation's connect points as online resources."""
        md, r = self.md, self.r
        rt = md.setdefault("resource_type", {})
        rt["general"] = "Service"
        rt.setdefault("hierarchy_level", "service")
        kind = self.one(ident, "srv:serviceType")
        if kind is not None:
            r.take(kind)
            name = self.one(kind, "*")
            text = " ".join((name.text or "").split()) if name is not None else ""
            if text:
                rt["service_type"] = text
        for prop in self.all(ident, "srv:serviceTypeVersion"):
            version, _ = self.value(prop)
            if version and "service_type" in rt:
                rt.setdefault("service_versions", []).append(version)
        for prop in self.all(ident, "srv:keywords"):
            self.keywords(prop)
        for op in self.all(ident, "srv:containsOperations/srv:SV_OperationMetadata"):
            r.consumed.update({op.getparent(), op})
            name_prop = self.one(op, "srv:operationName")
            operation, _ = self.value(name_prop)
            r.take(*self.all(op, "srv:DCP|srv:distributedComputingPlatform"))
            resources = self.all(op, "srv:connectPoint/gmd:CI_OnlineResource")
            if operation and not resources:
                r.report(name_prop, "operation without a connect point not kept")
            for res in resources:
                before = len(md.get("online_resources", []))
                self.online_resource(res)
                for item in md.get("online_resources", [])[before:]:
                    self.keep_operation(item, operation, name_prop)
        for prop in self.all(ident, "srv:couplingType"):
            if self.code(prop) != "loose":  # the value our writer states; others are reported
                r.report(prop, "coupling type is not kept (written back as loose)")

    def keep_operation(
        self, item: dict[str, Any], operation: str | None, prop: etree._Element | None
    ) -> None:
        """The operation name of a connect point, in the online resource read from it: nothing
        when it is the one our writers derive (the protocol, or ``access``); else the resource's
        name when the resource has neither name nor layer; else its description when it has
        none; else it is reported (docs/metadata-profile.md, "Online resources")."""
        if not operation or operation == (item.get("protocol") or "access"):
            return
        if "names" not in item and "layer_name" not in item:
            item["names"] = [{"text": operation}]
        elif "descriptions" not in item:
            item["descriptions"] = [{"text": operation}]
        elif prop is not None:
            self.r.unmapped.append(
                f"{self.r.path(prop)}: operation name not kept, the online resource has a name "
                f"and a description ({operation})"
            )

    def citation(self, cit: etree._Element) -> None:
        md, r = self.md, self.r
        titles = []
        for prop in self.all(cit, "gmd:title"):
            texts = self.texts(prop)
            if texts:
                titles.append(texts[0])
                titles += [{**t, "type": "TranslatedTitle"} for t in texts[1:]]
        for prop in self.all(cit, "gmd:alternateTitle"):
            titles += [{**t, "type": "AlternativeTitle"} for t in self.texts(prop)]
        if titles:
            md["titles"] = titles
        for ci in self.all(cit, "gmd:date/gmd:CI_Date"):
            value = self.date(self.one(ci, "gmd:date"))
            kind = self.code(self.one(ci, "gmd:dateType"))
            if value and kind in I.DATE_TYPES_BACK:
                md.setdefault("dates", []).append({"date": value, "type": I.DATE_TYPES_BACK[kind]})
                if kind == "publication" and value[:4].isdigit():
                    md.setdefault("publication_year", int(value[:4]))
            elif value:
                r.report(ci, f"date type {kind!r} has no canonical equivalent")
        r.take(*self.all(cit, "gmd:date"))
        edition, _ = self.value(self.one(cit, "gmd:edition"))
        if edition:
            md["version"] = edition
        for mid in self.all(cit, "gmd:identifier/*"):
            code, href = self.value(self.one(mid, "gmd:code"))
            authority, _ = self.value(self.one(mid, "gmd:authority/gmd:CI_Citation/gmd:title"))
            space, _ = self.value(self.one(mid, "gmd:codeSpace"))
            r.take(mid.getparent())
            doi = next((m.group(1) for v in (href, code) if v for m in [_DOI_TEXT.match(v)] if m), None)
            if doi and self.source_identifier is None:
                self.source_identifier = doi
            elif code:
                scheme = (
                    authority or space or ("URL" if code.startswith(("http://", "https://")) else "local")
                )
                md.setdefault("alternate_identifiers", []).append({"identifier": code, "scheme": scheme})
        for rp in self.all(cit, "gmd:citedResponsibleParty/*"):
            r.consumed.update({rp.getparent(), rp})
            agent = self.party(rp)
            role = agent.get("role")
            becomes = self.source_roles.get(id(agent))
            if becomes == "funding":
                self.add_funding(agent)
                continue
            if becomes and becomes != "creator":
                agent["contributor_type"] = becomes
                md.setdefault("contributors", []).append(agent)
                continue
            if role == "publisher" and "publisher" not in md:
                publisher = {
                    "name": agent.get("name") or (agent.get("affiliations") or [{}])[0].get("name", "")
                }
                ror = next(
                    (i["identifier"] for i in agent.get("identifiers", []) if "ror.org" in i["identifier"]),
                    None,
                )
                if ror:
                    publisher["ror"] = ror
                md["publisher"] = publisher
            elif role in I.CREATOR_ROLES or role is None:
                if role == "author":
                    del agent["role"]
                md.setdefault("creators", []).append(agent)
            else:
                agent["contributor_type"] = I.ROLE_CONTRIBUTOR.get(role, "Other")
                md.setdefault("contributors", []).append(agent)

    def add_funding(self, agent: dict[str, Any]) -> None:
        """A funder or sponsor party as a funding reference (its organisation, ROR kept)."""
        name = agent.get("name") or ""
        if agent.get("type") == "Personal" and agent.get("affiliations"):
            name = agent["affiliations"][0]["name"]
        entry: dict[str, Any] = {"funder_name": name}
        # The funder identifier types DataCite knows that a name's Anchor carries (ROR first).
        kinds = (("ror.org/", "ROR"), ("10.13039/", "Crossref Funder ID"), ("isni.org/", "ISNI"))
        found = [
            (rank, i["identifier"], kind)
            for i in agent.get("identifiers", [])
            for rank, (mark, kind) in enumerate(kinds)
            if mark in i["identifier"]
        ]
        if found:
            _, entry["funder_identifier"], entry["funder_identifier_type"] = min(found)
        self.md.setdefault("funding", []).append(entry)

    def credit(self, prop: etree._Element) -> None:
        """gmd:credit: a line our writers wrote from a funding reference ("Funder (id), grant N,
        title") becomes that funding reference again; any other credit is kept as a description
        of type Other ("Credit: …")."""
        for item in self.texts(prop):
            match = _CREDIT.fullmatch(item["text"])
            if match and (match["id"] or match["award"]):
                entry = {"funder_name": match["name"]}
                if match["id"]:
                    entry["funder_identifier"] = match["id"]
                if match["award"]:
                    entry["award_number"] = match["award"]
                if match["title"]:
                    entry["award_title"] = match["title"]
                self.md.setdefault("funding", []).append(entry)
            else:
                self.md.setdefault("descriptions", []).append(
                    {
                        "type": "Other",
                        "text": f"Credit: {item['text']}",
                        **({"lang": item["lang"]} if item.get("lang") else {}),
                    }
                )

    def overview(self, prop: etree._Element) -> None:
        bg = self.one(prop, "gmd:MD_BrowseGraphic")
        name, _ = self.value(self.one(bg, "gmd:fileName"))
        description, _ = self.value(self.one(bg, "gmd:fileDescription"))
        self.value(self.one(bg, "gmd:fileType"))  # the image format: derived from the URL
        if not name or not name.startswith(("http://", "https://")):
            self.r.report(prop, "graphic overview without an absolute URL")
            return
        kind = "logo" if "logo" in f"{name} {description or ''}".lower() else "thumbnail"
        overview = {"url": name, "type": kind}
        if description and description not in ("logo", "thumbnail", "large_thumbnail"):
            overview["description"] = description
        self.md.setdefault("graphic_overviews", []).append(overview)
        self.r.take(prop)

    def keywords(self, prop: etree._Element) -> None:
        md, r = self.md, self.r
        kw = self.one(prop, "gmd:MD_Keywords")
        if kw is None:
            return
        keyword_type = self.code(self.one(kw, "gmd:type"))
        # GCMD spells it dataCenter; ISO 19115-1 MD_KeywordTypeCode dataCentre.
        keyword_type = {"dataCenter": "dataCentre"}.get(keyword_type or "", keyword_type)
        thesaurus = self.one(kw, "gmd:thesaurusName/gmd:CI_Citation")
        scheme_name = scheme_uri = scheme_date = scheme_date_type = None
        if thesaurus is not None:
            scheme_name, scheme_uri = self.value(self.one(thesaurus, "gmd:title"))
            # One date is kept: publication, else revision, else creation (the INSPIRE TG
            # thesaurus citation takes any of the three).
            dates = {}
            for ci in self.all(thesaurus, "gmd:date/gmd:CI_Date"):
                dates.setdefault(self.code(self.one(ci, "gmd:dateType")), self.date(self.one(ci, "gmd:date")))
            scheme_date_type = next((t for t in THESAURUS_DATE_TYPES if dates.get(t)), None)
            scheme_date = dates.get(scheme_date_type) if scheme_date_type else None
            r.take(thesaurus.getparent())
        terms = []
        for k in self.all(kw, "gmd:keyword"):
            if self.one(k, "gmx:Anchor") is not None:
                text, href = self.value(k)
                if text:
                    terms.append({"term": text, **({"value_uri": href} if href else {})})
            else:
                for item in self.texts(k):
                    terms.append(
                        {"term": item["text"], **({"lang": item["lang"]} if item.get("lang") else {})}
                    )
        r.take(prop)
        if not terms:
            return
        if keyword_type in ("platform", "instrument"):
            field = "platforms" if keyword_type == "platform" else "instruments"
            for term in terms:
                concept = {"term": term["term"]}
                if term.get("value_uri"):
                    concept["value_uri"] = term["value_uri"]
                if scheme_name:
                    concept["scheme_name"] = scheme_name
                if scheme_uri:
                    concept["scheme_uri"] = scheme_uri
                md.setdefault(field, []).append(concept)
            return
        if scheme_name:
            group: dict[str, Any] = {"scheme_name": scheme_name, "terms": terms}
            if scheme_uri:
                group["scheme_uri"] = scheme_uri
            if scheme_date:
                group["scheme_date"] = scheme_date
                if scheme_date_type != "publication":
                    group["scheme_date_type"] = scheme_date_type
            if keyword_type:
                group["keyword_type"] = keyword_type
            md.setdefault("keywords", []).append(group)
            return
        if keyword_type:
            self.r.unmapped.append(
                f"{self.r.path(kw)}/gmd:type: keyword type of uncontrolled keywords is not kept ({keyword_type})"
            )
        for term in terms:
            md.setdefault("free_keywords", []).append(
                {k: v for k, v in term.items() if k in ("term", "lang")}
            )
            if term.get("value_uri"):
                self.r.unmapped.append(
                    f"{self.r.path(kw)}: concept URI of an uncontrolled keyword ({term['value_uri']})"
                )

    def constraints(self, ident: etree._Element) -> None:
        md, r = self.md, self.r
        rights: dict[str, Any] = {}
        access_said = None
        limitations: list[str] = []
        conditions: list[str] = []
        for block in self.all(ident, "gmd:resourceConstraints/*"):
            r.take(block.getparent())
            for prop in self.all(block, "gmd:useLimitation"):
                if (self.value(prop)[1] or "").startswith(I.CONDITIONS):
                    conditions.append(self.value(prop)[1])
                    continue
                texts = self.texts(prop)
                licence = _licence_from(texts[0]["text"], None) if texts else None
                if licence and "id" in licence and "license" not in rights:
                    rights["license"] = (
                        licence  # e.g. Sextant: "Licence CC-BY 4.0 : https://creativecommons..."
                    )
                else:
                    rights.setdefault("use_constraints", []).extend(texts)
            is_access = self.one(block, "gmd:accessConstraints") is not None
            r.take(*self.all(block, "gmd:accessConstraints|gmd:useConstraints"))
            for prop in self.all(block, "gmd:otherConstraints"):
                text, href = self.value(prop)
                if href and href.startswith(I.LIMITATIONS):
                    access_said = access_said or ("open" if href == I.NO_LIMITATIONS[0] else "restricted")
                    if href == I.NO_LIMITATIONS[0]:
                        access_said = "open"
                    limitations.append(href)
                    continue
                if href and href.startswith(I.CONDITIONS):
                    conditions.append(href)
                    continue
                if text and I.embargo_date(text):
                    access_said, rights["embargo_until"] = "embargoed", I.embargo_date(text)
                    continue
                if text == I.RESTRICTED_TEXT:
                    access_said = "restricted"
                    continue
                if text == I.METADATA_ONLY_TEXT:
                    access_said = "metadata_only"
                    continue
                licence = None if is_access else _licence_from(text, href)
                if not is_access and licence is None and href and text:
                    licence = {"name": text, "uri": href}  # TG 2.0.1: a licence as gmx:Anchor
                if licence and "license" not in rights:
                    rights["license"] = licence
                    continue
                key = "access_constraints" if is_access else "use_constraints"
                rights.setdefault(key, []).extend(self.texts(prop) or [{"text": href}])
            if etree.QName(block).localname not in ("MD_LegalConstraints", "MD_Constraints"):
                for child in block:
                    if child not in r.consumed and isinstance(child.tag, str):
                        r.report(child, "security constraints are not mapped")
        if access_said:
            rights["access_level"] = access_said
        if rights.get("embargo_until") and rights.get("access_level") != "embargoed":
            rights["access_level"] = "embargoed"
        # The limitations chosen by the producer: all but the one the access level implies alone
        # (which the writer adds when none is chosen). Known codes only; the label is the code list's.
        if limitations != [I.default_limitation(rights)]:
            known = [h for h in limitations if I.limitation_label({"uri": h}, "en") != h]
            coded = [{"uri": h, "text": I.limitation_label({"uri": h}, "en"), "lang": "en"} for h in known]
            if coded:
                rights["access_constraints"] = coded + rights.get("access_constraints", [])
        coded_use = I.coded_conditions(conditions, rights)
        if coded_use:
            rights["use_constraints"] = coded_use + rights.get("use_constraints", [])
        if rights:
            md["rights"] = rights

    def related(self, agg: etree._Element) -> None:
        r = self.r
        mid = self.one(agg, "gmd:aggregateDataSetIdentifier/*")
        association = self.code(self.one(agg, "gmd:associationType"))
        if mid is None:
            r.report(agg.getparent(), "aggregate without identifier")
            return
        code, href = self.value(self.one(mid, "gmd:code"))
        scheme, _ = self.value(self.one(mid, "gmd:authority/gmd:CI_Citation/gmd:title"))
        r.take(mid)
        self.add_related(code, href, association, scheme, mid)
        r.take(agg.getparent())

    def extent(self, ex: etree._Element) -> None:
        md, r = self.md, self.r
        r.consumed.update({ex.getparent(), ex})
        place, _ = self.value(self.one(ex, "gmd:description"))
        pieces: list[dict[str, Any]] = []
        for element in self.all(ex, "gmd:geographicElement/*"):
            r.consumed.add(element.getparent())
            piece = self.geographic(element)
            if piece:
                pieces.append(piece)
        # One spatial extent per EX_Extent when it holds at most one geometry of each kind,
        # otherwise one per geometry (GeoNetwork often lists several boxes in one EX_Extent).
        kinds = [k for p in pieces for k in p if k in ("bbox", "polygon", "point")]
        uris = [p for p in pieces if "place_uri" in p]
        if len(kinds) == len(set(kinds)) and len(uris) <= 1:
            merged: dict[str, Any] = {}
            for piece in pieces:
                merged.update(piece)
            if place:
                merged["place"] = place
            if merged:
                md.setdefault("spatial_extents", []).append(merged)
        else:
            for index, piece in enumerate(pieces):
                if index == 0 and place:
                    piece["place"] = place
                md.setdefault("spatial_extents", []).append(piece)
        for te in self.all(ex, "gmd:temporalElement/*/gmd:extent/*"):
            self.temporal(te)
            r.take(te.getparent().getparent().getparent())
        for ve in self.all(ex, "gmd:verticalElement/gmd:EX_VerticalExtent"):
            r.take(ve.getparent())
            try:
                vertical: dict[str, Any] = {
                    "minimum": float(self.one(ve, "gmd:minimumValue/gco:Real").text),
                    "maximum": float(self.one(ve, "gmd:maximumValue/gco:Real").text),
                }
            except (AttributeError, TypeError, ValueError):
                r.unmapped.append(f"{r.path(ve)}: vertical extent without numeric bounds ({I.summary(ve)})")
                continue
            crs_id = self.one(ve, "gmd:verticalCRSId")  # ISO 19115-3: an MD_ReferenceSystem
            if crs_id is not None:
                code, href = self.value(self.one(crs_id, ".//gmd:code"))
                self.value(self.one(crs_id, ".//gmd:codeSpace"))
                crs = I.parse_epsg(href, code)
                if crs:
                    vertical["crs"] = crs
                else:
                    r.unmapped.append(
                        f"{r.path(crs_id)}: vertical CRS is not an EPSG code ({I.summary(crs_id)})"
                    )
            crs_el = self.one(ve, "gmd:verticalCRS")
            if crs_el is not None:
                crs = I.parse_epsg(
                    crs_el.get(I.XLINK_HREF), crs_el.get("{http://www.w3.org/1999/xlink}title")
                )
                if crs:
                    vertical["crs"] = crs
                elif I.summary(crs_el):
                    r.unmapped.append(
                        f"{r.path(crs_el)}: vertical CRS is not an EPSG code ({I.summary(crs_el)})"
                    )
            if "vertical_extent" in md:
                r.unmapped.append(f"{r.path(ve)}: only one vertical extent is kept ({I.summary(ve)})")
            else:
                md["vertical_extent"] = vertical

    def geographic(self, element: etree._Element) -> dict[str, Any] | None:
        r = self.r
        r.take(element)
        local = etree.QName(element).localname
        if local == "EX_GeographicBoundingBox":
            try:
                values = {
                    key: float(self.one(element, f"gmd:{name}/gco:Decimal").text)
                    for key, name in (
                        ("west", "westBoundLongitude"),
                        ("east", "eastBoundLongitude"),
                        ("south", "southBoundLatitude"),
                        ("north", "northBoundLatitude"),
                    )
                }
            except (AttributeError, TypeError, ValueError):
                r.unmapped.append(
                    f"{r.path(element)}: bounding box without four numbers ({I.summary(element)})"
                )
                return None
            return {"bbox": values}
        if local == "EX_GeographicDescription":
            code, href = self.value(self.one(element, "gmd:geographicIdentifier/*/gmd:code"))
            if href:
                return {"place_uri": href, **({"place": code} if code and code != href else {})}
            return {"place": code} if code else None
        if local == "EX_BoundingPolygon":
            geometry = self.one(element, "gmd:polygon/*")
            if geometry is None:
                return None
            result, problem = _geometry(geometry)
            if problem:
                r.unmapped.append(f"{r.path(geometry)}: {problem} ({I.summary(geometry)})")
            elif result is None:
                r.unmapped.append(f"{r.path(geometry)}: geometry type not mapped ({I.summary(geometry)})")
            return result
        r.unmapped.append(f"{r.path(element)}: not mapped ({I.summary(element)})")
        return None

    def temporal(self, te: etree._Element) -> None:
        r = self.r
        local = etree.QName(te).localname

        def position(path: str) -> tuple[str | None, str | None]:
            el = self.one(te, path)
            if el is None:
                return None, None
            return (el.text or "").strip() or None, el.get("indeterminatePosition")

        if local == "TimePeriod":
            start, _ = position(
                "gml:beginPosition|gml31:beginPosition|*/*/gml:timePosition|gml31:begin/*/gml31:timePosition"
            )
            end, indeterminate = position("gml:endPosition|gml31:endPosition|gml31:end/*/gml31:timePosition")
        elif local == "TimeInstant":
            start, _ = position("gml:timePosition|gml31:timePosition")
            end, indeterminate = start, None
        else:
            r.unmapped.append(f"{r.path(te)}: temporal element not mapped ({I.summary(te)})")
            return
        if not start:
            r.unmapped.append(f"{r.path(te)}: time period without a start ({I.summary(te)})")
            return
        entry = {"start": start}
        if end and not indeterminate:
            entry["end"] = end
        self.md.setdefault("temporal_extents", []).append(entry)

    def distribution(self) -> None:
        r = self.r
        for fmt in self.all(self.root, "gmd:distributionInfo/*/gmd:distributionFormat"):
            r.report(fmt, "distribution formats come from the record's files")
        for res in self.all(self.root, "gmd:distributionInfo//gmd:CI_OnlineResource"):
            self.online_resource(res)

    def online_resource(self, res: etree._Element) -> None:
        """A CI_OnlineResource as a canonical online resource. The links a writer derives from
        the record document (DOI, landing page, file downloads: ``I.DERIVED_LINKS``) are not
        metadata: the DOI becomes the source identifier, the others are reported."""
        r = self.r
        url = self.linkage(res)
        match = _DOI_TEXT.match(url)
        name_prop, description_prop = self.one(res, "gmd:name"), self.one(res, "gmd:description")
        name, _ = self.value(name_prop) if name_prop is not None else (None, None)
        description, _ = self.value(description_prop) if description_prop is not None else (None, None)
        derived = (name, description) in I.DERIVED_LINKS or description == I.DERIVED_FILE_DESCRIPTION
        if match and (derived or self.source_identifier is None):
            self.source_identifier = self.source_identifier or match.group(1)
            r.take(res)
            return
        if derived:
            r.report(res, "resource locator: links and files are record-level, not canonical metadata")
            return
        if not url:
            r.report(res, "online resource without a URL")
            return
        r.take(self.one(res, "gmd:linkage"))
        item: dict[str, Any] = {"url": url}
        protocol_text, _ = self.value(self.one(res, "gmd:protocol"))
        protocol = controlled.online_protocol(protocol_text)
        if protocol:
            item["protocol"] = protocol
        elif protocol_text:
            r.unmapped.append(
                f"{r.path(self.one(res, 'gmd:protocol'))}: protocol not in the canonical list ({protocol_text})"
            )
        profile, _ = self.value(self.one(res, "gmd:applicationProfile"))
        if profile:
            item["application_profile"] = profile
        if name_prop is not None:
            names = self.texts(name_prop)
            if names and controlled.ogc_service_type(protocol) and len(names) == 1:
                item["layer_name"] = names[0]["text"]
            elif names:
                item["names"] = names
        if description_prop is not None and self.texts(description_prop):
            item["descriptions"] = self.texts(description_prop)
        function = self.code(self.one(res, "gmd:function"))
        if function:
            item["function"] = function
        self.md.setdefault("online_resources", []).append(item)
        r.consumed.update({res, res.getparent()})  # children not read above stay reportable

    def linkage(self, res: etree._Element) -> str:
        """The URL of a CI_OnlineResource (gmd:linkage/gmd:URL)."""
        url = self.one(res, "gmd:linkage/gmd:URL")
        return (url.text or "").strip() if url is not None else ""

    def quality(self) -> None:
        md, r = self.md, self.r
        for dq in self.all(self.root, "gmd:dataQualityInfo/gmd:DQ_DataQuality"):
            r.consumed.update({dq.getparent(), dq})
            r.take(self.one(dq, "gmd:scope"))
            for result in self.all(dq, "gmd:report/*/gmd:result/gmd:DQ_ConformanceResult"):
                spec = self.one(result, "gmd:specification/gmd:CI_Citation")
                title, href = self.value(self.one(spec, "gmd:title")) if spec is not None else (None, None)
                date = None
                for ci in self.all(spec, "gmd:date/gmd:CI_Date") if spec is not None else []:
                    date = date or self.date(self.one(ci, "gmd:date"))
                    self.code(self.one(ci, "gmd:dateType"))
                passed = self.one(result, "gmd:pass/gco:Boolean")
                degree = "notEvaluated"
                if passed is not None:
                    degree = "conformant" if (passed.text or "").strip() in ("true", "1") else "notConformant"
                explanation, _ = self.value(self.one(result, "gmd:explanation"))
                report = result.getparent().getparent().getparent()
                entry = {"specification": title, "specification_date": date, "degree": degree}
                if href:
                    entry["specification_uri"] = href
                md.setdefault("inspire_conformity", []).append({k: v for k, v in entry.items() if v})
                r.take(report)
                if explanation and explanation != I.DEFAULT_EXPLANATION:
                    r.unmapped.append(f"{r.path(report)}: conformity explanation not kept ({explanation})")
            for prop in self.all(dq, "gmd:lineage/gmd:LI_Lineage/gmd:statement"):
                md.setdefault("lineage", []).extend(self.texts(prop))


def _geometry(geometry: etree._Element) -> tuple[dict[str, Any] | None, str | None]:
    """GeoJSON-like polygon/point from gml:Polygon / gml:Point (GML 3.2 or 3.1), and what was
    not kept of it (None when everything was).

    Axis order: CRS84 (and no srsName) is lon/lat; the EPSG:4326 URN/URI is lat/lon (OGC 06-135r7
    axis-order rule), unless that puts a latitude out of range (many catalogues write lon/lat anyway).
    A linear ring needs at least 4 positions (GML, GeoJSON): a polygon whose exterior ring has
    fewer is not kept; an interior ring with fewer is dropped from the polygon. Both are said.
    """
    qname = etree.QName(geometry)
    if qname.namespace not in _GML:
        return None, None
    srs = geometry.get("srsName") or ""
    lat_first = bool(re.search(r"EPSG", srs, re.I)) and "4326" in srs

    def pairs(text: str) -> list[list[float]]:
        numbers = [float(n) for n in text.replace(",", " ").split()]
        coords = [numbers[i : i + 2] for i in range(0, len(numbers) - 1, 2)]
        if lat_first and all(abs(c[1]) <= 90 for c in coords):
            coords = [[c[1], c[0]] for c in coords]
        return coords

    def ring_positions(ring: etree._Element) -> list[list[float]]:
        pos_list = ring.find("g:posList", ns)
        if pos_list is not None:
            return pairs(pos_list.text or "")
        coords = ring.find("g:coordinates", ns)
        if coords is not None:
            return pairs(coords.text or "")
        return pairs(" ".join((p.text or "") for p in ring.findall("g:pos", ns)))

    ns = {"g": qname.namespace}
    try:
        if qname.localname == "Polygon":
            exterior = geometry.xpath("g:exterior/g:LinearRing|g:outerBoundaryIs/g:LinearRing", namespaces=ns)
            if not exterior:
                return None, None
            outer = ring_positions(exterior[0])
            if len(outer) < 4:
                return None, f"polygon not kept: its exterior ring has {len(outer)} positions, fewer than 4"
            rings, short = [outer], 0
            for ring in geometry.xpath(
                "g:interior/g:LinearRing|g:innerBoundaryIs/g:LinearRing", namespaces=ns
            ):
                positions = ring_positions(ring)
                if len(positions) < 4:
                    short += 1
                else:
                    rings.append(positions)
            problem = f"{short} interior ring(s) of fewer than 4 positions not kept" if short else None
            return {"polygon": {"type": "Polygon", "coordinates": rings}}, problem
        if qname.localname == "Point":
            pos = geometry.find("g:pos", ns)
            if pos is None:
                pos = geometry.find("g:coordinates", ns)
            (lon, lat), *_ = pairs(pos.text or "")
            return {"point": {"lon": lon, "lat": lat}}, None
    except (AttributeError, ValueError, TypeError):
        return None, None
    return None, None


def read_iso19139(data: bytes) -> ImportResult:
    """Canonical metadata from an ISO 19139 record (gmd:MD_Metadata, or gmi:MI_Metadata, or a
    CSW response holding one). Anything the model cannot hold is listed in ``unmapped``."""
    root = safe_parse(data)
    if etree.QName(root).localname not in ("MD_Metadata", "MI_Metadata"):
        found = root.xpath("//*[local-name()='MD_Metadata' or local-name()='MI_Metadata']")
        if not found:
            raise ImportError_(
                f"not an ISO 19139 record: the root element is {etree.QName(root).localname}",
                line=root.sourceline,
            )
        root = found[0]
    if etree.QName(root).namespace not in (GMD, "http://www.isotc211.org/2005/gmi"):
        raise ImportError_(
            f"not an ISO 19139 record: namespace {etree.QName(root).namespace} is not gmd",
            line=root.sourceline,
        )
    return _Reader(root).read()


FORMAT = register(
    Format(
        name="iso19139",
        version="2",  # online resources, services, issue 10 fixes
        title="ISO 19139 / INSPIRE",
        media_type="application/vnd.iso.19139+xml",
        extension="xml",
        writer=write_iso19139,
        reader=read_iso19139,
        namespace=GMD,
        schema_location=SCHEMA_LOCATION,
        is_xml=True,
    )
)

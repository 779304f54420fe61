"""ISO 19115-3 crosswalk (mdb 2.0, cit 2.0, the namespaces GeoNetwork 4 writes) from the same
canonical record as ISO 19139, with the same decisions (exports/_iso.py), and its reader.

Element orders follow the XSDs of schemas.isotc211.org (mdb/2.0, cit/2.0, mri/1.0, gex/1.0,
mco/1.0, mrd/1.0, mrl/2.0, mrs/1.0, 19157-2 mdq/1.0). The reader also accepts mdb 1.0 / cit 1.0
records (it matches local names) and reuses the ISO 19139 reader's mappings where the two
encodings only differ by namespace.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lxml import etree

from exports import _iso as I
from exports.iso19139 import _DOI_TEXT, _SCOPE_TO_GENERAL, _num, _Reader, _time
from exports.registry import Format, ImportError_, ImportResult, register
from exports.xmlutil import safe_parse
from schemas import record_formats_and_size
from vocabularies import controlled

_B = "http://standards.iso.org/iso/19115/-3/"
NSMAP = {
    "mdb": _B + "mdb/2.0",
    "cit": _B + "cit/2.0",
    "gco": _B + "gco/1.0",
    "gcx": _B + "gcx/1.0",
    "gex": _B + "gex/1.0",
    "lan": _B + "lan/1.0",
    "mcc": _B + "mcc/1.0",
    "mco": _B + "mco/1.0",
    "mdq": "http://standards.iso.org/iso/19157/-2/mdq/1.0",
    "mrd": _B + "mrd/1.0",
    "mri": _B + "mri/1.0",
    "mrl": _B + "mrl/2.0",
    "mrs": _B + "mrs/1.0",
    "gml": "http://www.opengis.net/gml/3.2",
    "xlink": "http://www.w3.org/1999/xlink",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
MDB = NSMAP["mdb"]
SCHEMA_LOCATION = "https://schemas.isotc211.org/19115/-3/mdb/2.0/mdb.xsd"
_S = "https://schemas.isotc211.org/19115/-3/"
# Validation wrapper: mdb plus every namespace whose elements substitute into it.
SCHEMAS = (
    (MDB, SCHEMA_LOCATION),
    *(
        (NSMAP[p], f"{_S}{p}/{v}/{p}.xsd")
        for p, v in (
            ("cit", "2.0"),
            ("gcx", "1.0"),
            ("gex", "1.0"),
            ("lan", "1.0"),
            ("mcc", "1.0"),
            ("mco", "1.0"),
            ("mrd", "1.0"),
            ("mri", "1.0"),
            ("mrl", "2.0"),
            ("mrs", "1.0"),
        )
    ),
    (NSMAP["mdq"], "https://schemas.isotc211.org/19157/-2/mdq/1.0/mdq.xsd"),
)
# The 19115-3 codelist catalogue (ISO 19115-3 section 8 / GeoNetwork 4 uses this address).
CODELISTS = "http://standards.iso.org/iso/19115/resources/Codelists/cat/codelists.xml#"
LANGUAGE_CODELIST = "http://www.loc.gov/standards/iso639-2/"

# codelist element name -> namespace prefix that declares it
_CODELIST_NS = {
    "CI_RoleCode": "cit",
    "CI_DateTypeCode": "cit",
    "CI_OnLineFunctionCode": "cit",
    "MD_ScopeCode": "mcc",
    "MD_CharacterSetCode": "lan",
    "MD_KeywordTypeCode": "mri",
    "DS_AssociationTypeCode": "mri",
    "MD_RestrictionCode": "mco",
}


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NSMAP[prefix]}}}{local}"


def _sub(parent: etree._Element, name: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, _q(name))
    for key, value in attrs.items():
        el.set(_q(key.replace("__", ":")) if "__" in key else key, value)
    if text is not None:
        el.text = text
    return el


class _Writer:
    """Builds one mdb:MD_Metadata from a record document."""

    def __init__(self, document: dict[str, Any]):
        self.doc = document
        self.md = document.get("metadata") or {}
        self.md_lang = self.md.get("metadata_language")
        self.locales: list[str] = []
        self.gml_ids = 0

    def gml_id(self, prefix: str) -> str:
        self.gml_ids += 1
        return f"{prefix}{self.gml_ids}"

    def string(self, parent: etree._Element, name: str, text: str, href: str | None = None) -> etree._Element:
        el = _sub(parent, name)
        if href:
            _sub(el, "gcx:Anchor", text, xlink__href=href)
        else:
            _sub(el, "gco:CharacterString", text)
        return el

    def locale_id(self, lang: str) -> str:
        if lang not in self.locales:
            self.locales.append(lang)
        return (I.iso639_2(lang) or lang).upper()

    def text(
        self, parent: etree._Element, name: str, items: list[dict[str, Any]], keep_order: bool = False
    ) -> etree._Element:
        """Multilingual text, lan:PT_FreeText (ISO 19115-3 section 7.x, same convention as 19139)."""
        if keep_order:  # the first item (a main title) stays first, whatever its language
            default = items[0] if items[0].get("lang") in (None, self.md_lang) else None
        else:
            default = next((i for i in items if i.get("lang") in (None, self.md_lang)), None)
        others = [i for i in items if i is not default and i.get("lang") and i.get("lang") != self.md_lang]
        same = [i for i in items if i is not default and i not in others]
        base = items[0] if default is None else default
        default_text = I.DESCRIPTION_SEPARATOR.join([base["text"], *(i["text"] for i in same)])
        if default is None:
            others = items
        el = _sub(parent, name)
        _sub(el, "gco:CharacterString", default_text)
        if others:
            el.set(_q("xsi:type"), "lan:PT_FreeText_PropertyType")
            free = _sub(el, "lan:PT_FreeText")
            for item in others:
                group = _sub(free, "lan:textGroup")
                _sub(
                    group,
                    "lan:LocalisedCharacterString",
                    item["text"],
                    locale="#" + self.locale_id(item["lang"]),
                )
        return el

    def code(self, parent: etree._Element, name: str, codelist: str, value: str) -> etree._Element:
        prop = _sub(parent, name)
        _sub(
            prop,
            f"{_CODELIST_NS[codelist]}:{codelist}",
            value,
            codeList=CODELISTS + codelist,
            codeListValue=value,
        )
        return prop

    def locale(self, parent: etree._Element, name: str, lang: str, with_id: bool = False) -> etree._Element:
        """A PT_Locale property (language as ISO 639-2/B, UTF-8); returns the property element."""
        holder = _sub(parent, name)
        loc = _sub(holder, "lan:PT_Locale")
        if with_id:
            loc.set("id", self.locale_id(lang))
        code = I.iso639_2(lang) or lang
        _sub(
            _sub(loc, "lan:language"),
            "lan:LanguageCode",
            code,
            codeList=LANGUAGE_CODELIST,
            codeListValue=code,
        )
        self.code(loc, "lan:characterEncoding", "MD_CharacterSetCode", "utf8")
        return holder

    def date(self, parent: etree._Element, name: str, value: str, date_type: str) -> None:
        kind, text = I.iso_date(value)
        ci = _sub(_sub(parent, name), "cit:CI_Date")
        _sub(_sub(ci, "cit:date"), f"gco:{kind}", text)
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
        ci = _sub(_sub(parent, name), "cit:CI_Citation")
        self.string(ci, "cit:title", title, href)
        if date:
            self.date(ci, "cit:date", date, date_type)

    def identifier(
        self, parent: etree._Element, name: str, code: str, href: str | None, space: str | None
    ) -> None:
        mid = _sub(_sub(parent, name), "mcc:MD_Identifier")
        self.string(mid, "mcc:code", code, href)
        if space:
            self.string(mid, "mcc:codeSpace", space)

    def party_identifiers(self, party: etree._Element, identifiers: list[dict[str, Any]]) -> None:
        for ident in identifiers:
            self.identifier(
                party,
                "cit:partyIdentifier",
                ident["identifier"],
                I.agent_identifier_uri(ident),
                ident.get("scheme"),
            )

    def contact(self, party: etree._Element, email: str | None) -> None:
        if email:
            info = _sub(_sub(party, "cit:contactInfo"), "cit:CI_Contact")
            self.string(_sub(_sub(info, "cit:address"), "cit:CI_Address"), "cit:electronicMailAddress", email)

    def party(self, parent: etree._Element, name: str, agent: dict[str, Any], role: str) -> None:
        """cit:CI_Responsibility with a CI_Individual (inside its affiliation's CI_Organisation)
        or a CI_Organisation; ORCID/ROR as cit:partyIdentifier (ISO 19115-1 CI_Party)."""
        resp = _sub(_sub(parent, name), "cit:CI_Responsibility")
        self.code(resp, "cit:role", "CI_RoleCode", role)
        holder = _sub(resp, "cit:party")
        if agent.get("type") == "Personal":
            affiliation = I.first(agent.get("affiliations", []))
            if affiliation:
                org = _sub(holder, "cit:CI_Organisation")
                self.string(org, "cit:name", affiliation["name"])
                if affiliation.get("ror"):
                    self.party_identifiers(org, [{"identifier": affiliation["ror"], "scheme": "ROR"}])
                holder = _sub(org, "cit:individual")
            person = _sub(holder, "cit:CI_Individual")
            self.string(person, "cit:name", agent.get("name") or agent.get("family_name", ""))
            self.contact(person, agent.get("email"))
            self.party_identifiers(person, agent.get("identifiers", []))
        else:
            org = _sub(holder, "cit:CI_Organisation")
            self.string(org, "cit:name", agent.get("name", ""))
            self.contact(org, agent.get("email"))
            self.party_identifiers(org, agent.get("identifiers", []))

    def keywords(self, parent, terms, keyword_type, thesaurus) -> None:  # noqa: ANN001
        kw = _sub(_sub(parent, "mri:descriptiveKeywords"), "mri:MD_Keywords")
        for term in terms:
            if term.get("value_uri"):
                self.string(kw, "mri:keyword", term["term"], term["value_uri"])
            else:
                self.text(kw, "mri:keyword", [{"text": term["term"], "lang": term.get("lang")}])
        if keyword_type:
            self.code(kw, "mri:type", "MD_KeywordTypeCode", keyword_type)
        if thesaurus:
            self.citation(kw, "mri:thesaurusName", *thesaurus)

    # -- the record ------------------------------------------------------------------------

    def build(self) -> etree._Element:
        md, doc = self.md, self.doc
        root = etree.Element(_q("mdb:MD_Metadata"), nsmap=NSMAP)
        root.set(_q("xsi:schemaLocation"), f"{MDB} {SCHEMA_LOCATION}")
        self.identifier(root, "mdb:metadataIdentifier", str(doc.get("id", "")), None, "alluvium")
        if self.md_lang:
            self.locale(root, "mdb:defaultLocale", self.md_lang)
        level = I.scope_code(md.get("resource_type") or {})
        scope = _sub(_sub(root, "mdb:metadataScope"), "mdb:MD_MetadataScope")
        self.code(scope, "mdb:resourceScope", "MD_ScopeCode", level)
        if (md.get("resource_type") or {}).get("name"):
            self.string(scope, "mdb:name", md["resource_type"]["name"])
        for contact in md.get("contacts", []):
            self.party(root, "mdb:contact", contact, "pointOfContact")
        if not md.get("contacts"):
            _sub(root, "mdb:contact", **{"gco__nilReason": "missing"})
        created = doc.get("created") or doc.get("updated") or doc.get("publication_date")
        created = created or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.date(root, "mdb:dateInfo", created, "creation")
        if doc.get("updated") and doc.get("updated") != created:
            self.date(root, "mdb:dateInfo", doc["updated"], "revision")
        standard = _sub(_sub(root, "mdb:metadataStandard"), "cit:CI_Citation")
        self.string(standard, "cit:title", "ISO 19115-3")
        self.string(standard, "cit:edition", "2018")
        locale_at = len(root)
        for crs in md.get("reference_systems", []):
            rs = _sub(_sub(root, "mdb:referenceSystemInfo"), "mrs:MD_ReferenceSystem")
            self.identifier(rs, "mrs:referenceSystemIdentifier", crs, I.epsg_uri(crs), "EPSG")
        self.identification(_sub(_sub(root, "mdb:identificationInfo"), "mri:MD_DataIdentification"))
        self.distribution(root)
        self.quality(root, level)
        # mdb:otherLocale declarations belong after metadataStandard; known once every text is written.
        for offset, lang in enumerate(list(self.locales)):
            holder = self.locale(root, "mdb:otherLocale", lang, with_id=True)
            root.insert(locale_at + offset, holder)  # moves it from the end
        return root

    def identification(self, ident: etree._Element) -> None:
        md, doc = self.md, self.doc
        cit = _sub(_sub(ident, "mri:citation"), "cit:CI_Citation")
        titles = md.get("titles", [])
        main = [t for t in titles if "type" not in t] or titles[:1]
        translated = [t for t in titles if t.get("type") == "TranslatedTitle"]
        if main:
            self.text(cit, "cit:title", main + translated, keep_order=True)
        else:
            _sub(cit, "cit:title", **{"gco__nilReason": "missing"})
        for title in titles:
            if title.get("type") not in (None, "TranslatedTitle"):
                self.text(cit, "cit:alternateTitle", [title])
        dates = I.citation_dates(md, doc)
        for value, date_type in dates:
            self.date(cit, "cit:date", value, date_type)
        if md.get("version"):
            self.string(cit, "cit:edition", md["version"])
        doi = ((doc.get("pids") or {}).get("doi") or {}).get("identifier")
        if doi:
            url = I.doi_url(doi)
            self.identifier(cit, "cit:identifier", url, url, "doi.org")
        for alt in md.get("alternate_identifiers", []):
            self.identifier(cit, "cit:identifier", alt["identifier"], None, alt["scheme"])
        for agent, role in I.cited_parties(md):
            self.party(cit, "cit:citedResponsibleParty", agent, role)
        if md.get("abstracts"):
            self.text(ident, "mri:abstract", md["abstracts"])
        else:
            _sub(ident, "mri:abstract", **{"gco__nilReason": "missing"})
        for line in I.credit_texts(md):
            self.string(ident, "mri:credit", line)
        for contact in md.get("contacts", []):
            self.party(ident, "mri:pointOfContact", contact, contact.get("role", "pointOfContact"))
        for res in md.get("spatial_resolutions", []):
            mr = _sub(_sub(ident, "mri:spatialResolution"), "mri:MD_Resolution")
            if "scale_denominator" in res:
                frac = _sub(_sub(mr, "mri:equivalentScale"), "mri:MD_RepresentativeFraction")
                _sub(_sub(frac, "mri:denominator"), "gco:Integer", str(res["scale_denominator"]))
            else:
                _sub(
                    _sub(mr, "mri:distance"), "gco:Distance", _num(res["distance"]), uom=res.get("unit", "m")
                )
        for topic in md.get("topic_categories", []):
            _sub(_sub(ident, "mri:topicCategory"), "mri:MD_TopicCategoryCode", topic)
        self.extents(ident)
        for overview in md.get("graphic_overviews", []):
            bg = _sub(_sub(ident, "mri:graphicOverview"), "mcc:MD_BrowseGraphic")
            name, mimetype = I.overview_file(doc, overview)
            self.string(bg, "mcc:fileName", name)
            self.string(bg, "mcc:fileDescription", overview.get("description") or overview["type"])
            if mimetype:
                self.string(bg, "mcc:fileType", mimetype)
        for terms, keyword_type, thesaurus in I.keyword_groups(md):
            self.keywords(ident, terms, keyword_type, thesaurus)
        self.constraints(ident)
        for related in md.get("related_identifiers", []):
            assoc = _sub(_sub(ident, "mri:associatedResource"), "mri:MD_AssociatedResource")
            name = _sub(_sub(assoc, "mri:name"), "cit:CI_Citation")
            self.string(name, "cit:title", related["identifier"])
            uri = I.identifier_uri(related["identifier"], related.get("scheme"))
            self.identifier(name, "cit:identifier", related["identifier"], uri, related.get("scheme"))
            association = I.ASSOCIATION.get(related["relation_type"], I.DEFAULT_ASSOCIATION)
            self.code(assoc, "mri:associationType", "DS_AssociationTypeCode", association)
        # Resource languages: mri:defaultLocale + mri:otherLocale (ISO 19115-1 MD_DataIdentification).
        for index, lang in enumerate(md.get("languages", [])):
            self.locale(ident, "mri:defaultLocale" if index == 0 else "mri:otherLocale", lang)
        if md.get("descriptions"):
            paragraphs = [I.description_paragraph(d) for d in md["descriptions"]]
            self.string(ident, "mri:supplementalInformation", I.DESCRIPTION_SEPARATOR.join(paragraphs))

    def constraints(self, ident: etree._Element) -> None:
        """Same INSPIRE pattern as ISO 19139 (TG 2.0.1 section 2.5), in mco."""
        rights = self.md.get("rights") or {}
        use = _sub(_sub(ident, "mri:resourceConstraints"), "mco:MD_LegalConstraints")
        self.code(use, "mco:useConstraints", "MD_RestrictionCode", "otherRestrictions")
        licence = rights.get("license")
        if licence:
            self.string(
                use, "mco:otherConstraints", licence.get("name") or licence.get("id", ""), licence.get("uri")
            )
        for item in rights.get("use_constraints", []):
            self.text(use, "mco:otherConstraints", [item])
        if not licence and not rights.get("use_constraints"):
            self.string(use, "mco:otherConstraints", I.CONDITIONS_UNKNOWN[1], I.CONDITIONS_UNKNOWN[0])
        access = _sub(_sub(ident, "mri:resourceConstraints"), "mco:MD_LegalConstraints")
        self.code(access, "mco:accessConstraints", "MD_RestrictionCode", "otherRestrictions")
        href, label = I.NO_LIMITATIONS if rights.get("access_level", "open") == "open" else I.IPR_LIMITATION
        self.string(access, "mco:otherConstraints", label, href)
        for phrase in I.access_phrases(rights):
            self.string(access, "mco:otherConstraints", phrase)
        for item in rights.get("access_constraints", []):
            self.text(access, "mco:otherConstraints", [item])

    def extents(self, ident: etree._Element) -> None:
        md = self.md
        for extent in md.get("spatial_extents", []):
            ex = _sub(_sub(ident, "mri:extent"), "gex:EX_Extent")
            if extent.get("place"):
                self.string(ex, "gex:description", extent["place"])
            if extent.get("place_uri"):
                gd = _sub(_sub(ex, "gex:geographicElement"), "gex:EX_GeographicDescription")
                self.identifier(
                    gd,
                    "gex:geographicIdentifier",
                    extent.get("place") or extent["place_uri"],
                    extent["place_uri"],
                    None,
                )
            if extent.get("bbox"):
                # West > east crosses the antimeridian; written as given (see exports/iso19139.py).
                box = extent["bbox"]
                bb = _sub(_sub(ex, "gex:geographicElement"), "gex:EX_GeographicBoundingBox")
                for name, key in (
                    ("westBoundLongitude", "west"),
                    ("eastBoundLongitude", "east"),
                    ("southBoundLatitude", "south"),
                    ("northBoundLatitude", "north"),
                ):
                    _sub(_sub(bb, f"gex:{name}"), "gco:Decimal", _num(box[key]))
            if extent.get("polygon"):
                bp = _sub(_sub(ex, "gex:geographicElement"), "gex:EX_BoundingPolygon")
                poly = _sub(_sub(bp, "gex:polygon"), "gml:Polygon", **{"gml__id": self.gml_id("polygon")})
                poly.set("srsName", CRS84)
                for index, ring in enumerate(extent["polygon"]["coordinates"]):
                    linear = _sub(
                        _sub(poly, "gml:exterior" if index == 0 else "gml:interior"), "gml:LinearRing"
                    )
                    _sub(linear, "gml:posList", " ".join(f"{_num(x)} {_num(y)}" for x, y in ring))
            if extent.get("point"):
                bp = _sub(_sub(ex, "gex:geographicElement"), "gex:EX_BoundingPolygon")
                point = _sub(_sub(bp, "gex:polygon"), "gml:Point", **{"gml__id": self.gml_id("point")})
                point.set("srsName", CRS84)
                _sub(point, "gml:pos", f"{_num(extent['point']['lon'])} {_num(extent['point']['lat'])}")
        if md.get("temporal_extents") or md.get("vertical_extent"):
            ex = _sub(_sub(ident, "mri:extent"), "gex:EX_Extent")
            for temporal in md.get("temporal_extents", []):
                te = _sub(_sub(ex, "gex:temporalElement"), "gex:EX_TemporalExtent")
                period = _sub(_sub(te, "gex:extent"), "gml:TimePeriod", **{"gml__id": self.gml_id("period")})
                _sub(period, "gml:beginPosition", _time(temporal["start"]))
                if temporal.get("end"):
                    _sub(period, "gml:endPosition", _time(temporal["end"]))
                else:
                    _sub(period, "gml:endPosition", indeterminatePosition="now")
            vertical = md.get("vertical_extent")
            if vertical:
                ve = _sub(_sub(ex, "gex:verticalElement"), "gex:EX_VerticalExtent")
                _sub(_sub(ve, "gex:minimumValue"), "gco:Real", _num(vertical["minimum"]))
                _sub(_sub(ve, "gex:maximumValue"), "gco:Real", _num(vertical["maximum"]))
                if vertical.get("crs"):
                    rs = _sub(_sub(ve, "gex:verticalCRSId"), "mrs:MD_ReferenceSystem")
                    self.identifier(
                        rs,
                        "mrs:referenceSystemIdentifier",
                        vertical["crs"],
                        I.epsg_uri(vertical["crs"]),
                        "EPSG",
                    )

    def distribution(self, root: etree._Element) -> None:
        doc = self.doc
        files = doc.get("files", [])
        formats, size = record_formats_and_size(files)
        online = I.online_resources(doc, self.md)
        if not formats and not online:
            return
        dist = _sub(_sub(root, "mdb:distributionInfo"), "mrd:MD_Distribution")
        for media_type in formats:
            fmt = _sub(_sub(dist, "mrd:distributionFormat"), "mrd:MD_Format")
            spec = _sub(_sub(fmt, "mrd:formatSpecificationCitation"), "cit:CI_Citation")
            self.string(spec, "cit:title", media_type)
        if online:
            opts = _sub(_sub(dist, "mrd:transferOptions"), "mrd:MD_DigitalTransferOptions")
            if size:  # ISO 19115 transferSize is in megabytes
                _sub(_sub(opts, "mrd:transferSize"), "gco:Real", _num(round(size / 1e6, 6)))
            for url, name, description, function in online:
                res = _sub(_sub(opts, "mrd:onLine"), "cit:CI_OnlineResource")
                self.string(res, "cit:linkage", url)
                self.string(res, "cit:protocol", I.protocol(function))
                self.string(res, "cit:name", name)
                self.string(res, "cit:description", description)
                self.code(res, "cit:function", "CI_OnLineFunctionCode", function)

    def quality(self, root: etree._Element, level: str) -> None:
        md = self.md
        if md.get("inspire_conformity"):
            dq = _sub(_sub(root, "mdb:dataQualityInfo"), "mdq:DQ_DataQuality")
            self.code(_sub(_sub(dq, "mdq:scope"), "mcc:MD_Scope"), "mcc:level", "MD_ScopeCode", level)
            for conformity in md["inspire_conformity"]:
                dc = _sub(_sub(dq, "mdq:report"), "mdq:DQ_DomainConsistency")
                result = _sub(_sub(dc, "mdq:result"), "mdq:DQ_ConformanceResult")
                self.citation(
                    result,
                    "mdq:specification",
                    conformity["specification"],
                    conformity.get("specification_uri"),
                    conformity["specification_date"],
                )
                self.string(result, "mdq:explanation", I.DEFAULT_EXPLANATION)
                if conformity["degree"] == "notEvaluated":
                    _sub(result, "mdq:pass", **{"gco__nilReason": "unknown"})
                else:
                    passed = "true" if conformity["degree"] == "conformant" else "false"
                    _sub(_sub(result, "mdq:pass"), "gco:Boolean", passed)
        if md.get("lineage"):
            lineage = _sub(_sub(root, "mdb:resourceLineage"), "mrl:LI_Lineage")
            self.text(lineage, "mrl:statement", md["lineage"])
            self.code(_sub(_sub(lineage, "mrl:scope"), "mcc:MD_Scope"), "mcc:level", "MD_ScopeCode", level)


CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def write_iso19115_3(document: dict[str, Any]) -> bytes:
    """ISO 19115-3 mdb:MD_Metadata (mdb 2.0) for a canonical record document."""
    root = _Writer(document).build()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- reader -----------------------------------------------------------------------------------


class _Reader3(_Reader):
    """The ISO 19139 reader with the 19115-3 structures where they differ (local-name matching)."""

    loose = True

    def read(self) -> ImportResult:
        root, md, r = self.root, self.md, self.r
        for loc in self.all(root, "gmd:otherLocale/gmd:PT_Locale|gmd:defaultLocale/gmd:PT_Locale"):
            lang = I.bcp47(self.code(self.one(loc, "gmd:language")))
            if loc.get("id") and lang:
                self.locales[loc.get("id")] = lang
            r.take(loc.getparent())
        default = self.one(root, "gmd:defaultLocale/gmd:PT_Locale")
        self.md_lang = I.bcp47(self.code(self.one(default, "gmd:language"))) if default is not None else None
        if self.md_lang:
            md["metadata_language"] = self.md_lang
        file_id, _ = self.value(self.one(root, "gmd:metadataIdentifier/*/gmd:code"))
        r.take(
            *self.all(root, "gmd:metadataIdentifier|gmd:dateInfo|gmd:metadataStandard|gmd:metadataProfile")
        )
        level = self.code(self.one(root, "gmd:metadataScope/*/gmd:resourceScope"))
        resource_type: dict[str, Any] = {"general": _SCOPE_TO_GENERAL.get(level or "dataset", "Other")}
        if level:
            resource_type["hierarchy_level"] = level
        name, _ = self.value(self.one(root, "gmd:metadataScope/*/gmd:name"))
        if name:
            resource_type["name"] = name
        for scope in self.all(root, "gmd:metadataScope")[1:]:
            r.report(scope, "only the first metadata scope is imported")
        r.take(*self.all(root, "gmd:metadataScope")[:1])
        md["resource_type"] = resource_type
        for rs in self.all(root, "gmd:referenceSystemInfo"):
            text, href = self.value(self.one(rs, ".//gmd:code"))
            space, _ = self.value(self.one(rs, ".//gmd:codeSpace"))
            epsg = I.parse_epsg(href, text, f"{space}:{text}" if space and text else None)
            if epsg:
                md.setdefault("reference_systems", []).append(epsg)
                r.take(rs)
            else:
                r.report(rs, "not an EPSG reference system")
        idents = self.all(root, "gmd:identificationInfo/gmd:MD_DataIdentification")
        for extra in self.all(root, "gmd:identificationInfo")[1 if idents else 0 :]:
            r.report(extra, "only the first data identification is imported")
        if idents:
            self.identification(idents[0])
            for prop in self.all(idents[0], "gmd:defaultLocale|gmd:otherLocale"):
                lang = I.bcp47(self.code(self.one(prop, "gmd:PT_Locale/gmd:language")))
                r.take(prop)
                if lang:
                    md.setdefault("languages", []).append(lang)
            for agg in self.all(idents[0], "gmd:associatedResource/gmd:MD_AssociatedResource"):
                self.related3(agg)
        for prop in self.all(root, "gmd:contact"):
            rp = self.one(prop, "gmd:CI_Responsibility")
            agent = self.party(rp) if rp is not None else {}
            r.consumed.update({prop, rp})
            if not agent.get("email"):
                r.report(prop, "metadata point of contact without e-mail")
            elif not any(c.get("email") == agent.get("email") for c in md.get("contacts", [])):
                md.setdefault("contacts", []).append(agent)
        self.distribution3()
        self.quality()
        for lineage in self.all(root, "gmd:resourceLineage/gmd:LI_Lineage"):
            r.consumed.update({lineage.getparent(), lineage})
            r.take(self.one(lineage, "gmd:scope"))
            for prop in self.all(lineage, "gmd:statement"):
                md.setdefault("lineage", []).extend(self.texts(prop))
        self.source_identifier = self.source_identifier or file_id
        r.leftovers()
        unmapped = list(r.unmapped)
        metadata = I.loadable(md, unmapped)
        return ImportResult(metadata=metadata, unmapped=unmapped, source_identifier=self.source_identifier)

    def party(self, rp: etree._Element) -> dict[str, Any]:
        """A canonical agent from a cit:CI_Responsibility (the first party; others reported)."""
        r = self.r
        role = self.code(self.one(rp, "gmd:role"))
        parties = self.all(rp, "gmd:party/*")
        for extra in parties[1:]:
            r.report(extra, "only the first party of a responsibility is imported")
        r.consumed.update(
            self.all(rp, "gmd:party|gmd:party/*|gmd:party/*/gmd:individual|gmd:party/*/gmd:individual/*")
        )
        agent: dict[str, Any] = {"type": "Organizational", "name": ""}
        if parties:
            party = parties[0]
            person = (
                party
                if etree.QName(party).localname == "CI_Individual"
                else self.one(party, "gmd:individual/gmd:CI_Individual")
            )
            org = None if person is party else party
            if person is not None and not self.value(self.one(person, "gmd:name"))[0] and org is not None:
                r.report(person.getparent(), "individual without a name")
                person = None
            if person is not None:
                name, _ = self.value(self.one(person, "gmd:name"))
                agent = {"type": "Personal", "name": name or ""}
                family, sep, given = (name or "").partition(", ")
                if sep and family and given:
                    agent["family_name"], agent["given_name"] = family, given
                ids = self.identifiers(person)
                if ids:
                    agent["identifiers"] = ids
                email = self.email(person)
                if org is not None:
                    org_name, _ = self.value(self.one(org, "gmd:name"))
                    ror = next(
                        (i["identifier"] for i in self.identifiers(org) if "ror.org" in i["identifier"]), None
                    )
                    if org_name:
                        agent["affiliations"] = [{"name": org_name, **({"ror": ror} if ror else {})}]
                    email = email or self.email(org)
                    for other in self.all(org, "gmd:individual")[1:]:
                        r.report(other, "only the first individual of an organisation is imported")
            else:
                name, _ = self.value(self.one(org, "gmd:name"))
                agent = {"type": "Organizational", "name": name or ""}
                ids = self.identifiers(org)
                if ids:
                    agent["identifiers"] = ids
                email = self.email(org)
            if email:
                agent["email"] = email
        if role:
            agent["role"] = role
        return agent

    def identifiers(self, party: etree._Element) -> list[dict[str, Any]]:
        out = []
        for mid in self.all(party, "gmd:partyIdentifier/gmd:MD_Identifier"):
            code, href = self.value(self.one(mid, "gmd:code"))
            space, _ = self.value(self.one(mid, "gmd:codeSpace"))
            self.r.take(mid.getparent())
            if code or href:
                item = {"identifier": href or code}
                if space and space.upper() in ("ORCID", "ROR", "ISNI"):
                    item["scheme"] = space.upper()
                out.append(item)
        return out

    def email(self, party: etree._Element) -> str | None:
        value, _ = self.value(self.one(party, "gmd:contactInfo/*/gmd:address/*/gmd:electronicMailAddress"))
        return value

    def related3(self, assoc: etree._Element) -> None:
        r = self.r
        association = self.code(self.one(assoc, "gmd:associationType"))
        mid = self.one(assoc, "gmd:name/*/gmd:identifier/gmd:MD_Identifier")
        if mid is None:
            r.report(assoc.getparent(), "associated resource without identifier")
            return
        code, href = self.value(self.one(mid, "gmd:code"))
        space, _ = self.value(self.one(mid, "gmd:codeSpace"))
        item: dict[str, Any] = {
            "identifier": code or href,
            "relation_type": I.ASSOCIATION_BACK.get(association or "", "References"),
        }
        if space and controlled.is_datacite("relatedIdentifierType", space):
            item["scheme"] = space
        self.md.setdefault("related_identifiers", []).append(item)
        r.take(assoc.getparent())

    def distribution3(self) -> None:
        r = self.r
        for fmt in self.all(self.root, "gmd:distributionInfo/*/gmd:distributionFormat"):
            r.report(fmt, "distribution formats come from the record's files")
        for res in self.all(self.root, "gmd:distributionInfo//gmd:CI_OnlineResource"):
            url, _ = self.value(self.one(res, "gmd:linkage"))
            match = _DOI_TEXT.match(url or "")
            if match and self.source_identifier is None:
                self.source_identifier = match.group(1)
            r.report(res, "resource locator: links and files are record-level, not canonical metadata")


def read_iso19115_3(data: bytes) -> ImportResult:
    """Canonical metadata from an ISO 19115-3 record (mdb 2.0 or 1.0)."""
    root = safe_parse(data)
    if etree.QName(root).localname != "MD_Metadata" or not (etree.QName(root).namespace or "").startswith(
        _B + "mdb/"
    ):
        found = root.xpath(
            "//*[local-name()='MD_Metadata' and starts-with(namespace-uri(), $ns)]", ns=_B + "mdb/"
        )
        if not found:
            raise ImportError_(
                f"not an ISO 19115-3 record: the root element is {etree.QName(root).localname}"
                f" in {etree.QName(root).namespace}",
                line=root.sourceline,
            )
        root = found[0]
    return _Reader3(root).read()


FORMAT = register(
    Format(
        name="iso19115-3",
        title="ISO 19115-3",
        media_type="application/vnd.iso.19115-3+xml",
        extension="xml",
        writer=write_iso19115_3,
        reader=read_iso19115_3,
        namespace=MDB,
        schema_location=SCHEMA_LOCATION,
        is_xml=True,
    )
)

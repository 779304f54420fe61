"""ISO 19115-3 crosswalk (mdb 2.0, cit 2.0, the namespaces GeoNetwork 4 writes) from the same
canonical record as ISO 19139, with the same decisions and the same builders where the two
encodings only differ by namespace (exports/_iso.py), and its reader.

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
from exports.iso19139 import _Reader
from exports.registry import Format, ImportError_, ImportResult, register
from exports.xmlutil import safe_parse
from schemas import review_statement

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
#: Services (ISO 19115-1 section 6.5.6 SV_ServiceIdentification, srv 2.0 of ISO 19115-3). Declared
#: on the service identification only, so that data records keep the namespaces they had.
SRV = _B + "srv/2.0"
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
    (SRV, f"{_S}srv/2.0/srv.xsd"),
)
# The 19115-3 codelist catalogue (ISO 19115-3 section 8 / GeoNetwork 4 uses this address).
CODELISTS = "http://standards.iso.org/iso/19115/resources/Codelists/cat/codelists.xml#"
LANGUAGE_CODELIST = I.LANGUAGE_CODELIST


class _Writer(I.Writer):
    """Builds one mdb:MD_Metadata from a record document (shared builders: exports/_iso.py)."""

    NSMAP = NSMAP | {"srv": SRV}
    CODELISTS = CODELISTS

    def locale(self, parent: I.Node, name: str, lang: str, with_id: bool = False) -> None:
        """A PT_Locale property (language as ISO 639-2/B, UTF-8)."""
        depth = parent[0] + 1
        start, end, _ = self.tags_of((depth, (name, "lan:PT_Locale")))
        if with_id:
            start = f'{start[:-2]} id="{I.escape_attribute(self.locale_id(lang))}">\n'
        inner = depth + 2
        self.add(
            parent,
            f"{start}{self.language_code_xml(inner, 'lan:language', lang)}"
            f"{self.code_xml(inner, 'lan:characterEncoding', 'MD_CharacterSetCode', 'utf8')}{end}",
        )

    def identifier(self, parent: I.Node, name: str, code: str, href: str | None, space: str | None) -> None:
        self.add(parent, self.identifier_xml(parent[0] + 1, name, code, href, space))

    def identifier_xml(self, depth: int, name: str, code: str, href: str | None, space: str | None) -> str:
        """An mcc:MD_Identifier property: code (Anchor when it has a URI), code space."""
        start, end, _ = self.tags_of((depth, (name, "mcc:MD_Identifier")))
        code_xml = self.string_xml(depth + 2, "mcc:code", code, href)
        if space:
            return f"{start}{code_xml}{self.string_xml(depth + 2, 'mcc:codeSpace', space)}{end}"
        return f"{start}{code_xml}{end}"

    def party_identifiers(self, depth: int, identifiers: list[dict[str, Any]]) -> list[str]:
        return [
            self.identifier_xml(
                depth,
                "cit:partyIdentifier",
                ident["identifier"],
                I.agent_identifier_uri(ident),
                ident.get("scheme"),
            )
            for ident in identifiers
        ]

    def contact(self, depth: int, email: str) -> str:
        start, end, _ = self.tags_of(
            (depth, ("cit:contactInfo", "cit:CI_Contact", "cit:address", "cit:CI_Address"))
        )
        return f"{start}{self.string_xml(depth + 4, 'cit:electronicMailAddress', email)}{end}"

    def party(self, parent: I.Node, name: str, agent: dict[str, Any], role: str) -> None:
        """cit:CI_Responsibility with a CI_Individual (inside its affiliation's CI_Organisation)
        or a CI_Organisation; ORCID/ROR as cit:partyIdentifier (ISO 19115-1 CI_Party)."""
        tags = self.tags_of
        depth = parent[0] + 1
        start, end, _ = tags((depth, (name, "cit:CI_Responsibility")))
        inner = depth + 2  # the children of CI_Responsibility
        out = [start, self.code_xml(inner, "cit:role", "CI_RoleCode", role)]
        party_start, party_end, _ = tags((inner, "cit:party"))
        org_start, org_end, _ = tags((inner + 1, "cit:CI_Organisation"))
        if agent.get("type") == "Personal":
            # One CI_Organisation per affiliation, each holding the individual (cit:party is
            # 1..n in cit:CI_Responsibility); the reader merges them back into one person.
            for index, affiliation in enumerate(agent.get("affiliations") or [None]):
                out.append(party_start)
                if affiliation:
                    out += [org_start, self.string_xml(inner + 2, "cit:name", affiliation["name"])]
                    if affiliation.get("ror"):
                        out += self.party_identifiers(
                            inner + 2, [{"identifier": affiliation["ror"], "scheme": "ROR"}]
                        )
                    person_start, person_end, _ = tags((inner + 2, ("cit:individual", "cit:CI_Individual")))
                    person = inner + 4
                else:
                    person_start, person_end, _ = tags((inner + 1, "cit:CI_Individual"))
                    person = inner + 2
                out += [
                    person_start,
                    self.string_xml(person, "cit:name", agent.get("name") or agent.get("family_name", "")),
                ]
                if index == 0:
                    if agent.get("email"):
                        out.append(self.contact(person, agent["email"]))
                    out += self.party_identifiers(person, agent.get("identifiers", []))
                out.append(person_end)
                if affiliation:
                    out.append(org_end)
                out.append(party_end)
        else:
            out += [party_start, org_start, self.string_xml(inner + 2, "cit:name", agent.get("name", ""))]
            if agent.get("email"):
                out.append(self.contact(inner + 2, agent["email"]))
            out += self.party_identifiers(inner + 2, agent.get("identifiers", []))
            out += [org_end, party_end]
        out.append(end)
        self.add(parent, "".join(out))

    # -- the record ------------------------------------------------------------------------

    def build(self) -> I.Node:
        md, doc = self.md, self.doc
        root = self.root("mdb:MD_Metadata", NSMAP, xsi__schemaLocation=f"{MDB} {SCHEMA_LOCATION}")
        self.identifier(root, "mdb:metadataIdentifier", str(doc.get("id", "")), None, "alluvium")
        if self.md_lang:
            self.locale(root, "mdb:defaultLocale", self.md_lang)
        level = I.scope_code(md.get("resource_type") or {})
        scope = self.subs(root, "mdb:metadataScope", "mdb:MD_MetadataScope")
        self.code(scope, "mdb:resourceScope", "MD_ScopeCode", level)
        if (md.get("resource_type") or {}).get("name"):
            self.string(scope, "mdb:name", md["resource_type"]["name"])
        for contact in md.get("contacts", []):
            self.party(root, "mdb:contact", contact, "pointOfContact")
        if not md.get("contacts"):
            self.nil(root, "mdb:contact", "missing")
        created = doc.get("created") or doc.get("updated") or doc.get("publication_date")
        created = created or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.date(root, "mdb:dateInfo", created, "creation")
        if doc.get("updated") and doc.get("updated") != created:
            self.date(root, "mdb:dateInfo", doc["updated"], "revision")
        standard = self.subs(root, "mdb:metadataStandard", "cit:CI_Citation")
        self.string(standard, "cit:title", "ISO 19115-3")
        self.string(standard, "cit:edition", "2018")
        locales_at = self.slot(root)
        for crs in md.get("reference_systems", []):
            rs = self.subs(root, "mdb:referenceSystemInfo", "mrs:MD_ReferenceSystem")
            self.identifier(rs, "mrs:referenceSystemIdentifier", crs, I.epsg_uri(crs), "EPSG")
        holder = self.sub(root, "mdb:identificationInfo")
        if self.is_service:
            # srv is declared on the service identification only.
            self.service_identification(self.sub(holder, "srv:SV_ServiceIdentification", xmlns__srv=SRV))
        else:
            self.identification(self.sub(holder, "mri:MD_DataIdentification"))
        self.distribution(root)
        self.quality(root, level)
        # mdb:otherLocale declarations belong after metadataStandard; known once every text is written.
        mark = self.mark(root)
        for lang in list(self.locales):
            self.locale(root, "mdb:otherLocale", lang, with_id=True)
        self.fill(locales_at, mark, root)
        return root

    @property
    def is_service(self) -> bool:
        return I.scope_code(self.md.get("resource_type") or {}) == "service"

    def identification(self, ident: I.Node) -> None:
        """mri:MD_DataIdentification, in the element order of mri.xsd: the part every
        identification shares, then the resource languages and the supplemental information."""
        self.common_identification(ident)
        # Resource languages: mri:defaultLocale + mri:otherLocale (ISO 19115-1 MD_DataIdentification).
        for index, lang in enumerate(self.md.get("languages", [])):
            self.locale(ident, "mri:defaultLocale" if index == 0 else "mri:otherLocale", lang)
        self.supplemental_information(ident)

    def service_identification(self, ident: I.Node) -> None:
        """srv:SV_ServiceIdentification (ISO 19115-1 section 6.5.6; srv 2.0, serviceInformation.xsd
        order): the AbstractMD_Identification part (which in 19115-3, unlike 19139, holds the
        extents, topic categories and resolutions too), then serviceType ("other" when unknown),
        versions, couplingType (loose), and one operation per online resource with it as
        connectPoint. Online resources are therefore not repeated in the distribution. Resource
        languages and descriptions other than the abstract have no place in a service
        identification (docs/exports.md)."""
        rt = self.md.get("resource_type") or {}
        self.common_identification(ident)
        # srv:serviceType is a gco:GenericName; gco 1.0 of 19115-3 substitutes only ScopedName.
        self.subs(ident, "srv:serviceType", "gco:ScopedName", text=rt.get("service_type") or "other")
        for version in rt.get("service_versions", []):
            self.string(ident, "srv:serviceTypeVersion", version)
        self.subs(
            ident,
            "srv:couplingType",
            "srv:SV_CouplingType",
            text="loose",
            codeList=CODELISTS + "SV_CouplingType",
            codeListValue="loose",
        )
        for item in self.md.get("online_resources", []):
            op = self.subs(ident, "srv:containsOperations", "srv:SV_OperationMetadata")
            self.string(op, "srv:operationName", item.get("protocol") or "access")
            self.subs(
                op,
                "srv:distributedComputingPlatform",
                "srv:DCPList",
                text="WebServices",
                codeList=CODELISTS + "DCPList",
                codeListValue="WebServices",
            )
            self.online_resource(self.sub(op, "srv:connectPoint"), item)

    def common_identification(self, ident: I.Node) -> None:
        """The mri:AbstractMD_Identification elements data sets and services share (mri.xsd order)."""
        md = self.md
        cit = self.subs(ident, "mri:citation", "cit:CI_Citation")
        self.titles_dates_edition(cit)
        doi = I.record_doi(self.doc)
        if doi:
            url = I.doi_url(doi)
            self.identifier(cit, "cit:identifier", url, url, "doi.org")
        for alt in md.get("alternate_identifiers", []):
            self.identifier(cit, "cit:identifier", alt["identifier"], None, alt["scheme"])
        for agent, role in I.cited_parties(md):
            self.party(cit, "cit:citedResponsibleParty", agent, role)
        self.abstract_credits_contacts(ident)
        self.spatial_resolutions(ident)
        self.topic_categories(ident)
        self.extents(ident)
        self.overviews_keywords_constraints(ident)
        depth = ident[0] + 1
        start, end, _ = self.tags_of((depth, ("mri:associatedResource", "mri:MD_AssociatedResource")))
        name_start, name_end, _ = self.tags_of((depth + 2, ("mri:name", "cit:CI_Citation")))
        inner = depth + 4  # the children of the resource's CI_Citation
        for related in md.get("related_identifiers", []):
            identifier, scheme = related["identifier"], related.get("scheme")
            uri = I.identifier_uri(identifier, scheme)
            association = I.ASSOCIATION.get(related["relation_type"], I.DEFAULT_ASSOCIATION)
            self.add(
                ident,
                f"{start}{name_start}{self.string_xml(inner, 'cit:title', identifier)}"
                f"{self.identifier_xml(inner, 'cit:identifier', identifier, uri, scheme)}{name_end}"
                f"{self.code_xml(depth + 2, 'mri:associationType', 'DS_AssociationTypeCode', association)}{end}",
            )

    def vertical_crs(self, ve: I.Node, crs: str | None) -> None:
        """gex:verticalCRSId, an mrs:MD_ReferenceSystem (optional, unlike gmd:verticalCRS)."""
        if crs:
            rs = self.subs(ve, "gex:verticalCRSId", "mrs:MD_ReferenceSystem")
            self.identifier(rs, "mrs:referenceSystemIdentifier", crs, I.epsg_uri(crs), "EPSG")

    def distribution_format(self, fmt: I.Node, media_type: str) -> None:
        spec = self.subs(fmt, "mrd:formatSpecificationCitation", "cit:CI_Citation")
        self.string(spec, "cit:title", media_type)

    def linkage_xml(self, depth: int, url: str) -> str:
        return self.string_xml(depth, "cit:linkage", url)

    def quality(self, root: I.Node, level: str) -> None:
        """Conformity in mdq:DQ_DataQuality (ISO 19157-2), lineage in mdb:resourceLineage."""
        md = self.md
        if md.get("inspire_conformity"):
            dq = self.subs(root, "mdb:dataQualityInfo", "mdq:DQ_DataQuality")
            self.code(self.subs(dq, "mdq:scope", "mcc:MD_Scope"), "mcc:level", "MD_ScopeCode", level)
            self.conformity_reports(dq)
        review = self.doc.get("reviewed_by")
        if md.get("lineage") or review:
            lineage = self.subs(root, "mdb:resourceLineage", "mrl:LI_Lineage")
            if md.get("lineage"):
                self.text(lineage, "mrl:statement", md["lineage"])
            self.code(self.subs(lineage, "mrl:scope", "mcc:MD_Scope"), "mcc:level", "MD_ScopeCode", level)
            if review:
                # The community review as a process step, as in the 19139 writer. Its date is in
                # the statement (mrl:stepDateTime is a GML time primitive, which needs a gml:id).
                step = self.subs(lineage, "mrl:processStep", "mrl:LI_ProcessStep")
                self.string(step, "mrl:description", review_statement(review))


def write_iso19115_3(document: dict[str, Any]) -> bytes:
    """ISO 19115-3 mdb:MD_Metadata (mdb 2.0) for a canonical record document."""
    return _Writer(document).write()


# --- reader -----------------------------------------------------------------------------------


class _Reader3(_Reader):
    """The ISO 19139 reader with the 19115-3 structures where they differ (local-name matching)."""

    loose = True

    def read(self) -> ImportResult:
        root, md, r = self.root, self.md, self.r
        self.declared_locales("gmd:otherLocale/gmd:PT_Locale|gmd:defaultLocale/gmd:PT_Locale", "gmd:language")
        default = self.one(root, "gmd:defaultLocale/gmd:PT_Locale")
        self.md_lang = I.bcp47(self.code(self.one(default, "gmd:language"))) if default is not None else None
        if self.md_lang:
            md["metadata_language"] = self.md_lang
        file_id, _ = self.value(self.one(root, "gmd:metadataIdentifier/*/gmd:code"))
        r.take(
            *self.all(root, "gmd:metadataIdentifier|gmd:dateInfo|gmd:metadataStandard|gmd:metadataProfile")
        )
        level = self.code(self.one(root, "gmd:metadataScope/*/gmd:resourceScope"))
        name, _ = self.value(self.one(root, "gmd:metadataScope/*/gmd:name"))
        for scope in self.all(root, "gmd:metadataScope")[1:]:
            r.report(scope, "only the first metadata scope is imported")
        r.take(*self.all(root, "gmd:metadataScope")[:1])
        self.resource_type(level, name)
        self.reference_systems()
        idents = self.all(
            root,
            "gmd:identificationInfo/gmd:MD_DataIdentification|gmd:identificationInfo/srv:SV_ServiceIdentification",
        )
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
            self.metadata_contact(prop, agent)
        self.distribution()
        self.quality()
        for lineage in self.all(root, "gmd:resourceLineage/gmd:LI_Lineage"):
            r.consumed.update({lineage.getparent(), lineage})
            r.take(self.one(lineage, "gmd:scope"))
            for prop in self.all(lineage, "gmd:statement"):
                md.setdefault("lineage", []).extend(self.texts(prop))
        return self.result(file_id)

    def party(self, rp: etree._Element) -> dict[str, Any]:
        """A canonical agent from a cit:CI_Responsibility (the first party; others reported)."""
        r = self.r
        parties = self.all(rp, "gmd:party/*")
        extra_affiliations = []
        first_person = self.one(parties[0], "gmd:individual/gmd:CI_Individual/gmd:name") if parties else None
        first_name = (first_person.xpath("string()").strip() if first_person is not None else None) or None
        for extra in parties[1:]:
            # The same individual in another organisation: a further affiliation (our writer's form).
            person = self.one(extra, "gmd:individual/gmd:CI_Individual/gmd:name")
            org_name, _ = self.value(self.one(extra, "gmd:name"))
            if (
                first_name
                and person is not None
                and person.xpath("string()").strip() == first_name
                and org_name
            ):
                ror = next(
                    (i["identifier"] for i in self.identifiers(extra) if "ror.org" in i["identifier"]), None
                )
                extra_affiliations.append({"name": org_name, **({"ror": ror} if ror else {})})
                self.r.take(extra.getparent())
            else:
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
            self.email_of(agent, email, parties[0])
        if extra_affiliations and agent.get("type") == "Personal":
            agent["affiliations"] = [*agent.get("affiliations", []), *extra_affiliations]
        self.role_of(agent, self.one(rp, "gmd:role"))
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
        self.add_related(code, href, association, space, mid)
        r.take(assoc.getparent())

    def linkage(self, res: etree._Element) -> str:
        """The URL of a CI_OnlineResource (cit:linkage is a CharacterString)."""
        url, _ = self.value(self.one(res, "gmd:linkage"))
        return url or ""


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
        version="3",  # services written as srv:SV_ServiceIdentification (issue 10)
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

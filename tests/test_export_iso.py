"""ISO 19139 / INSPIRE and ISO 19115-3 crosswalks: official XSDs, OWSLib, INSPIRE elements,
round trips, upstream and Sextant-style imports, golden files, hardened parsing.

Pure tests: no app, no database. Expected values are written by hand from the examples.
"""

from __future__ import annotations

import copy
import difflib
import os
from pathlib import Path

import pytest
from lxml import etree

from exports import ImportError_, get_format, iso19139
from exports import iso19115_3 as iso3
from exports.xmlutil import validate_xml
from schemas import load_metadata, load_record_document
from schemas.examples import example_record_document, minimal_example, rich_example

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
NS = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gco": "http://www.isotc211.org/2005/gco",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "gml": "http://www.opengis.net/gml/3.2",
    "xlink": "http://www.w3.org/1999/xlink",
}
FORMATS = {
    "iso19139": (iso19139.write_iso19139, iso19139.SCHEMAS),
    "iso19115-3": (iso3.write_iso19115_3, iso3.SCHEMAS),
}


def _document(metadata: dict, **extra) -> dict:
    """A loaded record document around ``metadata`` (like example_record_document)."""
    doc = {
        "id": "edge-0001",
        "created": "2024-05-01T10:00:00Z",
        "updated": "2024-05-02T10:00:00Z",
        "publication_date": "2024-05-02",
        "links": {"self_html": "https://alluvium.example.org/records/edge-0001"},
        "files": [{"key": "data.csv", "size": 10, "mimetype": "text/csv"}],
        "metadata": metadata,
    }
    doc.update(extra)
    return load_record_document(doc)


def _edge(**changes) -> dict:
    md = minimal_example()
    md.update(changes)
    return md


def _edge_records() -> dict[str, dict]:
    return {
        "polygon-with-hole": _edge(
            spatial_extents=[
                {
                    "place": "Lac de Grand-Lieu",
                    "polygon": {
                        "type": "Polygon",
                        "coordinates": [
                            [[-1.8, 47.0], [-1.6, 47.0], [-1.6, 47.2], [-1.8, 47.2], [-1.8, 47.0]],
                            [[-1.7, 47.05], [-1.65, 47.05], [-1.65, 47.1], [-1.7, 47.05]],
                        ],
                    },
                }
            ]
        ),
        "dateline-bbox": _edge(
            spatial_extents=[{"bbox": {"west": 170, "east": -170, "south": -20, "north": -10}}]
        ),
        "open-ended-time": _edge(temporal_extents=[{"start": "2020-01-01T00:00:00Z"}]),
        "organisation-creator": _edge(
            creators=[
                {
                    "type": "Organizational",
                    "name": "Centre national d'études spatiales",
                    "identifiers": [{"identifier": "https://ror.org/04h1h0y33"}],
                }
            ]
        ),
        "multilingual-titles": _edge(
            metadata_language="en",
            titles=[
                {"text": "Humidité des sols à Lusignan", "lang": "fr"},
                {"text": "Soil moisture at Lusignan", "lang": "en", "type": "TranslatedTitle"},
                {"text": "Bodenfeuchte in Lusignan", "lang": "de", "type": "TranslatedTitle"},
            ],
        ),
        "embargo": _edge(rights={"access_level": "embargoed", "embargo_until": "2030-01-01"}),
        "restricted": _edge(
            rights={
                "access_level": "restricted",
                "license": {
                    "name": "Convention de mise à disposition ODATIS",
                    "uri": "https://example.org/cmd",
                },
                "access_constraints": [{"text": "Données nominatives : accès sur demande.", "lang": "fr"}],
            }
        ),
        "metadata-only": _edge(rights={"access_level": "metadata_only"}),
    }


def _demo_records() -> dict[str, dict]:
    from app.demo import RECORDS  # demo metadata only; no app is created

    return {
        f"demo-{i}-{community}-{state}": copy.deepcopy(md) for i, (state, community, md) in enumerate(RECORDS)
    }


def _all_documents() -> dict[str, dict]:
    docs = {
        "rich": load_record_document(example_record_document()),
        "minimal": _document(minimal_example()),
    }
    docs.update({name: _document(md) for name, md in _edge_records().items()})
    docs.update({name: _document(md) for name, md in _demo_records().items()})
    return docs


DOCUMENTS = _all_documents()


# --- official schemas -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_valid_against_official_xsd(shared_standards, fmt, name):
    writer, schemas = FORMATS[fmt]
    errors = validate_xml(writer(DOCUMENTS[name]), schemas)
    assert errors == []


def test_validation_can_fail(shared_standards):
    xml = iso19139.write_iso19139(DOCUMENTS["rich"]).replace(b"<gmd:abstract", b"<gmd:abstractt", 1)
    xml = xml.replace(b"</gmd:abstract>", b"</gmd:abstractt>", 1)
    assert any("abstractt" in e for e in validate_xml(xml, iso19139.SCHEMAS))


def test_registered_formats():
    fmt = get_format("iso19139")
    assert (fmt.media_type, fmt.namespace, fmt.schema_location) == (
        "application/vnd.iso.19139+xml",
        "http://www.isotc211.org/2005/gmd",
        "http://schemas.opengis.net/iso/19139/20070417/gmd/gmd.xsd",
    )
    fmt3 = get_format("iso19115-3")
    assert (fmt3.media_type, fmt3.namespace) == (
        "application/vnd.iso.19115-3+xml",
        "http://standards.iso.org/iso/19115/-3/mdb/2.0",
    )
    assert fmt.reader is not None and fmt3.reader is not None


# --- OWSLib -----------------------------------------------------------------------------------


def test_owslib_reads_our_iso19139():
    from owslib.iso import MD_Metadata

    md = MD_Metadata(etree.fromstring(iso19139.write_iso19139(DOCUMENTS["rich"])))
    ident = md.identification[0]
    assert ident.title == "Température et salinité de surface des bouées dérivantes du Pacifique Sud-Ouest"
    assert ident.abstract.startswith("Séries temporelles horaires de température")
    # the dateline-crossing box is kept as written: west 160 > east -150
    assert (ident.bbox.minx, ident.bbox.maxx, ident.bbox.miny, ident.bbox.maxy) == (
        "160",
        "-150",
        "-35",
        "-10",
    )
    groups = {(k.thesaurus or {}).get("title"): [kw.name for kw in k.keywords] for k in ident.keywords}
    assert groups["GEMET - INSPIRE themes, version 1.0"] == ["Oceanographic geographical features"]
    assert groups["GCMD Science Keywords"] == [
        "EARTH SCIENCE > OCEANS > OCEAN TEMPERATURE > SEA SURFACE TEMPERATURE",
        "EARTH SCIENCE > OCEANS > SALINITY/DENSITY > SALINITY",
    ]
    inspire = next(k for k in ident.keywords if (k.thesaurus or {}).get("title", "").startswith("GEMET"))
    assert (inspire.thesaurus["date"], inspire.thesaurus["datetype"]) == ("2008-06-01", "publication")
    assert [(c.organization, c.email, c.role) for c in md.contact] == [
        ("ODATIS data centre", "contact@odatis-ocean.fr", "pointOfContact")
    ]
    assert md.languagecode == "fre"
    assert md.identifier == "abcd-1234"
    assert ident.topiccategory == ["oceans", "climatologyMeteorologyAtmosphere"]
    assert md.referencesystem.code == "EPSG:4326"


# --- thesaurus citations ----------------------------------------------------------------------

GCMD_SCIENCE = "https://gcmd.earthdata.nasa.gov/kms/concepts/concept_scheme/sciencekeywords"
THESAURI = _edge(
    keywords=[
        {
            "scheme_name": "GCMD Science Keywords",
            "scheme_uri": GCMD_SCIENCE,
            "scheme_date": "2020-07-16",
            "scheme_date_type": "revision",
            "terms": [{"term": "OCEANS"}],
        },
        # a hand-typed name for the INSPIRE themes: INSPIRE TG 2.0.1 section 2.4.2 fixes the citation
        {
            "scheme_name": "Thèmes INSPIRE",
            "scheme_uri": "http://inspire.ec.europa.eu/theme",
            "scheme_date": "2013-03-25",
            "scheme_date_type": "revision",
            "terms": [{"term": "Hydrography", "value_uri": "http://inspire.ec.europa.eu/theme/hy"}],
        },
        {"scheme_name": "Station list", "terms": [{"term": "Roscoff"}]},
    ]
)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_thesaurus_citations_keep_their_date_type(shared_standards, fmt):
    writer, schemas = FORMATS[fmt]
    data = writer(_document(THESAURI))
    assert validate_xml(data, schemas) == []
    back = READERS[fmt](data).metadata["keywords"]
    assert [
        (g["scheme_name"], g.get("scheme_uri"), g.get("scheme_date"), g.get("scheme_date_type")) for g in back
    ] == [
        ("GCMD Science Keywords", GCMD_SCIENCE, "2020-07-16", "revision"),
        ("GEMET - INSPIRE themes, version 1.0", "http://inspire.ec.europa.eu/theme", "2008-06-01", None),
        ("Station list", None, None, None),
    ]


def test_thesaurus_reader_prefers_the_publication_date():
    data = iso19139.write_iso19139(_document(THESAURI))
    root = etree.fromstring(data)
    citation = root.find(".//gmd:thesaurusName/gmd:CI_Citation", NS)
    revision = citation.find("gmd:date", NS)
    publication = copy.deepcopy(revision)
    publication.find(".//gco:Date", NS).text = "2019-01-01"
    publication.find(".//gmd:CI_DateTypeCode", NS).set("codeListValue", "publication")
    revision.addnext(publication)
    group = iso19139.read_iso19139(etree.tostring(root)).metadata["keywords"][0]
    assert (group["scheme_date"], group.get("scheme_date_type")) == ("2019-01-01", None)
    # creation only: kept as such
    for el in (publication, revision):
        el.find(".//gmd:CI_DateTypeCode", NS).set("codeListValue", "creation")
    group = iso19139.read_iso19139(etree.tostring(root)).metadata["keywords"][0]
    assert (group["scheme_date"], group["scheme_date_type"]) == ("2020-07-16", "creation")


# --- INSPIRE ----------------------------------------------------------------------------------

# INSPIRE TG metadata 2.0.1 (ISO 19139 encoding), requirements for data sets and series:
# element -> XPath that must select at least one node.
MD = "/gmd:MD_Metadata"
ID = MD + "/gmd:identificationInfo/gmd:MD_DataIdentification"
INSPIRE_REQUIRED = {
    "resource title (TG 2.3.1)": ID + "/gmd:citation/gmd:CI_Citation/gmd:title/gco:CharacterString",
    "resource abstract (TG 2.3.2)": ID + "/gmd:abstract/gco:CharacterString",
    "resource type (TG 2.3.3)": MD + "/gmd:hierarchyLevel/gmd:MD_ScopeCode[@codeListValue='dataset']",
    "resource locator (TG 2.3.4)": MD
    + "/gmd:distributionInfo/*/gmd:transferOptions/*/gmd:onLine/gmd:CI_OnlineResource/gmd:linkage/gmd:URL",
    "unique resource identifier (TG 2.3.5)": ID
    + "/gmd:citation/*/gmd:identifier/gmd:MD_Identifier/gmd:code/gmx:Anchor[@xlink:href]",
    "resource language (TG 2.3.7)": ID + "/gmd:language/gmd:LanguageCode[@codeListValue='fre']",
    "topic category (TG 2.4.1)": ID + "/gmd:topicCategory/gmd:MD_TopicCategoryCode",
    "INSPIRE theme keyword (TG 2.4.2)": ID
    + "/gmd:descriptiveKeywords/gmd:MD_Keywords[gmd:thesaurusName/gmd:CI_Citation"
    "[gmd:title/*='GEMET - INSPIRE themes, version 1.0'][gmd:date/gmd:CI_Date[gmd:date/gco:Date='2008-06-01']"
    "[gmd:dateType/*/@codeListValue='publication']]]/gmd:keyword",
    "geographic bounding box (TG 2.5.1)": ID
    + "/gmd:extent/*/gmd:geographicElement/gmd:EX_GeographicBoundingBox",
    "temporal extent (TG 2.6)": ID + "/gmd:extent/*/gmd:temporalElement/*/gmd:extent/gml:TimePeriod",
    "date of publication (TG 2.6.2)": ID
    + "/gmd:citation/*/gmd:date/gmd:CI_Date[gmd:dateType/*/@codeListValue='publication']",
    "lineage (TG 2.7.1)": MD + "/gmd:dataQualityInfo/*/gmd:lineage/gmd:LI_Lineage/gmd:statement",
    "spatial resolution (TG 2.7.2)": ID
    + "/gmd:spatialResolution/gmd:MD_Resolution/gmd:distance/gco:Distance[@uom]",
    "conformity specification (TG 2.8.1)": MD
    + "/gmd:dataQualityInfo/*/gmd:report/gmd:DQ_DomainConsistency/gmd:result/gmd:DQ_ConformanceResult"
    "/gmd:specification/gmd:CI_Citation[gmd:date]",
    "degree of conformity (TG 2.8.2)": MD + "/gmd:dataQualityInfo/*/gmd:report/*/gmd:result/*/gmd:pass",
    "conditions for access and use (TG 2.9.1)": ID
    + "/gmd:resourceConstraints/gmd:MD_LegalConstraints[gmd:useConstraints/*/@codeListValue='otherRestrictions']"
    "/gmd:otherConstraints",
    "limitations on public access (TG 2.9.2)": ID
    + "/gmd:resourceConstraints/gmd:MD_LegalConstraints[gmd:accessConstraints/*/@codeListValue="
    "'otherRestrictions']/gmd:otherConstraints/gmx:Anchor[starts-with(@xlink:href,"
    "'http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/')]",
    "responsible organisation with e-mail (TG 2.10.1)": ID
    + "/gmd:pointOfContact/gmd:CI_ResponsibleParty[gmd:organisationName]"
    "[gmd:contactInfo/*/gmd:address/*/gmd:electronicMailAddress][gmd:role/*/@codeListValue]",
    "metadata point of contact (TG 2.11.1)": MD
    + "/gmd:contact/gmd:CI_ResponsibleParty[gmd:role/*/@codeListValue='pointOfContact']"
    "[gmd:contactInfo/*/gmd:address/*/gmd:electronicMailAddress]",
    "metadata date (TG 2.11.2)": MD + "/gmd:dateStamp/gco:DateTime",
    "metadata language (TG 2.11.3)": MD + "/gmd:language/gmd:LanguageCode[@codeListValue='fre']",
    "character encoding (TG 2.12.2)": MD + "/gmd:characterSet/gmd:MD_CharacterSetCode[@codeListValue='utf8']",
    "coordinate reference system (TG 2.12.1)": MD
    + "/gmd:referenceSystemInfo/*/gmd:referenceSystemIdentifier/gmd:RS_Identifier/gmd:code/gmx:Anchor",
    # The locale id carries a per-record prefix (r + 8 hex digits) so that it stays unique on
    # an OAI-PMH page holding several records: r1a2b3c4d-ENG.
    "multilingual: locale declared (TG 2.2.4)": MD
    + "/gmd:locale/gmd:PT_Locale[substring-after(@id, '-')='ENG']",
    "multilingual: localised title": ID
    + "/gmd:citation/*/gmd:title[@xsi:type='gmd:PT_FreeText_PropertyType']/gmd:PT_FreeText/gmd:textGroup"
    "/gmd:LocalisedCharacterString[@locale=concat('#', " + MD + "/gmd:locale/gmd:PT_Locale/@id)]",
}


@pytest.mark.parametrize("element", sorted(INSPIRE_REQUIRED))
def test_inspire_required_elements_present(element):
    root = etree.fromstring(iso19139.write_iso19139(DOCUMENTS["rich"]))
    ns = {**NS, "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
    assert root.xpath(INSPIRE_REQUIRED[element], namespaces=ns), element


def test_inspire_xpath_check_can_fail():
    doc = copy.deepcopy(DOCUMENTS["rich"])
    del doc["metadata"]["lineage"]
    root = etree.fromstring(iso19139.write_iso19139(doc))
    assert not root.xpath(INSPIRE_REQUIRED["lineage (TG 2.7.1)"], namespaces=NS)


def _xpath(xml: bytes, path: str) -> list:
    return etree.fromstring(xml).xpath(path, namespaces=NS)


def test_degree_of_conformity_encoding():
    doc = copy.deepcopy(DOCUMENTS["rich"])
    base = doc["metadata"]["inspire_conformity"][0]
    doc["metadata"]["inspire_conformity"] = [
        {**base, "degree": "conformant"},
        {**base, "degree": "notConformant"},
        {**base, "degree": "notEvaluated"},
    ]
    passes = _xpath(iso19139.write_iso19139(doc), "//gmd:DQ_ConformanceResult/gmd:pass")
    assert [
        (p.findtext("gco:Boolean", namespaces=NS), p.get(f"{{{NS['gco']}}}nilReason")) for p in passes
    ] == [
        ("true", None),
        ("false", None),
        (None, "unknown"),
    ]


def test_open_end_and_access_levels():
    xml = iso19139.write_iso19139(DOCUMENTS["open-ended-time"])
    assert _xpath(xml, "//gml:TimePeriod/gml:beginPosition/text()") == ["2020-01-01T00:00:00Z"]
    assert _xpath(xml, "//gml:TimePeriod/gml:endPosition/@indeterminatePosition") == ["now"]
    assert _xpath(xml, "//gmd:accessConstraints/../gmd:otherConstraints/gmx:Anchor/@xlink:href") == [
        "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/noLimitations"
    ]
    embargo = iso19139.write_iso19139(DOCUMENTS["embargo"])
    assert _xpath(embargo, "//gmd:accessConstraints/../gmd:otherConstraints/*/text()") == [
        "Public access limited according to Article 13(1)(e) of the INSPIRE Directive",
        "Embargoed until 2030-01-01",
    ]
    # no file download links while the data are not open
    assert _xpath(embargo, "//gmd:CI_OnLineFunctionCode[@codeListValue='download']") == []


def test_polygon_and_dateline_written_as_given():
    poly = iso19139.write_iso19139(DOCUMENTS["polygon-with-hole"])
    assert _xpath(poly, "//gml:Polygon/gml:exterior/gml:LinearRing/gml:posList/text()") == [
        "-1.8 47 -1.6 47 -1.6 47.2 -1.8 47.2 -1.8 47"
    ]
    assert len(_xpath(poly, "//gml:Polygon/gml:interior")) == 1
    box = iso19139.write_iso19139(DOCUMENTS["dateline-bbox"])
    assert _xpath(box, "//gmd:westBoundLongitude/gco:Decimal/text()") == ["170"]
    assert _xpath(box, "//gmd:eastBoundLongitude/gco:Decimal/text()") == ["-170"]


# --- round trips ------------------------------------------------------------------------------

READERS = {"iso19139": iso19139.read_iso19139, "iso19115-3": iso3.read_iso19115_3}

# Canonical fields the ISO encodings cannot carry, each with the reason (docs/exports.md).
NOT_MAPPED = {
    "funding[].award_uri": "no ISO 19115:2003 element for funding; written as a gmd:credit line, parsed back without the award URI",
    "contributors[].contributor_type": "ISO has only CI_RoleCode; import infers it from the role or says Other",
    "dates[] other than Created/Issued/Updated": "CI_DateTypeCode (2003) has creation/publication/revision only",
    "dates[].information": "CI_Date has no free text",
    "related_identifiers[].relation_type": "DS_AssociationTypeCode is coarser (source, largerWorkCitation, crossReference)",
    "related_identifiers[].resource_type": "no ISO element",
    "variables[].unit": "variables are keywords; MD_Keywords has no unit",
    "variables (as a field)": "read back as keywords / free keywords",
    "graphic_overviews[].file": "written as a URL or bare file name; import keeps absolute URLs only",
    "vertical_extent.unit": "ISO 19139 EX_VerticalExtent has no unit (implied by the vertical CRS)",
    "descriptions[].lang": "supplementalInformation is one text; types kept as 'Type: text' paragraphs",
    "titles[] Subtitle/Other": "ISO has alternateTitle only; read back as AlternativeTitle",
    "creators/contributors: 2nd+ affiliation (19139), 2nd+ identifier (19139)": "one organisationName / Anchor",
}

# Fields that must come back unchanged (after filling an absent text language with the metadata language).
EXACT = [
    "resource_type",
    "abstracts",
    "lineage",
    "languages",
    "metadata_language",
    "contacts",
    "publisher",
    "version",
    "topic_categories",
    "spatial_extents",
    "spatial_resolutions",
    "reference_systems",
    "temporal_extents",
    "rights",
    "alternate_identifiers",
    "platforms",
    "instruments",
    "inspire_conformity",
    "online_resources",
]


def _with_lang(items, lang):
    return [{**i, "lang": i.get("lang") or lang} if lang else i for i in items]


def _expected_exact(md: dict) -> dict:
    out = {k: copy.deepcopy(md[k]) for k in EXACT if k in md}
    lang = md.get("metadata_language")
    for key in ("abstracts", "lineage"):
        if key in out:
            out[key] = _with_lang(out[key], lang)
    for key in ("use_constraints", "access_constraints"):
        if key in out.get("rights", {}):
            out["rights"][key] = _with_lang(out["rights"][key], lang)
    if "resource_type" in out:
        out["resource_type"].setdefault("hierarchy_level", "dataset")
    for key in ("abstracts", "lineage"):
        # the text in the metadata language is the default gco:CharacterString, so it comes back first
        if key in out:
            out[key].sort(key=lambda item: item.get("lang") != lang)
    for contact in out.get("contacts", []):
        contact.setdefault("role", "pointOfContact")  # the role written when none is given
        family, sep, given = contact["name"].partition(", ")
        if contact["type"] == "Personal" and sep and "family_name" not in contact:
            # a person's "Family, Given" name is split again on import
            contact["family_name"], contact["given_name"] = family, given
    return out


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_round_trip_exact_fields(fmt, name):
    doc = DOCUMENTS[name]
    result = READERS[fmt](FORMATS[fmt][0](doc))
    back = load_metadata(result.metadata)
    expected = _expected_exact(doc["metadata"])
    for key in EXACT:
        assert back.get(key) == expected.get(key), key
    if doc.get("pids", {}).get("doi"):
        assert result.source_identifier == doc["pids"]["doi"]["identifier"].lower()
    else:
        assert result.source_identifier == doc["id"]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_round_trip_rich_lossy_fields_by_hand(fmt):
    result = READERS[fmt](FORMATS[fmt][0](DOCUMENTS["rich"]))
    back = result.metadata
    assert back["titles"] == [
        {
            "text": "Température et salinité de surface des bouées dérivantes du Pacifique Sud-Ouest",
            "lang": "fr",
        },
        {
            "text": "Sea surface temperature and salinity from drifting buoys in the South-West Pacific",
            "lang": "en",
            "type": "TranslatedTitle",
        },
        {"text": "SST-SSS bouées SWP", "lang": "fr", "type": "AlternativeTitle"},
        {"text": "Observations 2019-present", "lang": "en", "type": "AlternativeTitle"},  # was Subtitle
    ]
    assert back["creators"] == [
        {
            "type": "Organizational",
            "name": "Institut de recherche pour le développement",
            "identifiers": [{"identifier": "https://ror.org/05q3vnk25", "scheme": "ROR"}],
        },
        {
            "type": "Personal",
            "name": "Carberry, Josiah",
            "given_name": "Josiah",
            "family_name": "Carberry",
            "identifiers": [{"identifier": "0000-0002-1825-0097", "scheme": "ORCID"}],
            "affiliations": [
                {"name": "Centre national de la recherche scientifique", "ror": "https://ror.org/02feahw73"}
            ],
            "role": "principalInvestigator",
        },
        {
            "type": "Personal",
            "name": "Dupont, Marie",
            "given_name": "Marie",
            "family_name": "Dupont",
            "identifiers": [{"identifier": "0000-0002-1694-233X", "scheme": "ORCID"}],
            "affiliations": [{"name": "Ifremer", "ror": "https://ror.org/044jxhp58"}],
        },
    ]
    # contributor types are inferred from the ISO role (DataCurator/processor -> Producer)
    assert [(c["name"], c["role"], c["contributor_type"]) for c in back["contributors"]] == [
        ("Haak, Laure", "processor", "Producer"),
        ("ODATIS", "distributor", "Distributor"),
    ]
    # Created / Updated kept; Issued comes from the record's publication_date; Collected,
    # Available and Coverage have no CI_DateTypeCode.
    assert back["dates"] == [
        {"date": "2024-01-15", "type": "Created"},
        {"date": "2024-06-01T08:30:00Z", "type": "Updated"},
        {"date": "2024-06-01", "type": "Issued"},
    ]
    assert back["publication_year"] == 2024
    assert back["descriptions"] == [
        {
            "type": "Methods",
            "text": "Sensors calibrated before deployment; data quality-controlled with the Argo real-time tests.",
        },
        {"type": "TechnicalInfo", "text": "One NetCDF-4 CF-1.8 file per buoy."},
    ]
    assert [(r["identifier"], r["relation_type"]) for r in back["related_identifiers"]] == [
        ("10.1029/2020jc016000", "References"),  # was IsCitedBy
        ("10.17882/42182", "IsDerivedFrom"),
        ("https://github.com/example/swp-drift-qc", "References"),  # was IsCompiledBy
    ]
    assert back["graphic_overviews"] == [{"url": "https://www.odatis-ocean.fr/logo.png", "type": "logo"}]
    assert back["vertical_extent"] == {"minimum": -1.0, "maximum": 0.0, "crs": "EPSG:5714"}
    assert [g["scheme_name"] for g in back["keywords"]] == [
        "GCMD Science Keywords",
        "GEMET - INSPIRE themes, version 1.0",
        "CF Standard Names",  # the variable with a vocabulary
    ]
    assert back["keywords"][1]["terms"] == [
        {"term": "Oceanographic geographical features", "value_uri": "http://inspire.ec.europa.eu/theme/of"}
    ]
    assert back["free_keywords"] == [
        {"term": "bouées dérivantes", "lang": "fr"},
        {"term": "drifters", "lang": "en"},
        {"term": "sea_surface_salinity", "lang": "fr"},  # the variable without a vocabulary
    ]
    # funding travels as gmd:credit lines and is parsed back; only the award URI is lost
    assert back["funding"] == [
        {k: v for k, v in f.items() if k != "award_uri"} for f in DOCUMENTS["rich"]["metadata"]["funding"]
    ]
    unmapped = "\n".join(result.unmapped)
    assert "graphicOverview[1]: graphic overview without an absolute URL (quicklook.png" in unmapped
    assert (
        "distributionFormat[1]: distribution formats come from the record's files (application/x-netcdf)"
        in unmapped
    )


def test_not_mapped_list_covers_every_lossy_field():
    """Every canonical field is either compared exactly, checked by hand above, or listed with a reason."""
    by_hand = {
        "titles",
        "creators",
        "contributors",
        "dates",
        "publication_year",
        "descriptions",
        "related_identifiers",
        "graphic_overviews",
        "vertical_extent",
        "keywords",
        "free_keywords",
        "funding",
        "variables",
    }
    assert set(rich_example()) <= set(EXACT) | by_hand
    assert all(reason for reason in NOT_MAPPED.values())


# --- imports of foreign records ---------------------------------------------------------------

UPSTREAM_19115_3 = [
    "19115/-3/mdb/1.0/AppendixD.1MinimalExample.xml",
    "19115/-3/mdb/1.0/mdb_valid.xml",
    "19115/-3/mdb/1.0/mdb.xml",
    "19115/-3/mdb/2.0/mdb.xml",
    "19115/-3/mds/1.0/AppendixD.2VectorSmartMapExample.xml",
    "19115/-3/mds/2.0/mds.xml",
    "19115/-3/md1/2.0/md1.xml",
    "19115/-3/md2/2.0/md2.xml",
]


@pytest.mark.parametrize("path", UPSTREAM_19115_3)
def test_upstream_19115_3_examples_import(shared_standards, path):
    data = (shared_standards / "xsd/schemas.isotc211.org" / path).read_bytes()
    result = iso3.read_iso19115_3(data)
    assert load_metadata(result.metadata) == result.metadata
    assert result.metadata["resource_type"]["general"]


def test_upstream_appendix_d2_values(shared_standards):
    path = "xsd/schemas.isotc211.org/19115/-3/mds/1.0/AppendixD.2VectorSmartMapExample.xml"
    result = iso3.read_iso19115_3((shared_standards / path).read_bytes())
    md = result.metadata
    # values read off the example file (lines 111, 216-239, 255-266)
    assert md["titles"] == [{"text": "VMAPLV0", "lang": "en"}]
    assert md["topic_categories"] == [
        "boundaries",
        "elevation",
        "inlandWaters",
        "oceans",
        "society",
        "structure",
        "transportation",
        "utilitiesCommunication",
    ]
    assert md["reference_systems"] == ["EPSG:4326"]
    assert md["inspire_conformity"][0]["degree"] == "conformant"
    assert md["spatial_extents"][0]["bbox"] == {"west": -180.0, "east": 180.0, "south": -90.0, "north": 90.0}
    assert any("MD_SecurityConstraints" in u for u in result.unmapped)


def test_sextant_style_19139_with_gml_2006(shared_standards):
    data = (HERE / "data/sextant_gml2006.xml").read_bytes()
    old = "http://schemas.opengis.net/iso/19139/20060504/"
    schemas = (
        ("http://www.isotc211.org/2005/gmd", old + "gmd/gmd.xsd"),
        ("http://www.isotc211.org/2005/gmx", old + "gmx/gmx.xsd"),
    )
    assert validate_xml(data, schemas) == []  # the test record itself is valid 2006-schema 19139
    result = iso19139.read_iso19139(data)
    md = result.metadata
    assert load_metadata(md) == md
    assert result.source_identifier == "10.17882/12345"
    assert md["titles"] == [
        {"text": "Campagne PELGAS 2019 - hydrologie", "lang": "fr"},
        {"text": "PELGAS 2019 survey - hydrology", "lang": "en", "type": "TranslatedTitle"},
    ]
    assert md["creators"][0]["name"] == "Doray, Mathieu"  # author given only as a point of contact
    assert [c["email"] for c in md["contacts"]] == ["mathieu.doray@example.org", "sismer@ifremer.fr"]
    assert md["rights"]["license"]["id"] == "CC-BY-4.0"
    # EPSG:4326 URN: lat/lon axis order in the posList, turned into GeoJSON lon/lat
    assert md["spatial_extents"][0]["polygon"]["coordinates"][0][0] == [-2.0, 43.5]
    assert md["spatial_extents"][0]["bbox"] == {"west": -5.5, "east": -1.0, "south": 43.3, "north": 48.0}
    assert md["temporal_extents"] == [{"start": "2019-04-25", "end": "2019-05-27"}]
    assert md["inspire_conformity"][0]["degree"] == "notConformant"
    assert md["keywords"][0]["scheme_date"] == "2008-06-01"
    assert md["reference_systems"] == ["EPSG:4326"]
    # the WMS link is an online resource; its gmd:name is the layer (GeoNetwork convention)
    assert md["online_resources"] == [
        {
            "url": "https://sextant.ifremer.fr/services/wms/pelgas",
            "protocol": "OGC:WMS",
            "layer_name": "pelgas_2019_ctd",
        }
    ]
    unmapped = "\n".join(result.unmapped)
    for expected in (
        "status/gmd:MD_ProgressCode: not mapped (completed)",
        "gmd:city/gco:CharacterString: not mapped (Plouzané)",
        "keyword type of uncontrolled keywords is not kept (place)",
    ):
        assert expected in unmapped


def test_invalid_values_become_unmapped_not_exceptions():
    data = (HERE / "data/sextant_gml2006.xml").read_bytes()
    data = data.replace(b"<gco:Decimal>48.0</gco:Decimal>", b"<gco:Decimal>148.0</gco:Decimal>")
    data = data.replace(b"<gmd:MD_TopicCategoryCode>oceans", b"<gmd:MD_TopicCategoryCode>seas")
    result = iso19139.read_iso19139(data)
    assert "topic_categories" not in result.metadata
    # named by their source XPath first, then by the canonical pointer (issue 10)
    ident = "/gmd:MD_Metadata/gmd:identificationInfo/gmd:MD_DataIdentification"
    assert any(
        u.startswith(
            f"{ident}/gmd:topicCategory/gmd:MD_TopicCategoryCode (/topic_categories/0): 'seas': "
            "invalid in the canonical model"
        )
        for u in result.unmapped
    ), result.unmapped
    box = [u for u in result.unmapped if "(/spatial_extents/0):" in u]
    assert len(box) == 1 and "148" in box[0], result.unmapped
    assert box[0].startswith(f"{ident}/gmd:extent/gmd:EX_Extent"), box


# --- hardened parsing -------------------------------------------------------------------------

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd">&x;</gmd:MD_Metadata>"""


@pytest.mark.parametrize("reader", [iso19139.read_iso19139, iso3.read_iso19115_3])
def test_xxe_and_doctype_refused(reader):
    with pytest.raises(ImportError_, match="DOCTYPE"):
        reader(XXE)


@pytest.mark.parametrize("reader", [iso19139.read_iso19139, iso3.read_iso19115_3])
def test_malformed_names_the_line(reader):
    with pytest.raises(ImportError_) as info:
        reader(b'<?xml version="1.0"?>\n<a>\n<b>\n</a>')
    assert info.value.line == 4
    assert str(info.value).startswith("line 4: malformed XML")


def test_wrong_record_type():
    with pytest.raises(ImportError_, match="not an ISO 19139 record"):
        iso19139.read_iso19139(b"<resource xmlns='http://datacite.org/schema/kernel-4'/>")
    with pytest.raises(ImportError_, match="not an ISO 19115-3 record"):
        iso3.read_iso19115_3(iso19139.write_iso19139(DOCUMENTS["minimal"]))


# --- golden files -----------------------------------------------------------------------------


def _c14n(xml: bytes) -> str:
    parser = etree.XMLParser(remove_blank_text=True)
    root = etree.fromstring(xml, parser)
    return etree.tostring(root, method="c14n2").decode().replace("><", ">\n<")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_golden_rich(fmt):
    """Regenerate with ALLUVIUM_UPDATE_GOLDEN=1, then review the diff against the standard."""
    path = GOLDEN / fmt / "rich.xml"
    actual = FORMATS[fmt][0](DOCUMENTS["rich"])
    if os.environ.get("ALLUVIUM_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual)
    expected = _c14n(path.read_bytes())
    got = _c14n(actual)
    if got != expected:
        diff = "\n".join(
            difflib.unified_diff(expected.splitlines(), got.splitlines(), str(path), "output", lineterm="")
        )
        pytest.fail(f"{fmt} output differs from {path}:\n{diff}")

"""Crosswalk: canonical record document → DCAT-AP 3.0.1 / GeoDCAT-AP 2.0.0 (RDF).

:func:`to_jsonld` builds a JSON-LD document (plain dicts, inline ``@context`` made of prefixes
only, every value written with an explicit ``@id``/``@type``/``@language``); the writers hand
it to :mod:`vocabularies.rdf` for Turtle and RDF/XML. Section numbers cite DCAT-AP 3.0.1
(SEMIC, https://semiceu.github.io/DCAT-AP/releases/3.0.1/) and GeoDCAT-AP 2.0.0
(https://semiceu.github.io/GeoDCAT-AP/releases/2.0.0/).

Every node is typed with the class the DCAT-AP range shapes (``ranges.ttl``) expect, so that the
output conforms with the class-range checks on and without RDFS inference.

Choices the profiles leave open are listed in docs/exports.md ("DCAT-AP / GeoDCAT-AP and
schema.org").
"""

from __future__ import annotations

import json
import mimetypes
import re
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from exports import rdfwrite
from exports.linkeddata import (
    agent_uri,
    bbox_crosses_antimeridian,
    display_titles,
    doi_of,
    doi_url,
    file_url,
    funder_uri,
    iso639_alpha3,
    landing_page,
    num,
    related_url,
    spdx_uri,
)
from exports.registry import Format, register
from schemas import review_statement

DCATAP_PROFILE = "http://data.europa.eu/r5r/"

CONTEXT = {
    "adms": "http://www.w3.org/ns/adms#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcatap": "http://data.europa.eu/r5r/",
    "dct": "http://purl.org/dc/terms/",
    "dqv": "http://www.w3.org/ns/dqv#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "frapo": "http://purl.org/cerif/frapo/",
    "geodcat": "http://data.europa.eu/930/",
    "gsp": "http://www.opengis.net/ont/geosparql#",
    "locn": "http://www.w3.org/ns/locn#",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "sdmx-attribute": "http://purl.org/linked-data/sdmx/2009/attribute#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "spdx": "http://spdx.org/rdf/terms#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

EU = "http://publications.europa.eu/resource/authority/"
INSPIRE_CODELIST = "http://inspire.ec.europa.eu/metadata-codelist/"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
CRS84 = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84> "
IANA_MEDIA = "https://www.iana.org/assignments/media-types/"
GEOJSON_LITERAL = "https://www.iana.org/assignments/media-types/application/vnd.geo+json"

# DCAT-AP 3.0.1 section 5.2 "Dataset: access rights" → EU access-right authority table.
# An embargo is a temporary NON_PUBLIC (the table's definition: not publicly accessible "for
# privacy, security or other reasons"); its end is dct:available.
ACCESS_RIGHTS = {
    "open": "PUBLIC",
    "embargoed": "NON_PUBLIC",
    "restricted": "RESTRICTED",
    "metadata_only": "NON_PUBLIC",
}

# SPDX ids with an entry in the EU licence authority table (DCAT-AP 3.0.1 section 7, controlled
# vocabularies: "Licence"). Other SPDX licences are given by their SPDX IRI.
EU_LICENCES = {
    "CC-BY-4.0": "CC_BY_4_0",
    "CC-BY-SA-4.0": "CC_BYSA_4_0",
    "CC-BY-NC-4.0": "CC_BYNC_4_0",
    "CC-BY-ND-4.0": "CC_BYND_4_0",
    "CC-BY-NC-SA-4.0": "CC_BYNCSA_4_0",
    "CC-BY-NC-ND-4.0": "CC_BYNCND_4_0",
    "CC0-1.0": "CC0",
}

# Media types with no IANA registration → EU file-type authority table (dct:format only).
EU_FILE_TYPES = {
    "application/x-netcdf": "NETCDF",
    "application/netcdf": "NETCDF",
    "text/csv": "CSV",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/tiff": "TIFF",
    "application/json": "JSON",
    "application/geo+json": "GEOJSON",
    "application/xml": "XML",
    "application/zip": "ZIP",
    "application/pdf": "PDF",
    "text/plain": "TXT",
    "application/x-hdf5": "HDF",
}

# EU data themes (DCAT-AP 3.0.1 section 7: dcat:theme from the EU data-theme table), labels
# from the authority table, English.
EU_THEME_LABELS = {
    "AGRI": "Agriculture, fisheries, forestry and food",
    "ECON": "Economy and finance",
    "ENER": "Energy",
    "ENVI": "Environment",
    "GOVE": "Government and public sector",
    "HEAL": "Health",
    "REGI": "Regions and cities",
    "SOCI": "Population and society",
    "TECH": "Science and technology",
    "TRAN": "Transport",
}

# INSPIRE spatial data themes (http://inspire.ec.europa.eu/theme/<code>) → EU data themes.
# Alluvium's alignment (the issue asks "where mappable"): every environmental theme → ENVI,
# plus the obvious second theme for land use, transport, energy, health, population, etc.
INSPIRE_TO_EU_THEMES = {
    "ac": ("ENVI",),
    "ad": ("REGI",),
    "af": ("AGRI",),
    "am": ("ENVI", "GOVE"),
    "au": ("GOVE", "REGI"),
    "bu": ("REGI",),
    "cp": ("REGI",),
    "ef": ("ENVI",),
    "el": ("ENVI",),
    "er": ("ENER",),
    "ge": ("ENVI",),
    "gg": ("TECH",),
    "gn": ("REGI",),
    "hb": ("ENVI",),
    "hh": ("HEAL",),
    "hy": ("ENVI",),
    "lc": ("ENVI",),
    "lu": ("ENVI", "AGRI"),
    "mf": ("ENVI",),
    "mr": ("ENVI", "ECON"),
    "nz": ("ENVI",),
    "of": ("ENVI",),
    "oi": ("REGI",),
    "pd": ("SOCI",),
    "pf": ("ECON",),
    "ps": ("ENVI",),
    "rs": ("TECH",),
    "sd": ("ENVI",),
    "so": ("ENVI", "AGRI"),
    "sr": ("ENVI",),
    "su": ("SOCI", "REGI"),
    "tn": ("TRAN",),
    "us": ("GOVE",),
}
INSPIRE_THEME = "http://inspire.ec.europa.eu/theme/"

# ISO 19115 CI_RoleCode values in the INSPIRE ResponsiblePartyRole code list (GeoDCAT-AP 2.0.0
# section 4.3, "Responsible party role": dcat:hadRole of a prov:Attribution).
INSPIRE_ROLES = {
    "resourceProvider",
    "custodian",
    "owner",
    "user",
    "distributor",
    "originator",
    "pointOfContact",
    "principalInvestigator",
    "processor",
    "publisher",
    "author",
}
# DataCite contributorType → INSPIRE role, for contributors without an ISO role.
CONTRIBUTOR_ROLES = {
    "ContactPerson": "pointOfContact",
    "DataCollector": "resourceProvider",
    "DataCurator": "custodian",
    "DataManager": "custodian",
    "Distributor": "distributor",
    "HostingInstitution": "custodian",
    "Producer": "originator",
    "ProjectLeader": "principalInvestigator",
    "RightsHolder": "owner",
}

# DataCite relationType → Dublin Core / DCAT property (DCAT-AP 3.0.1 section 5.2); any other
# relation is dct:relation. dct:source and dcat:hasVersion are avoided: their range is dcat:Dataset, which would make DCAT-AP require
# a title and description of the related resource, which we do not have.
RELATIONS = {
    "IsPartOf": "dct:isPartOf",
    "HasPart": "dct:hasPart",
    "References": "dct:references",
    "Cites": "dct:references",
    "IsReferencedBy": "dct:isReferencedBy",
    "IsCitedBy": "dct:isReferencedBy",
    "IsDerivedFrom": "prov:wasDerivedFrom",
    "IsVersionOf": "dct:isVersionOf",
    "HasVersion": "dct:hasVersion",
    "IsDocumentedBy": "foaf:page",
}

# INSPIRE DegreeOfConformity code list, English labels of the INSPIRE registry.
DEGREES = {"conformant": "Conformant", "notConformant": "Not conformant", "notEvaluated": "Not evaluated"}


# --- literals and nodes ----------------------------------------------------------------------


def _text(text: str, lang: str | None) -> dict[str, str]:
    """A literal keeping its language (DCAT-AP 3.0.1 section 8.1: multilingual literals)."""
    return {"@value": text, "@language": lang} if lang else {"@value": text}


def _texts(items: list[dict[str, Any]], default_lang: str | None = None) -> list[dict[str, str]]:
    return [_text(i["text"], i.get("lang") or default_lang) for i in items]


def _iri(uri: str, *types: str, **props: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"@id": uri}
    if types:
        node["@type"] = list(types) if len(types) > 1 else types[0]
    if props:
        node.update({k.replace("__", ":"): v for k, v in props.items()})
    return node


def _date(value: str) -> dict[str, str]:
    """A typed date literal by its precision (DCAT-AP 3.0.1 section 8.2: xsd:gYear, xsd:gYearMonth,
    xsd:date or xsd:dateTime)."""
    if "T" in value:
        kind = "xsd:dateTime"
    elif len(value) == 4:
        kind = "xsd:gYear"
    elif len(value) == 7:
        kind = "xsd:gYearMonth"
    else:
        kind = "xsd:date"
    return {"@value": value, "@type": kind}


def _decimal(value: float) -> dict[str, str]:
    text = format(Decimal(repr(float(value))), "f")
    if "." in text:
        text = text.rstrip("0")
        text = text + "0" if text.endswith(".") else text
    return {"@value": text, "@type": "xsd:decimal"}


def _agent(agent: dict[str, Any], blank_id: str | None = None) -> dict[str, Any]:
    """A foaf:Agent (DCAT-AP 3.0.1 section 5.7): ORCID/ROR as IRI, names, affiliations.

    ``blank_id`` (``_:creator-1``) names an agent without ORCID/ROR, so that its attribution
    points at the same node rather than at a copy.
    """
    person = agent.get("type") == "Personal"
    node: dict[str, Any] = {
        "@type": ["foaf:Agent", "prov:Agent", "foaf:Person" if person else "foaf:Organization"],
        "foaf:name": agent["name"],
    }
    uri = agent_uri(agent) or blank_id
    if uri:
        node["@id"] = uri
    if agent.get("identifiers"):
        node["adms:identifier"] = [
            _identifier(i["identifier"], i.get("scheme")) for i in agent["identifiers"]
        ]
    if person:
        if agent.get("given_name"):
            node["foaf:givenName"] = agent["given_name"]
        if agent.get("family_name"):
            node["foaf:familyName"] = agent["family_name"]
        memberships = []
        for aff in agent.get("affiliations", []):
            org = {"@type": ["foaf:Organization", "org:Organization"], "foaf:name": aff["name"]}
            if aff.get("ror"):
                org["@id"] = aff["ror"]
            memberships.append(org)
        if memberships:
            node["org:memberOf"] = memberships
    return node


def _identifier(value: str, scheme: str | None) -> dict[str, Any]:
    """An adms:Identifier (DCAT-AP 3.0.1 section 5.10): skos:notation and the scheme's agency."""
    node: dict[str, Any] = {"@type": "adms:Identifier", "skos:notation": value}
    if scheme:
        node["adms:schemeAgency"] = scheme
    return node


def _concept(
    uri: str,
    label: str,
    lang: str | None,
    scheme: str | None,
    scheme_title: str | None,
    described: set[str] | None = None,
):
    """A skos:Concept with the prefLabel the DCAT-AP Concept shape requires (section 5.14).

    ``described`` holds the schemes already described in this record: later concepts of the
    same scheme only refer to it (same graph, less to write)."""
    node = {"@id": uri, "@type": "skos:Concept", "skos:prefLabel": _text(label, lang)}
    if scheme:
        if described is not None and scheme in described:
            node["skos:inScheme"] = {"@id": scheme}
        else:
            node["skos:inScheme"] = {
                "@id": scheme,
                "@type": "skos:ConceptScheme",
                "dct:title": _text(scheme_title or scheme, None),
            }
            if described is not None:
                described.add(scheme)
    return node


def _rights_statement(texts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"@type": "dct:RightsStatement", "rdfs:label": _texts(texts)}


# --- space and time --------------------------------------------------------------------------


_DOT_ZERO = re.compile(r"\.0(?=[ ,]|$)")


def _ring(coords: list[tuple[float, float]]) -> str:
    """``(x y, x y, …)`` with :func:`exports.linkeddata.num`'s numbers: all ``repr``-ed at once and
    their ``.0`` removed by one substitution (a ring may have thousands of points)."""
    text = ", ".join([f"{float(x)!r} {float(y)!r}" for x, y in coords])
    if "e" in text:  # an exponent (1e-05): number by number
        return "(" + ", ".join([f"{_num(x)} {_num(y)}" for x, y in coords]) + ")"
    return "(" + _DOT_ZERO.sub("", text) + ")"


def _num(value: float) -> str:
    """:func:`exports.linkeddata.num`, with a fast path for the common case (no exponent)."""
    text = repr(float(value))
    if "e" in text:
        return num(value)
    return text[:-2] if text.endswith(".0") else text


def _box(west: float, south: float, east: float, north: float) -> list[tuple[float, float]]:
    return [(west, south), (east, south), (east, north), (west, north), (west, south)]


def bbox_wkt(bbox: dict[str, float]) -> str:
    """WKT of a bounding box in CRS84 (lon lat), GeoDCAT-AP 2.0.0 section 4.7 ("dcat:bbox").

    A box crossing the antimeridian (west > east) is split at ±180° into a MULTIPOLYGON of two
    boxes: a single WKT POLYGON with west > east would mean the complement on the plane that
    WKT geometries live on.
    """
    w, e, s, n = bbox["west"], bbox["east"], bbox["south"], bbox["north"]
    if bbox_crosses_antimeridian(bbox):
        return CRS84 + f"MULTIPOLYGON(({_ring(_box(w, s, 180.0, n))}), ({_ring(_box(-180.0, s, e, n))}))"
    return CRS84 + f"POLYGON({_ring(_box(w, s, e, n))})"


def _bbox_geojson(bbox: dict[str, float]) -> dict[str, Any]:
    w, e, s, n = bbox["west"], bbox["east"], bbox["south"], bbox["north"]
    if bbox_crosses_antimeridian(bbox):
        # RFC 7946 section 3.1.9: geometries crossing the antimeridian SHOULD be cut in two.
        return {
            "type": "MultiPolygon",
            "coordinates": [
                [[list(p) for p in _box(w, s, 180.0, n)]],
                [[list(p) for p in _box(-180.0, s, e, n)]],
            ],
        }
    return {"type": "Polygon", "coordinates": [[list(p) for p in _box(w, s, e, n)]]}


def _geometry(wkt: str, geojson: dict[str, Any]) -> dict[str, Any]:
    """A locn:Geometry node (DCAT-AP 3.0.1 section 5.9: locn:geometry ranges over locn:Geometry)
    carrying the GeoSPARQL 1.1 WKT and GeoJSON serialisations."""
    return {
        "@type": ["locn:Geometry", "gsp:Geometry"],
        "gsp:asWKT": {"@value": wkt, "@type": "gsp:wktLiteral"},
        "gsp:asGeoJSON": {
            "@value": json.dumps(geojson, separators=(",", ":")),
            "@type": "gsp:geoJSONLiteral",
        },
    }


def _location(extent: dict[str, Any]) -> dict[str, Any]:
    """A dct:Location (DCAT-AP 3.0.1 section 5.9, GeoDCAT-AP 2.0.0 section 4.7)."""
    node: dict[str, Any] = {"@type": "dct:Location"}
    if extent.get("place_uri"):
        node["@id"] = extent["place_uri"]
    if extent.get("place"):
        node["skos:prefLabel"] = extent["place"]
    if "bbox" in extent:
        box_wkt = bbox_wkt(extent["bbox"])
        node["dcat:bbox"] = {"@value": box_wkt, "@type": "gsp:wktLiteral"}
    if "polygon" in extent:
        rings = extent["polygon"]["coordinates"]
        wkt = CRS84 + "POLYGON(" + ", ".join([_ring(r) for r in rings]) + ")"
        node["locn:geometry"] = _geometry(wkt, extent["polygon"])
        if "bbox" not in extent:
            lons = [p[0] for p in rings[0]]
            lats = [p[1] for p in rings[0]]
            box = {"west": min(lons), "east": max(lons), "south": min(lats), "north": max(lats)}
            node["dcat:bbox"] = {"@value": bbox_wkt(box), "@type": "gsp:wktLiteral"}
    elif "bbox" in extent:
        node["locn:geometry"] = _geometry(box_wkt, _bbox_geojson(extent["bbox"]))
    if "point" in extent:
        lon, lat = extent["point"]["lon"], extent["point"]["lat"]
        wkt = CRS84 + f"POINT({_num(lon)} {_num(lat)})"
        node["dcat:centroid"] = {"@value": wkt, "@type": "gsp:wktLiteral"}
        if "locn:geometry" not in node:
            node["locn:geometry"] = _geometry(wkt, {"type": "Point", "coordinates": [lon, lat]})
    return node


def _period(extent: dict[str, Any]) -> dict[str, Any]:
    """A dct:PeriodOfTime with dcat:startDate/endDate (DCAT-AP 3.0.1 section 5.13); no end = open."""
    node: dict[str, Any] = {"@type": "dct:PeriodOfTime", "dcat:startDate": _date(extent["start"])}
    if extent.get("end"):
        node["dcat:endDate"] = _date(extent["end"])
    return node


# --- the dataset -----------------------------------------------------------------------------


def _dataset_iri(doc: dict[str, Any]) -> str:
    page = landing_page(doc)
    if page:
        return page + "#dataset"
    doi = doi_of(doc)
    return doi_url(doi) if doi else f"urn:alluvium:record:{quote(doc['id'])}"


def _themes(metadata: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """(dcat:theme concepts, dcat:keyword literals) from keywords, free keywords and concepts."""
    themes: list[dict[str, Any]] = []
    keywords: list[dict[str, str]] = []
    seen: set[str] = set()
    schemes: set[str] = set()
    eu: list[str] = []
    for group in metadata.get("keywords", []):
        for term in group["terms"]:
            uri = term.get("value_uri")
            if uri and uri not in seen:
                seen.add(uri)
                themes.append(
                    _concept(
                        uri,
                        term["term"],
                        term.get("lang"),
                        group.get("scheme_uri"),
                        group["scheme_name"],
                        schemes,
                    )
                )
                if uri.startswith(INSPIRE_THEME):
                    eu += [t for t in INSPIRE_TO_EU_THEMES.get(uri[len(INSPIRE_THEME) :], ()) if t not in eu]
            elif not uri:
                keywords.append(_text(term["term"], term.get("lang")))
    for kind in ("platforms", "instruments", "variables"):
        for concept in metadata.get(kind, []):
            uri = concept.get("value_uri")
            if uri and uri not in seen:
                seen.add(uri)
                themes.append(
                    _concept(
                        uri,
                        concept["term"],
                        None,
                        concept.get("scheme_uri"),
                        concept.get("scheme_name"),
                        schemes,
                    )
                )
            elif not uri:
                keywords.append(_text(concept["term"], None))
    keywords += [_text(k["term"], k.get("lang")) for k in metadata.get("free_keywords", [])]
    for code in eu:
        themes.append(
            _concept(
                f"{EU}data-theme/{code}",
                EU_THEME_LABELS[code],
                "en",
                f"{EU}data-theme",
                "Data theme",
                schemes,
            )
        )
    return themes, keywords


def _licence(licence: dict[str, Any]) -> dict[str, Any]:
    """dct:license as a dct:LicenseDocument (DCAT-AP 3.0.1 section 5.12)."""
    node: dict[str, Any] = {"@type": "dct:LicenseDocument"}
    if licence.get("id") in EU_LICENCES:
        node["@id"] = f"{EU}licence/{EU_LICENCES[licence['id']]}"
    elif licence.get("id"):
        node["@id"] = spdx_uri(licence["id"])
    elif licence.get("uri"):
        node["@id"] = licence["uri"]
    if licence.get("name"):
        node["rdfs:label"] = licence["name"]
    return node


def _distributions(doc: dict[str, Any], metadata: dict[str, Any], base: str) -> list[dict[str, Any]]:
    """One dcat:Distribution per file (DCAT-AP 3.0.1 section 5.3).

    dcat:accessURL is the landing page (the only URL that always works whatever the access
    level); dcat:downloadURL is given only for open records whose file URLs are known.
    """
    rights = metadata.get("rights", {})
    page = landing_page(doc) or (doi_url(doi_of(doc)) if doi_of(doc) else None)
    out: list[dict[str, Any]] = []
    # Nodes every file shares are described with the first file and only referred to after it
    # (same graph, less to write); a blank node (licence without IRI, rights) is one shared dict.
    licence = _licence(rights["license"]) if rights.get("license") else None
    conditions = rights.get("use_constraints", []) + rights.get("access_constraints", [])
    statement = _rights_statement(conditions) if conditions else None
    described: set[str] = set()

    def once(node: dict[str, Any]) -> dict[str, Any]:
        if node["@id"] in described:
            return {"@id": node["@id"]}
        described.add(node["@id"])
        return node

    for index, item in enumerate(doc.get("files", []) if page else [], start=1):
        node: dict[str, Any] = {
            "@id": f"{base}#distribution-{index}",
            "@type": "dcat:Distribution",
            "dct:title": item["key"],
            "dcat:accessURL": _iri(page),
            "dcat:byteSize": {"@value": str(item["size"]), "@type": "xsd:nonNegativeInteger"},
        }
        url = file_url(doc, item["key"])
        if url and rights.get("access_level") == "open":
            node["dcat:downloadURL"] = _iri(url)
        sha256 = (item.get("checksum") or {}).get("sha256")
        if sha256:
            # DCAT-AP 3.0.1 section 5.4 (Checksum): spdx:algorithm + spdx:checksumValue hexBinary.
            node["spdx:checksum"] = {
                "@type": "spdx:Checksum",
                "spdx:algorithm": once(_iri("spdx:checksumAlgorithm_sha256", "spdx:ChecksumAlgorithm")),
                "spdx:checksumValue": {"@value": sha256, "@type": "xsd:hexBinary"},
            }
        mimetype = item.get("mimetype") or mimetypes.guess_type(item["key"], strict=False)[0]
        if mimetype and "/x-" not in mimetype:
            node["dcat:mediaType"] = once(_iri(IANA_MEDIA + mimetype, "dct:MediaType"))
        if mimetype in EU_FILE_TYPES:
            node["dct:format"] = once(
                _iri(f"{EU}file-type/{EU_FILE_TYPES[mimetype]}", "dct:MediaTypeOrExtent")
            )
        if licence:
            node["dct:license"] = once(licence) if "@id" in licence else licence
        if rights.get("embargo_until"):
            node["dct:available"] = _date(rights["embargo_until"])
        if statement:
            node["dct:rights"] = statement
        out.append(node)
    start = len(out) + 1
    for index, item in enumerate(metadata.get("online_resources", []), start=start):
        out.append(
            _online_distribution(item, f"{base}#distribution-{index}", metadata.get("metadata_language"))
        )
    return out


#: Standards the OGC service protocols conform to (dct:conformsTo of a dcat:DataService).
PROTOCOL_STANDARDS = {
    "OGC:WMS": "http://www.opengis.net/def/serviceType/ogc/wms",
    "OGC:WFS": "http://www.opengis.net/def/serviceType/ogc/wfs",
    "OGC:WCS": "http://www.opengis.net/def/serviceType/ogc/wcs",
    "OGC:WMTS": "http://www.opengis.net/def/serviceType/ogc/wmts",
    "OGC:CSW": "http://www.opengis.net/def/serviceType/ogc/csw",
    "OGC:SOS": "http://www.opengis.net/def/serviceType/ogc/sos",
    "OGC API - Features": "http://www.opengis.net/spec/ogcapi-features-1/1.0",
    "OGC API - Records": "http://www.opengis.net/spec/ogcapi-records-1/1.0",
    "OGC API - Coverages": "http://www.opengis.net/spec/ogcapi-coverages-1/1.0",
    "OGC API - Maps": "http://www.opengis.net/spec/ogcapi-maps-1/1.0",
    "OGC API - Tiles": "http://www.opengis.net/spec/ogcapi-tiles-1/1.0",
    "OPeNDAP:OPeNDAP": "https://www.opendap.org/",
    "UNIDATA:THREDDS": "https://www.unidata.ucar.edu/software/tds/",
}
DOWNLOAD_PROTOCOLS = ("WWW:DOWNLOAD-1.0-http--download", "WWW:DOWNLOAD-1.0-ftp--download")


def _online_distribution(item: dict[str, Any], node_id: str, lang: str | None) -> dict[str, Any]:
    """An online resource as a dcat:Distribution (DCAT-AP 3.0.1 section 5.3): accessURL always,
    downloadURL for a download, and for a service protocol a dcat:DataService (section 5.5) whose
    endpointURL is the URL (GeoDCAT-AP 2.0.0 section 4.2: OGC services as data services)."""
    url = item["url"]
    node: dict[str, Any] = {"@id": node_id, "@type": "dcat:Distribution", "dcat:accessURL": _iri(url)}
    if item.get("function") == "download" or item.get("protocol") in DOWNLOAD_PROTOCOLS:
        node["dcat:downloadURL"] = _iri(url)
    if item.get("names"):
        node["dct:title"] = _texts(item["names"], lang)
    if item.get("descriptions"):
        node["dct:description"] = _texts(item["descriptions"], lang)
    standard = PROTOCOL_STANDARDS.get(item.get("protocol", ""))
    if standard:
        title = item.get("layer_name") or (
            item["names"][0]["text"] if item.get("names") else item["protocol"]
        )
        node["dcat:accessService"] = {
            "@id": node_id.replace("#distribution-", "#service-"),
            "@type": "dcat:DataService",
            "dct:title": _text(f"{item['protocol']} service: {title}", None),
            "dcat:endpointURL": _iri(url, "rdfs:Resource"),
            "dct:conformsTo": _iri(standard, "dct:Standard"),
        }
    return node


def _attributions(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """prov:qualifiedAttribution with INSPIRE roles (GeoDCAT-AP 2.0.0 section 4.3). The agent is
    the one dct:creator / dct:contributor describes: referred to by its IRI or blank node id."""
    out = []
    agents = [(a, f"_:creator-{i}") for i, a in enumerate(metadata.get("creators", []), start=1)]
    agents += [(a, f"_:contributor-{i}") for i, a in enumerate(metadata.get("contributors", []), start=1)]
    for agent, blank_id in agents:
        role = agent.get("role") if agent.get("role") in INSPIRE_ROLES else None
        role = role or CONTRIBUTOR_ROLES.get(agent.get("contributor_type", ""))
        if role:
            out.append(
                {
                    "@type": "prov:Attribution",
                    "prov:agent": {"@id": agent_uri(agent) or blank_id},
                    "dcat:hadRole": _iri(f"{INSPIRE_CODELIST}ResponsiblePartyRole/{role}", "dcat:Role"),
                }
            )
    return out


def _funding(funding: dict[str, Any]) -> dict[str, Any]:
    """A frapo:Grant awarded by a funder (FRAPO, the SPAR funding ontology; DCAT-AP has no
    funding property)."""
    funder: dict[str, Any] = {
        "@type": ["foaf:Agent", "foaf:Organization", "frapo:FundingAgency"],
        "foaf:name": funding["funder_name"],
    }
    if funder_uri(funding):
        funder["@id"] = funder_uri(funding)
    grant: dict[str, Any] = {"@type": "frapo:Grant", "frapo:isAwardedBy": funder}
    if funding.get("award_uri"):
        grant["@id"] = funding["award_uri"]
    if funding.get("award_number"):
        grant["frapo:hasGrantNumber"] = funding["award_number"]
    if funding.get("award_title"):
        grant["dct:title"] = funding["award_title"]
    return grant


def _specification(item: dict[str, Any]) -> dict[str, Any]:
    """The specification of a conformity statement, a dct:Standard with title and date."""
    spec: dict[str, Any] = {
        "@type": "dct:Standard",
        "dct:title": _text(item["specification"], "en"),
        "dct:issued": _date(item["specification_date"]),
    }
    if item.get("specification_uri"):
        spec["@id"] = item["specification_uri"]
    return spec


def _conformity(item: dict[str, Any]) -> dict[str, Any]:
    """An INSPIRE conformity statement as a prov:Activity (GeoDCAT-AP 2.0.0 section 4.11)."""
    spec = _specification(item)
    spec["@type"] = ["dct:Standard", "prov:Plan"]
    return {
        "@type": "prov:Activity",
        "prov:qualifiedAssociation": {
            "@type": "prov:Association",
            "prov:hadPlan": {"@type": "prov:Plan", "prov:wasDerivedFrom": spec},
        },
        "prov:generated": {
            "@type": "prov:Entity",
            "dct:type": _iri(
                f"{INSPIRE_CODELIST}DegreeOfConformity/{item['degree']}",
                "skos:Concept",
                skos__prefLabel=_text(DEGREES[item["degree"]], "en"),
            ),
        },
    }


def _resolutions(metadata: dict[str, Any]) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """(dcat:spatialResolutionInMeters, dqv:hasQualityMeasurement) — DCAT-AP 3.0.1 section 5.2
    for ground distances, GeoDCAT-AP 2.0.0 section 4.9 (dqv) for scales and angles."""
    metres, measurements = [], []
    factors = {"m": 1.0, "km": 1000.0, "cm": 0.01}
    for res in metadata.get("spatial_resolutions", []):
        if "scale_denominator" in res:
            measurements.append(
                {
                    "@type": "dqv:QualityMeasurement",
                    "dqv:isMeasurementOf": _iri("geodcat:spatialResolutionAsScale", "dqv:Metric"),
                    "dqv:value": _decimal(1 / res["scale_denominator"]),
                }
            )
        elif res.get("unit", "m") in factors:
            metres.append(_decimal(res["distance"] * factors[res.get("unit", "m")]))
        elif res.get("unit") in ("deg", "degree", "°"):
            measurements.append(
                {
                    "@type": "dqv:QualityMeasurement",
                    "dqv:isMeasurementOf": _iri("geodcat:spatialResolutionAsAngularDistance", "dqv:Metric"),
                    "sdmx-attribute:unitMeasure": _iri(
                        "http://www.qudt.org/vocab/unit/DEG", "skos:Concept", skos__prefLabel="degree"
                    ),
                    "dqv:value": _decimal(res["distance"]),
                }
            )
    return metres, measurements


def _issued(doc: dict[str, Any], metadata: dict[str, Any]) -> dict[str, str] | None:
    dates = {d["type"]: d["date"] for d in metadata.get("dates", []) if "/" not in d["date"]}
    if "Issued" in dates:
        return _date(dates["Issued"])
    if doc.get("publication_date"):
        return _date(doc["publication_date"])
    return None


def to_jsonld(doc: dict[str, Any]) -> dict[str, Any]:
    """The DCAT-AP 3.0.1 / GeoDCAT-AP 2.0.0 description of a record, as a JSON-LD document."""
    md = doc["metadata"]
    iri = _dataset_iri(doc)
    ds: dict[str, Any] = {"@id": iri, "@type": "dcat:Dataset"}
    default_lang = md.get("metadata_language")

    # Mandatory (DCAT-AP 3.0.1 section 5.2): dct:title, dct:description, one per language.
    ds["dct:title"] = _texts(display_titles(md), default_lang)
    alternatives = [t for t in md.get("titles", []) if t.get("type") in ("AlternativeTitle", "Subtitle")]
    if alternatives:
        ds["dct:alternative"] = _texts(alternatives, default_lang)
    # Other descriptions than the abstract are further dct:description values, except Methods,
    # which is how the data were made: GeoDCAT-AP dct:provenance, with the lineage.
    others = [d for d in md.get("descriptions", []) if d["type"] != "Methods"]
    ds["dct:description"] = _texts(md.get("abstracts", []) + others, default_lang)

    # Identifiers: dct:identifier (primary, a literal) and adms:identifier for the DOI.
    doi = doi_of(doc)
    ds["dct:identifier"] = doi_url(doi) if doi else (landing_page(doc) or doc["id"])
    ids = []
    if doi:
        ids.append(
            {
                "@type": "adms:Identifier",
                "skos:notation": {"@value": doi, "@type": "http://purl.org/spar/datacite/doi"},
                "adms:schemeAgency": "DataCite",
            }
        )
    ids += [_identifier(alt["identifier"], alt["scheme"]) for alt in md.get("alternate_identifiers", [])]
    if ids:
        ds["adms:identifier"] = ids
    if landing_page(doc):
        ds["dcat:landingPage"] = _iri(landing_page(doc), "foaf:Document")

    # Agents (sections 5.2 and 5.7).
    publisher = md.get("publisher") or {}
    if publisher.get("name"):
        node = {"@type": ["foaf:Agent", "foaf:Organization"], "foaf:name": publisher["name"]}
        if publisher.get("ror"):
            node["@id"] = publisher["ror"]
        ds["dct:publisher"] = node
    if md.get("creators"):
        ds["dct:creator"] = [_agent(a, f"_:creator-{i}") for i, a in enumerate(md["creators"], start=1)]
    if md.get("contributors"):
        ds["dct:contributor"] = [
            _agent(a, f"_:contributor-{i}") for i, a in enumerate(md["contributors"], start=1)
        ]
    attributions = _attributions(md)
    if attributions:
        ds["prov:qualifiedAttribution"] = attributions
    contacts = []
    for contact in md.get("contacts", []):
        kind = "vcard:Individual" if contact.get("type") == "Personal" else "vcard:Organization"
        contacts.append(
            {
                "@type": ["vcard:Kind", kind],
                "vcard:fn": contact["name"],
                "vcard:hasEmail": _iri(f"mailto:{contact['email']}"),
            }
        )
    if contacts:
        ds["dcat:contactPoint"] = contacts

    # Classification.
    themes, keywords = _themes(md)
    if themes:
        ds["dcat:theme"] = themes
    if keywords:
        ds["dcat:keyword"] = keywords
    if md.get("topic_categories"):
        # GeoDCAT-AP 2.0.0 section 4.2: ISO topic category → dct:subject, INSPIRE code list URI.
        ds["dct:subject"] = [
            _iri(f"{INSPIRE_CODELIST}TopicCategory/{c}", "skos:Concept", skos__prefLabel=c)
            for c in md["topic_categories"]
        ]
    types = []
    if (md.get("resource_type") or {}).get("general") == "Dataset":
        # DCAT-AP 3.0.1 section 7 (controlled vocabularies): dct:type from the EU resource-type table.
        types.append(
            _iri(f"{EU}resource-type/DATASET", "skos:Concept", skos__prefLabel=_text("Dataset", "en"))
        )
    level = (md.get("resource_type") or {}).get("hierarchy_level")
    if level in ("dataset", "series", "service"):
        # GeoDCAT-AP 2.0.0 section 4.2: resource type → dct:type, INSPIRE ResourceType code list.
        types.append(_iri(f"{INSPIRE_CODELIST}ResourceType/{level}", "skos:Concept", skos__prefLabel=level))
    if types:
        ds["dct:type"] = types

    # Space, time, reference systems, resolution.
    if md.get("spatial_extents"):
        ds["dct:spatial"] = [_location(e) for e in md["spatial_extents"]]
    if md.get("temporal_extents"):
        ds["dct:temporal"] = [_period(e) for e in md["temporal_extents"]]
    standards = [
        _iri(
            EPSG + crs.split(":")[1],
            "dct:Standard",
            dct__type=_iri("http://inspire.ec.europa.eu/glossary/SpatialReferenceSystem"),
            skos__prefLabel=crs,
        )
        for crs in md.get("reference_systems", [])
    ]
    conformity = md.get("inspire_conformity", [])
    # GeoDCAT-AP 2.0.0 section 4.11: "conformant" is dct:conformsTo the specification; the other
    # degrees need the prov:Activity form, which says which degree.
    standards += [_specification(c) for c in conformity if c["degree"] == "conformant"]
    if standards:
        ds["dct:conformsTo"] = standards
    activities = [_conformity(c) for c in conformity if c["degree"] != "conformant"]
    if activities:
        ds["prov:wasUsedBy"] = activities
    metres, measurements = _resolutions(md)
    if metres:
        ds["dcat:spatialResolutionInMeters"] = metres
    if measurements:
        ds["dqv:hasQualityMeasurement"] = measurements

    # Dates, language, version.
    issued = _issued(doc, md)
    if issued:
        ds["dct:issued"] = issued
    dates = {d["type"]: d["date"] for d in md.get("dates", []) if "/" not in d["date"]}
    # DataCite dateType → Dublin Core date property (DCAT-AP 3.0.1 section 5.2; dct:created is a
    # GeoDCAT-AP 2.0.0 addition).
    date_props = (
        ("Updated", "dct:modified"),
        ("Created", "dct:created"),
        ("Valid", "dct:valid"),
        ("Available", "dct:available"),
    )
    for kind, prop in date_props:
        if kind in dates:
            ds[prop] = _date(dates[kind])
    languages = [code for code in (iso639_alpha3(t) for t in md.get("languages", [])) if code]
    if languages:
        ds["dct:language"] = [_iri(f"{EU}language/{c.upper()}", "dct:LinguisticSystem") for c in languages]
    if md.get("version"):
        ds["dcat:version"] = md["version"]

    # Rights.
    rights = md.get("rights") or {}
    if rights.get("access_level"):
        ds["dct:accessRights"] = _iri(
            f"{EU}access-right/{ACCESS_RIGHTS[rights['access_level']]}", "dct:RightsStatement"
        )

    # Provenance, relations, funding.
    provenance = md.get("lineage", []) + [d for d in md.get("descriptions", []) if d["type"] == "Methods"]
    review = review_statement(doc.get("reviewed_by"))
    if review:
        provenance = provenance + [{"text": review, "lang": "en"}]
    if provenance:
        ds["dct:provenance"] = {
            "@type": "dct:ProvenanceStatement",
            "rdfs:label": _texts(provenance, default_lang),
        }
    for related in md.get("related_identifiers", []):
        url = related_url(related)
        if not url:
            continue
        prop = RELATIONS.get(related["relation_type"], "dct:relation")
        ds.setdefault(prop, []).append(_iri(url, "foaf:Document") if prop == "foaf:page" else _iri(url))
    if md.get("funding"):
        ds["frapo:isFundedBy"] = [_funding(f) for f in md["funding"]]

    depictions = [g["url"] for g in md.get("graphic_overviews", []) if g.get("url")]
    if rights.get("access_level") == "open":
        depictions += [file_url(doc, g["file"]) for g in md.get("graphic_overviews", []) if g.get("file")]
    if any(depictions):
        # GeoDCAT-AP 2.0.0 section 4.2 (graphic overview): foaf:depiction.
        ds["foaf:depiction"] = [_iri(u) for u in depictions if u]

    distributions = _distributions(doc, md, iri.split("#")[0])
    if distributions:
        ds["dcat:distribution"] = distributions
    record = _catalog_record(doc, iri)
    if record:
        return {"@context": dict(CONTEXT), "@graph": [ds, record]}
    return {"@context": dict(CONTEXT), **ds}


def _catalog_record(doc: dict[str, Any], dataset_iri: str) -> dict[str, Any] | None:
    """The dcat:CatalogRecord describing this metadata (DCAT-AP 3.0.1 section 5.5): its language
    (GeoDCAT-AP metadata language) and when the record last changed (dct:modified, mandatory)."""
    page = landing_page(doc)
    if not page or not doc.get("updated"):
        return None
    record: dict[str, Any] = {
        "@id": page + "#record",
        "@type": "dcat:CatalogRecord",
        "foaf:primaryTopic": _iri(dataset_iri, "dcat:Resource"),
        "dct:modified": _date(doc["updated"].replace("+00:00", "Z")),
    }
    if doc.get("created"):
        record["dct:issued"] = _date(doc["created"].replace("+00:00", "Z"))
    lang = doc["metadata"].get("metadata_language")
    code = iso639_alpha3(lang) if lang else None
    if code:
        record["dct:language"] = _iri(f"{EU}language/{code.upper()}", "dct:LinguisticSystem")
    return record


def write_turtle(doc: dict[str, Any]) -> bytes:
    """DCAT-AP 3 / GeoDCAT-AP description of a record, Turtle (written directly, no rdflib)."""
    return rdfwrite.turtle(to_jsonld(doc))


def write_rdfxml(doc: dict[str, Any]) -> bytes:
    """DCAT-AP 3 / GeoDCAT-AP description of a record, RDF/XML (the OAI-PMH ``dcat`` payload),
    written directly in the flat form (one ``rdf:Description`` per subject)."""
    return rdfwrite.rdfxml(to_jsonld(doc))


# One encoder for every record (json.dumps would make one a call); to_jsonld builds a tree
# (shared nodes, never a cycle), so the circular-reference bookkeeping is not needed.
_JSON = json.JSONEncoder(ensure_ascii=False, check_circular=False)


def write_jsonld(doc: dict[str, Any]) -> bytes:
    """DCAT-AP 3 / GeoDCAT-AP description of a record, JSON-LD (compact, inline context): the
    document as built (tests/test_export_dcat.py parses it with rdflib's JSON-LD processor)."""
    return (_JSON.encode(to_jsonld(doc)) + "\n").encode("utf-8")


DCAT = register(
    Format(
        name="dcat",
        version="4",  # issue 10, speed: agents and shared nodes described once (leaner graph)
        title="DCAT-AP 3.0.1 / GeoDCAT-AP 2.0.0 (Turtle)",
        media_type="text/turtle",
        extension="ttl",
        writer=write_turtle,
        aliases=(f'text/turtle; profile="{DCATAP_PROFILE}"',),
    )
)
DCAT_RDFXML = register(
    Format(
        name="dcat-rdfxml",
        version="4",  # issue 10, speed: agents and shared nodes described once (leaner graph)
        title="DCAT-AP 3.0.1 / GeoDCAT-AP 2.0.0 (RDF/XML)",
        media_type="application/rdf+xml",
        extension="rdf",
        writer=write_rdfxml,
        namespace="http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        is_xml=True,
    )
)
# application/ld+json alone goes to schema.org (what dataset search engines read); DCAT-AP
# JSON-LD is asked for with the DCAT-AP profile parameter (RFC 6906 / JSON-LD 1.1 section 9.1).
DCAT_JSONLD = register(
    Format(
        name="dcat-jsonld",
        version="4",  # issue 10, speed: agents and shared nodes described once (leaner graph)
        title="DCAT-AP 3.0.1 / GeoDCAT-AP 2.0.0 (JSON-LD)",
        media_type=f'application/ld+json; profile="{DCATAP_PROFILE}"',
        extension="dcat.jsonld",
        writer=write_jsonld,
    )
)

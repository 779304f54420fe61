"""Crosswalk: canonical record document → schema.org ``Dataset`` JSON-LD.

What dataset search engines read (Google Dataset Search guidelines,
https://developers.google.com/search/docs/appearance/structured-data/dataset, and the
schema.org ``Dataset`` type, https://schema.org/Dataset). Plain JSON: values are strings,
numbers and nested objects as those guidelines show them; no RDF library is needed.

The ``@context`` is the string ``https://schema.org/`` that search engines expect. Consumers
that process JSON-LD offline replace it with ``{"@vocab": "https://schema.org/"}``.
"""

from __future__ import annotations

import json
from typing import Any

from exports.linkeddata import (
    agent_uri,
    bbox_crosses_antimeridian,
    doi_of,
    doi_url,
    file_url,
    funder_uri,
    landing_page,
    main_title,
    num,
    related_url,
)
from exports.registry import Format, register
from schemas import review_statement

CONTEXT = "https://schema.org/"
# DataCite resourceTypeGeneral → schema.org type (docs/metadata-profile.md).
TYPES = {"Dataset": "Dataset", "Software": "SoftwareSourceCode"}
DOI_PROPERTY = "https://registry.identifiers.org/registry/doi"

# DataCite relationType → schema.org property. ``citation`` is for the publications the
# provider recommends citing with the dataset (Google guidelines, "citation").
RELATIONS = {
    "IsCitedBy": "citation",
    "IsReferencedBy": "citation",
    "IsSupplementTo": "citation",
    "IsDescribedBy": "citation",
    "IsDocumentedBy": "citation",
    "Cites": "citation",
    "References": "citation",
    "IsDerivedFrom": "isBasedOn",
    "IsNewVersionOf": "isBasedOn",
    "IsPartOf": "isPartOf",
    "HasPart": "hasPart",
    "IsCompiledBy": "isBasedOn",
    # The concept of which this record is a version (schema.org: "A creative work that this work
    # is an example/instance/realization/derivation of"). A next version has no schema.org
    # property (docs/exports.md).
    "IsVersionOf": "exampleOfWork",
    "HasVersion": "workExample",
}


def _agent(agent: dict[str, Any]) -> dict[str, Any]:
    """A schema.org Person (ORCID as ``@id``) or Organization (ROR as ``@id``)."""
    person = agent.get("type") == "Personal"
    node: dict[str, Any] = {"@type": "Person" if person else "Organization"}
    uri = agent_uri(agent)
    if uri:
        node["@id"] = uri
        node["identifier"] = uri
    node["name"] = agent["name"]
    if person:
        if agent.get("given_name"):
            node["givenName"] = agent["given_name"]
        if agent.get("family_name"):
            node["familyName"] = agent["family_name"]
    if agent.get("email"):
        node["email"] = agent["email"]
    if person:
        affiliations = []
        for aff in agent.get("affiliations", []):
            org: dict[str, Any] = {"@type": "Organization", "name": aff["name"]}
            if aff.get("ror"):
                org["@id"] = aff["ror"]
            affiliations.append(org)
        if affiliations:
            node["affiliation"] = affiliations
    return node


def _organization(name: str, uri: str | None) -> dict[str, Any]:
    node: dict[str, Any] = {"@type": "Organization"}
    if uri:
        node["@id"] = uri
    node["name"] = name
    return node


def box_string(south: float, west: float, north: float, east: float) -> str:
    """A schema.org GeoShape ``box``: two corners "lat lon lat lon", south-west then north-east."""
    return f"{num(south)} {num(west)} {num(north)} {num(east)}"


def _geo(extent: dict[str, Any]) -> list[dict[str, Any]]:
    """GeoShape / GeoCoordinates of one extent.

    A box crossing the antimeridian (west > east) is split at ±180° into two boxes, as DCAT
    does: a "box" whose west corner is east of its east corner is read inconsistently.
    """
    out: list[dict[str, Any]] = []
    if "bbox" in extent:
        b = extent["bbox"]
        if bbox_crosses_antimeridian(b):
            out.append({"@type": "GeoShape", "box": box_string(b["south"], b["west"], b["north"], 180.0)})
            out.append({"@type": "GeoShape", "box": box_string(b["south"], -180.0, b["north"], b["east"])})
        else:
            out.append({"@type": "GeoShape", "box": box_string(b["south"], b["west"], b["north"], b["east"])})
    if "polygon" in extent:
        # schema.org GeoShape polygon: "lat lon" points, first = last; the exterior ring only.
        ring = extent["polygon"]["coordinates"][0]
        out.append({"@type": "GeoShape", "polygon": " ".join(f"{num(lat)} {num(lon)}" for lon, lat in ring)})
    if "point" in extent:
        out.append(
            {
                "@type": "GeoCoordinates",
                "latitude": extent["point"]["lat"],
                "longitude": extent["point"]["lon"],
            }
        )
    return out


def _place(extent: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {"@type": "Place"}
    if extent.get("place_uri"):
        node["@id"] = extent["place_uri"]
    if extent.get("place"):
        node["name"] = extent["place"]
    if extent.get("place_uri"):
        node["sameAs"] = extent["place_uri"]
    geo = _geo(extent)
    if geo:
        node["geo"] = geo[0] if len(geo) == 1 else geo
    return node


def temporal_coverage(extent: dict[str, Any]) -> str:
    """ISO 8601 interval ``start/end``; an open end is ``..`` (schema.org temporalCoverage)."""
    return f"{extent['start']}/{extent.get('end') or '..'}"


def _description(metadata: dict[str, Any]) -> str | None:
    """The abstract in the main title's language, then the other descriptions (not Methods,
    which is ``measurementTechnique``), one paragraph each."""
    abstracts = metadata.get("abstracts", [])
    if not abstracts:
        return None
    lang = (main_title(metadata) or {}).get("lang") or metadata.get("metadata_language")
    first = next((a["text"] for a in abstracts if a.get("lang") == lang), abstracts[0]["text"])
    others = [d["text"] for d in metadata.get("descriptions", []) if d["type"] != "Methods"]
    return "\n\n".join([first, *others])


def _lang_text(item: dict[str, Any]) -> Any:
    """A text keeping its language as a JSON-LD value object (JSON-LD 1.1 section 4.2.4)."""
    return {"@value": item["text"], "@language": item["lang"]} if item.get("lang") else item["text"]


def _distributions(doc: dict[str, Any], metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """DataDownload for each file that can be downloaded now (open access, URL known), then one
    per online resource (a download's ``contentUrl``, else its ``url``)."""
    out = []
    open_access = (metadata.get("rights") or {}).get("access_level") == "open"
    for item in doc.get("files", []) if open_access else []:
        url = file_url(doc, item["key"])
        if not url:
            continue
        node: dict[str, Any] = {"@type": "DataDownload", "name": item["key"], "contentUrl": url}
        if item.get("mimetype"):
            node["encodingFormat"] = item["mimetype"]
        node["contentSize"] = f"{item['size']} B"
        sha256 = (item.get("checksum") or {}).get("sha256")
        if sha256:
            node["sha256"] = sha256
        out.append(node)
    for item in metadata.get("online_resources", []):
        download = item.get("function") == "download" or (item.get("protocol") or "").startswith(
            "WWW:DOWNLOAD"
        )
        node = {"@type": "DataDownload", "contentUrl" if download else "url": item["url"]}
        if item.get("names") or item.get("layer_name"):
            node["name"] = item["names"][0]["text"] if item.get("names") else item["layer_name"]
        if item.get("descriptions"):
            node["description"] = item["descriptions"][0]["text"]
        if item.get("protocol"):
            node["encodingFormat"] = item["protocol"]
        out.append(node)
    return out


def _conditions(rights: dict[str, Any]) -> str | None:
    parts = []
    level = rights.get("access_level")
    if level == "embargoed":
        parts.append(f"Embargoed until {rights['embargo_until']}.")
    elif level == "restricted":
        parts.append("Restricted access: files are shared on request.")
    elif level == "metadata_only":
        parts.append("Metadata only: the data files are not distributed by this repository.")
    parts += [c["text"] for c in rights.get("access_constraints", [])]
    return " ".join(parts) or None


def _grant(funding: dict[str, Any]) -> dict[str, Any]:
    grant: dict[str, Any] = {"@type": "MonetaryGrant"}
    if funding.get("award_uri"):
        grant["@id"] = funding["award_uri"]
        grant["url"] = funding["award_uri"]
    if funding.get("award_number"):
        grant["identifier"] = funding["award_number"]
    if funding.get("award_title"):
        grant["name"] = funding["award_title"]
    grant["funder"] = _organization(funding["funder_name"], funder_uri(funding))
    return grant


def _defined_term(group: dict[str, Any], term: dict[str, Any]) -> Any:
    """A controlled keyword as a DefinedTerm in its DefinedTermSet; plain text without a URI."""
    if not term.get("value_uri"):
        return term["term"]
    return {
        "@type": "DefinedTerm",
        "@id": term["value_uri"],
        "name": term["term"],
        "url": term["value_uri"],
        "inDefinedTermSet": group.get("scheme_uri") or group["scheme_name"],
    }


def _overviews(ds: dict[str, Any], doc: dict[str, Any], md: dict[str, Any]) -> None:
    """Graphic overviews: thumbnail → ``thumbnailUrl`` and ``image``; logo → ``publisher.logo``.
    A file of the record is used only when it can be downloaded (open access)."""
    open_access = (md.get("rights") or {}).get("access_level") == "open"
    for overview in md.get("graphic_overviews", []):
        url = overview.get("url") or (file_url(doc, overview["file"]) if open_access else None)
        if not url:
            continue
        if overview["type"] == "logo" and "publisher" in ds:
            ds["publisher"]["logo"] = url
            continue
        ds.setdefault("thumbnailUrl", url)
        image: dict[str, Any] = {"@type": "ImageObject", "contentUrl": url}
        if overview.get("description"):
            image["caption"] = overview["description"]
        ds.setdefault("image", []).append(image)


def to_jsonld(doc: dict[str, Any]) -> dict[str, Any]:
    """The schema.org ``Dataset`` description of a record, as a JSON-LD dict."""
    md = doc["metadata"]
    doi = doi_of(doc)
    page = landing_page(doc)
    general = (md.get("resource_type") or {}).get("general")
    ds: dict[str, Any] = {"@context": CONTEXT, "@type": TYPES.get(general, "CreativeWork")}
    if doi or page:
        ds["@id"] = doi_url(doi) if doi else page
    title = main_title(md)
    if title:
        ds["name"] = title["text"]
    alternates = [t["text"] for t in md.get("titles", []) if t is not title]
    if alternates:
        ds["alternateName"] = alternates
    if (md.get("resource_type") or {}).get("name"):
        ds["additionalType"] = md["resource_type"]["name"]
    description = _description(md)
    if description:
        ds["description"] = description
    if md.get("abstracts"):
        ds["abstract"] = [_lang_text(a) for a in md["abstracts"]]
    if page:
        ds["url"] = page
    identifiers: list[Any] = []
    if doi:
        identifiers.append(
            {"@type": "PropertyValue", "propertyID": DOI_PROPERTY, "value": f"doi:{doi}", "url": doi_url(doi)}
        )
        identifiers.append(doi_url(doi))
    for alt in md.get("alternate_identifiers", []):
        identifiers.append(
            {"@type": "PropertyValue", "propertyID": alt["scheme"], "value": alt["identifier"]}
        )
    if identifiers:
        ds["identifier"] = identifiers
    if doi and page:
        ds["sameAs"] = doi_url(doi)
    if md.get("creators"):
        ds["creator"] = [_agent(a) for a in md["creators"]]
    if md.get("contributors"):
        ds["contributor"] = [_agent(a) for a in md["contributors"]]
    publisher = md.get("publisher") or {}
    if publisher.get("name"):
        ds["publisher"] = _organization(publisher["name"], publisher.get("ror"))
    dates = {d["type"]: d["date"] for d in md.get("dates", []) if "/" not in d["date"]}
    if dates.get("Issued") or doc.get("publication_date"):
        ds["datePublished"] = dates.get("Issued") or doc["publication_date"]
    if "Created" in dates:
        ds["dateCreated"] = dates["Created"]
    if "Updated" in dates:
        ds["dateModified"] = dates["Updated"]
    if md.get("version"):
        ds["version"] = md["version"]
    keywords: list[Any] = [_defined_term(g, t) for g in md.get("keywords", []) for t in g["terms"]]
    keywords += [k["term"] for k in md.get("free_keywords", [])]
    keywords += md.get("topic_categories", [])
    if keywords:
        ds["keywords"] = keywords
    rights = md.get("rights") or {}
    if (rights.get("license") or {}).get("uri"):
        ds["license"] = rights["license"]["uri"]
    if rights.get("access_level"):
        # Free of charge *and* available now: only open records.
        ds["isAccessibleForFree"] = rights["access_level"] == "open"
    if rights.get("use_constraints"):
        ds["usageInfo"] = [
            {"@type": "CreativeWork", "text": _lang_text(c)} for c in rights["use_constraints"]
        ]
    conditions = _conditions(rights)
    if conditions:
        ds["conditionsOfAccess"] = conditions
    if md.get("spatial_extents"):
        ds["spatialCoverage"] = [_place(e) for e in md["spatial_extents"]]
    if md.get("temporal_extents"):
        covers = [temporal_coverage(e) for e in md["temporal_extents"]]
        ds["temporalCoverage"] = covers[0] if len(covers) == 1 else covers
    distributions = _distributions(doc, md)
    if distributions:
        ds["distribution"] = distributions
    variables = []
    for var in md.get("variables", []):
        node: dict[str, Any] = {"@type": "PropertyValue", "name": var["term"]}
        if var.get("value_uri"):
            node["propertyID"] = var["value_uri"]
        if var.get("unit"):
            node["unitText"] = var["unit"]
        if var.get("unit_uri"):
            node["unitCode"] = var["unit_uri"]
        variables.append(node)
    if variables:
        ds["variableMeasured"] = variables
    techniques = [i["term"] for i in md.get("instruments", [])]
    techniques += [d["text"] for d in md.get("descriptions", []) if d["type"] == "Methods"]
    if techniques:
        ds["measurementTechnique"] = techniques
    if md.get("funding"):
        funders = []
        for f in md["funding"]:
            org = _organization(f["funder_name"], funder_uri(f))
            if org not in funders:
                funders.append(org)
        ds["funder"] = funders
        ds["funding"] = [_grant(f) for f in md["funding"]]
    for related in md.get("related_identifiers", []):
        prop = RELATIONS.get(related["relation_type"])
        url = related_url(related)
        if prop and url:
            ds.setdefault(prop, []).append(url)
    if md.get("languages"):
        ds["inLanguage"] = md["languages"][0] if len(md["languages"]) == 1 else md["languages"]
    _overviews(ds, doc, md)
    if doc.get("reviewed_by"):
        # The community review the version passed (schema.org Review of the Dataset).
        review = doc["reviewed_by"]
        ds["review"] = {
            "@type": "Review",
            "reviewBody": review_statement(review),
            "datePublished": review["date"],
            "author": (
                {"@type": "Person", "name": review["moderator"]}
                if review.get("moderator")
                else {"@type": "Organization", "name": f"{review['community']} community"}
            ),
        }
    if page and "/records/" in page:
        ds["includedInDataCatalog"] = {
            "@type": "DataCatalog",
            "name": "Alluvium",
            "url": page.split("/records/")[0] + "/",
        }
    return ds


def write_jsonld(doc: dict[str, Any]) -> bytes:
    """schema.org Dataset JSON-LD of a record (UTF-8, indented)."""
    return (json.dumps(to_jsonld(doc), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


SCHEMAORG = register(
    Format(
        name="schemaorg",
        version="3",  # concept and versions: exampleOfWork / workExample (issue 13)
        title="schema.org Dataset (JSON-LD)",
        media_type="application/ld+json",
        extension="jsonld",
        writer=write_jsonld,
        aliases=("application/vnd.schemaorg.ld+json",),
    )
)

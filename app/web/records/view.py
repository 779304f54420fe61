"""What the landing page shows, computed from the canonical record document.

Plain functions over the document dict (no Flask, no database), so the template stays a layout
and each rule (which language, which link) is written once and tested on its own.
"""

from __future__ import annotations

import re
from typing import Any

from vocabularies import controlled

ORCID_RE = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")


def in_language(items: list[dict[str, Any]] | None, lang: str) -> list[dict[str, Any]]:
    """The items written in ``lang`` when there are any; otherwise all of them (a text in another
    language is better than none). Items without a language count as matching every language."""
    items = [i for i in items or [] if isinstance(i, dict) and (i.get("text") or "").strip()]
    mine = [i for i in items if not i.get("lang") or str(i["lang"]).split("-")[0] == lang]
    return mine or items


def title_in(md: dict[str, Any], lang: str, fallback: str) -> str:
    """The main or translated title in ``lang`` if the record has one, else ``fallback``."""
    for t in md.get("titles") or []:
        if t.get("type") in (None, "TranslatedTitle") and t.get("lang") == lang and t.get("text"):
            return str(t["text"]).strip()
    return fallback


def identifier_link(identifier: str, scheme: str | None = None) -> tuple[str, str] | None:
    """``(label, url)`` of an ORCID or ROR identifier, whatever form it was typed in."""
    value = (identifier or "").strip()
    if not value:
        return None
    if (scheme or "").upper() == "ROR" or "ror.org/" in value:
        rid = value.rstrip("/").rsplit("/", 1)[-1]
        return ("ROR", f"https://ror.org/{rid}")
    if (scheme or "").upper() == "ORCID" or "orcid.org/" in value or ORCID_RE.search(value):
        found = ORCID_RE.search(value)
        if found:
            return ("ORCID", f"https://orcid.org/{found.group(1)}")
    if value.startswith(("https://", "http://")):
        return ((scheme or "URI"), value)
    return None


def agent_name(agent: dict[str, Any]) -> str:
    if agent.get("family_name"):
        given = agent.get("given_name")
        return f"{agent['family_name']}, {given}" if given else str(agent["family_name"])
    return str(agent.get("name") or "")


def creators(md: dict[str, Any]) -> list[dict[str, Any]]:
    """Each creator with a display name, its ORCID/ROR links and its affiliations' ROR links."""
    out = []
    for c in md.get("creators") or []:
        links = [
            link
            for i in c.get("identifiers") or []
            if (link := identifier_link(i.get("identifier", ""), i.get("scheme")))
        ]
        affiliations = [
            {"name": a.get("name", ""), "ror": identifier_link(a["ror"], "ROR")[1] if a.get("ror") else None}
            for a in c.get("affiliations") or []
        ]
        out.append(
            {"name": agent_name(c), "links": links, "affiliations": affiliations, "type": c.get("type")}
        )
    return out


def author_uris(md: dict[str, Any]) -> list[str]:
    """ORCID and ROR URLs of the creators (FAIR Signposting ``author`` links)."""
    return [
        url for c in creators(md) for _, url in c["links"] if url.startswith(("https://orcid", "https://ror"))
    ]


def licence(md: dict[str, Any]) -> dict[str, str] | None:
    """``{"id", "name", "uri"}`` of the licence, names and links completed from SPDX."""
    lic = (md.get("rights") or {}).get("license") or {}
    if not lic:
        return None
    found = controlled.spdx_license(lic["id"]) if lic.get("id") else None
    name = lic.get("name") or (found or {}).get("name") or lic.get("id") or ""
    uri = lic.get("uri") or (found or {}).get("reference") or ""
    if found and not lic.get("uri"):
        # SPDX's own page is the reference; the licence text's home is the first "see also".
        uri = ((found.get("see_also") or [None])[0]) or uri
    return {"id": lic.get("id") or "", "name": name, "uri": uri}


def keywords(md: dict[str, Any]) -> list[dict[str, Any]]:
    """Controlled keywords grouped by vocabulary (each term with its concept URI), then free ones."""
    groups = []
    for kw in md.get("keywords") or []:
        groups.append(
            {
                "scheme": kw.get("scheme_name") or "",
                "scheme_uri": kw.get("scheme_uri") or "",
                "terms": [
                    {"term": t.get("term", ""), "uri": t.get("value_uri")} for t in kw.get("terms") or []
                ],
            }
        )
    free = [{"term": k.get("term", ""), "uri": None} for k in md.get("free_keywords") or [] if k.get("term")]
    if free:
        groups.append({"scheme": "", "scheme_uri": "", "terms": free})
    return groups


def extents(md: dict[str, Any]) -> list[dict[str, Any]]:
    """Each spatial extent as GeoJSON (for the map) and as text (the fallback without script)."""
    out = []
    for ext in md.get("spatial_extents") or []:
        item: dict[str, Any] = {"place": ext.get("place") or "", "place_uri": ext.get("place_uri")}
        if ext.get("bbox"):
            b = ext["bbox"]
            item["kind"] = "bbox"
            item["text"] = f"W {b['west']}, E {b['east']}, S {b['south']}, N {b['north']}"
            item["geojson"] = {"type": "bbox", **{k: b[k] for k in ("west", "east", "south", "north")}}
        elif ext.get("point"):
            p = ext["point"]
            item["kind"] = "point"
            item["text"] = f"lat {p['lat']}, lon {p['lon']}"
            item["geojson"] = {"type": "Point", "coordinates": [p["lon"], p["lat"]]}
        elif ext.get("polygon"):
            ring = ext["polygon"]["coordinates"][0]
            item["kind"] = "polygon"
            item["text"] = "; ".join(f"{lon} {lat}" for lon, lat in ring)
            item["geojson"] = ext["polygon"]
        else:
            continue
        out.append(item)
    return out


def temporal(md: dict[str, Any]) -> list[dict[str, str | None]]:
    return [{"start": t.get("start"), "end": t.get("end")} for t in md.get("temporal_extents") or []]


def funding(md: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for f in md.get("funding") or []:
        ident = f.get("funder_identifier") or ""
        if ident.startswith("10.13039/"):
            ident_url = f"https://doi.org/{ident}"
        elif ident.startswith("http"):
            ident_url = ident
        else:
            ident_url = None
        out.append(
            {
                "funder": f.get("funder_name") or "",
                "funder_url": ident_url,
                "award_number": f.get("award_number"),
                "award_title": f.get("award_title"),
                "award_uri": f.get("award_uri"),
            }
        )
    return out


def related(md: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for r in md.get("related_identifiers") or []:
        ident = str(r.get("identifier") or "")
        url = ident if ident.startswith(("http://", "https://")) else None
        if url is None and re.match(r"^10\.\d{4,9}/", ident):
            url = f"https://doi.org/{ident}"
        out.append(
            {
                "identifier": ident,
                "url": url,
                "relation": r.get("relation_type") or "",
                "resource_type": r.get("resource_type") or "",
            }
        )
    return out


def human_size(size: int) -> tuple[float, str]:
    """``(value, unit)`` with a binary-free SI unit, for a locale-formatted number."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return value, unit
        value /= 1000
    return value, "TB"  # pragma: no cover

"""FAIR Signposting (https://signposting.org/FAIR/) for a published version.

Level 1: ``Link`` headers on the landing page — ``cite-as`` (the DOI, else the landing URL),
``describedby`` for each metadata export (with ``type``), ``item`` for each file the visitor may
download (with ``type``), ``author`` (ORCID/ROR of the creators), ``license``, ``type``
(schema.org ``Dataset`` and ``AboutPage``) and ``linkset``.

Level 2: the same links as a linkset (RFC 9264), ``application/linkset+json`` and
``application/linkset``, with the reverse links of each resource (``describes`` from each export,
``collection`` from each file) as the FAIR Signposting profile recommends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from app.models import Record
from exports import registry
from exports.datacite import doi_of

SCHEMA_DATASET = "https://schema.org/Dataset"
SCHEMA_ABOUT_PAGE = "https://schema.org/AboutPage"
#: Above this many files the ``Link`` header leaves the ``item`` links out (a header of thousands
#: of links breaks proxies); the level-2 linkset, announced in the header, always lists them all.
MAX_HEADER_ITEMS = 100


@dataclass(frozen=True)
class Link:
    href: str
    rel: str
    type: str | None = None
    anchor: str | None = None  # None: the landing page


def cite_as(doc: dict[str, Any], base: str) -> str:
    doi = doi_of(doc)
    return f"https://doi.org/{doi}" if doi else f"{base}/records/{doc['id']}"


def landing_url(base: str, record_id: str) -> str:
    return f"{base}/records/{record_id}"


def file_url(base: str, record_id: str, key: str) -> str:
    return f"{base}/api/records/{record_id}/files/{quote(key)}"


def export_url(base: str, record_id: str, name: str) -> str:
    return f"{base}/api/records/{record_id}/export/{name}"


def _bare(media_type: str) -> str:
    """The media type without parameters (``type`` hints name the type; profiles vary)."""
    return media_type.split(";", 1)[0].strip()


def links(record: Record, doc: dict[str, Any], base: str, *, files: bool) -> list[Link]:
    """Level-1 links of the landing page. ``files``: the visitor may download the files (no
    ``item`` links to files that would answer 403)."""
    from app.web.records.view import author_uris, licence

    md = doc.get("metadata") or {}
    out = [Link(cite_as(doc, base), "cite-as")]
    out += [Link(uri, "author") for uri in dict.fromkeys(author_uris(md))]
    for fmt in registry.formats():
        out.append(Link(export_url(base, record.id, fmt.name), "describedby", _bare(fmt.media_type)))
    if files:
        out += [
            Link(file_url(base, record.id, f["key"]), "item", f.get("mimetype") or "application/octet-stream")
            for f in doc.get("files") or []
        ]
    lic = licence(md)
    if lic and lic["uri"]:
        out.append(Link(lic["uri"], "license"))
    out += [Link(SCHEMA_DATASET, "type"), Link(SCHEMA_ABOUT_PAGE, "type")]
    out.append(Link(f"{base}/records/{record.id}/linkset.json", "linkset", "application/linkset+json"))
    out.append(Link(f"{base}/records/{record.id}/linkset", "linkset", "application/linkset"))
    return out


def _header_value(link: Link) -> str:
    value = f'<{link.href}>; rel="{link.rel}"'
    if link.type:
        value += f'; type="{link.type}"'
    if link.anchor:
        value += f'; anchor="{link.anchor}"'
    return value


def add_link_header(response: Any, links_: list[Link]) -> None:
    if sum(1 for link in links_ if link.rel == "item") > MAX_HEADER_ITEMS:
        links_ = [link for link in links_ if link.rel != "item"]
    response.headers["Link"] = ", ".join(_header_value(link) for link in links_)


def _with_reverse(links_: list[Link], landing: str) -> dict[str, list[Link]]:
    """Links grouped by anchor: the landing page's own, and ``describes``/``collection`` back
    to it from each export and file (linksets are not limited to one anchor)."""
    anchors: dict[str, list[Link]] = {landing: [link for link in links_ if link.rel != "linkset"]}
    for link in links_:
        if link.rel == "describedby":
            anchors.setdefault(link.href, []).append(Link(landing, "describes", "text/html"))
        elif link.rel == "item":
            anchors.setdefault(link.href, []).append(Link(landing, "collection", "text/html"))
    return anchors


def linkset_json(links_: list[Link]) -> dict[str, Any]:
    """RFC 9264 §4.2 JSON: ``{"linkset": [{"anchor": …, "<rel>": [{"href", "type"}]}]}``."""
    landing = next(link.href for link in links_ if link.rel == "linkset").rsplit("/linkset", 1)[0]
    out = []
    for anchor, group in _with_reverse(links_, landing).items():
        ctx: dict[str, Any] = {"anchor": anchor}
        for link in group:
            target = {"href": link.href, **({"type": link.type} if link.type else {})}
            ctx.setdefault(link.rel, []).append(target)
        out.append(ctx)
    return {"linkset": out}


def linkset_text(links_: list[Link]) -> str:
    """RFC 9264 §4.1 native format: RFC 8288 links with ``anchor``, one per line."""
    landing = next(link.href for link in links_ if link.rel == "linkset").rsplit("/linkset", 1)[0]
    lines = []
    for anchor, group in _with_reverse(links_, landing).items():
        lines += [_header_value(Link(link.href, link.rel, link.type, anchor)) for link in group]
    return ",\n".join(lines) + "\n"


def concept_identifier(db: Any, record: Record) -> dict[str, str]:
    """The identifier of the dataset as a whole (all versions): its concept DOI when DataCite
    registers one, else the dataset's own id (no URL of its own: the versions list stands for it)."""
    from app.services import dois

    concept = dois._concept(db, record.parent_id)
    if concept is not None:
        return {"label": concept.doi, "url": f"https://doi.org/{concept.doi}"}
    return {"label": record.parent_id, "url": ""}

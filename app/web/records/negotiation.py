"""Content negotiation on a landing page URL, and the machine-readable parts of the page head.

Offered at ``/records/<id>`` (RFC 9110 §12.5.1 ``Accept``; unmatched: 406):

* ``text/html`` — the page (what ``*/*`` and a missing ``Accept`` get);
* ``application/json`` — the canonical record document;
* ``application/vnd.datacite.datacite+json`` — DataCite JSON as DataCite's own content
  negotiation serves it: the flat attributes with ``id`` (the DOI URL), not the REST API's
  ``{"data": {"attributes": …}}`` envelope (that stays at ``/api/records/<id>/export/datacite-json``);
* ``application/xml`` and ``text/xml`` — the DataCite XML;
* the media type (or an alias) of every registered export format (``exports.registry``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Response

from exports import registry
from exports.datacite import DATACITE, MEDIA_TYPE_JSON, attributes, doi_of

XML_TYPES = ("application/xml", "text/xml")


@dataclass(frozen=True)
class Choice:
    kind: str  # html | json | datacite-json | xml | export
    media_type: str
    format: registry.Format | None = None


def offered() -> list[str]:
    types = ["text/html", "application/json", MEDIA_TYPE_JSON, *XML_TYPES]
    for fmt in registry.formats():
        for t in (fmt.media_type, *fmt.aliases):
            if t not in types:
                types.append(t)
    return types


def choose(accept: Any) -> Choice | None:
    """What to answer for a request's ``Accept`` (werkzeug ``MIMEAccept``); ``None``: nothing fits."""
    if not accept:  # no Accept header: any representation; the page
        return Choice("html", "text/html")
    best = accept.best_match(offered(), default=None)
    if best is None:
        return None
    if best == "text/html":
        return Choice("html", best)
    if best == "application/json":
        return Choice("json", best)
    if best == MEDIA_TYPE_JSON:
        return Choice("datacite-json", best)
    if best in XML_TYPES:
        return Choice("xml", best, DATACITE)
    return Choice("export", best, registry.by_media_type(best))


def not_acceptable() -> Response:
    body = "406 Not Acceptable: this URL offers " + ", ".join(offered()) + "\n"
    response = Response(body, status=406, content_type="text/plain; charset=utf-8")
    response.headers["Vary"] = "Accept"
    return response


def datacite_flat(doc: dict[str, Any]) -> dict[str, Any]:
    """DataCite JSON in the flat form of DataCite content negotiation: ``id`` is the DOI as a
    URL (the landing page URL without one), then the attributes at the top level."""
    attrs = attributes(doc)
    doi = doi_of(doc)
    ident = f"https://doi.org/{doi}" if doi else attrs.get("url")
    return {"id": ident, **attrs}


def datacite_response(doc: dict[str, Any], choice: Choice) -> Response:
    if choice.kind == "xml":
        body = DATACITE.writer(doc)
        response = Response(body, content_type=f"{choice.media_type}; charset=utf-8")
    else:
        body = json.dumps(datacite_flat(doc), ensure_ascii=False, indent=2).encode()
        response = Response(body, content_type=f"{MEDIA_TYPE_JSON}; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'inline; filename="{doc["id"]}.datacite.{"xml" if choice.kind == "xml" else "json"}"'
    )
    return response


def script_json(data: Any) -> str:
    """JSON for a ``<script type="application/ld+json">`` block: ``<``, ``>`` and ``&`` (so
    ``</script>`` and ``<!--``) and the JavaScript line separators written as ``\\u`` escapes,
    which JSON readers decode back to the same characters."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    for ch, esc in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(ch, esc)
    return text


def meta_tags(doc: dict[str, Any], cite_as: str) -> list[tuple[str, str]]:
    """``(name, content)`` pairs: Highwire Press ``citation_*`` tags (what Google Scholar and
    Zotero read) and Dublin Core ``DC.*`` tags (DCMI "Expressing Dublin Core metadata using
    HTML/XHTML meta and link elements")."""
    import schemas

    md = doc.get("metadata") or {}
    title = schemas.display_title(md)
    names = []
    for c in md.get("creators") or []:
        if c.get("family_name"):
            names.append(c["family_name"] + (f", {c['given_name']}" if c.get("given_name") else ""))
        elif c.get("name"):
            names.append(c["name"])
    date = doc.get("publication_date") or ""
    publisher = (md.get("publisher") or {}).get("name")
    doi = doi_of(doc)
    tags: list[tuple[str, str]] = [("citation_title", title)]
    tags += [("citation_author", n) for n in names]
    if date:
        tags.append(("citation_publication_date", date[:10].replace("-", "/")))
    if publisher:
        tags.append(("citation_publisher", publisher))
    if doi:
        tags.append(("citation_doi", doi))
    tags.append(("citation_abstract_html_url", (doc.get("links") or {}).get("self_html") or cite_as))
    if md.get("languages"):
        tags.append(("citation_language", md["languages"][0]))
    kws = [t["term"] for g in md.get("keywords") or [] for t in g.get("terms") or []]
    kws += [k["term"] for k in md.get("free_keywords") or [] if k.get("term")]
    if kws:
        tags.append(("citation_keywords", "; ".join(kws)))
    tags.append(("DC.title", title))
    tags += [("DC.creator", n) for n in names]
    if date:
        tags.append(("DC.date", date[:10]))
    if publisher:
        tags.append(("DC.publisher", publisher))
    tags.append(("DC.identifier", cite_as))
    tags.append(("DC.type", "Dataset"))
    for a in (md.get("abstracts") or [])[:1]:
        tags.append(("DC.description", a.get("text", "")))
    for lang in md.get("languages") or []:
        tags.append(("DC.language", lang))
    tags += [("DC.subject", k) for k in kws]
    lic = (md.get("rights") or {}).get("license") or {}
    if lic.get("uri") or lic.get("id"):
        tags.append(("DC.rights", lic.get("uri") or lic["id"]))
    return tags

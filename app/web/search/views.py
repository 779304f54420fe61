"""``/search`` (the catalogue page) and ``/opensearch.xml`` (OpenSearch description document
with the Geo and Time extensions). Server-rendered: facets are native ``<details>`` with
checkboxes (keyboard operable without script), so the page needs no inline script or style."""

from __future__ import annotations

from contextlib import nullcontext

from flask import Response, current_app, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app import search
from app.api.records import search_query
from app.db import get_session
from app.i18n import LANGUAGES
from app.models import Record, SearchBox, SearchEntry
from app.search.interface import FACETS, encode_cursor
from app.services.errors import InvalidInput
from app.web.search import bp

#: Facet names as the page shows them (the API keys stay English identifiers).
FACET_LABELS = {
    "community": _l("Community"),
    "resource_type": _l("Resource type"),
    "year": _l("Publication year"),
    "license": _l("Licence"),
    "access": _l("Access"),
    "inspire_theme": _l("INSPIRE theme"),
    "gcmd": _l("GCMD science keyword"),
    "gemet": _l("GEMET"),
    "keyword": _l("Keyword"),
    "platform": _l("Platform"),
    "instrument": _l("Instrument"),
    "variable": _l("Measured variable"),
    "creator": _l("Creator"),
    "funder": _l("Funder"),
    "source": _l("Source"),
}


ACCESS_LABELS = {
    "open": _l("Open access"),
    "embargoed": _l("Under embargo"),
    "restricted": _l("Restricted access"),
    "metadata_only": _l("Metadata only"),
}


def _asked_lang() -> str | None:
    """``?lang=`` (the OpenSearch HTML template and shared links may carry it) overrides the
    interface language for this page only; otherwise Flask-Babel's choice (app/i18n.py)."""
    asked = request.args.get("lang")
    return asked if asked in LANGUAGES else None


def _snippet(text: str) -> Markup:
    """Escape, then mark the matched words the backend put between « and »."""
    return Markup(str(escape(text)).replace("«", "<mark>").replace("»", "</mark>"))


@bp.get("/search")
def search_page() -> tuple[str, int]:
    lang = _asked_lang()
    args = request.args.to_dict(flat=False)
    # The form sends the box and the period as separate fields; the API takes bbox and time.
    form = {
        k: request.args.get(k, "") for k in ("q", "west", "south", "east", "north", "start", "end", "sort")
    }
    errors: list[str] = []
    result, records, entries = None, [], {}
    extents: dict[str, list[list[float]]] = {}
    api_args = {k: v for k, v in args.items() if k in ("q", "cursor", "sort", *FACETS)}
    if any(form[k] for k in ("west", "south", "east", "north")):
        api_args["bbox"] = [",".join(form[k] or "" for k in ("west", "south", "east", "north"))]
        if request.args.get("within"):
            api_args["bbox_relation"] = ["within"]
    if form["start"] or form["end"]:
        api_args["time"] = [f"{form['start']}/{form['end']}"]
    if api_args.get("sort") == [""]:
        del api_args["sort"]
    session = get_session()
    status = 200
    try:
        query, _ = search_query(MultiDict([(k, v) for k, values in api_args.items() for v in values]))
        result = search.search(current_app._get_current_object(), session, query)  # type: ignore[attr-defined]
        rows = {r.id: r for r in session.scalars(select(Record).where(Record.id.in_(result.record_ids)))}
        records = [rows[i] for i in result.record_ids if i in rows and rows[i].state == "published"]
        entries = {
            e.record_id: e.display
            for e in session.scalars(select(SearchEntry).where(SearchEntry.record_id.in_(result.record_ids)))
        }
        # Each hit's boxes, for the map (split at the antimeridian as indexed).
        for rid, *box in session.execute(
            select(SearchEntry.record_id, SearchBox.west, SearchBox.south, SearchBox.east, SearchBox.north)
            .join(SearchBox, SearchBox.entry_id == SearchEntry.id)
            .where(SearchEntry.record_id.in_(result.record_ids))
        ):
            extents.setdefault(rid, []).append(box)
    except InvalidInput as exc:
        status = 400
        errors = [f"{e.field.lstrip('/')}: {'; '.join(e.messages)}" for e in exc.errors] or [exc.message]
    next_url = None
    if result is not None and result.next_cursor is not None:
        keep = {k: v for k, v in args.items() if k != "cursor"}
        next_url = url_for("search.search_page", **keep, cursor=encode_cursor(query.sort, result.next_cursor))
    selected = {f: set(request.args.getlist(f)) for f in FACETS}
    with force_locale(lang) if lang else nullcontext():
        page = render_template(
            "search/search.html",
            lang=lang,
            facet_labels=FACET_LABELS,
            access_labels=ACCESS_LABELS,
            extents=extents,
            form=form,
            within=bool(request.args.get("within")),
            errors=errors,
            result=result,
            records=records,
            entries=entries,
            snippet=_snippet,
            facets=FACETS,
            selected=selected,
            next_url=next_url,
        )
    return page, status


@bp.get("/opensearch.xml")
def opensearch_description() -> Response:
    """OpenSearch 1.1 description with the Geo and Time extensions (CEOS OpenSearch best practice)."""
    base = current_app.config["BASE_URL"]
    name = current_app.config["REPOSITORY_NAME"]
    api = (
        f"{base}/api/records?q={{searchTerms?}}&amp;bbox={{geo:box?}}&amp;time={{time:start?}}/{{time:end?}}"
        "&amp;size={count?}&amp;cursor={startPage?}"
    )
    html = f"{base}/search?q={{searchTerms?}}"
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/"
    xmlns:geo="http://a9.com/-/opensearch/extensions/geo/1.0/"
    xmlns:time="http://a9.com/-/opensearch/extensions/time/1.0/">
  <ShortName>{escape(name[:16])}</ShortName>
  <Description>{escape(name)}: published Earth-science datasets (keyword, bounding box, period).</Description>
  <Url type="application/json" rel="results" template="{api}"/>
  <Url type="text/html" rel="results" template="{html}"/>
  <Url type="application/opensearchdescription+xml" rel="self" template="{base}/opensearch.xml"/>
  <Query role="example" searchTerms="temperature"/>
  <Language>en</Language>
  <Language>fr</Language>
  <OutputEncoding>UTF-8</OutputEncoding>
  <InputEncoding>UTF-8</InputEncoding>
</OpenSearchDescription>
"""
    return Response(xml, mimetype="application/opensearchdescription+xml")

"""``/search`` (the catalogue page) and ``/opensearch.xml`` (OpenSearch description document
with the Geo and Time extensions). Server-rendered: facets are native ``<details>`` with
checkboxes (keyboard operable without script), so the page needs no inline script or style."""

from __future__ import annotations

from flask import Response, current_app, render_template, request, url_for
from markupsafe import Markup, escape
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app import search
from app.api.records import search_query
from app.db import get_session
from app.models import Record, SearchEntry
from app.search.interface import FACETS, encode_cursor
from app.services.errors import InvalidInput
from app.web.search import bp

STRINGS = {
    "en": {
        "title": "Search the catalogue",
        "search": "Search",
        "placeholder": 'Words, "a phrase", title:…, creator:…, keyword:…, doi:…',
        "where": "Where (bounding box, degrees)",
        "west": "West",
        "south": "South",
        "east": "East",
        "north": "North",
        "within": "Entirely within the box",
        "when": "When (the data cover)",
        "from": "From",
        "to": "To",
        "sort": "Sort by",
        "relevance": "Relevance",
        "newest": "Newest",
        "oldest": "Oldest",
        "title_sort": "Title",
        "apply": "Apply",
        "results": "{n} result(s)",
        "next": "Next results",
        "none": "No published dataset matches.",
        "facet.community": "Community",
        "facet.resource_type": "Resource type",
        "facet.year": "Publication year",
        "facet.license": "Licence",
        "facet.access": "Access",
        "facet.inspire_theme": "INSPIRE theme",
        "facet.gcmd": "GCMD science keyword",
        "facet.gemet": "GEMET",
        "facet.keyword": "Keyword",
        "facet.platform": "Platform",
        "facet.instrument": "Instrument",
        "facet.variable": "Measured variable",
        "facet.creator": "Creator",
        "facet.funder": "Funder",
        "facet.source": "Source",
        "filters": "Filters",
        "error": "Please correct the search:",
    },
    "fr": {
        "title": "Rechercher dans le catalogue",
        "search": "Rechercher",
        "placeholder": "Mots, « une phrase », title:…, creator:…, keyword:…, doi:…",
        "where": "Où (emprise, en degrés)",
        "west": "Ouest",
        "south": "Sud",
        "east": "Est",
        "north": "Nord",
        "within": "Entièrement dans l'emprise",
        "when": "Quand (période couverte)",
        "from": "Du",
        "to": "Au",
        "sort": "Trier par",
        "relevance": "Pertinence",
        "newest": "Plus récents",
        "oldest": "Plus anciens",
        "title_sort": "Titre",
        "apply": "Appliquer",
        "results": "{n} résultat(s)",
        "next": "Résultats suivants",
        "none": "Aucun jeu de données publié ne correspond.",
        "facet.community": "Communauté",
        "facet.resource_type": "Type de ressource",
        "facet.year": "Année de publication",
        "facet.license": "Licence",
        "facet.access": "Accès",
        "facet.inspire_theme": "Thème INSPIRE",
        "facet.gcmd": "Mot-clé scientifique GCMD",
        "facet.gemet": "GEMET",
        "facet.keyword": "Mot-clé",
        "facet.platform": "Plateforme",
        "facet.instrument": "Instrument",
        "facet.variable": "Variable mesurée",
        "facet.creator": "Auteur",
        "facet.funder": "Financeur",
        "facet.source": "Source",
        "filters": "Filtres",
        "error": "Veuillez corriger la recherche :",
    },
}


def _lang() -> str:
    asked = request.args.get("lang")
    if asked in STRINGS:
        return asked
    return request.accept_languages.best_match(["en", "fr"]) or "en"


def _snippet(text: str) -> Markup:
    """Escape, then mark the matched words the backend put between « and »."""
    return Markup(str(escape(text)).replace("«", "<mark>").replace("»", "</mark>"))


@bp.get("/search")
def search_page() -> tuple[str, int]:
    lang = _lang()
    t = STRINGS[lang]
    args = request.args.to_dict(flat=False)
    # The form sends the box and the period as separate fields; the API takes bbox and time.
    form = {
        k: request.args.get(k, "") for k in ("q", "west", "south", "east", "north", "start", "end", "sort")
    }
    errors: list[str] = []
    result, records, entries = None, [], {}
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
    except InvalidInput as exc:
        status = 400
        errors = [f"{e.field.lstrip('/')}: {'; '.join(e.messages)}" for e in exc.errors] or [exc.message]
    next_url = None
    if result is not None and result.next_cursor is not None:
        keep = {k: v for k, v in args.items() if k != "cursor"}
        next_url = url_for("search.search_page", **keep, cursor=encode_cursor(query.sort, result.next_cursor))
    selected = {f: set(request.args.getlist(f)) for f in FACETS}
    return (
        render_template(
            "search/search.html",
            t=t,
            lang=lang,
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
        ),
        status,
    )


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

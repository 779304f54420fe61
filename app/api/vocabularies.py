"""Controlled vocabularies: list them, autocomplete terms, read one term. Open to anonymous
readers (the deposit form calls them while the user types)."""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask.wrappers import Response

from app.api import bp
from app.auth import optional_scope
from app.db import get_session
from app.services import vocabularies as svc
from app.services.errors import field_error


def _lang() -> str | None:
    lang = (request.args.get("lang") or "").strip().lower()
    if lang and (len(lang) > 16 or not lang.replace("-", "").isalpha()):
        raise field_error("/lang", "must be a language code such as fr or en")
    return lang or None


def _flag(name: str) -> bool:
    value = (request.args.get(name) or "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise field_error(f"/{name}", "must be true or false")


@bp.get("/vocabularies")
def list_vocabularies() -> Response:
    optional_scope("read")
    lang = _lang()
    rows = svc.list_schemes(get_session())
    return jsonify({"hits": {"hits": [svc.scheme_json(s, lang) for s in rows], "total": len(rows)}})


@bp.get("/vocabularies/<scheme>/terms")
def vocabulary_terms(scheme: str) -> Response:
    """``?q=`` prefix or word-start text, ``lang=``, ``deprecated=true``, ``size=`` (default 10)."""
    optional_scope("read")
    lang = _lang()
    try:
        size = int(request.args.get("size", 10))
    except ValueError:
        raise field_error("/size", "must be a whole number") from None
    if not 1 <= size <= current_app.config["API_MAX_PAGE_SIZE"]:
        raise field_error("/size", f"must be between 1 and {current_app.config['API_MAX_PAGE_SIZE']}")
    q = request.args.get("q", "")
    if len(q) > 200:
        raise field_error("/q", "must be at most 200 characters")
    session = get_session()
    page = svc.search_terms(session, scheme, q, lang, _flag("deprecated"), size)
    return jsonify(
        {
            "hits": {
                "hits": [svc.term_json(session, page.scheme, c, lang) for c in page.hits],
                "total": page.total,
            },
            "scheme": {"id": page.scheme.name, "uri": page.scheme.uri},
        }
    )


@bp.get("/vocabularies/<scheme>/terms/<path:term_id>")
def vocabulary_term(scheme: str, term_id: str) -> Response:
    """A term by notation, URL-encoded URI, or last URI segment."""
    optional_scope("read")
    session = get_session()
    concept = svc.get_term(session, scheme, term_id)
    return jsonify(svc.term_json(session, concept.scheme, concept, _lang(), details=True))

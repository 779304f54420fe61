"""Controlled vocabularies: list them, autocomplete terms, read one term. Open to anonymous
readers (the deposit form calls them while the user types)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import current_app, jsonify, request
from flask.wrappers import Response
from werkzeug.utils import secure_filename

from app.api import bp
from app.auth import current_actor, optional_scope, require_scope
from app.db import get_session
from app.jobs_runtime import commit
from app.services import vocabularies as svc
from app.services.errors import PayloadTooLarge, field_error
from vocabularies.skos import FORMATS, MAX_BYTES

# Room for the multipart envelope and the form fields around the file.
_ENVELOPE = 64 * 1024


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


@bp.post("/vocabularies")
@require_scope("moderate")
def import_vocabulary() -> Response:
    """Admins. Import or re-import a SKOS file (``multipart/form-data``: ``file``,
    ``scheme_uri``, optional ``name`` and ``format`` = ttl, xml or json-ld), like ``alluvium
    vocab import``. 400 naming ``/file`` for an unreadable or hostile file (entity
    declarations, nesting deeper than 32 levels), 413 above 64 MiB; nothing is stored then."""
    if request.content_length is not None and request.content_length > MAX_BYTES + _ENVELOPE:
        raise PayloadTooLarge(f"the vocabulary file is larger than {MAX_BYTES} bytes")
    # Also bounds chunked uploads, which carry no Content-Length.
    request.max_content_length = MAX_BYTES + _ENVELOPE
    try:
        return _import_upload()
    finally:
        # werkzeug spools uploads to temporary files; close them on every path, errors included.
        for upload in request.files.values():
            upload.close()


def _import_upload() -> Response:
    upload = request.files.get("file")
    if upload is None:
        raise field_error("/file", "send the SKOS file as the multipart field 'file'")
    scheme_uri = (request.form.get("scheme_uri") or "").strip()
    if not scheme_uri:
        raise field_error("/scheme_uri", "is required")
    fmt = (request.form.get("format") or "").strip().lower() or None
    if fmt is not None and fmt not in FORMATS:
        raise field_error("/format", "must be ttl, xml or json-ld")
    filename = secure_filename(upload.filename or "") or "vocabulary"
    session = get_session()
    # The parser reads a path; the upload's own name keeps error messages about "its" file.
    with tempfile.TemporaryDirectory(prefix="alluvium-vocab-") as folder:
        path = Path(folder) / filename
        upload.save(path)
        result = svc.import_vocabulary(
            session, current_actor(), path, scheme_uri, request.form.get("name") or None, fmt=fmt
        )
    body = {
        **svc.scheme_json(result.scheme),
        "import": {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "deprecated": result.deprecated,
        },
    }
    commit(session)
    response = jsonify(body)
    response.status_code = 201
    return response

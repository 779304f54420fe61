"""Landing pages (``/records/<id>``): what people cite and what machines read.

* the page itself, readable without JavaScript, with Dublin Core and ``citation_*`` meta tags
  and the schema.org JSON-LD embedded;
* content negotiation on the same URL (:mod:`app.web.records.negotiation`);
* FAIR Signposting level 1 ``Link`` headers and level 2 linksets
  (:mod:`app.web.records.signposting`);
* previews of unpublished versions for their owner and moderators (``/records/<id>/preview``);
* the tombstone of a withdrawn version (410, in every representation);
* all files of a version as one zip, streamed (``/records/<id>/files.zip``).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask.wrappers import Response
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from app.api.exports import export_response
from app.auth import current_actor
from app.db import get_session
from app.models import Record
from app.services import records as svc
from app.services import usage
from app.services.documents import record_document
from app.services.errors import Forbidden, Gone, NotFound
from app.services.files import access_level, embargo_until, files_readable
from app.usage import log_from_request
from app.web.pages import state_label
from app.web.records import negotiation, signposting, view
from exports import citation, registry, schemaorg
from schemas import display_title

bp = Blueprint("records", __name__, template_folder="templates")

#: Access levels (``metadata.rights.access_level``) as the page names them.
ACCESS_LABELS = {
    "open": _l("open access"),
    "embargoed": _l("embargoed"),
    "restricted": _l("restricted access"),
    "metadata-only": _l("metadata only"),
}
#: DataCite description types as headings.
DESCRIPTION_TYPES = {
    "Methods": _l("Methods"),
    "TechnicalInfo": _l("Technical information"),
    "SeriesInformation": _l("Series information"),
    "TableOfContents": _l("Table of contents"),
    "Other": _l("Other information"),
}


def _base() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


@bp.route("/records/<record_id>", methods=["GET", "HEAD"])
def landing(record_id: str) -> Response:
    """The landing page; ``Accept`` picks another representation (:mod:`.negotiation`), and an
    ``Accept`` nothing here satisfies gets 406 listing what is offered.

    Only published versions are shown here (a withdrawn one answers 410 with its tombstone, in
    every representation). An unpublished version sends its owner and the staff who may read it
    to :func:`preview`; anyone else gets 404, as for an unknown id.
    """
    db = get_session()
    actor = current_actor()
    choice = negotiation.choose(request.accept_mimetypes)
    if choice is None:
        return negotiation.not_acceptable()
    try:
        record = svc.get_public_record(db, actor, record_id)
    except Gone as gone:
        return _gone(record_id, gone, choice)
    except NotFound:
        unpublished = db.get(Record, record_id)
        if unpublished is not None and choice.kind == "html" and svc.can_read_metadata(actor, unpublished):
            response = redirect(url_for("records.preview", record_id=record_id), code=302)
            response.headers["Cache-Control"] = "private, no-store"
            response.headers["Vary"] = "Accept, Cookie"
            return response
        abort(404)
    doc = record_document(db, record, _base())
    readable = files_readable(record, actor)
    if choice.kind == "export":
        response = export_response(record, choice.format)
    elif choice.kind == "json":
        response = jsonify(doc)
    elif choice.kind in ("datacite-json", "xml"):
        response = negotiation.datacite_response(doc, choice)
    else:
        response = Response(
            _record_page(db, actor, record, doc, preview=False, readable=readable),
            content_type="text/html; charset=utf-8",
        )
    # COUNTER: the page and every metadata representation are investigations of the dataset.
    if request.method == "GET":
        log_from_request(db, record, usage.INVESTIGATION, response.status_code)
        db.commit()
    response.headers["Vary"] = "Accept"
    signposting.add_link_header(response, signposting.links(record, doc, _base(), files=readable))
    return response


def _gone(record_id: str, gone: Gone, choice: negotiation.Choice) -> Response:
    if choice.kind == "html":
        response = Response(
            render_template("records/tombstone.html", record_id=record_id, tombstone=gone.tombstone),
            status=410,
            content_type="text/html; charset=utf-8",
        )
    elif choice.kind == "json":
        response = jsonify(
            {"id": record_id, "status": 410, "message": gone.message, "tombstone": gone.tombstone}
        )
        response.status_code = 410
    else:
        response = Response(
            f"410 Gone: {gone.message}\n", status=410, content_type="text/plain; charset=utf-8"
        )
    response.headers["Vary"] = "Accept"
    return response


@bp.get("/records/<record_id>/preview")
def preview(record_id: str) -> Response:
    """An unpublished version as its owner and its staff see it, clearly marked as such: a
    banner with its state, ``noindex``, no publication date, no identifier, no citation, no
    Signposting. Others get 404; a published or withdrawn version redirects to its landing page."""
    db = get_session()
    actor = current_actor()
    record = db.get(Record, record_id)
    if record is None:
        abort(404)
    if record.state in ("published", "withdrawn"):
        return redirect(url_for("records.landing", record_id=record_id), code=302)
    if not svc.can_read_metadata(actor, record):
        abort(404)
    doc = record_document(db, record, _base())
    page = Response(
        _record_page(db, actor, record, doc, preview=True, readable=files_readable(record, actor)),
        content_type="text/html; charset=utf-8",
    )
    page.headers["X-Robots-Tag"] = "noindex, nofollow"
    page.headers["Cache-Control"] = "private, no-store"
    return page


@bp.get("/records/<record_id>/linkset")
def linkset(record_id: str) -> Response:
    """FAIR Signposting level 2: the linkset of a published version (RFC 9264), as
    ``application/linkset`` or, by ``Accept`` or at ``/linkset.json``, ``application/linkset+json``."""
    best = request.accept_mimetypes.best_match(["application/linkset", "application/linkset+json"])
    return _linkset(record_id, as_json=best == "application/linkset+json")


@bp.get("/records/<record_id>/linkset.json")
def linkset_json(record_id: str) -> Response:
    return _linkset(record_id, as_json=True)


def _linkset(record_id: str, *, as_json: bool) -> Response:
    db = get_session()
    actor = current_actor()
    try:
        record = svc.get_public_record(db, actor, record_id)
    except Gone as gone:
        return Response(f"410 Gone: {gone.message}\n", status=410, content_type="text/plain; charset=utf-8")
    except NotFound:
        abort(404)
    doc = record_document(db, record, _base())
    links = signposting.links(record, doc, _base(), files=files_readable(record, actor))
    if as_json:
        body = json.dumps(signposting.linkset_json(links), ensure_ascii=False, indent=2)
        response = Response(body, content_type="application/linkset+json")
    else:
        response = Response(signposting.linkset_text(links), content_type="application/linkset")
    response.headers["Vary"] = "Accept"
    return response


@bp.get("/records/<record_id>/files.zip")
def download_all(record_id: str) -> Response:
    """Every file of the version in one zip, streamed as it is written (no temporary file, no
    size limit: entries are stored, not compressed, with ZIP64 sizes). Same access rules as
    the single downloads."""
    db = get_session()
    actor = current_actor()
    record, rows = _files(db, actor, record_id)
    if not files_readable(record, actor):
        raise Forbidden(f"the files of record {record_id} are not openly accessible ({access_level(record)})")
    entries = [(r.key, r.object_sha256) for r in rows]
    store = current_app.extensions["alluvium.store"]
    if record.state == "published" and entries:
        log_from_request(db, record, usage.REQUEST, 200)
    db.commit()  # the body is written after the view returns: hold no transaction meanwhile
    response = Response(_zip_stream(store, entries), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{record_id}.zip"'
    return response


def _files(db, actor, record_id: str):  # type: ignore[no-untyped-def]
    from app.services import files as file_svc

    try:
        return file_svc.list_files(db, actor, record_id)
    except Gone:
        abort(410)


class _Sink:
    """A write-only, unseekable file for :class:`zipfile.ZipFile` that hands over its bytes."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.offset = 0

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out = b"".join(self.chunks)
        self.chunks.clear()
        return out


def _zip_stream(store: Any, entries: list[tuple[str, str]], chunk: int = 1 << 20) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as zf:  # type: ignore[arg-type]
        for key, sha in entries:
            with zf.open(key, "w", force_zip64=True) as out, store.open(sha) as src:
                while data := src.read(chunk):
                    out.write(data)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


def _record_page(db, actor, record: Record, doc: dict, *, preview: bool, readable: bool) -> str:  # type: ignore[no-untyped-def]
    md = doc["metadata"] or {}
    lang = str(get_locale() or "en")
    versions = svc.list_versions(db, actor, record.id)
    base = _base()
    cite_as = signposting.cite_as(doc, base)
    return render_template(
        "records/landing.html",
        record=record,
        doc=doc,
        md=md,
        title=view.title_in(md, lang, display_title(md)),
        creators=view.creators(md),
        abstracts=view.in_language(md.get("abstracts"), lang),
        descriptions=view.in_language(md.get("descriptions"), lang),
        keywords=view.keywords(md),
        extents=view.extents(md),
        temporal=view.temporal(md),
        licence=view.licence(md),
        funding=view.funding(md),
        related=view.related(md),
        versions=versions,
        concept=signposting.concept_identifier(db, record),
        preview=preview,
        state_label=record.state.replace("_", " "),
        access=access_level(record),
        embargo=embargo_until(record),
        downloadable=readable,
        cite_as=cite_as,
        citation=citation.citation_text(doc) if not preview else None,
        citation_formats=[registry.get_format(n) for n in ("bibtex", "csl-json", "ris")],
        meta=negotiation.meta_tags(doc, cite_as) if not preview else [],
        jsonld=negotiation.script_json(schemaorg.to_jsonld(doc)) if not preview else None,
        human_size=view.human_size,
        access_labels={k: str(v) for k, v in ACCESS_LABELS.items()},
        description_types={k: str(v) for k, v in DESCRIPTION_TYPES.items()},
        state_label_of=state_label,
        stats=usage.record_counts(db, record.id) if not preview else None,
    )

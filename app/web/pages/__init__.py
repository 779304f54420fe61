"""Pages: sign-in, the home page, landing pages (and previews, tombstones), the dashboard."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, session, url_for
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required, logout_user

import schemas
from app.api.exports import export_response
from app.auth import current_actor, login_throttle, password_policy, sign_in
from app.db import get_session
from app.i18n import LANGUAGES
from app.models import Record
from app.security import safe_next
from app.services import accounts
from app.services import records as svc
from app.services.documents import record_document
from app.services.errors import Gone, NotFound, field_error
from app.services.files import access_level, files_readable
from curation import State
from exports import registry
from schemas import display_title

bp = Blueprint("pages", __name__, template_folder="templates")


#: Lifecycle states as the interface names them.
STATE_LABELS = {
    State.DRAFT: _l("draft"),
    State.SUBMITTED: _l("submitted"),
    State.UNDER_REVIEW: _l("under review"),
    State.CHANGES_REQUESTED: _l("changes requested"),
    State.RESUBMITTED: _l("resubmitted"),
    State.ACCEPTED: _l("accepted"),
    State.REJECTED: _l("rejected"),
    State.PUBLISHED: _l("published"),
    State.WITHDRAWN: _l("withdrawn"),
}


def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))  # type: ignore[call-overload]


@bp.app_context_processor
def _inject() -> dict:
    return {
        "repository_name": current_app.config["REPOSITORY_NAME"],
        "display_title": display_title,
        "state_label": state_label,
    }


@bp.get("/")
def index() -> str:
    """The way into the catalogue: a search box, the communities and frequent keywords (the
    counts of a query-less search, precomputed by the index), the latest datasets."""
    from sqlalchemy import select

    from app import search
    from app.models import Community
    from app.search.interface import SearchQuery

    db = get_session()
    result = search.search(current_app._get_current_object(), db, SearchQuery(size=10))  # type: ignore[attr-defined]
    rows = {r.id: r for r in db.scalars(select(Record).where(Record.id.in_(result.record_ids)))}
    records = [rows[i] for i in result.record_ids if i in rows and rows[i].state == "published"]
    titles = dict(db.execute(select(Community.slug, Community.title)).all())
    communities = [(slug, titles.get(slug, slug), n) for slug, n in result.aggregations.get("community", [])]
    return render_template(
        "index.html",
        records=records,
        total=result.total,
        communities=communities,
        keywords=result.aggregations.get("keyword", [])[:12],
    )


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int, dict[str, str]]:
    """Sign-in form. The CSRF token is checked by ``app.security`` before this view runs.

    Attempts are throttled by account and by client address (``LOGIN_MAX_FAILURES_*``): the
    attempt is recorded and committed before the password is checked, so concurrent guesses
    count each other."""
    error, status, headers = None, 200, {}
    if request.method == "POST":
        db = get_session()
        email = request.form.get("email", "")
        ticket = accounts.begin_login_attempt(db, email, request.remote_addr or "")
        db.commit()
        wait = accounts.login_retry_after(db, ticket, login_throttle())
        user = None
        if wait is None:
            user = accounts.authenticate(db, email, request.form.get("password", ""), password_policy())
        accounts.end_login_attempt(db, ticket, succeeded=user is not None, refused=wait is not None)
        db.commit()  # also a rehashed password
        if user is not None:
            sign_in(user)
            return redirect(safe_next(request.args.get("next"), url_for("pages.dashboard")))
        if wait is not None:
            minutes = max(1, round(wait / 60))
            error = ngettext(
                "Too many failed sign-ins. Try again in about %(num)d minute.",
                "Too many failed sign-ins. Try again in about %(num)d minutes.",
                minutes,
            )
            status, headers = 429, {"Retry-After": str(wait)}
        else:
            error, status = _("Unknown e-mail or wrong password."), 401
    return render_template("login.html", error=error), status, headers


@bp.post("/language")
def choose_language() -> Response:
    """The interface language the person chose; it overrides ``Accept-Language`` for the rest of
    their session (``app.i18n``). An unknown code is refused with 400 naming ``/lang``."""
    lang = request.form.get("lang", "")
    if lang not in LANGUAGES:
        raise field_error("/lang", f"must be one of {', '.join(LANGUAGES)}")
    session["lang"] = lang
    return redirect(safe_next(request.form.get("next"), url_for("pages.index")))


@bp.post("/logout")
def logout() -> Response:
    """Sign out everywhere: the user's session version moves on, so no copy of any of their
    session cookies is accepted any more."""
    if current_user.is_authenticated:
        db = get_session()
        accounts.end_sessions(db, current_user._get_current_object())
        db.commit()
    logout_user()
    session.clear()
    return redirect(url_for("pages.index"))


@bp.get("/me")
@login_required
def dashboard() -> str:
    db = get_session()
    mine = svc.list_user_records(db, current_actor(), page=1, size=100)
    queue = (
        svc.review_queue(db, current_actor(), page=1, size=100) if current_user.role != "producer" else None
    )
    items = queue.items if queue else []
    # What a moderator must look at before deciding: unknown terms, deprecated terms and their
    # replacements, vocabularies that are not loaded (info findings are the producer's business).
    findings = {r.id: [f for f in svc.record_findings(db, r) if f.severity != "info"] for r in items}
    completeness = {
        r.id: schemas.validate_metadata(r.metadata_ or {}).completeness
        for r in mine.items
        if r.state in (State.DRAFT, State.CHANGES_REQUESTED)
    }
    return render_template(
        "dashboard.html", records=mine.items, queue=items, findings=findings, completeness=completeness
    )


@bp.get("/records/<record_id>")
def landing(record_id: str) -> Response | tuple[str, int] | str:
    """The landing page. ``Accept: application/json`` gets the record document instead, and the
    media type of any registered export format (``application/vnd.datacite.datacite+xml``,
    ``application/x-bibtex``, ``text/turtle``…) that export (``exports.by_media_type``).

    Only published versions are shown here (a withdrawn one answers 410 with its tombstone, in
    every representation). An unpublished version sends its owner and the staff who may read it
    to :func:`preview`; anyone else gets 404, as for an unknown id.
    """
    db = get_session()
    actor = current_actor()
    offered = ["text/html", "application/json"]
    for fmt in registry.formats():
        offered += [fmt.media_type, *fmt.aliases]
    best = request.accept_mimetypes.best_match(offered, default="text/html")
    wants_json = best == "application/json"
    export = registry.by_media_type(best) if best not in ("text/html", "application/json") else None
    try:
        record = svc.get_public_record(db, actor, record_id)
    except Gone as gone:
        if export is not None:
            response = Response(
                f"410 Gone: {gone.message}\n", status=410, content_type="text/plain; charset=utf-8"
            )
        elif wants_json:
            response = jsonify(
                {"id": record_id, "status": 410, "message": gone.message, "tombstone": gone.tombstone}
            )
            response.status_code = 410
        else:
            response = Response(
                render_template("tombstone.html", record_id=record_id, tombstone=gone.tombstone),
                status=410,
                content_type="text/html; charset=utf-8",
            )
        response.headers["Vary"] = "Accept"
        return response
    except NotFound:
        unpublished = db.get(Record, record_id)
        if unpublished is not None and export is None and not wants_json:
            if svc.can_read_metadata(actor, unpublished):
                response = redirect(url_for("pages.preview", record_id=record_id), code=302)
                response.headers["Cache-Control"] = "private, no-store"
                response.headers["Vary"] = "Accept, Cookie"
                return response
        abort(404)
    if export is not None:
        response = export_response(record, export)
        response.headers["Vary"] = "Accept"
        return response
    doc = record_document(db, record, current_app.config["BASE_URL"])
    if wants_json:
        response = jsonify(doc)
        response.headers["Vary"] = "Accept"
        return response
    page = Response(
        _record_page(db, actor, record, doc, preview=False), content_type="text/html; charset=utf-8"
    )
    page.headers["Vary"] = "Accept"
    return page


@bp.get("/records/<record_id>/preview")
def preview(record_id: str) -> Response:
    """An unpublished version as its owner and its staff see it, clearly marked as such: a
    banner with its state, ``noindex``, no publication date, no identifier. Others get 404; a
    published or withdrawn version redirects to its landing page."""
    db = get_session()
    actor = current_actor()
    record = db.get(Record, record_id)
    if record is None:
        abort(404)
    if record.state in (State.PUBLISHED, State.WITHDRAWN):
        return redirect(url_for("pages.landing", record_id=record_id), code=302)
    if not svc.can_read_metadata(actor, record):
        abort(404)
    doc = record_document(db, record, current_app.config["BASE_URL"])
    page = Response(
        _record_page(db, actor, record, doc, preview=True), content_type="text/html; charset=utf-8"
    )
    page.headers["X-Robots-Tag"] = "noindex, nofollow"
    page.headers["Cache-Control"] = "private, no-store"
    return page


def _record_page(db, actor, record: Record, doc: dict, *, preview: bool) -> str:  # type: ignore[no-untyped-def]
    versions = svc.list_versions(db, actor, record.id)
    return render_template(
        "landing.html",
        record=record,
        doc=doc,
        md=doc["metadata"],
        versions=versions,
        preview=preview,
        state_label=record.state.replace("_", " "),
        access=access_level(record),
        downloadable=files_readable(record, actor),
    )

"""Pages: sign-in, the home page, the dashboard (landing pages: ``app.web.records``)."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required, logout_user

import schemas
from app.auth import current_actor, login_throttle, password_policy, sign_in
from app.db import get_session
from app.i18n import LANGUAGES
from app.security import safe_next
from app.services import accounts, usage
from app.services import records as svc
from app.services.errors import field_error
from curation import State
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
    from app.models import Community, Record
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
    # COUNTER views and downloads of the published versions (app.services.usage).
    counts = {r.id: usage.record_counts(db, r.id) for r in mine.items if r.state == State.PUBLISHED}
    return render_template(
        "dashboard.html",
        records=mine.items,
        queue=items,
        findings=findings,
        completeness=completeness,
        usage=counts,
        # Datasets with a version in progress: no second new version until it is done.
        open_parents={
            r.parent_id
            for r in mine.items
            if r.state not in (State.PUBLISHED, State.WITHDRAWN, State.REJECTED)
        },
    )

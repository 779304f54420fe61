"""The moderation desk: ``/reviews``.

* ``/reviews`` — the queue of the moderator's communities (admins: all), with filters
  (community, state, assignee, waiting time), sorted by waiting time, counts per state; claim
  a submission or assign it to a colleague.
* ``/reviews/<id>`` — the review page: the submission as its producer sees it (the deposit
  form's fields, read-only), the automated findings (vocabulary findings and the acceptance
  panel, computed by the publish gate's own code), what changed since the last review, the
  community's checklist and the decision (request changes, accept, reject), comment threads
  anchored to fields, files or the whole submission, and the history.
* ``/reviews/communities/<slug>/checklist`` — the community's checklist, edited by its
  administrators.

Pages are thin adapters over ``app.services.reviews`` and ``app.services.records``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup

from app.auth import current_actor
from app.db import get_session, utcnow
from app.jobs_runtime import commit
from app.models import Record
from app.security import safe_next
from app.services import deposit as deposit_usecases
from app.services import records as svc
from app.services import reviews as desk
from app.services.errors import Forbidden, NotFound, ServiceError
from app.web.deposit import form as forms
from app.web.deposit import help as helptexts
from curation import Action, PermissionDenied, State, can
from schemas import FieldError

bp = Blueprint("reviews", __name__, template_folder="templates")

#: Event actions as the history names them.
ACTION_LABELS = {
    "create": _l("Draft created"),
    "submit": _l("Submitted"),
    "cancel": _l("Submission withdrawn by the producer"),
    "assign": _l("Assigned"),
    "comment": _l("Comment"),
    "resolve-comment": _l("Thread resolved"),
    "request-changes": _l("Changes requested"),
    "accept": _l("Accepted"),
    "reject": _l("Rejected"),
    "publish": _l("Published"),
    "withdraw": _l("Withdrawn"),
    "correct": _l("Corrected"),
    "new-version": _l("New version started"),
    "file_add": _l("File added"),
    "file_replace": _l("File replaced"),
    "file_delete": _l("File deleted"),
}

WAITING_CHOICES = (1, 3, 7, 14, 30)


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))  # type: ignore[call-overload]


def _desk_actor():  # type: ignore[no-untyped-def]
    actor = current_actor()
    if not (actor.is_admin or actor.communities):
        abort(403)
    return actor


def _who(user: Any, staff: bool) -> str:
    """How a person is named to the viewer: staff see e-mails; the producer sees themselves and
    a role for the moderators."""
    if user is None:
        return _("the system")
    if staff or user.id == current_user.id:
        return user.email
    return _("an administrator") if user.role == "admin" else _("a moderator")


def _threads_for(record: Record) -> list[desk.Thread]:
    cache = g.setdefault("_review_threads", {})
    if record.id not in cache:
        try:
            cache[record.id] = desk.threads(get_session(), current_actor(), record.id)
        except (ServiceError, PermissionDenied):
            cache[record.id] = []
    return cache[record.id]


def review_threads(record: Record, top_field: str | None, *, next_url: str | None = None) -> Markup:
    """The comment threads next to a field of the deposit form or the review page
    (``top_field`` a top-level metadata key), or the general and file threads (``None``).

    Without ``next_url`` (the deposit form) the field threads sit inside the deposit form: their
    reply controls point with ``form=`` to forms rendered by the ``None`` call, outside it.
    """
    all_threads = _threads_for(record)
    in_deposit_form = next_url is None
    if top_field is None:
        shown = [t for t in all_threads if t.root.anchor_kind != "field"]
        forms_for = [t for t in all_threads if t.root.anchor_kind == "field"] if in_deposit_form else []
    else:
        shown = desk.threads_at(all_threads, top_field)
        forms_for = []
    if not shown and not forms_for:
        return Markup("")
    actor = current_actor()
    return Markup(
        render_template(
            "reviews/_threads.html",
            record=record,
            threads=shown,
            forms_for=forms_for,
            detached=in_deposit_form and top_field is not None,
            staff=svc.sees_reviewers(actor, record),
            can_comment=can(actor, Action.COMMENT, svc.context(record))
            and (Action.COMMENT, State(record.state)) in _ALLOWED,
            who=_who,
            field_label=_field_label,
            next_url=next_url or request.path,
        )
    )


@bp.app_context_processor
def _inject() -> dict:
    return {"review_threads": review_threads, "action_label": action_label, "review_date": review_date}


def review_date(iso: str) -> str:
    """A review's day in the visitor's language (``2026-11-29`` -> "29 novembre 2026")."""
    from datetime import date

    from flask_babel import format_date

    try:
        return format_date(date.fromisoformat(iso), "long")
    except ValueError:
        return iso


# -- the queue ------------------------------------------------------------------------------


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1


@bp.get("/reviews")
@login_required
def queue() -> tuple[str, int] | str:
    db = get_session()
    actor = _desk_actor()
    filters = {
        "community": request.args.get("community", ""),
        "state": request.args.get("state", ""),
        "assignee": request.args.get("assignee", ""),
        "waiting": request.args.get("waiting", ""),
        "sort": request.args.get("sort", "oldest") or "oldest",
    }
    page = max(_int_arg("page") or 1, 1)
    error = None
    status = 200
    try:
        result = desk.queue(
            db,
            actor,
            state=filters["state"] or None,
            community=filters["community"] or None,
            assignee=filters["assignee"] or None,
            waiting_days=_int_arg("waiting"),
            sort=filters["sort"],
            page=page,
            size=25,
        )
    except ServiceError as exc:
        error, status = exc, exc.status
        result = desk.Queue([], 0, 1, 25, {})
    communities = desk.desk_communities(db, actor)
    moderators = sorted({u for c in communities for u in c.moderators if u.active}, key=lambda u: u.email)
    now = utcnow()
    return render_template(
        "reviews/queue.html",
        result=result,
        filters=filters,
        communities=communities,
        moderators=moderators,
        states=desk.DESK_STATES,
        waiting_choices=WAITING_CHOICES,
        waited=lambda r: (now - r.submitted_at).days if r.submitted_at else None,
        colleagues=lambda r: desk.colleagues(db, r),
        error=error,
    ), status


@bp.post("/reviews/<record_id>/assign")
@login_required
def assign(record_id: str) -> Response:
    """Claim (no ``assignee``) or hand the submission to a colleague (``assignee``: e-mail)."""
    db = get_session()
    actor = _desk_actor()
    assignee = request.form.get("assignee") or None
    try:
        svc.assign(db, actor, record_id, assignee=assignee)
        commit(db)
    except ServiceError as exc:
        db.rollback()
        return _review_page(db, record_id, error=exc)
    target = safe_next(request.form.get("next"), url_for("reviews.review", record_id=record_id))
    return redirect(target, code=303)


# -- the review page ------------------------------------------------------------------------


def _staff_record(db, record_id: str) -> Record:  # type: ignore[no-untyped-def]
    """A record the signed-in moderator may review; 404 otherwise (as an unknown id)."""
    actor = current_actor()
    try:
        record = svc.get_record(db, actor, record_id, action=Action.READ_EVENTS)
    except (NotFound, Forbidden, PermissionDenied):
        abort(404)
    except ServiceError:
        abort(404)
    if not svc.sees_reviewers(actor, record) or record.community is None:
        abort(404)
    return record


def _review_page(db, record_id: str, *, error: ServiceError | None = None) -> Response:  # type: ignore[no-untyped-def]
    record = _staff_record(db, record_id)
    actor = current_actor()
    metadata = record.metadata_ or {}
    check = deposit_usecases.acceptance(db, record, current_app.config["BASE_URL"])
    _, events = svc.list_events(db, actor, record.id)
    context = svc.context(record)
    decidable = {
        name: can(actor, action, context) and (action, State(record.state)) in _ALLOWED
        for name, action in (
            ("request-changes", Action.REQUEST_CHANGES),
            ("accept", Action.ACCEPT),
            ("reject", Action.REJECT),
        )
    }
    errors: list[FieldError] = []
    if error is not None:
        errors = error.errors or [FieldError("", [error.message])]
    page = render_template(
        "reviews/review.html",
        record=record,
        md=metadata,
        sections=forms.sections(),
        tiers=forms.scored_tiers(),
        status=forms.section_status(metadata, check.missing_mandatory, check.missing_recommended),
        section_titles=helptexts.SECTION_TITLES,
        label=helptexts.label,
        help_and_example=helptexts.help_and_example,
        check=check,
        findings=svc.record_findings(db, record),
        changes=desk.changes_since_review(db, actor, record.id),
        events=events,
        staff=True,
        who=_who,
        colleagues=desk.colleagues(db, record),
        can_assign=can(actor, Action.ASSIGN, context) and (Action.ASSIGN, State(record.state)) in _ALLOWED,
        can_comment=(Action.COMMENT, State(record.state)) in _ALLOWED,
        decidable=decidable,
        checklist=record.community.checklist or [],
        may_edit_checklist=actor.is_admin or record.community.slug in actor.communities,
        errors=errors,
        form=request.form if error is not None else {},
        field_label=_field_label,
        files=[
            {"key": f.key, "size": f.object.size, "sha256": f.object_sha256, "mimetype": f.mimetype}
            for f in record.files
        ],
    )
    response = Response(page, status=error.status if error else 200, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _allowed() -> set[tuple[Action, State]]:
    from curation.lifecycle import _TRANSITIONS

    return set(_TRANSITIONS)


_ALLOWED = _allowed()


def _field_label(pointer: str) -> str:
    """A readable name for a metadata pointer: the labels of its fields, item numbers from 1
    (``/abstracts/0/text`` -> "Abstract 1 › Text")."""
    names: list[str] = []
    path = ""
    for part in pointer.split("/")[1:]:
        path += "/" + part
        if part.isdigit() and names:
            names[-1] = f"{names[-1]} {int(part) + 1}"
            continue
        spec = forms._field_at(path)
        names.append(str(helptexts.label(spec)) if spec is not None and spec.key != "*" else part)
    return " › ".join(names) or pointer


@bp.get("/reviews/<record_id>")
@login_required
def review(record_id: str) -> Response:
    return _review_page(get_session(), record_id)


@bp.post("/reviews/<record_id>/decision")
@login_required
def decide(record_id: str) -> Response:
    """Request changes (reason required), accept, or reject (reason required); the ticked
    checklist items (``check`` = their indexes) are saved with the decision."""
    db = get_session()
    _staff_record(db, record_id)
    ticked = []
    for raw in request.form.getlist("check"):
        if raw.isdigit():
            ticked.append(int(raw))
    try:
        desk.decide(
            db,
            current_actor(),
            record_id,
            request.form.get("decision", ""),
            comment=request.form.get("comment", ""),
            ticked=ticked,
        )
        commit(db)
    except ServiceError as exc:
        db.rollback()
        return _review_page(db, record_id, error=exc)
    return redirect(url_for("reviews.review", record_id=record_id), code=303)


# -- comments -------------------------------------------------------------------------------


def _back(record_id: str) -> str:
    return safe_next(request.form.get("next"), url_for("reviews.review", record_id=record_id))


def _comment_error(db, record_id: str, exc: ServiceError) -> Response:  # type: ignore[no-untyped-def]
    """A refused comment: the review page with the error for staff; for the producer, their
    form with the error (the thread lives next to the field there)."""
    db.rollback()
    record = db.get(Record, record_id)
    if record is not None and svc.sees_reviewers(current_actor(), record):
        return _review_page(db, record_id, error=exc)
    page = render_template("reviews/comment_error.html", error=exc, back=_back(record_id))
    return Response(page, status=exc.status, content_type="text/html; charset=utf-8")


@bp.post("/reviews/<record_id>/comments")
@login_required
def comment(record_id: str) -> Response:
    """Open a thread: ``anchor_kind`` general, field (``anchor`` a JSON pointer) or file
    (``anchor`` its key); ``comment`` the text."""
    db = get_session()
    anchor = request.form.get("anchor", "")
    kind = request.form.get("anchor_kind") or ("file" if anchor else "general")
    if kind == "field" and request.form.get("anchor_detail", "").strip():
        anchor = request.form["anchor_detail"].strip()
    try:
        thread = desk.add_comment(
            db,
            current_actor(),
            record_id,
            body=request.form.get("comment", ""),
            anchor_kind=kind,
            anchor=anchor,
        )
        commit(db)
    except ServiceError as exc:
        return _comment_error(db, record_id, exc)
    return redirect(f"{_back(record_id)}#thread-{thread.id}", code=303)


@bp.post("/reviews/<record_id>/comments/<int:thread_id>/replies")
@login_required
def reply(record_id: str, thread_id: int) -> Response:
    db = get_session()
    try:
        desk.reply(db, current_actor(), record_id, thread_id, body=request.form.get("comment", ""))
        commit(db)
    except ServiceError as exc:
        return _comment_error(db, record_id, exc)
    return redirect(f"{_back(record_id)}#thread-{thread_id}", code=303)


@bp.post("/reviews/<record_id>/comments/<int:thread_id>/resolve")
@login_required
def resolve(record_id: str, thread_id: int) -> Response:
    db = get_session()
    try:
        desk.resolve(db, current_actor(), record_id, thread_id)
        commit(db)
    except ServiceError as exc:
        return _comment_error(db, record_id, exc)
    return redirect(f"{_back(record_id)}#thread-{thread_id}", code=303)


# -- checklists -----------------------------------------------------------------------------


@bp.route("/reviews/communities/<slug>/checklist", methods=["GET", "POST"])
@login_required
def checklist(slug: str) -> Response:
    """A community's checklist, one question per line (its administrators edit it)."""
    db = get_session()
    actor = _desk_actor()
    try:
        community = desk.get_checklist(db, slug)
    except ServiceError:
        abort(404)
    if not (actor.is_admin or community.slug in actor.communities):
        abort(404)
    error = None
    saved = False
    text = "\n".join(community.checklist or [])
    if request.method == "POST":
        text = request.form.get("items", "")
        try:
            desk.set_checklist(db, actor, slug, text.splitlines())
            commit(db)
            saved = True
            text = "\n".join(community.checklist or [])
        except ServiceError as exc:
            db.rollback()
            error = exc
    page = render_template("reviews/checklist.html", community=community, text=text, error=error, saved=saved)
    return Response(page, status=error.status if error else 200, content_type="text/html; charset=utf-8")


# -- e-mail notifications -------------------------------------------------------------------


@bp.route("/me/notifications", methods=["GET", "POST"])
@login_required
def notification_settings() -> Response:
    """Opt out of (or back into) the moderation e-mails (``app/services/notifications.py``)."""
    db = get_session()
    saved = False
    if request.method == "POST":
        from app.services import accounts

        accounts.set_notifications(db, current_actor(), request.form.get("notify_email") == "on")
        commit(db)
        saved = True
    from app.models import User

    user = db.get(User, current_user.id)
    page = render_template("reviews/notifications.html", enabled=user.notify_email, saved=saved)
    return Response(page, content_type="text/html; charset=utf-8")

"""The administration views. Each POST calls one use case with the signed-in admin as actor,
commits (running queued jobs in eager mode), and redirects; a ``ServiceError`` is shown on the
page it came from with its HTTP status, nothing written."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.utils import secure_filename

from app.auth import current_actor, password_policy
from app.db import get_session
from app.jobs_runtime import commit
from app.models import Community, Job, OaiSet, User
from app.oai import admin as oai_admin
from app.services import accounts
from app.services import jobs as jobs_svc
from app.services import vocabularies as vocab_svc
from app.services.errors import Forbidden, NotFound, PayloadTooLarge, ServiceError, field_error
from app.web.admin import bp
from curation import Role
from schemas.metadata import ACCESS_LEVELS
from vocabularies import controlled
from vocabularies.skos import FORMATS, MAX_BYTES

ROLE_LABELS = {
    Role.PRODUCER.value: _l("producer"),
    Role.MODERATOR.value: _l("moderator"),
    Role.ADMIN.value: _l("administrator"),
}
JOB_STATE_LABELS = {
    "pending": _l("pending"),
    "running": _l("running"),
    "done": _l("done"),
    "failed": _l("failed"),
}
ACCESS_LABELS = {
    "open": _l("open"),
    "embargoed": _l("embargoed"),
    "restricted": _l("restricted"),
    "metadata_only": _l("metadata only"),
}
SECTIONS = (
    ("admin.communities", _l("Communities")),
    ("admin.users", _l("Users")),
    ("admin.oai_sets", _l("OAI-PMH sets")),
    ("admin.vocabularies", _l("Vocabularies")),
    ("admin.jobs", _l("Jobs")),
    ("admin.preservation", _l("Preservation")),
)
COPY_STATE_LABELS = {
    "verified": _l("verified"),
    "failed": _l("damaged"),
    "unchecked": _l("not checked yet"),
}
CHECK_RESULT_LABELS = {"ok": _l("intact"), "repaired": _l("repaired"), "failed": _l("failed")}


@bp.before_request
def _admins_only() -> Response | None:
    if not current_user.is_authenticated:
        return redirect(
            url_for("pages.login", next=request.full_path if request.query_string else request.path)
        )
    if not current_actor().is_admin:
        raise Forbidden(_("Only administrators may open the administration pages."))
    return None


@bp.after_request
def _no_store(response: Response) -> Response:
    # Pages that may show a freshly generated password, and account data: never cached.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {"admin_sections": SECTIONS, "role_label": lambda r: str(ROLE_LABELS.get(r, r))}


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, **context), status


def _problem(exc: ServiceError) -> dict[str, Any]:
    """The error summary of a refused form: the message and each field's messages."""
    return {"message": exc.message, "errors": [(e.field, "; ".join(e.messages)) for e in exc.errors]}


# --- overview ----------------------------------------------------------------------------------


@bp.get("/")
def index() -> tuple[str, int]:
    session = get_session()
    counts = jobs_svc.counts(session)
    users = session.scalar(select(func.count()).select_from(User)) or 0
    communities = session.scalar(select(func.count()).select_from(Community)) or 0
    return _page("admin/index.html", counts=counts, users=users, communities=communities)


# --- communities -------------------------------------------------------------------------------


def _communities_page(
    status: int = 200, problem: dict | None = None, form: dict | None = None
) -> tuple[str, int]:
    rows = get_session().scalars(select(Community).order_by(Community.slug)).all()
    return _page("admin/communities.html", status, communities=rows, problem=problem, form=form or {})


@bp.get("/communities")
def communities() -> tuple[str, int]:
    return _communities_page()


@bp.post("/communities")
def create_community() -> Response | tuple[str, int]:
    session = get_session()
    form = {k: request.form.get(k, "") for k in ("slug", "title", "description")}
    try:
        community = accounts.create_community(
            session, current_actor(), form["slug"], form["title"], form["description"]
        )
    except ServiceError as exc:
        session.rollback()
        return _communities_page(exc.status, _problem(exc), form)
    commit(session)
    flash(_("Community %(slug)s created.", slug=community.slug))
    return redirect(url_for("admin.community", slug=community.slug))


def _community_page(slug: str, status: int = 200, problem: dict | None = None) -> tuple[str, int]:
    session = get_session()
    community = accounts.get_community(session, slug)
    candidates = session.scalars(select(User).where(User.active.is_(True)).order_by(User.email)).all()
    return _page(
        "admin/community.html",
        status,
        community=community,
        moderators=sorted(community.moderators, key=lambda u: u.email),
        candidates=[u for u in candidates if u not in community.moderators],
        problem=problem,
    )


@bp.get("/communities/<slug>")
def community(slug: str) -> tuple[str, int]:
    return _community_page(slug)


@bp.post("/communities/<slug>")
def update_community(slug: str) -> Response | tuple[str, int]:
    session = get_session()
    try:
        accounts.update_community(
            session, current_actor(), slug, request.form.get("title", ""), request.form.get("description", "")
        )
    except ServiceError as exc:
        session.rollback()
        return _community_page(slug, exc.status, _problem(exc))
    commit(session)
    flash(_("Community %(slug)s saved.", slug=slug))
    return redirect(url_for("admin.community", slug=slug))


@bp.post("/communities/<slug>/moderators")
def add_moderator(slug: str) -> Response | tuple[str, int]:
    session = get_session()
    email = request.form.get("email", "")
    try:
        if not email.strip():
            raise field_error("/email", "choose or type the e-mail of the new moderator")
        accounts.add_moderator(session, current_actor(), slug, email)
    except ServiceError as exc:
        session.rollback()
        return _community_page(slug, exc.status, _problem(exc))
    commit(session)
    flash(_("%(email)s now moderates %(slug)s.", email=email.strip().lower(), slug=slug))
    return redirect(url_for("admin.community", slug=slug))


@bp.post("/communities/<slug>/moderators/remove")
def remove_moderator(slug: str) -> Response | tuple[str, int]:
    session = get_session()
    email = request.form.get("email", "")
    try:
        accounts.remove_moderator(session, current_actor(), slug, email)
    except ServiceError as exc:
        session.rollback()
        return _community_page(slug, exc.status, _problem(exc))
    commit(session)
    flash(_("%(email)s no longer moderates %(slug)s.", email=email, slug=slug))
    return redirect(url_for("admin.community", slug=slug))


# --- users -------------------------------------------------------------------------------------


def _users_page(
    status: int = 200, problem: dict | None = None, form: dict | None = None, **extra: Any
) -> tuple[str, int]:
    session = get_session()
    q = (request.args.get("q") or "").strip().lower()[:254]
    query = select(User).order_by(User.email)
    if q:
        query = query.where(User.email.contains(q, autoescape=True))
    rows = session.scalars(query.limit(500)).all()
    return _page(
        "admin/users.html",
        status,
        users=rows,
        q=q,
        roles=[r.value for r in Role],
        communities=session.scalars(select(Community).order_by(Community.slug)).all(),
        problem=problem,
        form=form or {},
        **extra,
    )


@bp.get("/users")
def users() -> tuple[str, int]:
    return _users_page()


@bp.post("/users")
def create_user() -> Response | tuple[str, int]:
    session = get_session()
    form = {k: request.form.get(k, "") for k in ("email", "name", "role", "password")}
    communities = request.form.getlist("communities")
    generated = not form["password"]
    password = form["password"] or secrets.token_urlsafe(12)
    try:
        user = accounts.create_user(
            session,
            current_actor(),
            form["email"],
            role=form["role"] or "producer",
            password=password,
            name=form["name"],
            communities=communities,
            policy=password_policy(),
        )
    except ServiceError as exc:
        session.rollback()
        form.pop("password")
        return _users_page(exc.status, _problem(exc), form)
    commit(session)
    if generated:
        # Shown once, on this answer only (never in a redirect, never stored in clear).
        return _page("admin/password.html", 201, user=user, password=password, created=True)
    flash(_("Account %(email)s created.", email=user.email))
    return redirect(url_for("admin.user", user_id=user.id))


def _user_page(user_id: int, status: int = 200, problem: dict | None = None) -> tuple[str, int]:
    session = get_session()
    user = accounts.get_user(session, user_id)
    return _page(
        "admin/user.html",
        status,
        user=user,
        roles=[r.value for r in Role],
        is_self=user.id == current_user.id,
        problem=problem,
    )


@bp.get("/users/<int:user_id>")
def user(user_id: int) -> tuple[str, int]:
    return _user_page(user_id)


@bp.post("/users/<int:user_id>/role")
def set_role(user_id: int) -> Response | tuple[str, int]:
    session = get_session()
    try:
        target = accounts.get_user(session, user_id)
        accounts.set_role(session, current_actor(), target, request.form.get("role", ""))
    except ServiceError as exc:
        session.rollback()
        return _user_page(user_id, exc.status, _problem(exc))
    commit(session)
    flash(_("Role of %(email)s: %(role)s.", email=target.email, role=ROLE_LABELS[target.role]))
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/active")
def set_active(user_id: int) -> Response | tuple[str, int]:
    session = get_session()
    active = request.form.get("active") == "true"
    try:
        if request.form.get("active") not in ("true", "false"):
            raise field_error("/active", "must be true or false")
        target = accounts.get_user(session, user_id)
        accounts.set_active(session, current_actor(), target, active)
    except ServiceError as exc:
        session.rollback()
        return _user_page(user_id, exc.status, _problem(exc))
    commit(session)
    if active:
        flash(_("Account %(email)s enabled.", email=target.email))
    else:
        flash(
            _("Account %(email)s disabled: their sessions and API tokens no longer work.", email=target.email)
        )
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int) -> Response | tuple[str, int]:
    """A new random password, shown once to the admin to pass on; every session of the user ends."""
    session = get_session()
    password = secrets.token_urlsafe(12)
    try:
        target = accounts.get_user(session, user_id)
        accounts.set_password(session, current_actor(), target, password, password_policy())
    except ServiceError as exc:
        session.rollback()
        return _user_page(user_id, exc.status, _problem(exc))
    commit(session)
    return _page("admin/password.html", 200, user=target, password=password, created=False)


# --- OAI-PMH sets ------------------------------------------------------------------------------


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.replace("\n", ",").split(",") if v.strip()]


def _set_form_criteria() -> dict[str, Any]:
    criteria: dict[str, Any] = {}
    communities = request.form.getlist("communities")
    if communities:
        criteria["communities"] = communities
    types = request.form.getlist("resource_types")
    if types:
        criteria["resource_types"] = types
    levels = request.form.getlist("access_levels")
    if levels:
        criteria["access_levels"] = levels
    if request.form.get("require_doi"):
        criteria["require_doi"] = True
    return criteria


def _oai_page(status: int = 200, problem: dict | None = None, form: dict | None = None) -> tuple[str, int]:
    session = get_session()
    return _page(
        "admin/oai_sets.html",
        status,
        sets=oai_admin.list_admin_sets(session),
        communities=session.scalars(select(Community).order_by(Community.slug)).all(),
        resource_types=controlled.datacite_list("resourceTypeGeneral"),
        access_levels=ACCESS_LEVELS,
        access_labels=ACCESS_LABELS,
        problem=problem,
        form=form,
    )


@bp.get("/oai-sets")
def oai_sets() -> tuple[str, int]:
    spec = request.args.get("edit")
    form = None
    if spec:
        found = get_session().get(OaiSet, spec)
        if found is not None:
            form = {
                "spec": found.spec,
                "name": found.name,
                "description": found.description,
                "criteria": found.criteria,
            }
    return _oai_page(form=form)


@bp.post("/oai-sets")
def put_oai_set() -> Response | tuple[str, int]:
    session = get_session()
    spec = request.form.get("spec", "").strip()
    form = {
        "spec": spec,
        "name": request.form.get("name", ""),
        "description": request.form.get("description", ""),
        "criteria": _set_form_criteria(),
    }
    try:
        _set, created = oai_admin.put_admin_set(
            session,
            current_actor(),
            spec,
            name=form["name"],
            description=form["description"],
            criteria=form["criteria"],
        )
    except ServiceError as exc:
        session.rollback()
        return _oai_page(exc.status, _problem(exc), form)
    commit(session)
    if created:
        flash(_("Set %(spec)s created; its items are being resynchronised.", spec=spec))
    else:
        flash(_("Set %(spec)s saved; its items are being resynchronised.", spec=spec))
    return redirect(url_for("admin.oai_sets"))


@bp.post("/oai-sets/<spec>/delete")
def delete_oai_set(spec: str) -> Response | tuple[str, int]:
    session = get_session()
    try:
        oai_admin.delete_admin_set(session, current_actor(), spec)
    except ServiceError as exc:
        session.rollback()
        return _oai_page(exc.status, _problem(exc))
    commit(session)
    flash(_("Set %(spec)s deleted.", spec=spec))
    return redirect(url_for("admin.oai_sets"))


# --- vocabularies ------------------------------------------------------------------------------


def _vocab_page(status: int = 200, problem: dict | None = None, form: dict | None = None) -> tuple[str, int]:
    return _page(
        "admin/vocabularies.html",
        status,
        schemes=vocab_svc.list_schemes(get_session()),
        formats=FORMATS,
        problem=problem,
        form=form or {},
        max_mib=MAX_BYTES // (1024 * 1024),
    )


@bp.get("/vocabularies")
def vocabularies() -> tuple[str, int]:
    return _vocab_page()


@bp.post("/vocabularies")
def import_vocabulary() -> Response | tuple[str, int]:
    """Import or re-import a SKOS file, as ``alluvium vocab import`` and ``POST /api/vocabularies``."""
    if request.content_length is not None and request.content_length > MAX_BYTES + 64 * 1024:
        raise PayloadTooLarge(f"the vocabulary file is larger than {MAX_BYTES} bytes")
    request.max_content_length = MAX_BYTES + 64 * 1024
    session = get_session()
    form = {k: request.form.get(k, "").strip() for k in ("scheme_uri", "name", "format")}
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise field_error("/file", "choose the SKOS file to import")
        if form["format"] and form["format"] not in FORMATS:
            raise field_error("/format", "must be ttl, xml or json-ld")
        with tempfile.TemporaryDirectory(prefix="alluvium-vocab-") as folder:
            path = Path(folder) / (secure_filename(upload.filename) or "vocabulary")
            upload.save(path)
            result = vocab_svc.import_vocabulary(
                session,
                current_actor(),
                path,
                form["scheme_uri"],
                form["name"] or None,
                fmt=form["format"] or None,
            )
    except ServiceError as exc:
        session.rollback()
        return _vocab_page(exc.status, _problem(exc), form)
    finally:
        for f in request.files.values():
            f.close()
    commit(session)
    flash(
        _(
            "Vocabulary %(name)s imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged, "
            "%(deprecated)d deprecated concepts.",
            name=result.scheme.name,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            deprecated=result.deprecated,
        )
    )
    return redirect(url_for("admin.vocabularies"))


# --- jobs --------------------------------------------------------------------------------------


@bp.get("/jobs")
def jobs() -> tuple[str, int]:
    session = get_session()
    state = request.args.get("state", "failed")
    if state not in jobs_svc.STATES:
        raise field_error("/state", f"must be one of {', '.join(jobs_svc.STATES)}")
    rows = jobs_svc.list_jobs(session, (state,), 200)
    return _page(
        "admin/jobs.html",
        counts=jobs_svc.counts(session),
        expired=jobs_svc.expired_leases(session),
        state=state,
        jobs=rows,
        state_labels=JOB_STATE_LABELS,
        last_line=_last_line,
    )


def _last_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else ""


@bp.get("/jobs/<int:job_id>")
def job(job_id: int, status: int = 200, problem: dict | None = None) -> tuple[str, int]:
    found = get_session().get(Job, job_id)
    if found is None:
        raise NotFound(f"no job {job_id}")
    return _page(
        "admin/job.html",
        status,
        job=found,
        state_labels=JOB_STATE_LABELS,
        last_line=_last_line,
        problem=problem,
    )


@bp.post("/jobs/<int:job_id>/retry")
def retry_job(job_id: int) -> Response | tuple[str, int]:
    """Put a failed job back to pending, as ``alluvium jobs retry``; eager mode runs it now."""
    session = get_session()
    try:
        jobs_svc.retry(session, job_id)
    except ServiceError as exc:
        session.rollback()
        return job(job_id, exc.status, _problem(exc))
    commit(session)
    flash(_("Job %(id)d is pending again; a worker runs it next.", id=job_id))
    return redirect(url_for("admin.job", job_id=job_id))


# --- preservation ------------------------------------------------------------------------------


@bp.get("/preservation")
def preservation() -> tuple[str, int]:
    """The state of preservation (``alluvium archive status``), the latest fixity checks and the
    packages with their copies. Read-only: audits run from ``alluvium archive audit`` (cron)."""
    from flask import current_app

    from app.models import ArchiveCopy, ArchivePackage, FixityCheck
    from app.services import archive as archive_svc

    session = get_session()
    summary = archive_svc.status(session, current_app.config)
    checks = session.execute(
        select(FixityCheck, ArchiveCopy.location, ArchivePackage.name)
        .join(ArchiveCopy, FixityCheck.copy_id == ArchiveCopy.id)
        .join(ArchivePackage, ArchiveCopy.package_id == ArchivePackage.id)
        .order_by(FixityCheck.id.desc())
        .limit(20)
    ).all()
    packages = session.scalars(select(ArchivePackage).order_by(ArchivePackage.id.desc()).limit(100)).all()
    return _page(
        "admin/preservation.html",
        summary=summary,
        checks=checks,
        packages=packages,
        copy_labels=COPY_STATE_LABELS,
        result_labels=CHECK_RESULT_LABELS,
        period=current_app.config["ARCHIVE_AUDIT_PERIOD_DAYS"],
    )

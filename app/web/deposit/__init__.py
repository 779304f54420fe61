"""The Metadata-Engine: a producer describes a dataset in the browser.

* ``/deposit`` starts a draft: blank, from one of the producer's own datasets as a template, or
  from an imported DataCite / ISO 19139 / ISO 19115-3 XML file (what could not be mapped is
  listed).
* ``/records/<id>/edit`` is the form of a draft, one page whose fields are read from the
  canonical schema (``form.py``). Without JavaScript it is an ordinary form posted back here
  (a full replace guarded by the revision it was read at); ``static/js/deposit.js`` autosaves
  through ``PATCH /api/records/<id>/draft`` with ``If-Match``.
* The acceptance panel is computed by the publish gate's own code (``app.services.deposit``).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from app.auth import current_actor
from app.db import get_session
from app.messages import translate, translate_all
from app.models import Community, Record
from app.security import CONTENT_SECURITY_POLICY
from app.services import deposit as usecases
from app.services import dois
from app.services import files as files_svc
from app.services import records as svc
from app.services.errors import Forbidden, InvalidInput, ServiceError
from app.web.deposit import form as forms
from app.web.deposit import help as helptexts
from app.web.deposit import logo, lookup, widgets
from curation import PermissionDenied, State
from schemas import FieldError

bp = Blueprint("deposit", __name__, template_folder="templates")
widgets.init_blueprint(bp)
lookup.init_blueprint(bp)


@bp.app_context_processor
def _message_helpers() -> dict:
    """Field names and schema messages in the interface language (``app/messages.py``); app-wide
    because other blueprints (the moderation desk) include the deposit partials."""
    return {
        "pointer_label": helptexts.pointer_label,
        "pointer_anchor": helptexts.pointer_anchor,
        "metadata_pointer": helptexts.metadata_pointer,
        "translate_message": translate,
        "translate_messages": translate_all,
        "size_text": _files.size_text,
    }


EDITABLE = (State.DRAFT, State.CHANGES_REQUESTED)


_FRAGMENTS: OrderedDict[tuple, Markup] = OrderedDict()
_FRAGMENTS_SIZE = 2048
_FRAGMENTS_LOCK = threading.Lock()


def _cached_field(macro, record_id: str, spec, value, ctx: dict) -> Markup:  # type: ignore[no-untyped-def]
    """One top-level field of the form, rendered by the ``field`` macro, remembered by all it
    depends on: the interface language, the record, the field's value, its errors and the
    form's mode. Reopening or reloading a form (after a conflict, a suggestion used, a sign-in)
    re-renders only the fields that changed; a large record's 200 keywords are rendered once."""
    from flask_babel import get_locale

    prefix = spec.pattern
    errors = tuple(
        sorted(
            (p, tuple(m)) for p, m in ctx["field_errors"].items() if p == prefix or p.startswith(prefix + "/")
        )
    )
    add = ctx["add"] if ctx["add"] == prefix or ctx["add"].startswith(prefix + "/") else ""
    key = (
        str(get_locale()),
        record_id,
        prefix,
        json.dumps(value, sort_keys=True, default=str),
        errors,
        ctx["editable"],
        add,
    )
    with _FRAGMENTS_LOCK:
        found = _FRAGMENTS.get(key)
        if found is not None:
            _FRAGMENTS.move_to_end(key)
            return found
    html = Markup(macro(spec, value, prefix, ctx))
    with _FRAGMENTS_LOCK:
        _FRAGMENTS[key] = html
        while len(_FRAGMENTS) > _FRAGMENTS_SIZE:
            _FRAGMENTS.popitem(last=False)
    return html


def _fast_rendering() -> dict:
    """Template helpers bound once per page: the form of a large record calls ``_()``,
    ``label()`` and ``help_and_example()`` tens of thousands of times, and each Flask-Babel
    call looks the locale and the catalogue up again (a third of the render time of a record
    with 50 creators and 200 keywords, bench/deposit_form.py). Here the catalogue is looked up
    once and each answer is remembered for the page."""
    from flask_babel import get_translations
    from jinja2.ext import _make_new_gettext, _make_new_ngettext

    translations = get_translations()
    texts: dict[str, str] = {}

    def gettext(text: str) -> str:
        found = texts.get(text)
        if found is None:
            found = texts[text] = translations.ugettext(text)
        return found

    def per_page(function):  # type: ignore[no-untyped-def]
        remembered: dict = {}

        def call(spec):  # type: ignore[no-untyped-def]
            key = (spec.pattern, spec.key)
            if key not in remembered:
                remembered[key] = function(spec)
            return remembered[key]

        return call

    return {
        "cached_field": _cached_field,
        "gettext": _make_new_gettext(gettext),
        "ngettext": _make_new_ngettext(translations.ungettext),
        "label": per_page(helptexts.label),
        "help_and_example": per_page(helptexts.help_and_example),
    }


@bp.get("/deposit")
@login_required
def start() -> str:
    db = get_session()
    mine = svc.list_user_records(db, current_actor(), page=1, size=100).items
    return render_template("deposit/start.html", templates=mine, error=None)


@bp.post("/deposit")
@login_required
def create() -> Response | tuple[str, int]:
    """Create the draft the producer chose (``how`` = blank, template or import) and open it."""
    db = get_session()
    actor = current_actor()
    how = request.form.get("how", "blank")
    try:
        if how == "template":
            record = usecases.draft_from_template(db, actor, request.form.get("template", ""))
        elif how == "import":
            upload = request.files.get("file")
            data = upload.read() if upload is not None else b""
            imported = usecases.import_draft(
                db, actor, data, format_name=request.form.get("format") or None, config=current_app.config
            )
            db.commit()
            return render_template("deposit/imported.html", imported=imported), 201
        elif how == "blank":
            record = svc.create_draft(db, actor, {})
        else:
            abort(400)
    except ServiceError as exc:
        db.rollback()
        mine = svc.list_user_records(db, actor, page=1, size=100).items
        return render_template("deposit/start.html", templates=mine, error=exc), exc.status
    db.commit()
    return redirect(url_for("deposit.edit", record_id=record.id), code=303)


def _page(
    db,
    record: Record,
    *,
    errors: list[FieldError] | None = None,
    values: dict | None = None,
    status: int = 200,
):  # type: ignore[no-untyped-def]
    metadata = values if values is not None else (record.metadata_ or {})
    check = usecases.acceptance(db, record, current_app.config["BASE_URL"])
    by_pointer: dict[str, list[str]] = {}
    for e in errors or []:
        by_pointer.setdefault(helptexts.metadata_pointer(e.field), []).extend(translate_all(e.messages))
    changes = [
        e for e in svc.list_events(db, current_actor(), record.id)[1] if e.to_state == State.CHANGES_REQUESTED
    ]
    editable = record.state in EDITABLE
    page = render_template(
        "deposit/edit.html",
        record=record,
        md=metadata,
        sections=forms.sections(),
        status=forms.section_status(metadata, check.missing_mandatory, check.missing_recommended),
        tiers=forms.scored_tiers(),
        check=check,
        field_errors=by_pointer,
        errors=errors or [],
        editable=editable,
        communities=db.query(Community).order_by(Community.title).all(),
        change_requests=changes[-1:] if record.state == State.CHANGES_REQUESTED else [],
        section_titles=helptexts.SECTION_TITLES,
        add=request.args.get("add", ""),
        files=[files_svc.describe(f) for f in record.files],
        doi=dois.doi_info(db, record),
        doi_enabled=current_app.config.get("PID_PROVIDER") == "datacite",
        **_fast_rendering(),
    )
    response = Response(page, status=status, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["ETag"] = f'"{record.revision}"'
    response.headers["Content-Security-Policy"] = map_policy(current_app.config.get("MAP_TILE_URL", ""))
    return response


def map_policy(tile_url: str) -> str:
    """The page's Content-Security-Policy, widened for the map only: Leaflet-Geoman's toolbar
    icons are ``data:`` SVG images, and the tiles of ``MAP_TILE_URL`` (when configured) come
    from its origin. Scripts and styles stay ``'self'``."""
    sources = ["'self'", "data:"]
    parts = urlsplit(tile_url.replace("{s}", "a")) if tile_url else None
    if parts and parts.scheme in ("http", "https") and parts.netloc:
        host = parts.netloc.replace("a.", "*.", 1) if "{s}" in tile_url else parts.netloc
        sources.append(f"{parts.scheme}://{host}")
    return f"{CONTENT_SECURITY_POLICY}; img-src {' '.join(sources)}"


def _own_draft(db, record_id: str) -> Record:  # type: ignore[no-untyped-def]
    """The signed-in producer's own record; anyone else's answers 404, as an unknown id."""
    try:
        record = svc.get_record(db, current_actor(), record_id)
    except (Forbidden, PermissionDenied):
        abort(404)
    if record.owner_id != current_user.id:
        abort(404)
    return record


logo.init_blueprint(bp, _own_draft)


@bp.get("/records/<record_id>/edit")
@login_required
def edit(record_id: str) -> Response:
    db = get_session()
    return _page(db, _own_draft(db, record_id))


@bp.post("/records/<record_id>/edit")
@login_required
def save(record_id: str) -> Response:
    """The form posted without JavaScript: a full replace at the revision it was read at (412
    if the draft changed since), then back to the form. ``_op=add:/creators`` saves, then shows
    one more empty item of that list."""
    db = get_session()
    record = _own_draft(db, record_id)
    pairs = [(k, v) for k, vs in request.form.lists() for v in vs]
    try:
        metadata = forms.metadata_from_form(pairs)
    except forms.FormValueError as exc:
        return _page(db, record, errors=[FieldError(exc.pointer, [str(exc)])], status=400)
    try:
        revision = int(request.form.get("_revision", ""))
    except ValueError:
        revision = -1
    try:
        svc.update_draft(db, current_actor(), record_id, metadata=metadata, expected_revision=revision)
        db.commit()
    except ServiceError as exc:
        db.rollback()
        record = _own_draft(db, record_id)
        if exc.status == 412:
            exc.errors = [
                FieldError("/_revision", [_("This draft was changed elsewhere since you opened it.")])
            ]
        return _page(db, record, errors=exc.errors or [FieldError("", [exc.message])], status=exc.status)
    op = request.form.get("_op", "")
    target = url_for("deposit.edit", record_id=record_id)
    if op.startswith("add:"):
        target = url_for("deposit.edit", record_id=record_id, add=op[4:])
    return redirect(target, code=303)


@bp.get("/records/<record_id>/edit/item")
@login_required
def new_item(record_id: str) -> str:
    """An empty item of a repeatable field (``?pointer=/creators/3``), for the add button."""
    db = get_session()
    record = _own_draft(db, record_id)
    pointer = request.args.get("pointer", "")
    parent, _, index = pointer.rpartition("/")
    spec = forms._field_at(parent)
    if spec is None or spec.widget != "items" or not index.isdigit():
        abort(404)
    return render_template(
        "deposit/item.html",
        record=record,
        spec=spec,
        pointer=pointer,
        tiers=forms.scored_tiers(),
        field_errors={},
        editable=True,
        label=helptexts.label,
        help_and_example=helptexts.help_and_example,
        add="",
    )


@bp.get("/records/<record_id>/edit/acceptance")
@login_required
def acceptance_panel(record_id: str) -> str:
    """The acceptance panel alone, refreshed by the form after each save."""
    db = get_session()
    record = _own_draft(db, record_id)
    check = usecases.acceptance(db, record, current_app.config["BASE_URL"])
    metadata = record.metadata_ or {}
    return render_template(
        "deposit/acceptance.html",
        record=record,
        md=metadata,
        check=check,
        sections=forms.sections(),
        status=forms.section_status(metadata, check.missing_mandatory, check.missing_recommended),
        section_titles=helptexts.SECTION_TITLES,
    )


@bp.post("/records/<record_id>/submit")
@login_required
def submit(record_id: str) -> Response:
    db = get_session()
    record = _own_draft(db, record_id)
    try:
        usecases.submit_from_form(db, current_actor(), record_id, request.form.get("community", ""))
        db.commit()
    except ServiceError as exc:
        db.rollback()
        return _page(
            db,
            _own_draft(db, record.id),
            errors=exc.errors or [FieldError("", [exc.message])],
            status=exc.status,
        )
    return redirect(url_for("deposit.edit", record_id=record_id), code=303)


@bp.post("/records/<record_id>/new-version")
@login_required
def new_version(record_id: str) -> Response:
    """Start the next version of a published dataset: a draft with its metadata and files,
    opened in the form (``POST /api/records/{id}/versions``)."""
    db = get_session()
    draft = svc.new_version(db, current_actor(), record_id)
    db.commit()
    return redirect(url_for("deposit.edit", record_id=draft.id), code=303)


@bp.post("/records/<record_id>/delete")
@login_required
def delete_draft(record_id: str) -> Response:
    """Delete a draft never submitted (``DELETE /api/records/{id}/draft``), after an explicit
    confirmation, and only in the revision the producer saw."""
    db = get_session()
    record = _own_draft(db, record_id)
    if request.form.get("confirm") != "yes":
        raise InvalidInput(
            _("Tick the box to confirm that the draft and its files are to be deleted."),
            [
                FieldError(
                    "/confirm", [_("Tick the box to confirm that the draft and its files are to be deleted.")]
                )
            ],
        )
    try:
        revision = int(request.form.get("_revision", ""))
    except ValueError:
        raise InvalidInput(
            "_revision is missing", [FieldError("/_revision", ["must be the draft's revision"])]
        ) from None
    svc.delete_draft(db, current_actor(), record.id, expected_revision=revision)
    db.commit()
    return redirect(url_for("pages.dashboard"), code=303)


from app.web.deposit import files as _files  # noqa: E402  (routes that use _page and _own_draft)

_files.register(bp)

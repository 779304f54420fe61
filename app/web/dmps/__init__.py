"""Data management plans in the browser: my plans, import, create, edit (autosaved), share,
versions, the human-readable export, and the deposit of a planned dataset.

Pages are thin adapters over ``app.services.dmps`` (the API uses the same use cases). The edit
form names each input by the JSON Pointer of the plan value it edits (``/dataset/0/title``), so
errors from the maDMP schema land on their input; ``static/js/dmp.js`` posts the form in the
background after each change (``Accept: application/json``) and shows the errors it gets back.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.wrappers import Response
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import login_required

from app.api.dmps import datasets_state
from app.auth import current_actor
from app.db import get_session
from app.models import Dmp, User
from app.services import dmps as svc
from app.services import records as record_svc
from app.services.errors import NotFound, ServiceError
from schemas import FieldError
from schemas import dmp as dmp_schema
from schemas.errors import clean

bp = Blueprint("dmps", __name__, template_folder="templates")

#: Plan values edited as one text per line, as a comma-separated list, or as whole numbers.
LINES = {"keyword"}
COMMAS = {"role", "format"}
INTEGERS = {"byte_size"}
NUMBERS = {"value"}
ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")


class FormValueError(ValueError):
    def __init__(self, pointer: str, message: str):
        super().__init__(message)
        self.pointer = pointer


def _tokens(pointer: str) -> list[str | int]:
    return [
        int(t) if t.isdigit() else t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]
    ]


def _set(plan: dict[str, Any], pointer: str, value: Any) -> None:
    tokens = _tokens(pointer)
    node: Any = plan
    for here, nxt in zip(tokens, tokens[1:], strict=False):
        empty: Any = [] if isinstance(nxt, int) else {}
        if isinstance(here, int):
            if not isinstance(node, list):
                raise FormValueError(pointer, "is not a list")
            while len(node) <= here:
                node.append(copy.deepcopy(empty))
            if node[here] is None or not isinstance(node[here], list | dict):
                node[here] = empty
            node = node[here]
        else:
            if not isinstance(node, dict):
                raise FormValueError(pointer, "is not an object")
            if not isinstance(node.get(here), list | dict):
                node[here] = empty
            node = node[here]
    last = tokens[-1]
    if isinstance(last, int):
        while len(node) <= last:
            node.append(None)
    node[last] = value


def _convert(pointer: str, raw: str) -> Any:
    key = str(_tokens(pointer)[-1])
    text = raw.strip()
    if not text:
        return None
    if key in LINES:
        return [line.strip() for line in text.splitlines() if line.strip()]
    if key in COMMAS:
        return [part.strip() for part in text.split(",") if part.strip()]
    if key in INTEGERS:
        digits = text.replace(" ", "").replace("\u202f", "").replace("\xa0", "")
        if not digits.isdigit():
            raise FormValueError(pointer, _("Enter a whole number of bytes, for example 2000000000"))
        return int(digits)
    if key in NUMBERS:
        try:
            return float(text.replace(",", "."))
        except ValueError:
            raise FormValueError(pointer, _("Enter a number, for example 1200.50")) from None
    return text


def _default_types(node: Any) -> None:
    """Identifier objects typed in the form get their ``type`` from their value when missing."""
    if isinstance(node, list):
        for item in node:
            _default_types(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if (
            key.endswith("_id")
            and isinstance(value, dict)
            and value.get("identifier")
            and not value.get("type")
        ):
            ident = str(value["identifier"])
            if ORCID.search(ident):
                value["type"] = "orcid"
            elif "ror.org/" in ident:
                value["type"] = "ror"
            elif "10.13039/" in ident:
                value["type"] = "fundref"
            elif ident.startswith(("http://", "https://")):
                value["type"] = "url"
            else:
                value["type"] = "other"
        _default_types(value)


def plan_from_form(current: dict[str, Any], pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """The plan the form describes: the current plan with every posted value set at its
    pointer (empty values removed), then emptied branches dropped."""
    plan = copy.deepcopy(current)
    for name, raw in pairs:
        if not name.startswith("/"):
            continue
        value = _convert(name, raw)
        _set(plan, name, value)
    cleaned, _map = clean(plan)
    cleaned = cleaned or {}
    # An empty "add another" dataset posts only its yes/no/unknown answers: not a dataset yet.
    if isinstance(cleaned.get("dataset"), list):
        cleaned["dataset"] = [
            d
            for d in cleaned["dataset"]
            if not (isinstance(d, dict) and set(d) <= {"personal_data", "sensitive_data"})
        ]
    for dataset in cleaned.get("dataset") or []:
        for dist in dataset.get("distribution") or []:
            dist.setdefault("title", dataset.get("title", ""))
            for lic in dist.get("license") or []:
                if lic.get("license_ref") and not lic.get("start_date") and dataset.get("issued"):
                    lic["start_date"] = dataset["issued"]
    _default_types(cleaned)
    return cleaned


def _plan(db, dmp_id: str, need: str = svc.READ) -> Dmp:  # type: ignore[no-untyped-def]
    try:
        return svc.get_plan(db, current_actor(), dmp_id, need)
    except NotFound:
        abort(404)
    except ServiceError as exc:
        abort(exc.status)


def _context(db, dmp: Dmp) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {
        "dmp": dmp,
        "plan": dmp.plan,
        "access": svc.access_level(db, current_actor(), dmp),
        "datasets": datasets_state(db, dmp),
        "languages": LANGUAGE_NAMES,
    }


LANGUAGE_NAMES = {"fra": "français", "eng": "English", "deu": "Deutsch", "spa": "español", "ita": "italiano"}


@bp.get("/dmps")
@login_required
def index() -> str:
    db = get_session()
    plans = svc.list_plans(db, current_actor())
    return render_template(
        "dmps/list.html", plans=plans, opidor=bool(current_app.config.get("DMP_OPIDOR_CLIENT_ID")), error=None
    )


@bp.post("/dmps")
@login_required
def create() -> Response | tuple[str, int]:
    """Start a plan: a title and a contact (the signed-in person by default)."""
    db = get_session()
    user = db.get(User, current_actor().user_id)
    title = request.form.get("title", "").strip()
    plan = {
        "title": title,
        "contact": {
            "name": user.name or user.email,
            "mbox": user.email,
            "contact_id": {"identifier": user.email, "type": "other"},
        },
        "dataset": [],
    }
    if not title:
        return _list_error(db, FieldError("/title", [_("Enter the title of the plan")]), 400)
    try:
        dmp = svc.create_plan(db, current_actor(), plan, current_app.config["BASE_URL"])
        db.commit()
    except ServiceError as exc:
        db.rollback()
        return _list_error(db, (exc.errors or [FieldError("", [exc.message])])[0], exc.status)
    return redirect(url_for("dmps.edit", dmp_id=dmp.id), code=303)


def _list_error(db, error: FieldError, status: int) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    plans = svc.list_plans(db, current_actor())
    return (
        render_template(
            "dmps/list.html",
            plans=plans,
            opidor=bool(current_app.config.get("DMP_OPIDOR_CLIENT_ID")),
            error=error,
        ),
        status,
    )


@bp.post("/dmps/import")
@login_required
def import_plan() -> Response | tuple[str, int]:
    """Import a maDMP JSON file (or text), or fetch a plan from DMP OPIDoR by its id."""
    db = get_session()
    actor = current_actor()
    base = current_app.config["BASE_URL"]
    try:
        if request.form.get("how") == "opidor":
            from app.services import opidor

            plan_id = request.form.get("plan_id", "").strip()
            if not plan_id:
                return _import_error(
                    db, [FieldError("/plan_id", [_("Enter the number of the plan in DMP OPIDoR")])], 400
                )
            client = opidor.client_from_config(current_app.config)
            result = opidor.import_from_opidor(db, actor, client, plan_id, base)
        else:
            upload = request.files.get("file")
            data = (
                upload.read()
                if upload is not None and upload.filename
                else request.form.get("text", "").encode()
            )
            if not data.strip():
                return _import_error(
                    db, [FieldError("/file", [_("Choose a maDMP JSON file or paste its content")])], 400
                )
            result = svc.import_plan(db, actor, data, base)
        db.commit()
    except ServiceError as exc:
        db.rollback()
        return _import_error(db, exc.errors or [FieldError("", [exc.message])], exc.status)
    return render_template("dmps/imported.html", result=result, dmp=result.dmp), 201


def _import_error(db, errors: list[FieldError], status: int) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    plans = svc.list_plans(db, current_actor())
    return (
        render_template(
            "dmps/list.html",
            plans=plans,
            opidor=bool(current_app.config.get("DMP_OPIDOR_CLIENT_ID")),
            error=None,
            import_errors=errors,
        ),
        status,
    )


@bp.get("/dmps/<dmp_id>")
@login_required
def view(dmp_id: str) -> str:
    db = get_session()
    dmp = _plan(db, dmp_id)
    mine = record_svc.list_user_records(db, current_actor(), page=1, size=100).items
    return render_template("dmps/view.html", my_records=mine, **_context(db, dmp))


def _edit_page(db, dmp: Dmp, *, plan=None, errors=None, status: int = 200):  # type: ignore[no-untyped-def]
    by_pointer: dict[str, list[str]] = {}
    for e in errors or []:
        by_pointer.setdefault(e.field.removeprefix("/plan"), []).extend(e.messages)
    context = _context(db, dmp)
    if plan is not None:
        context["plan"] = plan
    page = render_template(
        "dmps/edit.html",
        field_errors=by_pointer,
        errors=errors or [],
        add=request.args.get("add", ""),
        **context,
    )
    response = Response(page, status=status, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/dmps/<dmp_id>/edit")
@login_required
def edit(dmp_id: str) -> Response:
    db = get_session()
    return _edit_page(db, _plan(db, dmp_id, svc.EDIT))


@bp.post("/dmps/<dmp_id>/edit")
@login_required
def save(dmp_id: str) -> Response:
    """The form: saved at the revision it was read at (412 if the plan changed since). With
    ``Accept: application/json`` (the autosave) the answer is ``{revision, errors}``."""
    db = get_session()
    dmp = _plan(db, dmp_id, svc.EDIT)
    wants_json = request.accept_mimetypes.best == "application/json"
    pairs = [(k, v) for k, vs in request.form.lists() for v in vs]
    op = request.form.get("_op", "")
    try:
        plan = plan_from_form(dmp.plan, pairs)
        if op.startswith("remove:"):
            tokens = _tokens(op[len("remove:") :])
            if (
                len(tokens) == 2
                and isinstance(tokens[1], int)
                and tokens[0] in ("dataset", "contributor", "project")
            ):
                items = plan.get(str(tokens[0])) or []
                if tokens[1] < len(items):
                    del items[tokens[1]]
    except FormValueError as exc:
        errors = [FieldError(exc.pointer, [str(exc)])]
        if wants_json:
            return _json_errors(errors, dmp.revision, 400)
        return _edit_page(db, dmp, errors=errors, status=400)
    try:
        revision = int(request.form.get("_revision", ""))
    except ValueError:
        revision = -1
    try:
        dmp = svc.update_plan(
            db,
            current_actor(),
            dmp_id,
            plan,
            expected_revision=revision,
            base_url=current_app.config["BASE_URL"],
        )
        db.commit()
    except ServiceError as exc:
        db.rollback()
        errors = exc.errors or [FieldError("", [exc.message])]
        if exc.status == 412:
            errors = [
                FieldError(
                    "/_revision", [_("This plan was changed elsewhere since you opened it: reload the page.")]
                )
            ]
        if wants_json:
            return _json_errors(errors, _plan(db, dmp_id).revision, exc.status)
        return _edit_page(db, _plan(db, dmp_id, svc.EDIT), plan=plan, errors=errors, status=exc.status)
    if wants_json:
        return jsonify({"revision": dmp.revision, "errors": [], "modified": dmp.plan.get("modified")})
    target = url_for("dmps.edit", dmp_id=dmp_id)
    if op.startswith("add:"):
        target = url_for("dmps.edit", dmp_id=dmp_id, add=op[4:]) + "#" + op[4:]
    return redirect(target, code=303)


def _json_errors(errors: list[FieldError], revision: int, status: int) -> Response:
    response = jsonify(
        {
            "revision": revision,
            "errors": [{"field": e.field.removeprefix("/plan"), "messages": e.messages} for e in errors],
        }
    )
    response.status_code = status
    return response


@bp.get("/dmps/<dmp_id>/share")
@login_required
def share_page(dmp_id: str) -> str:
    db = get_session()
    dmp = _plan(db, dmp_id)
    return render_template(
        "dmps/share.html",
        shares=svc.list_shares(db, current_actor(), dmp_id),
        error=None,
        **_context(db, dmp),
    )


@bp.post("/dmps/<dmp_id>/share")
@login_required
def share(dmp_id: str) -> Response | tuple[str, int]:
    db = get_session()
    try:
        if request.form.get("remove"):
            svc.unshare(db, current_actor(), dmp_id, int(request.form["remove"]))
        else:
            svc.share(
                db,
                current_actor(),
                dmp_id,
                request.form.get("email", ""),
                request.form.get("permission", ""),
            )
        db.commit()
    except (ServiceError, ValueError) as exc:
        db.rollback()
        dmp = _plan(db, dmp_id)
        status = getattr(exc, "status", 400)
        error = (getattr(exc, "errors", None) or [FieldError("", [getattr(exc, "message", str(exc))])])[0]
        return (
            render_template(
                "dmps/share.html",
                shares=svc.list_shares(db, current_actor(), dmp_id),
                error=error,
                **_context(db, dmp),
            ),
            status,
        )
    return redirect(url_for("dmps.share_page", dmp_id=dmp_id), code=303)


@bp.get("/dmps/<dmp_id>/versions")
@login_required
def versions(dmp_id: str) -> str:
    db = get_session()
    dmp = _plan(db, dmp_id)
    items = svc.list_versions(db, current_actor(), dmp_id)
    actors = {
        u.id: u.email for u in db.query(User).filter(User.id.in_({v.actor_id for v in items if v.actor_id}))
    }
    return render_template("dmps/versions.html", versions=items, actors=actors, **_context(db, dmp))


@bp.get("/dmps/<dmp_id>/export.html")
@login_required
def export_html(dmp_id: str) -> Response:
    """The plan to read or print, with its datasets' current state, in French or English
    (``?lang=fr|en``, else the page's language)."""
    db = get_session()
    dmp = _plan(db, dmp_id)
    lang = request.args.get("lang")
    context = _context(db, dmp)
    if lang in ("fr", "en"):
        with force_locale(lang):
            page = render_template("dmps/export.html", export_lang=lang, **context)
    else:
        page = render_template("dmps/export.html", export_lang=None, **context)
    return Response(page, content_type="text/html; charset=utf-8")


@bp.get("/dmps/<dmp_id>/export.pdf")
@login_required
def export_pdf(dmp_id: str) -> Response:
    """The same export as a PDF (``?lang=fr|en``, else the page's language)."""
    from app.web.dmps.pdf import plan_pdf
    from app.web.pages import state_label

    db = get_session()
    dmp = _plan(db, dmp_id)
    datasets = copy.deepcopy(datasets_state(db, dmp))
    lang = request.args.get("lang")

    def render() -> bytes:
        for entry in datasets:
            if entry["deposit"]:
                entry["deposit"]["state"] = state_label(entry["deposit"]["state"])
        return plan_pdf(dmp.plan, datasets, _, bytesize)

    if lang in ("fr", "en"):
        with force_locale(lang):
            body = render()
    else:
        body = render()
    response = Response(body, content_type="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="dmp-{dmp_id}.pdf"'
    return response


@bp.post("/dmps/<dmp_id>/datasets/<int:index>/deposit")
@login_required
def start_deposit(dmp_id: str, index: int) -> Response:
    """Start the deposit of a planned dataset: a draft pre-filled from the plan, then its form."""
    db = get_session()
    try:
        record, _notes = svc.start_deposit(db, current_actor(), dmp_id, index)
        db.commit()
    except ServiceError as exc:
        db.rollback()
        abort(exc.status)
    return redirect(url_for("deposit.edit", record_id=record.id), code=303)


@bp.post("/dmps/<dmp_id>/datasets/<int:index>/link")
@login_required
def link(dmp_id: str, index: int) -> Response:
    db = get_session()
    try:
        svc.link_dataset(db, current_actor(), dmp_id, index, request.form.get("record_id", ""))
        from app.jobs_runtime import commit

        commit(db)
    except ServiceError as exc:
        db.rollback()
        abort(exc.status)
    return redirect(url_for("dmps.view", dmp_id=dmp_id) + f"#dataset-{index}", code=303)


@bp.app_template_filter("bytesize")
def bytesize(value: Any) -> str:
    """A byte size for people (decimal units, as DMP tools and repositories show them)."""
    from flask_babel import format_decimal

    if not isinstance(value, int | float):
        return ""
    units = [_("bytes"), _("kB"), _("MB"), _("GB"), _("TB"), _("PB")]
    size, unit = float(value), 0
    while size >= 1000 and unit < len(units) - 1:
        size /= 1000
        unit += 1
    return f"{format_decimal(round(size, 1))} {units[unit]}"


def plan_title(plan: dict[str, Any]) -> str:
    return dmp_schema.plan_title(plan)


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {"plan_title": plan_title}

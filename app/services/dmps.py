"""Data management plan use cases: create, import, edit, share, version, export, link datasets,
start deposits, and write back what published deposits became.

The plan itself is the maDMP 1.2 ``dmp`` object (``schemas.dmp``); crosswalks are in
``exports.madmp``. Every function takes the session and an explicit actor and flushes; the
caller commits. Write-back runs as a ``dmp-write-back`` job (outbox) queued by
:func:`records.publish` in the publication's transaction, so a plan problem never holds a
publication back (docs/dmp.md).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

import schemas
from app.models import Dmp, DmpDatasetLink, DmpShare, DmpVersion, Record, User
from app.services import jobs
from app.services.accounts import get_user_by_email
from app.services.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    Unauthorized,
    field_error,
)
from curation import Actor
from curation.policy import PermissionDenied
from exports import madmp
from schemas import dmp as dmp_schema

READ, EDIT, OWN = "read", "edit", "own"
PERMISSIONS = (READ, EDIT)
_LEVEL = {READ: 1, EDIT: 2, OWN: 3}
Expected = int | frozenset[int] | None


def _now() -> datetime:
    return datetime.now(UTC)


def plan_url(base_url: str, dmp_id: str) -> str:
    return f"{base_url}/dmps/{dmp_id}"


# --- access --------------------------------------------------------------------------------


def access_level(session: Session, actor: Actor, dmp: Dmp) -> str | None:
    """``own``, ``edit``, ``read`` or None. Admins read every plan."""
    if not actor.is_authenticated:
        return None
    if dmp.owner_id == actor.user_id:
        return OWN
    share = session.get(DmpShare, (dmp.id, actor.user_id))
    if share is not None:
        return share.permission
    return READ if actor.is_admin else None


def get_plan(session: Session, actor: Actor, dmp_id: str, need: str = READ) -> Dmp:
    """The plan if the actor may ``need`` it (404 when they may not even read it)."""
    if not actor.is_authenticated:
        raise Unauthorized("sign in to see data management plans")
    dmp = session.get(Dmp, dmp_id)
    level = access_level(session, actor, dmp) if dmp is not None else None
    if dmp is None or level is None:
        raise NotFound(f"no data management plan {dmp_id!r}")
    if _LEVEL[level] < _LEVEL[need]:
        what = {EDIT: "edit", OWN: "manage the sharing of"}.get(need, "read")
        raise Forbidden(f"you may not {what} this plan (your access: {level})")
    return dmp


def list_plans(session: Session, actor: Actor) -> list[tuple[Dmp, str]]:
    """The actor's own plans and those shared with them, most recently changed first."""
    if not actor.is_authenticated:
        raise Unauthorized("sign in to see data management plans")
    shared = select(DmpShare.dmp_id).where(DmpShare.user_id == actor.user_id)
    rows = session.scalars(
        select(Dmp)
        .where(or_(Dmp.owner_id == actor.user_id, Dmp.id.in_(shared)))
        .order_by(Dmp.updated_at.desc())
    ).all()
    return [(d, access_level(session, actor, d) or READ) for d in rows]


# --- writing -------------------------------------------------------------------------------


def _invalid(errors: list[schemas.FieldError], prefix: str = "") -> InvalidInput:
    shown = [schemas.FieldError(prefix + e.field, e.messages) for e in errors]
    return InvalidInput(f"the plan does not follow the maDMP 1.2 schema ({len(shown)} error(s))", shown)


def add_version(
    session: Session,
    dmp: Dmp,
    actor: Actor,
    action: str,
    changes: list[dict[str, Any]],
    note: dict[str, Any] | None = None,
) -> DmpVersion:
    number = (
        session.scalar(
            select(DmpVersion.number).where(DmpVersion.dmp_id == dmp.id).order_by(DmpVersion.number.desc())
        )
        or 0
    ) + 1
    version = DmpVersion(
        dmp_id=dmp.id,
        number=number,
        action=action,
        actor_id=actor.user_id,
        plan=copy.deepcopy(dmp.plan),
        changes=changes,
        note=note or {},
    )
    session.add(version)
    return version


def _check_revision(dmp: Dmp, expected: Expected) -> None:
    if expected is None:
        return
    accepted = {expected} if isinstance(expected, int) else set(expected)
    if dmp.revision not in accepted:
        yours = ", ".join(str(r) for r in sorted(accepted)) or "not a revision of this plan"
        raise PreconditionFailed(
            f"the plan changed since you read it (your revision {yours}, current {dmp.revision}); "
            "reload it and apply your change again"
        )


def _flush(session: Session, dmp_id: str) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise PreconditionFailed(f"the plan {dmp_id} was changed concurrently; reload it") from None


def create_plan(
    session: Session,
    actor: Actor,
    plan: Any,
    base_url: str,
    *,
    action: str = "create",
    source: str | None = None,
    note: dict[str, Any] | None = None,
) -> Dmp:
    """A new plan owned by the actor. Values a person does not type (identifiers, dates,
    ``unknown`` answers) are filled in (``schemas.dmp.complete_plan``); the rest must follow the
    maDMP 1.2 schema (400 listing every error by JSON Pointer, nothing written)."""
    if not actor.is_authenticated:
        raise Unauthorized("sign in to write a data management plan")
    if not isinstance(plan, dict):
        raise field_error("/plan", "must be a maDMP dmp object")
    from app.services.records import new_id

    dmp_id = new_id()
    complete = dmp_schema.complete_plan(plan, plan_url=plan_url(base_url, dmp_id), now=_now())
    errors = dmp_schema.validate_plan(complete)
    if errors:
        raise _invalid(errors, "/plan")
    dmp = Dmp(id=dmp_id, owner_id=actor.user_id, plan=complete, source=source)
    session.add(dmp)
    session.flush()
    add_version(session, dmp, actor, action, [], note)
    session.flush()
    return dmp


@dataclass
class Imported:
    dmp: Dmp
    version: str
    adjusted: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)


def import_plan(
    session: Session, actor: Actor, body: bytes | str | dict[str, Any], base_url: str, *, source: str = "file"
) -> Imported:
    """Create a plan from a maDMP document (1.0, 1.1 or 1.2). A document failing its schema is
    refused with every error's JSON Pointer into the document; nothing is written."""
    if not actor.is_authenticated:
        raise Unauthorized("sign in to import a data management plan")
    try:
        result = madmp.import_madmp(body)
    except madmp.MadmpImportError as exc:
        raise InvalidInput(
            f"the document is not a valid maDMP plan ({len(exc.errors)} error(s))", exc.errors
        ) from None
    note = {"version": result.version, "adjusted": result.adjusted, "unmapped": result.unmapped}
    dmp = create_plan(session, actor, result.plan, base_url, action="import", source=source, note=note)
    return Imported(dmp, result.version, result.adjusted, result.unmapped)


def update_plan(
    session: Session,
    actor: Actor,
    dmp_id: str,
    plan: Any,
    *,
    expected_revision: Expected,
    patch: bool = False,
    base_url: str,
) -> Dmp:
    """Replace (or merge-patch, RFC 7396) the plan. ``modified`` is set; the version history
    keeps what changed. A stale revision is 412, an invalid plan 400; nothing written."""
    dmp = get_plan(session, actor, dmp_id, EDIT)
    _check_revision(dmp, expected_revision)
    if not isinstance(plan, dict):
        raise field_error("/plan", "must be a maDMP dmp object")
    new = copy.deepcopy(schemas.merge_patch(dmp.plan, plan) if patch else plan)
    # What the plan is (its identifier, its creation date) is kept when a replacement omits it.
    for key in ("dmp_id", "created"):
        if key not in new and key in dmp.plan:
            new[key] = copy.deepcopy(dmp.plan[key])
    new = dmp_schema.complete_plan(new, plan_url=plan_url(base_url, dmp.id), now=_now())
    new["modified"] = dmp_schema.now_datetime(_now())
    errors = dmp_schema.validate_plan(new)
    if errors:
        raise _invalid(errors, "/plan")
    changes = dmp_schema.diff(dmp.plan, new)
    _follow_dataset_keys(session, dmp, dmp.plan, new)
    dmp.plan = new
    _flush(session, dmp.id)
    add_version(session, dmp, actor, "update", changes)
    session.flush()
    return dmp


def _dataset_key(dataset: dict[str, Any]) -> str:
    return str((dataset.get("dataset_id") or {}).get("identifier", ""))


def _follow_dataset_keys(session: Session, dmp: Dmp, old: dict[str, Any], new: dict[str, Any]) -> None:
    """Links name a planned dataset by its ``dataset_id``: when an edit changes the identifier of
    the dataset at the same position, the link follows it."""
    old_keys = [_dataset_key(d) for d in old.get("dataset") or []]
    new_keys = [_dataset_key(d) for d in new.get("dataset") or []]
    for link in session.scalars(select(DmpDatasetLink).where(DmpDatasetLink.dmp_id == dmp.id)):
        if link.dataset_key in new_keys or link.dataset_key not in old_keys:
            continue
        index = old_keys.index(link.dataset_key)
        if index < len(new_keys) and new_keys[index] not in old_keys:
            link.dataset_key = new_keys[index]


def delete_plan(session: Session, actor: Actor, dmp_id: str) -> None:
    dmp = get_plan(session, actor, dmp_id, OWN)
    session.delete(dmp)
    session.flush()


# --- versions, export ----------------------------------------------------------------------


def list_versions(session: Session, actor: Actor, dmp_id: str) -> list[DmpVersion]:
    get_plan(session, actor, dmp_id, READ)
    return list(
        session.scalars(
            select(DmpVersion).where(DmpVersion.dmp_id == dmp_id).order_by(DmpVersion.number.desc())
        )
    )


def get_version(session: Session, actor: Actor, dmp_id: str, number: int) -> DmpVersion:
    get_plan(session, actor, dmp_id, READ)
    version = session.scalar(
        select(DmpVersion).where(DmpVersion.dmp_id == dmp_id, DmpVersion.number == number)
    )
    if version is None:
        raise NotFound(f"plan {dmp_id} has no version {number}")
    return version


def export(
    session: Session, actor: Actor, dmp_id: str, version: str = "1.2"
) -> tuple[dict[str, Any], list[str]]:
    """The plan as maDMP JSON ``1.2`` or in DMP OPIDoR's ``1.1`` shape (and what 1.1 dropped)."""
    dmp = get_plan(session, actor, dmp_id, READ)
    if version not in ("1.1", "1.2"):
        raise field_error("/version", "must be 1.2 or 1.1")
    return madmp.export_madmp(dmp.plan, version)


# --- sharing -------------------------------------------------------------------------------


def share(session: Session, actor: Actor, dmp_id: str, email: str, permission: str) -> DmpShare:
    """Give a co-author ``edit`` or ``read`` access (or change it). Only the owner shares."""
    dmp = get_plan(session, actor, dmp_id, OWN)
    if permission not in PERMISSIONS:
        raise field_error("/permission", "must be edit or read")
    try:
        user = get_user_by_email(session, email)
    except NotFound:
        raise field_error("/email", f"no account uses {email!r}; ask them to sign up first") from None
    if user.id == dmp.owner_id:
        raise field_error("/email", "this is the plan's owner")
    existing = session.get(DmpShare, (dmp.id, user.id))
    if existing is None:
        existing = DmpShare(dmp_id=dmp.id, user_id=user.id, permission=permission)
        session.add(existing)
    else:
        existing.permission = permission
    session.flush()
    add_version(session, dmp, actor, "share", [], {"user": user.email, "permission": permission})
    session.flush()
    return existing


def unshare(session: Session, actor: Actor, dmp_id: str, user_id: int) -> None:
    dmp = get_plan(session, actor, dmp_id, OWN)
    existing = session.get(DmpShare, (dmp.id, user_id))
    if existing is None:
        raise NotFound(f"user {user_id} is not a co-author of this plan")
    user = session.get(User, user_id)
    session.delete(existing)
    add_version(session, dmp, actor, "unshare", [], {"user": user.email if user else user_id})
    session.flush()


def list_shares(session: Session, actor: Actor, dmp_id: str) -> list[DmpShare]:
    get_plan(session, actor, dmp_id, READ)
    return list(
        session.scalars(select(DmpShare).where(DmpShare.dmp_id == dmp_id).order_by(DmpShare.created_at))
    )


# --- datasets and deposits -------------------------------------------------------------------


def _dataset_index(dmp: Dmp, index: Any) -> int:
    datasets = dmp.plan.get("dataset") or []
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(datasets):
        raise field_error("/dataset", f"must be the position of a planned dataset (0 to {len(datasets) - 1})")
    return index


def links(session: Session, dmp: Dmp) -> dict[int, DmpDatasetLink]:
    """Links by dataset position in the current plan."""
    keys = [_dataset_key(d) for d in dmp.plan.get("dataset") or []]
    out = {}
    for link in session.scalars(select(DmpDatasetLink).where(DmpDatasetLink.dmp_id == dmp.id)):
        if link.dataset_key in keys:
            out[keys.index(link.dataset_key)] = link
    return out


def link_dataset(session: Session, actor: Actor, dmp_id: str, index: Any, record_id: str) -> DmpDatasetLink:
    """Link planned dataset ``index`` to a dataset of this repository the actor may read. A
    published one writes back at once (a job after commit)."""
    from app.services import records

    dmp = get_plan(session, actor, dmp_id, EDIT)
    index = _dataset_index(dmp, index)
    try:
        record = records.get_record(session, actor, record_id)
    except (NotFound, Forbidden, PermissionDenied):
        raise field_error("/record_id", f"no dataset {record_id!r} that you may read") from None
    key = _dataset_key(dmp.plan["dataset"][index])
    taken = links(session, dmp)
    if index in taken:
        raise Conflict(
            f"planned dataset {index} is already linked to {taken[index].record_id}",
            [schemas.FieldError("/dataset", ["is already linked"])],
        )
    link = DmpDatasetLink(dmp_id=dmp.id, dataset_key=key, parent_id=record.parent_id, record_id=record.id)
    session.add(link)
    session.flush()
    add_version(session, dmp, actor, "link", [], {"dataset": index, "record": record.id})
    published = records.latest_published(session, record.parent_id)
    if published is not None:
        jobs.enqueue(
            session, "dmp-write-back", {"dmp_id": dmp.id, "link_id": link.id, "record_id": published.id}
        )
    session.flush()
    return link


def start_deposit(session: Session, actor: Actor, dmp_id: str, index: Any) -> tuple[Record, list[str]]:
    """A new draft pre-filled from planned dataset ``index`` (title, description, keywords,
    creators, licence, access, funding) and linked to it. Returns (draft, notes)."""
    from app.services import records

    dmp = get_plan(session, actor, dmp_id, EDIT)
    index = _dataset_index(dmp, index)
    if index in links(session, dmp):
        raise Conflict(
            f"planned dataset {index} already has a deposit",
            [schemas.FieldError("/dataset", ["is already linked"])],
        )
    metadata, notes = madmp.draft_from_dataset(dmp.plan, index)
    try:
        record = records.create_draft(session, actor, metadata)
    except schemas.RecordValidationError as exc:
        # Keep what the profile accepts; the person completes the rest in the form.
        from exports.importing import keep_valid

        cleaned, dropped = keep_valid(metadata)
        notes.extend(dropped)
        del exc
        record = records.create_draft(session, actor, cleaned)
    link = DmpDatasetLink(
        dmp_id=dmp.id,
        dataset_key=_dataset_key(dmp.plan["dataset"][index]),
        parent_id=record.parent_id,
        record_id=record.id,
    )
    session.add(link)
    session.flush()
    add_version(session, dmp, actor, "start-deposit", [], {"dataset": index, "record": record.id})
    session.flush()
    return record, notes


def forget_record(session: Session, record: Record) -> None:
    """A deleted draft is unlinked from the plans that started it."""
    for link in session.scalars(select(DmpDatasetLink).where(DmpDatasetLink.record_id == record.id)):
        session.delete(link)
    session.flush()


# --- write-back ---------------------------------------------------------------------------


def host_from_config(config: Any) -> madmp.Host:
    """This repository as a maDMP host (``DMP_HOST_*`` settings, docs/configuration.md)."""
    pid = "doi" if config.get("PID_PROVIDER") == "datacite" else "url"
    return madmp.Host(
        title=config.get("DMP_HOST_TITLE") or config.get("REPOSITORY_NAME", "Alluvium"),
        url=config.get("DMP_HOST_URL") or config["BASE_URL"],
        certified_with=config.get("DMP_HOST_CERTIFICATION") or None,
        pid_system=(pid,),
        geo_location=config.get("DMP_HOST_COUNTRY") or None,
    )


def enqueue_write_back(session: Session, record: Record) -> int:
    """Queue a write-back job for every plan dataset linked to this record's dataset (called
    in the publication's transaction; the job runs after commit)."""
    count = 0
    for link in session.scalars(select(DmpDatasetLink).where(DmpDatasetLink.parent_id == record.parent_id)):
        jobs.enqueue(
            session, "dmp-write-back", {"dmp_id": link.dmp_id, "link_id": link.id, "record_id": record.id}
        )
        count += 1
    return count


def write_back(session: Session, link_id: int, record_id: str, base_url: str, host: madmp.Host) -> list[dict]:
    """Record in the plan what the published version ``record_id`` is; returns the changes
    (none when the plan already says it, so a job run twice changes nothing)."""
    from app.services.documents import record_document

    link = session.get(DmpDatasetLink, link_id)
    record = session.get(Record, record_id)
    if link is None or record is None or record.state != "published":
        return []
    dmp = session.get(Dmp, link.dmp_id)
    keys = [_dataset_key(d) for d in dmp.plan.get("dataset") or []]
    if link.dataset_key not in keys:
        return []  # the planned dataset was removed from the plan
    index = keys.index(link.dataset_key)
    document = record_document(session, record, base_url)
    new, changes = madmp.write_back(dmp.plan, index, document, host, now=dmp_schema.now_datetime(_now()))
    if not changes:
        return []
    errors = dmp_schema.validate_plan(new)
    if errors:
        raise jobs.PermanentJobError(f"write-back would make plan {dmp.id} invalid: {errors[0].field}")
    link.dataset_key = _dataset_key(new["dataset"][index])
    link.record_id = record.id
    dmp.plan = new
    session.flush()
    add_version(
        session, dmp, Actor.system_actor(), "write-back", changes, {"dataset": index, "record": record.id}
    )
    session.flush()
    return changes


@jobs.handler("dmp-write-back")
def _write_back_job(session: Session, payload: dict[str, Any]) -> None:
    from flask import current_app

    cfg = current_app.config
    write_back(session, payload["link_id"], payload["record_id"], cfg["BASE_URL"], host_from_config(cfg))


def dataset_links_for(session: Session, record: Record) -> list[DmpDatasetLink]:
    return list(session.scalars(select(DmpDatasetLink).where(DmpDatasetLink.parent_id == record.parent_id)))

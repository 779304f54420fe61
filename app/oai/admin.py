"""Administrators' OAI-PMH operations: defining sets (e.g. Recherche Data Gouv's), resyncing items,
pruning superseded item states. Used by the REST API and the CLI."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import OaiSet
from app.oai import items
from app.oai.sets import check_admin_set
from app.services import jobs
from app.services.errors import Forbidden, InvalidInput, NotFound
from curation import Actor
from schemas import FieldError, InputLimitError, check_text

RESYNC_JOB = "oai-resync"


def _require_admin(actor: Actor) -> None:
    if not (actor.is_admin or actor.system):
        raise Forbidden("only an administrator may change OAI-PMH sets")


def set_json(s: OaiSet) -> dict[str, Any]:
    return {
        "spec": s.spec,
        "name": s.name,
        "description": s.description,
        "criteria": s.criteria,
        "updated": s.updated_at.isoformat(),
    }


def list_admin_sets(session: Session) -> list[OaiSet]:
    return list(session.scalars(select(OaiSet).order_by(OaiSet.spec)))


def put_admin_set(
    session: Session,
    actor: Actor,
    spec: str,
    *,
    name: Any,
    description: Any = "",
    criteria: Any = None,
) -> tuple[OaiSet, bool]:
    """Create or replace a set definition; queues the resync that moves the datestamps of the
    records whose membership changed. Returns (set, created)."""
    _require_admin(actor)
    criteria = {} if criteria is None else criteria
    problems = check_admin_set(spec, name, criteria)
    if description is not None and not isinstance(description, str):
        problems.append(("/description", "must be a string"))
    for pointer, value, kind in (("/name", name, "name"), ("/description", description, "text")):
        if isinstance(value, str):
            try:
                check_text(value, kind)
            except InputLimitError as exc:
                problems.append((pointer, str(exc)))
    if problems:
        raise InvalidInput(
            f"the set definition has {len(problems)} problem(s)", [FieldError(f, [m]) for f, m in problems]
        )
    existing = session.get(OaiSet, spec)
    created = existing is None
    oai_set = existing or OaiSet(spec=spec)
    oai_set.name = name.strip()
    oai_set.description = (description or "").strip()
    oai_set.criteria = criteria
    oai_set.updated_at = utcnow()
    session.add(oai_set)
    session.flush()
    jobs.enqueue(session, RESYNC_JOB, {"reason": f"set {spec} changed"})
    return oai_set, created


def delete_admin_set(session: Session, actor: Actor, spec: str) -> None:
    _require_admin(actor)
    oai_set = session.get(OaiSet, spec)
    if oai_set is None:
        raise NotFound(f"no administrator-defined set {spec!r}")
    session.delete(oai_set)
    session.flush()
    jobs.enqueue(session, RESYNC_JOB, {"reason": f"set {spec} deleted"})


@jobs.handler(RESYNC_JOB)
def _resync_job(session: Session, payload: dict[str, Any]) -> None:
    from flask import current_app

    for _ in items.sync_all(session, current_app.config["BASE_URL"], commit_every=1):
        jobs.heartbeat()  # after each committed batch: the resync of a large repository is long


def prune(session: Session, retention_seconds: int) -> int:
    return items.prune(session, timedelta(seconds=retention_seconds))

"""The canonical record document: what exports, landing pages and the API serve.

Built from database rows into the plain dict shape defined by ``schemas.RecordDocumentSchema``;
exports never see ORM objects.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import schemas
from app.models import DoiRegistration, Record
from curation import State


def file_entry(f: Any) -> dict[str, Any]:
    return {
        "key": f.key,
        "size": f.object.size,
        "mimetype": f.mimetype,
        "checksum": {"md5": f.object.md5, "sha256": f.object.sha256},
    }


def record_document(
    session: Session, record: Record, base_url: str, *, latest: bool | None = None
) -> dict[str, Any]:
    """The canonical document of one record version (``latest``: known "newest version" flag,
    saving a query when a caller computed it for many records at once)."""
    from app.services.records import is_latest

    return {
        "id": record.id,
        "pids": {
            p.scheme: {
                "identifier": p.value,
                "provider": p.provider,
                "url": f"{base_url}/records/{record.id}" if p.scheme == "local" else None,
            }
            for p in record.pids
        },
        "community": record.community.slug if record.community else None,
        "created": record.created_at.isoformat(),
        "updated": record.updated_at.isoformat(),
        "publication_date": record.publication_date.isoformat() if record.publication_date else None,
        "versions": {
            "index": record.version_index,
            "is_latest": is_latest(session, record) if latest is None else latest,
            "parent_id": record.parent_id,
        },
        "files": [file_entry(f) for f in record.files],
        "links": {**_links(record, base_url), **version_links(session, record, base_url)},
        **({"reviewed_by": review} if (review := review_of(session, record)) else {}),
        "metadata": record.metadata_,
    }


def review_of(session: Session, record: Record) -> dict[str, Any] | None:
    """The community review an accepted or published version passed (``schemas.ReviewSchema``):
    the community's name and the day of the acceptance; the moderator's name only when
    ``REVIEW_STATEMENT_NAMES_MODERATOR`` is set. ``None`` for a version never accepted."""
    if record.state not in ("accepted", "published") or record.community is None:
        return None
    from flask import current_app, has_app_context
    from sqlalchemy import select

    from app.models import Event

    accepted = session.scalars(
        select(Event)
        .where(Event.record_id == record.id, Event.action == "accept")
        .order_by(Event.id.desc())
        .limit(1)
    ).first()
    if accepted is None:
        return None
    review: dict[str, Any] = {
        "community": record.community.title,
        "date": accepted.created_at.date().isoformat(),
    }
    names = has_app_context() and current_app.config.get("REVIEW_STATEMENT_NAMES_MODERATOR")
    if names and accepted.actor is not None:
        review["moderator"] = accepted.actor.name or accepted.actor.email
    return review


def _links(record: Record, base_url: str) -> dict[str, str]:
    """``self_html``; for a published version also ``files``, the public base URL of its files
    (``<files>/<key>``, what exports give as download URLs). A draft's files are reachable only
    by its owner and moderators, at ``/api/records/<id>/draft/files/<key>``, never advertised."""
    links = {"self_html": f"{base_url}/records/{record.id}"}
    if record.state == "published":
        links["files"] = f"{base_url}/api/records/{record.id}/files"
    return links


def _public_url(record: Record, base_url: str) -> str:
    """A published version's resolvable address: its DOI's resolver URL, else its landing page."""
    doi = next((p.value for p in record.pids if p.scheme == "doi"), None)
    return f"https://doi.org/{doi}" if doi else f"{base_url}/records/{record.id}"


def version_links(session: Session, record: Record, base_url: str) -> dict[str, str]:
    """Links to the neighbouring published versions and to the concept (issue 13, "Machines,
    files"): ``version_previous`` and ``version_next`` (DOI URL, else landing page), ``concept``
    (the concept DOI's URL, when one is registered). Only published versions are named: a draft
    or a submission is never advertised. The writers turn these into related identifiers
    (``exports.linkeddata.version_relations``)."""
    siblings = session.scalars(
        select(Record).where(
            Record.parent_id == record.parent_id,
            Record.id != record.id,
            Record.state == State.PUBLISHED,
        )
    ).all()
    older = [r for r in siblings if r.version_index < record.version_index]
    newer = [r for r in siblings if r.version_index > record.version_index]
    links: dict[str, str] = {}
    if older:
        links["version_previous"] = _public_url(max(older, key=lambda r: r.version_index), base_url)
    if newer:
        links["version_next"] = _public_url(min(newer, key=lambda r: r.version_index), base_url)
    concept = session.scalar(
        select(DoiRegistration.doi).where(
            DoiRegistration.parent_id == record.parent_id, DoiRegistration.kind == "concept"
        )
    )
    if concept and (siblings or record.state == State.PUBLISHED):
        links["concept"] = f"https://doi.org/{concept}"
    return links


def display_title(record: Record) -> str:
    return schemas.display_title(record.metadata_)

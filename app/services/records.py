"""Record use cases: drafts, submission, moderation, publication, versions, withdrawal.

Every function takes the session and an explicit actor, checks the lifecycle
(:func:`curation.next_state`, HTTP 409) and the policy (:func:`curation.authorize`,
HTTP 403/401), records an :class:`Event` for each state change, and flushes. The caller commits.

Vocabulary terms (keywords, platforms, instruments, variables) are checked against the loaded
vocabularies through :class:`app.services.vocabularies.DatabaseIndex` (``curation.checks``):
labels, URIs and thesaurus citations are refreshed whenever a draft is saved and again on
submission; a term missing from the vocabulary it claims blocks submission and acceptance;
deprecated terms and vocabularies that are not loaded are reported, never blocking.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

import schemas
from app.db import utcnow
from app.models import Community, Event, PersistentIdentifier, Record, RecordFile, RecordParent, User
from app.pid import MintedPid, PidProvider
from app.services import jobs, notifications
from app.services.accounts import get_community, get_user_by_email
from app.services.errors import (
    Conflict,
    Gone,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    field_error,
)
from app.services.vocabularies import DatabaseIndex
from curation import Action, Actor, RecordContext, State, authorize, can, next_state
from curation import sees_reviewers as curation_sees_reviewers
from curation.checks import refresh_vocabulary_terms, vocabulary_errors, vocabulary_findings
from curation.lifecycle import PUBLIC_STATES, REVIEW_STATES
from curation.policy import PermissionDenied
from schemas.errors import merge_errors
from vocabularies.lookup import KeywordFinding

_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def new_id() -> str:
    """A short, unguessable, readable record id such as ``7k2pq-xm4rd``."""
    chars = "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"


def context(record: Record) -> RecordContext:
    return RecordContext(
        owner_id=record.owner_id,
        state=State(record.state),
        community=record.community.slug if record.community else None,
        assignee_id=record.assigned_to_id,
    )


#: Who withdrew a record, as the public sees it: a role, never a person or an e-mail address.
WITHDRAWN_BY = "the repository administrators"
_TOMBSTONE_FIELDS = ("removal_date", "reason", "title", "pids")


def public_tombstone(tombstone: dict[str, Any] | None) -> dict[str, Any]:
    """What anyone may see of a withdrawal: when, why, the title and identifiers, and a role-only
    statement of who (tombstones written before this rule carried the admin's e-mail: dropped)."""
    stored = tombstone or {}
    public = {k: stored[k] for k in _TOMBSTONE_FIELDS if k in stored}
    public["removed_by"] = WITHDRAWN_BY
    public["statement"] = f"Withdrawn by {WITHDRAWN_BY}."
    return public


def sees_reviewers(actor: Actor, record: Record) -> bool:
    """Staff of the record (admins, moderators of its community) may see reviewers' e-mails."""
    return curation_sees_reviewers(actor, context(record))


def can_read_metadata(actor: Actor, record: Record) -> bool:
    """The actor may read this version's metadata (a withdrawn one: its owner and staff only)."""
    return can(actor, Action.READ, context(record))


# -- reading ------------------------------------------------------------------------------


def get_record(session: Session, actor: Actor, record_id: str, *, action: Action = Action.READ) -> Record:
    """Load a record version the actor may act on; 404 when unknown.

    A withdrawn version the actor may not read (anyone but its owner and staff) answers 410
    with its public tombstone: its metadata, files list and exports are no longer public.
    """
    record = session.get(Record, record_id)
    if record is None:
        raise NotFound(f"no record {record_id!r}")
    try:
        authorize(actor, action, context(record))
    except PermissionDenied:
        if record.state == State.WITHDRAWN and action == Action.READ:
            raise _gone(record) from None
        raise
    return record


def _gone(record: Record) -> Gone:
    return Gone(f"record {record.id} was withdrawn", public_tombstone(record.tombstone))


def get_public_record(session: Session, actor: Actor, record_id: str) -> Record:
    """A published version; 410 with the tombstone when withdrawn, 404 for anything else (its
    owner and moderators read an unpublished version at ``/api/records/<id>/draft``)."""
    record = session.get(Record, record_id)
    if record is None:
        raise NotFound(f"no record {record_id!r}")
    if record.state == State.WITHDRAWN:
        raise _gone(record)
    if record.state != State.PUBLISHED:
        raise NotFound(
            f"record {record_id!r} is not published (its draft is at /api/records/{record_id}/draft)"
        )
    return record


def latest_published(session: Session, parent_id: str) -> Record | None:
    """The newest published version of a dataset (withdrawn ones skipped), if any."""
    return session.scalar(
        select(Record)
        .where(Record.parent_id == parent_id, Record.state == State.PUBLISHED)
        .order_by(Record.version_index.desc())
        .limit(1)
    )


def is_latest(session: Session, record: Record) -> bool:
    """No later version of the dataset has been published (or published, then withdrawn).

    Drafts and submissions are compared with published versions too: the newest version in
    progress is the latest, a version 1 draft with nothing published included.
    """
    newer = session.scalar(
        select(func.count())
        .select_from(Record)
        .where(
            Record.parent_id == record.parent_id,
            Record.version_index > record.version_index,
            Record.state.in_([State.PUBLISHED, State.WITHDRAWN]),
        )
    )
    return not newer


def _resolve_dataset(session: Session, actor: Actor, record_id: str) -> Record:
    """A version used only to find its dataset: readable, or withdrawn (its siblings may not be)."""
    record = session.get(Record, record_id)
    if record is None:
        raise NotFound(f"no record {record_id!r}")
    if record.state != State.WITHDRAWN:
        authorize(actor, Action.READ, context(record))
    return record


def list_versions(session: Session, actor: Actor, record_id: str) -> list[Record]:
    """Every version of the record's dataset that the actor may read, newest first, and the
    withdrawn ones (callers show those the actor may not read, :func:`can_read_metadata`, as
    their tombstone only)."""
    record = _resolve_dataset(session, actor, record_id)
    versions = session.scalars(
        select(Record).where(Record.parent_id == record.parent_id).order_by(Record.version_index.desc())
    ).all()
    return [v for v in versions if v.state == State.WITHDRAWN or can_read_metadata(actor, v)]


def latest_version(session: Session, actor: Actor, record_id: str) -> Record:
    """The newest published version of the record's dataset; 404 when none is published."""
    record = _resolve_dataset(session, actor, record_id)
    latest = latest_published(session, record.parent_id)
    if latest is None:
        raise NotFound(f"no version of record {record_id!r} is published")
    return latest


@dataclass
class Page:
    items: list[Record]
    total: int
    page: int
    size: int


def list_user_records(
    session: Session, actor: Actor, *, state: str | None = None, page: int = 1, size: int = 25
) -> Page:
    """The actor's own record versions (drafts included)."""
    query = select(Record).where(Record.owner_id == actor.user_id)
    if state:
        query = query.where(Record.state == _state_arg(state))
    return _paginate(session, query.order_by(Record.updated_at.desc(), Record.id), page, size)


def review_queue(
    session: Session,
    actor: Actor,
    *,
    state: str | None = None,
    community: str | None = None,
    assigned_to_me: bool = False,
    page: int = 1,
    size: int = 25,
) -> Page:
    """Submissions a moderator (only in their communities) or an admin can act on."""
    query = select(Record).join(Community, Record.community_id == Community.id)
    if state:
        query = query.where(Record.state == _state_arg(state, allowed=REVIEW_STATES | _DECIDED))
    else:
        query = query.where(Record.state.in_(list(REVIEW_STATES)))
    if not actor.is_admin:
        if not actor.communities:
            return Page([], 0, page, size)
        query = query.where(Community.slug.in_(sorted(actor.communities)))
    if community:
        query = query.where(Community.slug == community)
    if assigned_to_me:
        query = query.where(Record.assigned_to_id == actor.user_id)
    return _paginate(session, query.order_by(Record.submitted_at, Record.id), page, size)


_DECIDED = frozenset({State.CHANGES_REQUESTED, State.ACCEPTED, State.REJECTED})


def _state_arg(value: str, allowed: frozenset[State] | None = None) -> State:
    try:
        state = State(value)
    except ValueError:
        raise field_error("/state", f"unknown state {value!r}") from None
    if allowed is not None and state not in allowed:
        raise field_error("/state", f"must be one of {', '.join(sorted(s.value for s in allowed))}")
    return state


def _paginate(session: Session, query: Any, page: int, size: int) -> Page:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = session.scalars(query.offset((page - 1) * size).limit(size)).all()
    return Page(list(items), total, page, size)


def list_events(session: Session, actor: Actor, record_id: str) -> tuple[Record, list[Event]]:
    """The audit trail of a record version (and its parent's earlier versions' events stay apart)."""
    record = get_record(session, actor, record_id, action=Action.READ_EVENTS)
    events = session.scalars(select(Event).where(Event.record_id == record_id).order_by(Event.id)).all()
    return record, list(events)


# -- drafts -------------------------------------------------------------------------------


def create_draft(
    session: Session, actor: Actor, metadata: dict[str, Any] | None = None, community: str | None = None
) -> Record:
    """A new, empty or partly filled draft owned by the actor (a new parent, version 1)."""
    if not actor.is_authenticated:
        authorize(actor, Action.EDIT, RecordContext(owner_id=-1, state=State.DRAFT))
    clean = _refresh(session, _load(metadata or {}, require_mandatory=False))
    parent = RecordParent(id=new_id(), owner_id=actor.user_id)
    record = Record(id=new_id(), parent=parent, version_index=1, owner_id=actor.user_id, metadata_=clean)
    if community:
        record.community = get_community(session, community)
    session.add_all([parent, record])
    session.flush()
    _event(session, actor, record, "create", None, State.DRAFT)
    return record


def update_draft(
    session: Session,
    actor: Actor,
    record_id: str,
    *,
    metadata: dict[str, Any] | None,
    expected_revision: Expected,
    patch: bool = False,
    community: str | None | object = ...,
) -> Record:
    """Replace (PUT) or merge-patch (PATCH, RFC 7396) a draft's metadata.

    Values must be valid; missing mandatory fields are allowed until submission. A stale
    ``expected_revision`` gives 412 and changes nothing. The community is fixed once a review
    has begun (``changes_requested``): 409 naming ``/community``.
    """
    record = _editable(session, actor, record_id, Action.EDIT, expected_revision)
    if community is not ...:
        current = record.community.slug if record.community else None
        if community != current and record.state == State.CHANGES_REQUESTED:
            raise Conflict(
                "the community cannot change once the record has been submitted",
                [
                    schemas.FieldError(
                        "/community",
                        [f"the review by {current!r} is in progress; a resubmission goes back to it"],
                    )
                ],
            )
    if metadata is not None:
        new = schemas.merge_patch(record.metadata_, metadata) if patch else metadata
        record.metadata_ = _refresh(session, _load(new, require_mandatory=False))
    if community is not ...:
        record.community = get_community(session, community) if community else None
    record.updated_at = utcnow()
    record.updated_by_id = actor.user_id
    _flush_checked(session, record_id)
    return record


def delete_draft(session: Session, actor: Actor, record_id: str, *, expected_revision: Expected) -> None:
    """Delete a never-submitted draft (and, for version 1, its parent). Files' bodies stay for GC."""
    record = get_record(session, actor, record_id, action=Action.DELETE)
    next_state(record.state, Action.DELETE)
    _check_revision(record, expected_revision)
    parent = record.parent
    only_version = session.scalar(select(func.count()).where(Record.parent_id == parent.id)) == 1
    _event(session, actor, record, "delete", State(record.state), None, record_ref=False)
    # A reserved DOI (a DataCite draft DOI) is deleted at DataCite by a doi-sync job (outbox).
    from app.services import dois

    dois.release_draft(session, record, _base_url(), parent_deleted=only_version)
    from app.services.dmps import forget_record  # dmps imports this module

    forget_record(session, record)
    session.delete(record)
    session.flush()
    if only_version:
        session.delete(parent)
    session.flush()


def validate_draft(
    session: Session, actor: Actor, record_id: str
) -> tuple[schemas.ValidationReport, list[KeywordFinding]]:
    """Every problem at once, as submission would see them, and the vocabulary findings.

    The report's ``errors`` include the terms missing from the vocabulary they claim (so
    ``valid`` is False with any); the findings list every vocabulary error, warning and info
    (``curation.checks.vocabulary_findings``), with pointers into the metadata.
    """
    record = get_record(session, actor, record_id)
    report = schemas.validate_metadata(record.metadata_)
    findings = vocabulary_findings(record.metadata_, DatabaseIndex(session))
    blocking = vocabulary_errors(findings)
    if blocking:
        report.errors = merge_errors(report.errors + blocking)
        report.valid = False
    return report, findings


def record_findings(session: Session, record: Record) -> list[KeywordFinding]:
    """What the loaded vocabularies say about a record's terms, for its producer and moderators."""
    return vocabulary_findings(record.metadata_ or {}, DatabaseIndex(session))


def finding_data(finding: KeywordFinding) -> dict[str, Any]:
    """A finding as the API and the event log show it: ``field`` is a JSON pointer into the
    record (``/metadata/keywords/0/terms/2``), then ``code``, ``severity``, ``message`` and,
    when known, ``concept_uri``, ``label`` and ``replacements`` (``[{uri, label}]``)."""
    data = finding.as_dict()
    return {"field": "/metadata" + data.pop("path"), **data}


#: The revisions an ``If-Match`` header accepts: one, any of several (none for an entity-tag
#: that is not one of ours), or ``None`` for no condition (no header, or ``*``).
Expected = int | Collection[int] | None


def _editable(
    session: Session, actor: Actor, record_id: str, action: Action, expected_revision: Expected
) -> Record:
    record = get_record(session, actor, record_id, action=action)
    next_state(record.state, action)
    _check_revision(record, expected_revision)
    return record


def _check_revision(record: Record, expected_revision: Expected) -> None:
    if expected_revision is None:
        return
    accepted = {expected_revision} if isinstance(expected_revision, int) else set(expected_revision)
    if record.revision not in accepted:
        yours = ", ".join(str(r) for r in sorted(accepted)) or "not a revision of this draft"
        raise PreconditionFailed(
            f"the draft changed since you read it (your revision {yours}, "
            f"current {record.revision}); reload it and apply your change again"
        )


def _flush_checked(session: Session, record_id: str) -> None:
    try:
        session.flush()
    except StaleDataError:
        # Another transaction bumped the revision between our read and our write.
        raise PreconditionFailed(f"the draft {record_id} was changed concurrently; reload it") from None


def _refresh(session: Session, metadata: dict[str, Any]) -> dict[str, Any]:
    """Labels, URIs and thesaurus citations from the loaded vocabularies (curation.checks),
    normalised like the producer's input. Should a vocabulary give a value the profile refuses,
    the producer's metadata is kept as it was."""
    refreshed = refresh_vocabulary_terms(metadata, DatabaseIndex(session))
    if refreshed == metadata:
        return metadata
    try:
        return schemas.load_metadata(refreshed)
    except schemas.RecordValidationError:
        return metadata


def _check_complete(session: Session, metadata: dict[str, Any]) -> list[KeywordFinding]:
    """Refuse (400, every error at once, pointers under ``/metadata``) metadata that cannot be
    submitted or accepted: schema errors, missing mandatory fields, terms missing from the
    vocabulary they claim. Returns the vocabulary findings."""
    try:
        schemas.load_metadata(metadata, require_mandatory=True)
        errors: list[schemas.FieldError] = []
    except schemas.RecordValidationError as exc:
        errors = exc.errors
    findings = vocabulary_findings(metadata, DatabaseIndex(session))
    errors = merge_errors(errors + vocabulary_errors(findings))
    if errors:
        errors = [schemas.FieldError("/metadata" + e.field, e.messages) for e in errors]
        raise InvalidInput(f"the metadata has {len(errors)} invalid field(s)", errors)
    return findings


def _load(metadata: Any, *, require_mandatory: bool) -> dict[str, Any]:
    if not isinstance(metadata, dict):
        raise field_error("/metadata", "must be a JSON object")
    try:
        return schemas.load_metadata(metadata, require_mandatory=require_mandatory)
    except schemas.RecordValidationError as exc:
        errors = [schemas.FieldError("/metadata" + e.field, e.messages) for e in exc.errors]
        raise InvalidInput(f"the metadata has {len(errors)} invalid field(s)", errors) from None


# -- lifecycle ----------------------------------------------------------------------------


def submit(
    session: Session, actor: Actor, record_id: str, *, community: str | None = None, comment: str = ""
) -> Record:
    """Send a complete draft to a community's moderators (or resubmit after changes)."""
    record = get_record(session, actor, record_id, action=Action.SUBMIT)
    target = next_state(record.state, Action.SUBMIT)
    if community:
        if (
            record.state == State.CHANGES_REQUESTED
            and record.community
            and record.community.slug != community
        ):
            raise field_error("/community", "a resubmission goes back to the community that reviewed it")
        record.community = get_community(session, community)
    if record.community is None:
        raise field_error("/community", "choose the community to submit to")
    findings = _check_complete(session, record.metadata_)
    # The vocabularies may have changed since the draft was last saved.
    record.metadata_ = _refresh(session, record.metadata_)
    record.submitted_at = utcnow()
    # What the moderators must look at (deprecated terms, vocabularies not loaded), as it was
    # at submission; GET /api/reviews shows the current findings.
    warnings = [finding_data(f) for f in findings if f.severity == "warning"]
    _transition(
        session,
        actor,
        record,
        Action.SUBMIT,
        target,
        comment,
        data={"findings": warnings} if warnings else None,
    )
    return record


def cancel(session: Session, actor: Actor, record_id: str, *, comment: str = "") -> Record:
    record = get_record(session, actor, record_id, action=Action.CANCEL)
    _transition(session, actor, record, Action.CANCEL, next_state(record.state, Action.CANCEL), comment)
    return record


def assign(
    session: Session, actor: Actor, record_id: str, *, assignee: str | None = None, comment: str = ""
) -> Record:
    """Take a submission for review (or hand it to another moderator of the community)."""
    record = get_record(session, actor, record_id, action=Action.ASSIGN)
    target = next_state(record.state, Action.ASSIGN)
    user = session.get(User, actor.user_id) if assignee is None else get_user_by_email(session, assignee)
    if user is None:
        raise field_error("/assignee", "name the moderator to assign")
    slug = record.community.slug if record.community else None
    if user.role != "admin" and slug not in {c.slug for c in user.moderated}:
        raise field_error("/assignee", f"{user.email} does not moderate community {slug!r}")
    if user.id == record.owner_id:
        raise field_error("/assignee", "nobody reviews their own submission")
    record.assigned_to = user
    _transition(session, actor, record, Action.ASSIGN, target, comment, data={"assignee": user.email})
    return record


def add_comment(session: Session, actor: Actor, record_id: str, *, comment: str) -> Event:
    record = get_record(session, actor, record_id, action=Action.COMMENT)
    next_state(record.state, Action.COMMENT)
    comment = _required_text(comment, "/comment")
    event = _event(session, actor, record, "comment", State(record.state), State(record.state), comment)
    notifications.notify(session, actor, record, "comment", comment)
    return event


def request_changes(
    session: Session, actor: Actor, record_id: str, *, comment: str, data: dict[str, Any] | None = None
) -> Record:
    """``data`` (the moderation desk's checklist answers) is kept in the event. The event also
    keeps a snapshot of the metadata and files reviewed, so the resubmission can be compared."""
    record = get_record(session, actor, record_id, action=Action.REQUEST_CHANGES)
    target = next_state(record.state, Action.REQUEST_CHANGES)
    comment = _required_text(comment, "/comment", "say what the producer should change")
    reviewed = {
        "metadata": copy.deepcopy(record.metadata_ or {}),
        "files": {f.key: f.object_sha256 for f in record.files},
    }
    _transition(
        session, actor, record, Action.REQUEST_CHANGES, target, comment, data={**(data or {}), "reviewed": reviewed}
    )
    return record


def reject(
    session: Session, actor: Actor, record_id: str, *, comment: str, data: dict[str, Any] | None = None
) -> Record:
    record = get_record(session, actor, record_id, action=Action.REJECT)
    target = next_state(record.state, Action.REJECT)
    comment = _required_text(comment, "/comment", "give the reason for the rejection")
    _transition(session, actor, record, Action.REJECT, target, comment, data=data)
    return record


def accept(
    session: Session, actor: Actor, record_id: str, *, comment: str = "", data: dict[str, Any] | None = None
) -> Record:
    """Accept a submission; publication (PID, freezing) runs as a job right after commit."""
    record = get_record(session, actor, record_id, action=Action.ACCEPT)
    target = next_state(record.state, Action.ACCEPT)
    _check_complete(session, record.metadata_)
    _check_exports(session, record)
    _transition(session, actor, record, Action.ACCEPT, target, comment, data=data)
    jobs.enqueue(session, "publish", {"record_id": record.id})
    return record


def _check_exports(session: Session, record: Record) -> None:
    """409 naming each export format whose output does not validate (curation.checks)."""
    from flask import current_app, has_app_context

    from app.services.documents import record_document  # documents imports this module
    from curation.checks import export_problems

    base_url = current_app.config["BASE_URL"] if has_app_context() else "http://localhost"
    problems = [p for p in export_problems(record_document(session, record, base_url)) if p[0] != "*"]
    if problems:
        by_format: dict[str, list[str]] = {}
        for name, message in problems:
            by_format.setdefault(name, []).append(message)
        raise Conflict(
            f"the record cannot be accepted: its {', '.join(sorted(by_format))} export(s) do not validate",
            [
                schemas.FieldError(f"/exports/{name}", messages)
                for name, messages in sorted(by_format.items())
            ],
        )


def publish(session: Session, record_id: str, provider: PidProvider, base_url: str) -> Record:
    """Mint the PID and freeze the accepted version. Run by the publish job (system actor)."""
    actor = Actor.system_actor()
    record = get_record(session, actor, record_id, action=Action.PUBLISH)
    target = next_state(record.state, Action.PUBLISH)
    landing = f"{base_url}/records/{record.id}"
    today = date.today()
    record.publication_date = today
    record.published_at = utcnow()
    from app.services.documents import record_document  # documents imports this module

    if getattr(provider, "deferred", False):
        # DataCite: the DOI is known now and registered by doi-sync jobs after commit; the
        # version is published at once, its DOI "registration pending" (docs/dois.md).
        from app.pid import LocalPidProvider
        from app.services import dois

        doi = dois.on_publish(session, record, provider, base_url)  # type: ignore[arg-type]
        minted = (
            MintedPid("doi", doi, provider.name, landing)
            if doi
            else LocalPidProvider().register(record.id, landing, {})  # the dataset keeps a foreign DOI
        )
    else:
        minted = provider.register(record.id, landing, record_document(session, record, base_url))
    if not any(p.scheme == minted.scheme for p in record.pids):
        record.pids.append(
            PersistentIdentifier(scheme=minted.scheme, value=minted.value, provider=minted.provider)
        )
    _transition(
        session, actor, record, Action.PUBLISH, target, "", data={"pid": f"{minted.scheme}:{minted.value}"}
    )
    _sync_oai(session, record, base_url)
    if getattr(provider, "deferred", False):
        from app.services import dois

        dois.request_sync(session, record.parent_id, base_url)
    from app.services.archive import enqueue_archive  # archive imports this module

    enqueue_archive(session, record, "version")
    # Plans that planned this dataset learn its DOI, licence, size... in a job after commit, so
    # that a plan problem never holds the publication back (docs/dmp.md).
    from app.services.dmps import enqueue_write_back  # dmps imports this module

    enqueue_write_back(session, record)
    return record


def _sync_oai(session: Session, record: Record, base_url: str | None = None) -> None:
    """Update what OAI-PMH harvesters and searchers see of this dataset's versions, in the same
    transaction."""
    from app.oai.items import sync_parent

    sync_parent(session, record.parent_id, base_url or _base_url())
    # And what searchers see (app/search/indexer.py, docs/search.md).
    from app.search.indexer import request_sync

    request_sync(session, record.parent_id, base_url)


def _base_url() -> str:
    from flask import current_app, has_app_context

    return current_app.config["BASE_URL"] if has_app_context() else "http://localhost"


@jobs.handler("publish")
def _publish_job(session: Session, payload: dict[str, Any]) -> None:
    from flask import current_app

    from app.pid import provider_from_config

    record = session.get(Record, payload["record_id"])
    if record is None or record.state != State.ACCEPTED:
        return  # already published by an earlier attempt, or deleted: nothing to do
    cfg = current_app.config
    publish(session, record.id, provider_from_config(cfg), cfg["BASE_URL"])


def new_version(session: Session, actor: Actor, record_id: str) -> Record:
    """Start a new version draft of a published record: metadata and files carried over."""
    record = get_record(session, actor, record_id, action=Action.NEW_VERSION)
    next_state(record.state, Action.NEW_VERSION)
    open_draft = session.scalar(
        select(Record).where(
            Record.parent_id == record.parent_id,
            Record.state.notin_([State.PUBLISHED, State.WITHDRAWN, State.REJECTED]),
        )
    )
    if open_draft is not None:
        raise Conflict(
            f"version {open_draft.version_index} ({open_draft.id}) is already in progress ({open_draft.state})"
        )
    top = (
        session.scalar(select(func.max(Record.version_index)).where(Record.parent_id == record.parent_id))
        or 0
    )
    draft = Record(
        id=new_id(),
        parent_id=record.parent_id,
        version_index=top + 1,
        owner_id=record.owner_id,
        community_id=record.community_id,
        metadata_=copy.deepcopy(record.metadata_),
    )
    for f in record.files:
        draft.files.append(RecordFile(key=f.key, object_sha256=f.object_sha256, mimetype=f.mimetype))
    session.add(draft)
    session.flush()
    _event(session, actor, draft, "new-version", None, State.DRAFT, data={"previous": record.id})
    return draft


def withdraw(
    session: Session, actor: Actor, record_id: str, *, reason: str, provider: PidProvider | None = None
) -> Record:
    """Replace a published version by a tombstone (who, when, why); its identifier keeps resolving."""
    record = session.get(Record, record_id)
    if record is None:
        raise NotFound(f"no record {record_id!r}")
    authorize(actor, Action.WITHDRAW, context(record))
    target = next_state(record.state, Action.WITHDRAW)
    reason = _required_text(reason, "/reason", "give the reason for the withdrawal")
    # Who withdrew it is in the event log (staff only); the tombstone names a role.
    record.tombstone = public_tombstone(
        {
            "removal_date": utcnow().isoformat(),
            "reason": reason,
            "title": schemas.display_title(record.metadata_),
            "pids": {p.scheme: p.value for p in record.pids},
        }
    )
    _transition(session, actor, record, Action.WITHDRAW, target, reason)
    _sync_oai(session, record)
    from app.services.archive import enqueue_archive  # archive imports this module

    enqueue_archive(session, record, "tombstone")
    # DataCite (if the dataset has DOIs there): hide the version's DOI (state registered, still
    # resolving to the tombstone) and move the concept DOI to the newest version still published.
    from app.services import dois

    dois.request_sync(session, record.parent_id, _base_url())
    if provider is not None and not getattr(provider, "deferred", False):
        for p in record.pids:
            provider.hide(MintedPid(p.scheme, p.value, p.provider, ""), record.tombstone)
    return record


def correct(
    session: Session, actor: Actor, record_id: str, *, metadata: Any, reason: str
) -> tuple[Record, dict[str, Any]]:
    """An administrator corrects the metadata of a published version (a typo, a wrong
    affiliation): ``metadata`` is an RFC 7396 merge patch; the result must be complete and
    valid. Recorded as a ``correct`` event (reason, diff of the changed fields), flagged
    ``as_admin``; OAI-PMH is resynced in the same transaction and DataCite (if the dataset has
    DOIs there) is updated by doi-sync jobs. Returns the record and the diff."""
    record = session.get(Record, record_id)
    if record is None:
        raise NotFound(f"no record {record_id!r}")
    authorize(actor, Action.CORRECT, context(record))
    next_state(record.state, Action.CORRECT)
    reason = _required_text(reason, "/reason", "give the reason for the correction")
    if not isinstance(metadata, dict) or not metadata:
        raise field_error("/metadata", "must be a non-empty JSON object (a merge patch of the metadata)")
    new = _refresh(session, _load(schemas.merge_patch(record.metadata_, metadata), require_mandatory=True))
    _check_complete(session, new)
    old = record.metadata_ or {}
    diff = {
        key: {"from": old.get(key), "to": new.get(key)}
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    }
    if not diff:
        raise field_error("/metadata", "changes nothing in the published metadata")
    record.metadata_ = new
    record.updated_at = utcnow()
    _event(
        session,
        actor,
        record,
        Action.CORRECT.value,
        State.PUBLISHED,
        State.PUBLISHED,
        reason,
        data={"diff": diff},
        as_admin=True,
    )
    _flush_checked(session, record.id)
    _sync_oai(session, record)
    from app.services import dois

    dois.request_sync(session, record.parent_id, _base_url())
    return record, diff


# -- helpers ------------------------------------------------------------------------------


def _required_text(value: Any, field: str, hint: str = "must not be empty") -> str:
    if not isinstance(value, str) or not value.strip():
        raise field_error(field, hint)
    if len(value) > 20000:
        raise field_error(field, "is longer than 20000 characters")
    return value.strip()


def _transition(
    session: Session,
    actor: Actor,
    record: Record,
    action: Action,
    target: State,
    comment: str,
    data: dict[str, Any] | None = None,
) -> None:
    source = State(record.state)
    record.state = target.value
    record.updated_at = utcnow()
    _event(session, actor, record, action.value, source, target, comment, data=data)
    _flush_checked(session, record.id)
    notifications.notify(session, actor, record, action.value, comment)


def _event(
    session: Session,
    actor: Actor,
    record: Record,
    action: str,
    source: State | None,
    target: State | None,
    comment: str = "",
    *,
    data: dict[str, Any] | None = None,
    record_ref: bool = True,
    as_admin: bool = False,
) -> Event:
    # An admin acting on a record that is not theirs and outside any role they hold is
    # recorded as an admin action, so audits can list them; so is any use of an admin-only
    # power (``as_admin=True``: a correction of published metadata).
    as_admin = as_admin or (actor.is_admin and actor.user_id != record.owner_id)
    payload = dict(data or {})
    if not record_ref:
        payload["record_id"] = record.id
    event = Event(
        record_id=record.id if record_ref else None,
        actor_id=actor.user_id,
        action=action,
        from_state=source.value if source else None,
        to_state=target.value if target else None,
        comment=comment,
        as_admin=as_admin,
        data=payload or None,
    )
    session.add(event)
    return event


def list_published(session: Session, *, page: int = 1, size: int = 25) -> Page:
    """Published versions, newest first (full-text search arrives with the search issue)."""
    # A version whose DOI DataCite does not know yet is not listed (docs/dois.md).
    query = select(Record).where(
        Record.state == State.PUBLISHED,
        ~Record.pids.any(PersistentIdentifier.status != "registered"),
    )
    return _paginate(session, query.order_by(Record.published_at.desc(), Record.id), page, size)


__all__ = [
    "PUBLIC_STATES",
    "WITHDRAWN_BY",
    "accept",
    "add_comment",
    "assign",
    "cancel",
    "create_draft",
    "delete_draft",
    "finding_data",
    "get_public_record",
    "get_record",
    "can_read_metadata",
    "latest_version",
    "public_tombstone",
    "sees_reviewers",
    "list_events",
    "list_versions",
    "new_version",
    "publish",
    "record_findings",
    "reject",
    "request_changes",
    "review_queue",
    "submit",
    "update_draft",
    "validate_draft",
    "withdraw",
]

"""DOIs at DataCite: what DataCite should hold, and the outbox jobs that make it so.

Every DOI the repository manages has a :class:`~app.models.DoiRegistration` row. Its *desired*
state follows the record: a reserved draft → ``draft``, a published version → ``findable``, a
withdrawn one → ``registered`` (hidden, still resolving to the tombstone), a deleted draft →
``deleted``. The dataset's concept DOI is ``findable`` while any version is published and points
to the newest published version. A ``doi-sync`` job (:func:`sync_one`) compares the desired state
and metadata hash with what DataCite last accepted and, when they differ, sends one idempotent
``PUT /dois/{doi}`` (or ``DELETE`` for a deleted draft).

Failures never lose the DOI: transient ones (timeouts, connection errors, 5xx, 429) are retried
without limit, with exponential back-off, jitter and ``Retry-After``; permanent ones (other 4xx)
fail the job with DataCite's message for administrators (``alluvium doi status``). A lease on
the registration row keeps two workers off one DOI; a token bucket in the database
(:func:`take_token`) keeps all workers together under DATACITE_RATE_LIMIT. A worker killed at any
moment leaves the row unconverged with an expiring lease; :func:`sweep` queues it again and the
same PUT converges. See docs/dois.md.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import DoiRegistration, Job, PersistentIdentifier, RateLimit, Record
from app.pid.datacite import DataCiteProvider, DataCiteSettings
from app.pid.datacite_client import DataCiteClient, DataCiteError, DoiState, PermanentError, TransientError
from app.services import jobs
from app.services.errors import Conflict, NotFound, field_error
from curation import Action, Actor, State, authorize
from vocabularies import identifiers

log = logging.getLogger(__name__)

VERSION, CONCEPT = "version", "concept"
RESERVED, PENDING, REGISTERED = "reserved", "pending", "registered"
RATE_LIMIT_NAME = "datacite"
#: A worker sleeps for its turn up to this long; beyond it the job is postponed instead.
MAX_TOKEN_WAIT = 5.0


def provider_for(config: dict[str, Any]) -> DataCiteProvider | None:
    """The DataCite provider when PID_PROVIDER is ``datacite``, else None."""
    if config.get("PID_PROVIDER") != "datacite":
        return None
    return DataCiteProvider.from_config(config)


# -- what DataCite should hold ----------------------------------------------------------------


@dataclass
class Desired:
    state: str  # draft | registered | findable | deleted
    url: str | None
    xml: bytes | None
    hash: str = field(init=False)

    def __post_init__(self) -> None:
        h = hashlib.sha256(f"{self.state}\n{self.url or ''}\n".encode())
        h.update(self.xml or b"")
        self.hash = h.hexdigest()


def doi_pid(record: Record) -> PersistentIdentifier | None:
    return next((p for p in record.pids if p.scheme == "doi"), None)


def _versions_with_doi(session: Session, parent_id: str) -> list[tuple[Record, str]]:
    """Published and withdrawn versions of a dataset that carry a DOI, oldest first."""
    rows = session.scalars(
        select(Record)
        .where(Record.parent_id == parent_id, Record.state.in_([State.PUBLISHED, State.WITHDRAWN]))
        .order_by(Record.version_index)
    ).all()
    return [(r, pid.value) for r in rows if (pid := doi_pid(r)) is not None]


def _concept(session: Session, parent_id: str | None) -> DoiRegistration | None:
    if parent_id is None:
        return None
    return session.scalar(
        select(DoiRegistration).where(DoiRegistration.parent_id == parent_id, DoiRegistration.kind == CONCEPT)
    )


def _xml(document: dict[str, Any], doi: str, relations: list[tuple[str, str]]) -> bytes:
    """DataCite XML (exports.datacite) of ``document`` under ``doi`` with version relations
    (DataCite 4.x property 12, relatedIdentifierType DOI)."""
    from exports.datacite import write_xml

    doc = dict(document)
    doc["pids"] = {**(document.get("pids") or {}), "doi": {"identifier": doi, "provider": "datacite"}}
    md = dict(doc.get("metadata") or {})
    related = [
        r
        for r in md.get("related_identifiers") or []
        if (str(r.get("identifier", "")).lower(), r.get("relation_type"))
        not in {(d, t) for d, t in relations}
    ]
    related += [{"identifier": d, "scheme": "DOI", "relation_type": t} for d, t in relations]
    md["related_identifiers"] = related
    doc["metadata"] = md
    return write_xml(doc)


def desired(session: Session, reg: DoiRegistration, base_url: str) -> Desired:
    """What DataCite should hold for ``reg`` now (state, landing URL, DataCite XML)."""
    from app.services.documents import record_document

    if reg.kind == CONCEPT:
        versions = _versions_with_doi(session, reg.parent_id) if reg.parent_id else []
        published = [r for r, _ in versions if r.state == State.PUBLISHED]
        target = published[-1] if published else (versions[-1][0] if versions else None)
        if target is None:
            return Desired("draft", None, None)
        doc = record_document(session, target, base_url)
        doc["metadata"] = {k: v for k, v in (doc.get("metadata") or {}).items() if k != "version"}
        relations = [(doi, "HasVersion") for _, doi in versions]
        state = "findable" if published else "registered"
        return Desired(state, f"{base_url}/records/{target.id}", _xml(doc, reg.doi, relations))

    record = session.get(Record, reg.record_id) if reg.record_id else None
    if record is None:
        return Desired("deleted", None, None)
    url = f"{base_url}/records/{record.id}"
    if record.state not in (State.PUBLISHED, State.WITHDRAWN):
        # A reserved DOI: a DataCite draft needs no metadata (the draft's may be incomplete).
        return Desired("draft", url, None)
    relations: list[tuple[str, str]] = []
    concept = _concept(session, record.parent_id)
    if concept is not None:
        relations.append((concept.doi, "IsVersionOf"))
    versions = _versions_with_doi(session, record.parent_id)
    older = [doi for r, doi in versions if r.version_index < record.version_index]
    newer = [doi for r, doi in versions if r.version_index > record.version_index]
    if older:
        relations.append((older[-1], "IsNewVersionOf"))
    if newer:
        relations.append((newer[0], "IsPreviousVersionOf"))
    state = "findable" if record.state == State.PUBLISHED else "registered"
    return Desired(state, url, _xml(record_document(session, record, base_url), reg.doi, relations))


def converged(reg: DoiRegistration, want: Desired) -> bool:
    return reg.remote_state == want.state and reg.remote_hash == want.hash


# -- queueing ---------------------------------------------------------------------------------


def _queue(session: Session, reg: DoiRegistration) -> None:
    """Enqueue a doi-sync job for ``reg`` unless one is already waiting."""
    if reg.job_id is not None:
        job = session.get(Job, reg.job_id)
        if job is not None and job.state == "pending":
            return
    job = jobs.enqueue(session, "doi-sync", {"registration_id": reg.id, "doi": reg.doi})
    reg.job_id = job.id


def refresh(session: Session, reg: DoiRegistration, base_url: str, *, retry_failed: bool = True) -> bool:
    """Recompute what DataCite should hold for ``reg``; queue a job when it differs. True if queued."""
    want = desired(session, reg, base_url)
    reg.desired_state, reg.desired_hash = want.state, want.hash
    if converged(reg, want):
        return False
    if reg.error_kind == "permanent" and not retry_failed:
        return False
    _queue(session, reg)
    return True


def request_sync(session: Session, parent_id: str, base_url: str) -> int:
    """A dataset changed (publication, new version, withdrawal, correction): bring every DOI of
    it (versions and concept) up to date. Returns how many were queued."""
    regs = session.scalars(select(DoiRegistration).where(DoiRegistration.parent_id == parent_id)).all()
    return sum(refresh(session, reg, base_url) for reg in regs)


def sweep(session: Session) -> int:
    """Queue a job for every unconverged DOI that has none waiting and no live lease (a worker
    killed mid-call, a job lost): the next run converges. Permanent failures wait for an admin."""
    now = utcnow()
    query = select(DoiRegistration).where(
        or_(
            DoiRegistration.remote_state.is_(None),
            DoiRegistration.remote_state != DoiRegistration.desired_state,
            DoiRegistration.remote_hash != DoiRegistration.desired_hash,
        ),
        DoiRegistration.error_kind != "permanent",
        or_(DoiRegistration.lease_until.is_(None), DoiRegistration.lease_until < now),
    )
    if session.get_bind().dialect.name == "postgresql":
        # Two workers sweeping at once pass each other rather than queue the same DOI twice.
        query = query.with_for_update(skip_locked=True)
    regs = session.scalars(query).all()
    queued = 0
    for reg in regs:
        before = reg.job_id
        _queue(session, reg)
        queued += reg.job_id != before
    return queued


def _in_sync(reg: DoiRegistration) -> bool:
    return (
        reg.remote_state is not None
        and reg.error_kind == ""
        and reg.remote_state == reg.desired_state
        and reg.remote_hash == reg.desired_hash
    )


def resolve_failed_jobs(session: Session, registration_id: int | None = None) -> int:
    """Close the failed ``doi-sync`` jobs whose DOI is in sync at DataCite by now.

    A doi-sync job fails for good only through its worker dying on its last allowed attempt
    (transient DataCite errors never count) or a permanent DataCite error. Meanwhile the sweep
    queues a new job for the DOI and that one converges it: the failed job has nothing left to do,
    and leaving it ``failed`` would keep ``alluvium jobs status`` failing forever. It is marked
    ``done`` with a note that keeps its error. A failed job whose DOI is *not* in sync stays
    failed for an administrator (``alluvium jobs retry``, or Retry on /admin/jobs). Returns how
    many jobs were closed."""
    failed = session.scalars(select(Job).where(Job.kind == "doi-sync", Job.state == "failed")).all()
    now, closed = utcnow(), 0
    for job in failed:
        reg_id = (job.payload or {}).get("registration_id")
        if registration_id is not None and reg_id != registration_id:
            continue
        reg = session.get(DoiRegistration, reg_id) if isinstance(reg_id, int) else None
        if reg is not None and not _in_sync(reg):
            continue
        what = f"{reg.doi} is in sync at DataCite" if reg is not None else "its DOI registration is gone"
        job.state, job.finished_at, job.updated_at = "done", now, now
        job.last_error = (
            f"resolved: {what} (converged by a later run); the job had failed with: {job.last_error}"
        )
        closed += 1
    if closed:
        session.flush()
    return closed


@jobs.sweeper("doi")
def _periodic_sweep(session: Session) -> int:
    """Run by every job worker (``alluvium jobs run``, the background runner of ``alluvium
    serve``) every JOBS_SWEEP_SECONDS, when this repository mints DOIs."""
    from flask import current_app, has_app_context

    if not has_app_context() or provider_for(current_app.config) is None:
        return 0
    queued = sweep(session)
    resolve_failed_jobs(session)
    return queued


def sync_all(session: Session, base_url: str, *, retry_failed: bool = False) -> int:
    """Recompute every registration (after a BASE_URL change or an admin's correction)."""
    regs = session.scalars(select(DoiRegistration).order_by(DoiRegistration.id)).all()
    return sum(refresh(session, reg, base_url, retry_failed=retry_failed) for reg in regs)


# -- use cases --------------------------------------------------------------------------------


def _registration(
    session: Session, doi: str, kind: str, parent_id: str, record_id: str | None
) -> DoiRegistration:
    reg = session.scalar(select(DoiRegistration).where(DoiRegistration.doi == doi))
    if reg is None:
        reg = DoiRegistration(doi=doi, kind=kind, parent_id=parent_id, record_id=record_id)
        session.add(reg)
        session.flush()
    return reg


def external_doi(session: Session, parent_id: str, provider: DataCiteProvider | None) -> str | None:
    """A DOI a version of this dataset carries under a prefix the repository does not manage."""
    pids = session.scalars(
        select(PersistentIdentifier)
        .join(Record, PersistentIdentifier.record_id == Record.id)
        .where(Record.parent_id == parent_id, PersistentIdentifier.scheme == "doi")
    ).all()
    for pid in pids:
        if provider is None or not provider.manages(pid.value):
            return pid.value
    return None


def on_publish(session: Session, record: Record, provider: DataCiteProvider, base_url: str) -> str | None:
    """Give the version being published its DOI (reserved, adopted or new) marked ``pending``,
    with registration rows for it and the dataset's concept DOI; the caller queues them with
    :func:`request_sync` once the version is published. Returns the version DOI, or None when
    the dataset keeps a DOI under another prefix (nothing is minted)."""
    if external_doi(session, record.parent_id, provider):
        return None
    pid = doi_pid(record)
    if pid is None:
        pid = PersistentIdentifier(
            scheme="doi", value=provider.version_doi(record.id), provider=provider.name, status=PENDING
        )
        record.pids.append(pid)
    elif pid.status == RESERVED:
        pid.status = PENDING
    session.flush()
    _registration(session, pid.value, VERSION, record.parent_id, record.id)
    _registration(session, provider.concept_doi(record.parent_id), CONCEPT, record.parent_id, None)
    return pid.value


def release_draft(session: Session, record: Record, base_url: str, *, parent_deleted: bool) -> int:
    """A draft is being deleted: its reserved DOI (a DataCite draft DOI) must be deleted at
    DataCite too. Detaches the registration rows from the record (and from its dataset when that
    goes as well) and queues the doi-sync job that sends the DELETE. Returns how many were queued."""
    regs = session.scalars(select(DoiRegistration).where(DoiRegistration.record_id == record.id)).all()
    for reg in regs:
        reg.record_id = None
        if parent_deleted:
            reg.parent_id = None
    session.flush()
    return sum(refresh(session, reg, base_url) for reg in regs)


def reserve(
    session: Session, actor: Actor, record_id: str, provider: DataCiteProvider | None, base_url: str
) -> PersistentIdentifier:
    """Reserve the DOI of a draft (a DataCite draft DOI), to cite before publication."""
    record = _draft(session, actor, record_id)
    if provider is None:
        raise Conflict("DOIs are not enabled here (PID_PROVIDER is not datacite); nothing to reserve")
    pid = doi_pid(record)
    if pid is not None:
        return pid
    other = external_doi(session, record.parent_id, provider)
    if other:
        raise Conflict(f"this dataset already has the DOI {other}; no second DOI is minted")
    pid = PersistentIdentifier(
        scheme="doi", value=provider.version_doi(record.id), provider=provider.name, status=RESERVED
    )
    record.pids.append(pid)
    session.flush()
    reg = _registration(session, pid.value, VERSION, record.parent_id, record.id)
    refresh(session, reg, base_url)
    return pid


def adopt(
    session: Session, actor: Actor, record_id: str, value: Any, provider: DataCiteProvider | None
) -> PersistentIdentifier:
    """Keep the DOI a draft already has (an imported record): under our prefix we manage it from
    publication on; under another prefix it is kept as is and no DOI is ever minted for it."""
    record = _draft(session, actor, record_id)
    if not isinstance(value, str):
        raise field_error("/doi", "must be a string such as 10.12345/abc")
    try:
        doi = identifiers.normalize_doi(value)
    except ValueError as exc:
        raise field_error("/doi", str(exc)) from None
    pid = doi_pid(record)
    if pid is not None:
        if pid.value == doi:
            return pid
        raise field_error("/doi", f"the draft already has the DOI {pid.value}")
    taken = session.scalar(
        select(PersistentIdentifier).where(
            PersistentIdentifier.scheme == "doi", PersistentIdentifier.value == doi
        )
    )
    if taken is not None or session.scalar(select(DoiRegistration).where(DoiRegistration.doi == doi)):
        raise field_error("/doi", f"{doi} already belongs to another record here")
    ours = provider is not None and provider.manages(doi)
    pid = PersistentIdentifier(
        scheme="doi",
        value=doi,
        provider=provider.name if ours and provider else "external",
        status=RESERVED if ours else REGISTERED,
    )
    record.pids.append(pid)
    session.flush()
    return pid


def _draft(session: Session, actor: Actor, record_id: str) -> Record:
    from app.services.records import context

    record = session.get(Record, record_id)
    if record is None:
        raise NotFound(f"no record {record_id!r}")
    authorize(actor, Action.EDIT, context(record))
    if record.state not in (State.DRAFT, State.CHANGES_REQUESTED):
        raise Conflict(f"record {record_id} is {record.state}: a DOI is reserved or declared on a draft")
    return record


def doi_info(session: Session, record: Record) -> dict[str, Any] | None:
    """The DOI of a record version as its producer sees it (API, landing page)."""
    pid = doi_pid(record)
    if pid is None:
        return None
    reg = session.scalar(select(DoiRegistration).where(DoiRegistration.doi == pid.value))
    messages = {
        RESERVED: "reserved, not yet registered",
        PENDING: "registration pending",
        REGISTERED: "registered",
    }
    return {
        "doi": pid.value,
        "url": f"https://doi.org/{pid.value}",
        "status": pid.status,
        "message": messages.get(pid.status, pid.status),
        "managed": pid.provider != "external",
        "datacite_state": reg.remote_state if reg else None,
        "concept_doi": (c.doi if (c := _concept(session, record.parent_id)) else None),
    }


# -- the job ----------------------------------------------------------------------------------


@jobs.handler("doi-sync")
def _doi_sync_job(session: Session, payload: dict[str, Any]) -> None:
    from flask import current_app

    provider = provider_for(current_app.config)
    if provider is None:
        raise jobs.PermanentJobError(
            f"{payload.get('doi')}: PID_PROVIDER is not datacite, the DOI cannot be registered"
        )
    sync_one(session, payload["registration_id"], provider, current_app.config["BASE_URL"])


def _event(remote: str | None, want: str) -> str | None:
    """DataCite's event taking a DOI from ``remote`` to ``want`` (support.datacite.org, DOI states)."""
    if want == "findable":
        return None if remote == "findable" else "publish"
    if want == "registered":
        return "hide" if remote == "findable" else (None if remote == "registered" else "register")
    return None


def backoff(settings: DataCiteSettings, attempts: int, retry_after: float | None) -> float:
    """Exponential back-off with jitter (half to full), at least ``Retry-After``."""
    delay = min(settings.retry_max, settings.retry_base * 2 ** max(attempts - 1, 0))
    delay = delay / 2 + random.random() * delay / 2
    return max(delay, retry_after or 0.0)


def sync_one(
    session: Session,
    registration_id: int,
    provider: DataCiteProvider,
    base_url: str,
    client: DataCiteClient | None = None,
) -> None:
    """Bring one DOI at DataCite to what it should be. Raises RetryLater / PermanentJobError."""
    s = provider.settings
    reg = session.get(DoiRegistration, registration_id)
    if reg is None:
        return
    want = desired(session, reg, base_url)
    if converged(reg, want):
        reg.desired_state, reg.desired_hash = want.state, want.hash
        if reg.error_kind == "":
            resolve_failed_jobs(session, reg.id)
        return
    now = utcnow()
    claimed = session.execute(
        update(DoiRegistration)
        .where(
            DoiRegistration.id == reg.id,
            or_(DoiRegistration.lease_until.is_(None), DoiRegistration.lease_until < now),
        )
        .values(
            lease_until=now + timedelta(seconds=s.lease_seconds),
            desired_state=want.state,
            desired_hash=want.hash,
        )
    ).rowcount
    # Commit the lease (and nothing is held) before talking to DataCite.
    session.commit()
    session.refresh(reg)
    if not claimed:
        left = (reg.lease_until - now).total_seconds() if reg.lease_until else 1.0
        raise jobs.RetryLater(max(left, 1.0), f"{reg.doi} is being registered by another worker")
    engine = session.get_bind()
    try:
        wait = take_token(engine, s.bucket_rate, s.burst)
    except Busy as busy:
        _release(session, reg)
        raise jobs.RetryLater(
            busy.wait + random.random(), f"DataCite rate limit: next slot in {busy.wait:.1f} s"
        ) from None
    if wait > 0:
        time.sleep(wait)
    own = client is None
    client = client or provider.client()
    try:
        state = _send(client, reg, want)
    except TransientError as exc:
        reg.attempts += 1
        _failed(session, reg, exc, "transient")
        delay = backoff(s, reg.attempts, exc.retry_after)
        if exc.status == 429 or exc.retry_after:
            # Every worker holds back, not only this one (DataCite rate-limits the account).
            penalize(engine, s.bucket_rate, exc.retry_after or delay)
        raise jobs.RetryLater(delay, f"{reg.doi}: {exc.message}") from None
    except PermanentError as exc:
        reg.attempts += 1
        _failed(session, reg, exc, "permanent")
        raise jobs.PermanentJobError(f"{reg.doi}: {exc.message}") from None
    finally:
        if own:
            client.close()
    if state != want.state:
        exc2 = PermanentError(f"DataCite holds {reg.doi} as {state!r} where {want.state!r} was asked")
        _failed(session, reg, exc2, "permanent")
        raise jobs.PermanentJobError(f"{reg.doi}: {exc2.message}")
    first = reg.registered_at is None and state in ("registered", "findable")
    reg.remote_state, reg.remote_hash, reg.remote_url = state, want.hash, want.url
    reg.attempts, reg.error_kind, reg.last_error, reg.last_status = 0, "", "", 200
    reg.lease_until, reg.updated_at = None, utcnow()
    if first:
        reg.registered_at = utcnow()
    if reg.kind == VERSION and reg.record_id and state in ("registered", "findable"):
        record = session.get(Record, reg.record_id)
        pid = doi_pid(record) if record else None
        if record is not None and pid is not None and pid.status != REGISTERED:
            # DataCite knows the DOI: harvesters may now see the record (app.oai.items).
            pid.status = REGISTERED
            session.flush()
            from app.oai.items import sync_parent

            sync_parent(session, record.parent_id, base_url)
            from app.search.indexer import request_sync

            request_sync(session, record.parent_id, base_url)  # and searchers (docs/search.md)
    session.flush()
    resolve_failed_jobs(session, reg.id)


def _send(client: DataCiteClient, reg: DoiRegistration, want: Desired) -> str:
    if want.state == "deleted":
        client.delete_doi(reg.doi)  # 404 (never created, or already deleted) is fine
        return "deleted"
    event = _event(reg.remote_state, want.state)
    try:
        return client.put_doi(reg.doi, xml=want.xml, url=want.url, event=event).state
    except PermanentError as exc:
        if exc.status != 422 or event not in ("register", "hide", "publish"):
            raise
        # Our idea of DataCite's state may be stale (a crash after DataCite applied an event):
        # read it and send the event that fits.
        held: DoiState | None = client.get_doi(reg.doi)
        fitting = _event(held.state if held else None, want.state)
        if held is None or fitting == event:
            raise
        return client.put_doi(reg.doi, xml=want.xml, url=want.url, event=fitting).state


def _failed(session: Session, reg: DoiRegistration, exc: DataCiteError, kind: str) -> None:
    """Keep the error for administrators, release the lease, commit (the job rolls back after)."""
    reg.error_kind, reg.last_error, reg.last_status = kind, exc.message[:4000], exc.status
    reg.lease_until, reg.updated_at = None, utcnow()
    session.commit()


def _release(session: Session, reg: DoiRegistration) -> None:
    reg.lease_until = None
    session.commit()


# -- shared rate limit ------------------------------------------------------------------------


class Busy(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"next slot in {wait:.1f} s")
        self.wait = wait


def _locked_bucket(conn: Any, name: str, clock: Callable[[], float] = time.time) -> tuple[float, float]:
    """Lock the bucket row (PostgreSQL row lock; SQLite database write lock) and read it."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    conn.execute(insert(RateLimit).values(name=name, tokens=1.0, stamp=clock()).on_conflict_do_nothing())
    if conn.dialect.name == "postgresql":
        row = conn.execute(
            select(RateLimit.tokens, RateLimit.stamp).where(RateLimit.name == name).with_for_update()
        ).one()
    else:
        row = conn.execute(select(RateLimit.tokens, RateLimit.stamp).where(RateLimit.name == name)).one()
    return float(row.tokens), float(row.stamp)


def take_token(
    engine: Engine,
    rate: float,
    burst: float = 1.0,
    *,
    name: str = RATE_LIMIT_NAME,
    max_wait: float = MAX_TOKEN_WAIT,
    clock: Callable[[], float] = time.time,
) -> float:
    """Reserve the next request slot of the bucket shared by every process; returns how long to
    sleep before sending. Raises :class:`Busy` (reserving nothing) when that is over ``max_wait``.

    ``rate`` is the bucket's refill rate (``DataCiteSettings.bucket_rate``, below the configured
    limit by the margin that keeps every window under it); ``clock`` is the wall clock shared by
    the processes (replaced in tests to check the slots it hands out)."""
    with engine.begin() as conn:
        tokens, stamp = _locked_bucket(conn, name, clock)
        now = clock()
        tokens = min(burst, tokens + max(now - stamp, 0.0) * rate)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / rate
        if wait > max_wait:
            raise Busy(wait)
        conn.execute(update(RateLimit).where(RateLimit.name == name).values(tokens=tokens - 1, stamp=now))
    return wait


def penalize(
    engine: Engine,
    rate: float,
    seconds: float,
    *,
    name: str = RATE_LIMIT_NAME,
    clock: Callable[[], float] = time.time,
) -> None:
    """No request from any worker for ``seconds`` (DataCite said 429 / Retry-After)."""
    with engine.begin() as conn:
        tokens, stamp = _locked_bucket(conn, name, clock)
        now = clock()
        tokens = min(tokens + max(now - stamp, 0.0) * rate, 1 - rate * seconds)
        conn.execute(update(RateLimit).where(RateLimit.name == name).values(tokens=tokens, stamp=now))


# -- administration ---------------------------------------------------------------------------


@dataclass
class Status:
    counts: dict[str, int]
    pending: list[DoiRegistration]
    failed: list[DoiRegistration]


def status(session: Session) -> Status:
    regs = session.scalars(select(DoiRegistration).order_by(DoiRegistration.id)).all()
    counts: dict[str, int] = {}
    pending, failed = [], []
    for reg in regs:
        done = (
            reg.remote_state == reg.desired_state and reg.remote_hash == reg.desired_hash and reg.desired_hash
        )
        key = f"{reg.desired_state}{'' if done else ' (pending)'}"
        if reg.error_kind == "permanent":
            failed.append(reg)
            key = f"{reg.desired_state} (failed)"
        elif not done:
            pending.append(reg)
        counts[key] = counts.get(key, 0) + 1
    return Status(counts, pending, failed)


@dataclass
class Difference:
    doi: str
    problem: str  # missing | extra | state | url | metadata
    detail: str


def _same_xml(a: bytes | None, b: bytes | None) -> bool:
    if a is None or b is None:
        return a == b
    from lxml import etree

    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    try:
        return etree.tostring(etree.fromstring(a, parser), method="c14n") == etree.tostring(
            etree.fromstring(b, parser), method="c14n"
        )
    except etree.XMLSyntaxError:
        return False


def reconcile(
    session: Session,
    provider: DataCiteProvider,
    base_url: str,
    *,
    repair: bool = False,
    client: DataCiteClient | None = None,
) -> list[Difference]:
    """Compare what DataCite holds for the account's prefix with what it should hold.

    ``repair`` fixes our side: each differing DOI is marked unconverged (with DataCite's actual
    state) and queued, so the next job sends what it should hold; a DOI DataCite holds that
    names one of our records or datasets but that we had lost track of is adopted and queued.
    Other extra DOIs are only reported (they may belong to another system using the prefix)."""
    if client is None:
        with provider.client() as own:
            held_list = own.list_dois(provider.prefix)
    else:
        held_list = client.list_dois(provider.prefix)
    held = {d.doi.lower(): d for d in held_list}
    regs = session.scalars(select(DoiRegistration).order_by(DoiRegistration.id)).all()
    out: list[Difference] = []
    for reg in regs:
        want = desired(session, reg, base_url)
        got = held.pop(reg.doi.lower(), None)
        problems: list[Difference] = []
        if got is None:
            if want.state != "deleted":
                problems.append(Difference(reg.doi, "missing", f"should be {want.state}"))
        elif want.state == "deleted":
            problems.append(Difference(reg.doi, "state", f"DataCite holds {got.state}, should be deleted"))
        else:
            if got.state != want.state:
                problems.append(Difference(reg.doi, "state", f"DataCite {got.state}, should be {want.state}"))
            if want.state != "draft" and (got.url or None) != want.url:
                problems.append(Difference(reg.doi, "url", f"DataCite {got.url}, should be {want.url}"))
            if want.xml is not None and not _same_xml(got.xml, want.xml):
                problems.append(
                    Difference(reg.doi, "metadata", "DataCite's metadata differs from the record's")
                )
        out += problems
        if repair and problems:
            reg.remote_state = got.state if got is not None else None
            reg.remote_hash = ""
            reg.error_kind = ""
            reg.desired_state, reg.desired_hash = want.state, want.hash
            _queue(session, reg)
    for doi, got in sorted(held.items()):
        out.append(Difference(doi, "extra", f"DataCite holds it ({got.state}); no record here claims it"))
        if repair:
            _adopt_lost(session, provider, doi, got, base_url)
    return out


def _adopt_lost(session: Session, provider: DataCiteProvider, doi: str, got: DoiState, base_url: str) -> None:
    """A DOI at DataCite named after one of our records or datasets (a crash lost our row)."""
    suffix = doi.split("/", 1)[1]
    record = session.get(Record, suffix)
    if record is not None and provider.version_doi(record.id) == doi:
        reg = _registration(session, doi, VERSION, record.parent_id, record.id)
    elif session.get(Record, suffix) is None and session.scalar(
        select(Record).where(Record.parent_id == suffix).limit(1)
    ):
        reg = _registration(session, doi, CONCEPT, suffix, None)
    else:
        return
    reg.remote_state, reg.remote_hash = got.state, ""
    refresh(session, reg, base_url)

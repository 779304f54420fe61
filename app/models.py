"""Database models (SQLAlchemy 2, typed). The database is the source of truth."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import true as sa_true

from app.db import Base, UTCDateTime, utcnow

JSONType = JSON().with_variant(JSONB(), "postgresql")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="producer")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Copied into the session cookie at sign-in and compared on every request: incrementing it
    # (sign-out, password change) invalidates every session of this user, captured ones included.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The person receives the moderation e-mails (submitted, assigned, changes requested,
    #: comment, accepted, published, rejected); they may opt out (app/services/notifications.py).
    notify_email: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())

    moderated: Mapped[list[Community]] = relationship(
        secondary="community_moderators", back_populates="moderators", lazy="selectin"
    )

    # flask-login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class Community(Base):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The moderation desk's checklist for this community: a list of questions (strings) that
    #: the moderator answers on each review; the answers are saved with the decision.
    checklist: Mapped[list[str]] = mapped_column(JSONType, default=list, server_default="[]")

    moderators: Mapped[list[User]] = relationship(
        secondary="community_moderators", back_populates="moderated", lazy="selectin"
    )


class CommunityModerator(Base):
    __tablename__ = "community_moderators"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class LoginAttempt(Base):
    """A sign-in attempt not (yet) known to have succeeded, for throttling by account and by client.

    Rows are written before the password is checked and deleted when it is right, so concurrent
    attempts count each other (``app.services.accounts.reserve_login_attempt``).
    """

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "account:<e-mail>" or "client:<ip address>"
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class RecordParent(Base):
    """The concept shared by every version of a dataset."""

    __tablename__ = "record_parents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Record(Base):
    """One version of a dataset, from draft to published (or rejected, withdrawn)."""

    __tablename__ = "records"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    parent_id: Mapped[str] = mapped_column(ForeignKey("record_parents.id"), index=True)
    version_index: Mapped[int] = mapped_column(Integer, default=1)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    state: Mapped[str] = mapped_column(String(32), default="draft", index=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    # Optimistic concurrency: every flush checks and bumps it (SQLAlchemy version counter).
    revision: Mapped[int] = mapped_column(Integer, default=1)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: Who last changed the draft (the form's conflict message names them); None before any edit.
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publication_date: Mapped[date | None] = mapped_column(Date)
    tombstone: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    __mapper_args__ = {"version_id_col": revision}

    parent: Mapped[RecordParent] = relationship(lazy="joined")
    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")
    community: Mapped[Community | None] = relationship(lazy="joined")
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    files: Mapped[list[RecordFile]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="RecordFile.key", lazy="selectin"
    )
    pids: Mapped[list[PersistentIdentifier]] = relationship(
        back_populates="record", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (UniqueConstraint("parent_id", "version_index", name="uq_records_parent_version"),)


class FileObject(Base):
    """A stored body, addressed by its SHA-256; shared by every record file with that content."""

    __tablename__ = "file_objects"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    md5: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_fixity_check: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fixity_ok: Mapped[bool | None] = mapped_column(Boolean)


class RecordFile(Base):
    __tablename__ = "record_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    object_sha256: Mapped[str] = mapped_column(ForeignKey("file_objects.sha256"), index=True)
    mimetype: Mapped[str] = mapped_column(String(255), default="application/octet-stream")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    record: Mapped[Record] = relationship(back_populates="files")
    object: Mapped[FileObject] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("record_id", "key", name="uq_record_files_key"),)


class FileExtraction(Base):
    """Metadata proposed from one file's content (``extraction`` package, job
    ``extract-file-metadata``). Keyed by the content too: a replaced file gets a new row."""

    __tablename__ = "file_extractions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    # No foreign key: removing an unreferenced object must not be blocked by its old proposal.
    object_sha256: Mapped[str] = mapped_column(String(64))
    # pending | done | nothing | failed
    state: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str] = mapped_column(Text, default="")
    fragment: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    sources: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # format, values dropped by validation, facts (layers, dimensions, rows)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("record_id", "key", "object_sha256", name="uq_file_extractions_file"),)


class Upload(Base):
    """A resumable (tus) upload in progress: the bytes so far are in a temporary file
    (``app.services.uploads``), never in a draft until complete and attached."""

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key: Mapped[str] = mapped_column(String(255))
    length: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    content_type: Mapped[str] = mapped_column(String(255), default="")
    # open | complete (attached to the draft; the row stays until it expires)
    state: Mapped[str] = mapped_column(String(16), default="open")
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class PersistentIdentifier(Base):
    __tablename__ = "pids"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    scheme: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(255))
    provider: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="registered")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    record: Mapped[Record] = relationship(back_populates="pids")

    __table_args__ = (UniqueConstraint("scheme", "value", name="uq_pids_scheme_value"),)


class Event(Base):
    """The audit trail: every state change, comment and admin action."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str | None] = mapped_column(ForeignKey("records.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(Text, default="")
    as_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (Index("ix_events_record_created", "record_id", "id"),)


class ReviewComment(Base):
    """A review comment: a thread root (``thread_id`` None) anchored to a field of the
    metadata (``anchor_kind`` ``field``, ``anchor`` its JSON pointer), a file (``file``, its
    key) or the whole submission (``general``), or a reply in a thread. Threads are resolved,
    never deleted; each comment is also an ``events`` row (the history)."""

    __tablename__ = "review_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_comments.id", ondelete="CASCADE"), index=True
    )
    anchor_kind: Mapped[str] = mapped_column(String(16), default="general")
    anchor: Mapped[str] = mapped_column(String(500), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="joined")


class Job(Base):
    """Outbox: side effects queued in the request's transaction and run after commit."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # pending → running (claimed: locked_by + lease_until) → done | pending (retry) | failed
    state: Mapped[str] = mapped_column(String(16), default="pending")
    # Runs that failed, crashed (lease expired) or are in progress; RetryLater does not count.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The worker running the job and until when its claim holds; a running job whose lease has
    # expired (its worker died) is claimed again by any worker.
    locked_by: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Claiming looks for (state = pending, run_after <= now) and (state = running, lease_until < now).
    __table_args__ = (
        Index("ix_jobs_state_run_after", "state", "run_after"),
        Index("ix_jobs_state_lease_until", "state", "lease_until"),
    )


# --- controlled vocabularies (SKOS) ---------------------------------------------------------

# Lower-cased, accent-free label keys are matched by byte range (prefix search); on
# PostgreSQL the "C" collation makes the btree order the byte order, as in SQLite.
LabelKey = String(200).with_variant(String(200, collation="C"), "postgresql")


class VocabularyScheme(Base):
    """A loaded SKOS concept scheme (bundled or imported by an administrator)."""

    __tablename__ = "vocabulary_schemes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    uri: Mapped[str] = mapped_column(String(500), unique=True)
    title: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    source: Mapped[str] = mapped_column(String(500), default="")
    version: Mapped[str | None] = mapped_column(String(100))
    issued: Mapped[str | None] = mapped_column(String(10))
    modified: Mapped[str | None] = mapped_column(String(10))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    concept_count: Mapped[int] = mapped_column(Integer, default=0)


class VocabularyConcept(Base):
    """A concept. Never deleted: a concept gone from a re-imported file becomes deprecated,
    so records that use it keep resolving."""

    __tablename__ = "vocabulary_concepts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("vocabulary_schemes.id", ondelete="CASCADE"))
    uri: Mapped[str] = mapped_column(String(500))
    notation: Mapped[str | None] = mapped_column(String(200))
    pref_labels: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    alt_labels: Mapped[dict[str, list[str]]] = mapped_column(JSONType, default=dict)
    definitions: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    broader: Mapped[list[str]] = mapped_column(JSONType, default=list)
    deprecated: Mapped[bool] = mapped_column(Boolean, default=False)
    replaced_by: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Ancestors from the top concept down, each {"uri", "labels": {lang: label}}.
    path: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Many-to-one: resolved from the session's identity map once the scheme has been read.
    scheme: Mapped[VocabularyScheme] = relationship()

    __table_args__ = (
        UniqueConstraint("scheme_id", "uri", name="uq_vocabulary_concepts_uri"),
        Index("ix_vocabulary_concepts_notation", "scheme_id", "notation"),
    )


class VocabularyLabel(Base):
    """Autocomplete index: one row per label and per word start within it.

    ``key`` is the normalised label from that word on, so ``key >= 'surf' AND key < 'surf\\uffff'``
    finds both "Surface temperature" (rank 0, label start) and "Sea surface temperature"
    (rank 2, word start). Rebuilt from the concepts at every import.
    """

    __tablename__ = "vocabulary_labels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("vocabulary_schemes.id", ondelete="CASCADE"))
    concept_id: Mapped[int] = mapped_column(
        ForeignKey("vocabulary_concepts.id", ondelete="CASCADE"), index=True
    )
    lang: Mapped[str] = mapped_column(String(16), default="")
    label: Mapped[str] = mapped_column(String(1000))
    key: Mapped[str] = mapped_column(LabelKey)
    # 0 preferred label start, 1 alternative label start, 2/3 the same at a later word.
    rank: Mapped[int] = mapped_column(Integer, default=0)
    deprecated: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_vocabulary_labels_key", "scheme_id", "key"),)


# --- OAI-PMH ---------------------------------------------------------------------------------


class OaiItem(Base):
    """One state of a published (or withdrawn) record version as OAI-PMH harvesters see it.

    A new row is written whenever the record's metadata, deletion status or set membership
    changes; the row it replaces gets ``superseded_at`` = the new row's ``datestamp``. A harvest
    reads the items as they were at its start (``datestamp <= T0 < superseded_at``), so records
    changed during a harvest are neither skipped nor delivered twice; the change is picked up by
    the next incremental harvest. Superseded rows are pruned once no resumption token can need them.
    """

    __tablename__ = "oai_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    datestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    sets: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # SHA-256 of the canonical record document this state was computed from and of the version
    # of every disseminated format's writer (app/oai/items.fingerprint).
    fingerprint: Mapped[str] = mapped_column(String(64))
    # SHA-256 of each disseminated payload of this state ({prefix: digest}); None for states
    # written before writer versions existed. `oai sync` after a writer upgrade compares them to
    # move the datestamp of exactly the records whose output changed.
    outputs: Mapped[dict[str, str] | None] = mapped_column(JSONType, nullable=True)

    __table_args__ = (
        Index("ix_oai_items_datestamp", "datestamp", "id"),
        Index("ix_oai_items_record", "record_id", "superseded_at"),
    )


class OaiItemSet(Base):
    """Set membership of an item state, with its datestamp copied for keyset paging per set."""

    __tablename__ = "oai_item_sets"

    item_id: Mapped[int] = mapped_column(ForeignKey("oai_items.id", ondelete="CASCADE"), primary_key=True)
    set_spec: Mapped[str] = mapped_column(String(128), primary_key=True)
    datestamp: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_oai_item_sets_keyset", "set_spec", "datestamp", "item_id"),)


class OaiPayload(Base):
    """Cached serialisation of a record version in one metadata format.

    Valid while ``fingerprint`` equals the record's current item fingerprint; rewritten otherwise.
    """

    __tablename__ = "oai_payloads"

    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(32), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)


class OaiSet(Base):
    """A set defined by an administrator (e.g. the one Recherche Data Gouv harvests).

    ``criteria`` selects records: ``communities``, ``resource_types``, ``access_levels`` (lists; a
    record must match each list given) and ``require_doi`` (bool). ``{}`` selects every record.
    """

    __tablename__ = "oai_sets"

    spec: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    criteria: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OaiClock(Base):
    """A single row every OAI writer locks before taking a datestamp, and every harvest locks
    before taking its start time: no transaction can commit an item dated before a harvest's
    start once that harvest has begun. ``last`` keeps datestamps strictly increasing."""

    __tablename__ = "oai_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[datetime | None] = mapped_column(UTCDateTime)
    harvests: Mapped[int] = mapped_column(BigInteger, default=0)


# --- DOIs ------------------------------------------------------------------------------------


class DoiRegistration(Base):
    """A DOI the repository manages at DataCite: what DataCite should hold and what it holds.

    ``desired_state`` (draft | registered | findable | deleted) and ``desired_hash`` (SHA-256 of
    the state, landing URL and DataCite XML) say what DataCite should hold; ``remote_state`` and
    ``remote_hash`` what it last accepted (None: never sent). A ``doi-sync`` job converges one
    to the other; ``lease_until`` keeps two workers off the same DOI, ``job_id`` is the job that
    will next try. The DOI (its suffix) is chosen and stored before any call, so a retry after
    a crash updates the DOI instead of minting another.
    """

    __tablename__ = "doi_registrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doi: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # version | concept
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("record_parents.id", ondelete="SET NULL"), index=True
    )
    record_id: Mapped[str | None] = mapped_column(ForeignKey("records.id", ondelete="SET NULL"), index=True)
    desired_state: Mapped[str] = mapped_column(String(16), default="draft")
    desired_hash: Mapped[str] = mapped_column(String(64), default="")
    remote_state: Mapped[str | None] = mapped_column(String(16))
    remote_hash: Mapped[str] = mapped_column(String(64), default="")
    remote_url: Mapped[str | None] = mapped_column(String(1000))
    # Consecutive failed calls (reset on success); error_kind: "" | transient | permanent.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error_kind: Mapped[str] = mapped_column(String(16), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_status: Mapped[int | None] = mapped_column(Integer)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    job_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_doi_registrations_converge", "desired_hash", "remote_hash"),)


class RateLimit(Base):
    """A token bucket shared by every worker process (one row per limited service).

    ``tokens`` may go below zero: a caller takes its token at once and waits its turn, so the
    order of calls is the order of reservations. Updated under the row's write lock."""

    __tablename__ = "rate_limits"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float, default=0.0)
    stamp: Mapped[float] = mapped_column(Float, default=0.0)  # Unix time of the last refill


# --- preservation (archival packages) ---------------------------------------------------------


class ArchivePackage(Base):
    """An Archival Information Package: a BagIt bag of one published version (``kind`` version)
    or of its withdrawal (``kind`` tombstone), written by the ``archive-version`` job.

    ``files`` maps every file the bag holds (payload and tag files) to its SHA-256 and size, as
    written: the fixity audit compares each copy with it. Never deleted."""

    __tablename__ = "archive_packages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # No foreign key: the package outlives anything that happens to the rows it came from.
    record_id: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # version | tombstone
    files: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    copies: Mapped[list[ArchiveCopy]] = relationship(
        back_populates="package", order_by="ArchiveCopy.location", lazy="selectin"
    )


class ArchiveCopy(Base):
    """One package in one archive location (``primary`` or ``replica``)."""

    __tablename__ = "archive_copies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("archive_packages.id", ondelete="CASCADE"))
    location: Mapped[str] = mapped_column(String(32))
    # verified | failed (the last check found damage it could not repair) | unchecked (restored)
    state: Mapped[str] = mapped_column(String(16), default="verified")
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    package: Mapped[ArchivePackage] = relationship(back_populates="copies")

    __table_args__ = (
        UniqueConstraint("package_id", "location", name="uq_archive_copies_location"),
        Index("ix_archive_copies_last_checked", "last_checked_at"),
    )


class FixityCheck(Base):
    """One fixity check of one package copy: when, the result, what was wrong and repaired."""

    __tablename__ = "fixity_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    copy_id: Mapped[int] = mapped_column(ForeignKey("archive_copies.id", ondelete="CASCADE"), index=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # ok | repaired | failed
    result: Mapped[str] = mapped_column(String(16))
    # {"mismatch": [paths], "missing": [paths], "repaired": [paths], "unrepaired": [paths]}
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0)


class ArchivedObject(Base):
    """Where a file body was first archived: later packages reference it (fetch.txt) instead of
    storing it again."""

    __tablename__ = "archived_objects"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    package_name: Mapped[str] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(String(1000))


# --- search index (app/search, docs/search.md) -----------------------------------------------


class SearchEntry(Base):
    """One published record version as the embedded search index holds it.

    Derived data, rebuilt by ``alluvium search reindex``; kept in step by ``search-index`` jobs.
    Dialect-specific parts live beside it, created by the migration and invisible to
    autogenerate (``app.search.sql.AUTOGEN_IGNORED``): on SQLite the FTS5 table ``search_fts``
    and the R*Tree ``search_rtree``; on PostgreSQL the ``tsv`` column with its GIN index and a
    GiST index on the boxes.
    """

    __tablename__ = "search_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), unique=True)
    parent_id: Mapped[str] = mapped_column(String(32), index=True)
    latest: Mapped[bool] = mapped_column(Boolean, default=True)
    published: Mapped[str | None] = mapped_column(String(10))
    title_sort: Mapped[str] = mapped_column(String(200), default="")
    # Text indexed by the dialect's full-text index (kept here for rebuilding it and for snippets).
    title: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[str] = mapped_column(Text, default="")
    creators: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # Hull of the temporal extents, YYYY-MM-DD; 0000-01-01 / 9999-12-31 for an open side;
    # both NULL when the record states no temporal extent.
    time_start: Mapped[str | None] = mapped_column(String(10))
    time_end: Mapped[str | None] = mapped_column(String(10))
    display: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    __table_args__ = (
        Index("ix_search_entries_latest_published", "latest", "published", "id"),
        Index("ix_search_entries_latest_title", "latest", "title_sort", "id"),
        Index("ix_search_entries_time", "time_start", "time_end"),
    )


class SearchFacet(Base):
    """A facet value of an indexed record version (and exact fields such as ``doi``)."""

    __tablename__ = "search_facets"

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("search_entries.id", ondelete="CASCADE"), primary_key=True
    )
    facet: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(300), primary_key=True)

    __table_args__ = (Index("ix_search_facets_value", "facet", "value", "entry_id"),)


class SearchFacetCount(Base):
    """How many indexed versions carry a facet value, kept in step by the indexer in the same
    transaction as the entries: the counts of a query-less search, read instead of counting
    millions of ``search_facets`` rows (docs/search.md, "Performance"). ``scope`` is ``latest``
    (latest versions only, the default search) or ``all``; facet ``""``, value ``""`` is the
    number of entries."""

    __tablename__ = "search_facet_counts"

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    facet: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(300), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_search_facet_counts_top", "scope", "facet", "n"),)


class SearchBox(Base):
    """A bounding box of an indexed record version; boxes crossing the antimeridian are split."""

    __tablename__ = "search_boxes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("search_entries.id", ondelete="CASCADE"), index=True)
    west: Mapped[float] = mapped_column(Float)
    south: Mapped[float] = mapped_column(Float)
    east: Mapped[float] = mapped_column(Float)
    north: Mapped[float] = mapped_column(Float)


class Dmp(Base):
    """A data management plan: the maDMP 1.2 ``dmp`` object (``schemas.dmp``), its owner and
    revision. Co-authors are in ``dmp_shares``, every saved state in ``dmp_versions``."""

    __tablename__ = "dmps"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    plan: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Where it was imported from (``dmp-opidor:<id>``, ``file``), for pushing it back.
    source: Mapped[str | None] = mapped_column(String(200))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": revision}

    owner: Mapped[User] = relationship(lazy="joined")


class DmpShare(Base):
    """A co-author of a plan: ``edit`` or ``read``."""

    __tablename__ = "dmp_shares"

    dmp_id: Mapped[str] = mapped_column(ForeignKey("dmps.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    permission: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class DmpVersion(Base):
    """One saved state of a plan: who (``None`` for the system: write-back, import), why
    (``create``, ``update``, ``import``, ``write-back``, ``opidor-fetch``...), what changed."""

    __tablename__ = "dmp_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dmp_id: Mapped[str] = mapped_column(ForeignKey("dmps.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    plan: Mapped[dict[str, Any]] = mapped_column(JSONType)
    changes: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    note: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("dmp_id", "number", name="uq_dmp_versions_number"),)


class DmpDatasetLink(Base):
    """A planned dataset (by its ``dataset_id`` identifier in the plan) linked to a dataset of
    this repository (its parent: every version writes back)."""

    __tablename__ = "dmp_dataset_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dmp_id: Mapped[str] = mapped_column(ForeignKey("dmps.id", ondelete="CASCADE"), index=True)
    dataset_key: Mapped[str] = mapped_column(String(500))
    parent_id: Mapped[str] = mapped_column(ForeignKey("record_parents.id"), index=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("dmp_id", "dataset_key", name="uq_dmp_links_dataset"),)
class UsageEvent(Base):
    """One investigation (landing page or metadata view) or request (file download) of a
    published version, in the COUNTER Code of Practice for Research Data form. No raw IP address
    or user agent is kept: ``user_key`` is a hash of them salted per day, ``session_key`` adds
    the hour (the CoP's session); robots are flagged when logged and never counted. Rows are
    folded into :class:`UsageCount` by ``app.services.usage.aggregate`` and then deleted."""

    __tablename__ = "usage_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(16))  # investigation | request
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_key: Mapped[str] = mapped_column(String(64))
    session_key: Mapped[str] = mapped_column(String(64))
    access_method: Mapped[str] = mapped_column(String(8), default="regular")  # regular | machine
    robot: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_usage_events_record_at", "record_id", "at"), Index("ix_usage_events_at", "at"))


class UsageCount(Base):
    """Monthly COUNTER counts of a version: ``metric`` is one of the DSR metric types
    (``total-dataset-investigations``, ``unique-dataset-investigations``, ``total-dataset-requests``,
    ``unique-dataset-requests``), per access method."""

    __tablename__ = "usage_counts"

    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    access_method: Mapped[str] = mapped_column(String(8), primary_key=True)
    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)

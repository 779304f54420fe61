"""SWORD v2 deposit server at ``/sword/`` (docs/sword.md).

A thin adapter over the same use cases as the REST API (``app/services/records.py``,
``app/services/files.py``), with the same permission rules and token scopes. Authentication is
an API token sent as the HTTP Basic user name (password ignored), as Dataverse does; cookies
are never used here, so CSRF tokens are not needed (``app/security.py``).

A deposit is processed in this order: checks that need no body (token, scope, community or
record, state) in a read-only transaction that then ends; the body spooled to a temporary file
with no transaction open (size limit, Content-MD5); the package inspected entirely (names,
symlinks, sizes, ratio, BagIt manifests, metadata) before anything is stored; the file bodies
streamed into the content-addressed store; then one transaction creates or locks the draft,
attaches the files and, with ``In-Progress: false``, submits it. Any failure before that commit
leaves no draft and no file references (stored bodies nobody references are removed by
``storage cleanup``, as for the REST upload).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from flask import Blueprint, current_app, g, request
from flask.wrappers import Response
from werkzeug.exceptions import HTTPException

from app.db import get_session
from app.jobs_runtime import commit
from app.models import Community, Record, User
from app.services import accounts
from app.services import files as files_svc
from app.services import records as records_svc
from app.services.documents import display_title
from app.services.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    ServiceError,
    Unauthorized,
    field_error,
)
from app.storage import StorageError
from app.sword import atom, multipart, packages
from curation import Action, Actor, InvalidTransition, PermissionDenied, Role, State, next_state
from exports.importing import import_record
from exports.registry import ImportError_
from schemas import FieldError, RecordValidationError

bp = Blueprint("sword", __name__)

ATOM_ENTRY = "application/atom+xml;type=entry"
STATE_DESCRIPTIONS = {
    State.DRAFT: "In progress: a draft only its owner sees",
    State.SUBMITTED: "Submitted to the community's moderators",
    State.UNDER_REVIEW: "Under review by a moderator",
    State.CHANGES_REQUESTED: "The moderators asked for changes; edit and complete the deposit again",
    State.RESUBMITTED: "Resubmitted to the moderator who asked for changes",
    State.ACCEPTED: "Accepted; being published",
    State.REJECTED: "Rejected by the moderators",
    State.PUBLISHED: "Published",
    State.WITHDRAWN: "Withdrawn by the repository administrators",
}


class SwordError(ServiceError):
    """A refusal with a specific SWORD error URI (SWORD 2.0 §12)."""

    def __init__(self, status: int, uri: str, message: str, errors: list[FieldError] | None = None):
        super().__init__(message, errors)
        self.status = status
        self.uri = uri


# -- authentication, errors -------------------------------------------------------------------


@bp.before_request
def _authenticate() -> None:
    """API token as the Basic user name (the password is ignored, as in Dataverse)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        raise Unauthorized(
            "SWORD needs HTTP Basic authentication: your API token as the user name, no password"
        )
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("the Basic credentials are not valid base64 of 'token:'") from None
    token = decoded.partition(":")[0].strip()
    found = accounts.token_user(get_session(), token) if token else None
    if found is None:
        raise Unauthorized("the API token (Basic user name) is unknown or revoked")
    g.identity = found


def _require(scope: str) -> None:
    _, scopes = g.identity
    if scope not in scopes:
        raise Forbidden(f"this token lacks the {scope!r} scope")


def _actor() -> Actor:
    """The token's user, or with ``On-Behalf-Of`` (admins only) the named user."""
    user, _ = g.identity
    on_behalf_of = request.headers.get("On-Behalf-Of", "").strip()
    if not on_behalf_of:
        return accounts.actor_for(user)
    if user.role != Role.ADMIN:
        raise SwordError(
            412,
            atom.ERROR_MEDIATION,
            "mediated deposit is not allowed",
            [FieldError("/On-Behalf-Of", ["only administrators may deposit on behalf of another user"])],
        )
    session = get_session()
    try:
        target = accounts.get_user_by_email(session, on_behalf_of)
    except (NotFound, InvalidInput):
        target = None
    if target is None or not target.active:
        raise SwordError(
            403,
            atom.ERROR_TARGET_OWNER,
            "unknown user in On-Behalf-Of",
            [FieldError("/On-Behalf-Of", [f"no active user {on_behalf_of!r}"])],
        )
    return accounts.actor_for(target)


def _error_uri(status: int) -> str:
    return {
        412: atom.ERROR_CHECKSUM,
        413: atom.ERROR_MAX_UPLOAD,
        405: atom.ERROR_METHOD,
        415: atom.ERROR_CONTENT,
    }.get(status, atom.ERROR_BAD_REQUEST)


def _error(
    status: int, message: str, errors: list[FieldError] | None = None, uri: str | None = None
) -> Response:
    detail = "\n".join(f"{e.field}: {'; '.join(e.messages)}" for e in errors or [])
    body = atom.error_document(
        uri=uri or _error_uri(status),
        summary=message + (f" ({detail.splitlines()[0]})" if detail else ""),
        detail=detail,
        updated=_now(),
    )
    response = Response(body, status=status, content_type="text/xml; charset=utf-8")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="alluvium-sword"'
    return response


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError) -> Response:
    uri = exc.uri if isinstance(exc, SwordError) else None
    if uri is None and exc.status == 412:
        uri = atom.ERROR_BAD_REQUEST  # a stale If-Match, not a checksum
    return _error(exc.status, exc.message, exc.errors, uri)


@bp.errorhandler(RecordValidationError)
def _validation(exc: RecordValidationError) -> Response:
    return _error(400, f"{len(exc.errors)} invalid field(s)", exc.errors, atom.ERROR_CONTENT)


@bp.errorhandler(InvalidTransition)
def _transition(exc: InvalidTransition) -> Response:
    return _error(409, str(exc))


@bp.errorhandler(PermissionDenied)
def _denied(exc: PermissionDenied) -> Response:
    return _error(401 if exc.anonymous else 403, str(exc))


@bp.errorhandler(ImportError_)
def _import_error(exc: ImportError_) -> Response:
    return _error(
        400,
        "the metadata record cannot be read",
        [FieldError("/package/metadata", [str(exc)])],
        atom.ERROR_CONTENT,
    )


@bp.errorhandler(StorageError)
def _storage(exc: StorageError) -> Response:
    current_app.logger.exception("storage error during a SWORD deposit")
    return _error(500, "the file store failed; nothing was stored")


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> Response:
    return _error(exc.code or 500, exc.description or exc.name)


# -- request helpers ---------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, the one form the sword2 client parses."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> str:
    return _iso(datetime.now(UTC))


def _in_progress() -> bool:
    value = request.headers.get("In-Progress", "false").strip().lower()
    if value not in ("true", "false"):
        raise field_error("/In-Progress", "must be 'true' or 'false'")
    return value == "true"


def _expected_md5() -> str | None:
    """Content-MD5 as SWORD clients send it (hex, as the sword2 client does) or as RFC 1864
    says (base64); anything else is a 400 naming the header."""
    raw = request.headers.get("Content-MD5")
    if raw is None:
        return None
    raw = raw.strip()
    if re.fullmatch(r"[0-9a-fA-F]{32}", raw):
        return raw.lower()
    try:
        digest = base64.b64decode(raw, validate=True)
    except binascii.Error:
        digest = b""
    if len(digest) != 16:
        raise field_error("/Content-MD5", "must be an MD5 digest, 32 hex digits or base64 of 16 bytes")
    return digest.hex()


def _filename() -> str | None:
    """The file name of Content-Disposition (``filename*=UTF-8''…`` or ``filename=``)."""
    header = request.headers.get("Content-Disposition", "")
    star = re.search(r"filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)", header)
    if star:
        return unquote(star.group(1).strip())
    plain = re.search(r'filename\s*=\s*("([^"]*)"|[^;]+)', header)
    if plain:
        return unquote(plain.group(2) if plain.group(2) is not None else plain.group(1).strip())
    return None


def _media_type() -> str:
    return (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def _is_entry() -> bool:
    return _media_type() == "application/atom+xml"


def _packaging() -> str:
    """The Packaging header; Binary when absent (SWORD 2.0 §9.3)."""
    value = request.headers.get("Packaging", atom.PACKAGE_BINARY).strip()
    if value not in atom.PACKAGINGS:
        raise SwordError(
            415,
            atom.ERROR_CONTENT,
            "unsupported packaging",
            [FieldError("/Packaging", [f"{value!r} is not one of {', '.join(atom.PACKAGINGS)}"])],
        )
    return value


def _limits() -> packages.Limits:
    cfg = current_app.config
    return packages.Limits(
        max_file_size=cfg["MAX_FILE_SIZE"],
        max_files=cfg["MAX_FILES_PER_RECORD"],
        max_unpacked=cfg["SWORD_MAX_UNPACKED_SIZE"],
        max_ratio=cfg["SWORD_MAX_COMPRESSION_RATIO"],
    )


def _spool(stack: ExitStack, limit: int) -> tuple[Path, int]:
    """The request body in a private temporary file (no transaction is open meanwhile),
    refused above ``limit`` bytes or when Content-MD5 does not match (412, SWORD 2.0 §9.2)."""
    expected = _expected_md5()
    if request.content_length is not None and request.content_length > limit:
        raise SwordError(
            413, atom.ERROR_MAX_UPLOAD, f"the body is {request.content_length} bytes; the limit is {limit}"
        )
    tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="alluvium-sword-"))
    path = Path(tmp) / "body"
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0
    with open(path, "wb") as out:
        while chunk := request.stream.read(1024 * 1024):
            size += len(chunk)
            if size > limit:
                raise SwordError(413, atom.ERROR_MAX_UPLOAD, f"the body exceeds the limit of {limit} bytes")
            md5.update(chunk)
            out.write(chunk)
    if request.content_length is not None and size != request.content_length:
        raise field_error("/Content-Length", f"announced {request.content_length} bytes, received {size}")
    if expected is not None and md5.hexdigest() != expected:
        raise SwordError(
            412,
            atom.ERROR_CHECKSUM,
            "checksum mismatch",
            [
                FieldError(
                    "/Content-MD5", [f"the body's MD5 is {md5.hexdigest()}, the header says {expected}"]
                )
            ],
        )
    return path, size


def _entry_metadata(path: Path, depositor: _Depositor) -> atom.EntryMetadata:
    return atom.parse_entry(path.read_bytes(), depositor_email=depositor.email, depositor_name=depositor.name)


def _imported(package: packages.Package) -> dict[str, Any] | None:
    """The metadata of a bag's ``metadata/`` record, read by the existing importers."""
    if package.metadata_xml is None:
        return None
    try:
        _, result = import_record(package.metadata_xml)
    except ImportError_ as exc:
        raise InvalidInput(
            "the bag's metadata record cannot be read",
            [FieldError(f"/package/{package.metadata_name}", [str(exc)])],
        ) from None
    return result.metadata


@dataclass(frozen=True)
class _Depositor:
    """Who deposits, as plain values: read before the transaction ends, so that nothing
    touches the database (no lazy load of an expired row) while the body streams."""

    actor: Actor
    email: str
    name: str


def _depositor() -> _Depositor:
    """The token's user, or the On-Behalf-Of user."""
    actor = _actor()
    user = get_session().get(User, actor.user_id)
    assert user is not None
    return _Depositor(actor, user.email, user.name)


# -- reading a package and storing its files (no transaction open) ---------------------------


class _Stored:
    def __init__(self) -> None:
        self.files: list[tuple[str, Any, str]] = []  # key, StoredObject, mimetype
        self.metadata: dict[str, Any] | None = None


def _receive_package(stack: ExitStack, packaging: str, depositor: _Depositor) -> _Stored:
    """Spool, inspect and store a binary deposit; returns what to attach."""
    cfg = current_app.config
    limit = cfg["MAX_FILE_SIZE"] if packaging == atom.PACKAGE_BINARY else cfg["SWORD_MAX_PACKAGE_SIZE"]
    path, size = _spool(stack, limit)
    return _store_package(
        stack, packaging, depositor, path, size, _filename(), request.headers.get("Content-Type")
    )


def _store_package(
    stack: ExitStack,
    packaging: str,
    depositor: _Depositor,
    path: Path,
    size: int,
    filename: str | None,
    content_type: str | None,
) -> _Stored:
    """Inspect a spooled package entirely, then stream its files into the store."""
    cfg = current_app.config
    limits = _limits()
    if packaging == atom.PACKAGE_BINARY:
        package = packages.read_binary(path, filename, size)
    elif packaging == atom.PACKAGE_SIMPLEZIP:
        package = stack.enter_context(packages.read_simple_zip(path, limits))
    else:
        package = stack.enter_context(packages.read_bag(path, limits))
    result = _Stored()
    result.metadata = _imported(package)
    if result.metadata is not None and not result.metadata.get("contacts"):
        # As for an Atom entry: the depositor is the point of contact unless the record names one.
        result.metadata["contacts"] = [atom.depositor_contact(depositor.email, depositor.name)]
    store = current_app.extensions["alluvium.store"]
    for f in package.files:
        with ExitStack() as inner:
            stream = f.open()
            if hasattr(stream, "close"):
                inner.callback(stream.close)
            stored, mimetype = files_svc.store_body(
                store,
                stream,
                f.key,
                content_length=f.size,
                content_type=content_type if packaging == atom.PACKAGE_BINARY else None,
                max_size=cfg["MAX_FILE_SIZE"],
            )
        result.files.append((f.key, stored, mimetype))
    return result


def _is_multipart() -> bool:
    return _media_type().startswith("multipart/")


def _receive_multipart(stack: ExitStack, depositor: _Depositor) -> tuple[atom.EntryMetadata, _Stored]:
    """A multipart deposit (SWORD 2.0 §6.3.2): the Atom entry and the media part, read by a
    bounded streaming parser with no transaction open; the media part is decoded into a
    private temporary file, checked (Content-MD5 of the part, of the body), inspected entirely
    as its packaging says, then its files are streamed into the store. Nothing is attached
    here: the caller does that, with the metadata, in one transaction."""
    cfg = current_app.config
    max_payload = max(cfg["MAX_FILE_SIZE"], cfg["SWORD_MAX_PACKAGE_SIZE"])
    expected_body = _expected_md5()
    tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="alluvium-sword-"))
    try:
        parts = multipart.read(
            request.stream,
            request.headers.get("Content-Type", ""),
            Path(tmp) / "payload",
            max_entry=cfg["MAX_JSON_SIZE"],
            max_payload=max_payload,
        )
    except multipart.MultipartError as exc:
        uri = atom.ERROR_MAX_UPLOAD if exc.status == 413 else atom.ERROR_CONTENT if exc.status == 415 else None
        raise SwordError(
            exc.status, uri or atom.ERROR_BAD_REQUEST, "malformed multipart deposit: " + exc.message,
            [FieldError(exc.field, [exc.message])],
        ) from None
    if expected_body is not None and parts.body_md5 != expected_body:
        raise SwordError(
            412, atom.ERROR_CHECKSUM, "checksum mismatch",
            [FieldError("/Content-MD5", [f"the body's MD5 is {parts.body_md5}, the header says {expected_body}"])],
        )
    if parts.content_md5 is not None and parts.payload_md5 != parts.content_md5:
        raise SwordError(
            412, atom.ERROR_CHECKSUM, "checksum mismatch",
            [FieldError("/payload/Content-MD5", [f"the payload's MD5 is {parts.payload_md5}, the part header says {parts.content_md5}"])],
        )
    packaging = (parts.packaging or request.headers.get("Packaging") or atom.PACKAGE_BINARY).strip()
    if packaging not in atom.PACKAGINGS:
        raise SwordError(
            415, atom.ERROR_CONTENT, "unsupported packaging",
            [FieldError("/payload/Packaging", [f"{packaging!r} is not one of {', '.join(atom.PACKAGINGS)}"])],
        )
    limit = cfg["MAX_FILE_SIZE"] if packaging == atom.PACKAGE_BINARY else cfg["SWORD_MAX_PACKAGE_SIZE"]
    if parts.payload_size > limit:
        raise SwordError(
            413, atom.ERROR_MAX_UPLOAD, f"the payload is {parts.payload_size} bytes; the limit is {limit}",
            [FieldError("/payload", [f"over the limit of {limit} bytes"])],
        )
    if packaging == atom.PACKAGE_BINARY and not parts.filename:
        raise SwordError(
            400, atom.ERROR_BAD_REQUEST, "the payload part has no file name",
            [FieldError("/payload/Content-Disposition", ["give filename=… on the payload part"])],
        )
    try:
        entry = atom.parse_entry(parts.entry, depositor_email=depositor.email, depositor_name=depositor.name)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, [FieldError("/atom" + e.field, e.messages) for e in exc.errors]) from None
    stored = _store_package(
        stack, packaging, depositor, parts.payload_path, parts.payload_size, parts.filename, parts.content_type
    )
    return entry, stored


def _attach_all(actor: Actor, record_id: str, stored: _Stored, *, replace: bool) -> None:
    """Attach the stored bodies to the draft in the caller's transaction (each attach locks the
    record and re-checks permission and state); with ``replace``, files not in the package go."""
    session = get_session()
    cfg = current_app.config
    if replace:
        keep = {key for key, _, _ in stored.files}
        record = records_svc.get_record(session, actor, record_id, action=Action.UPLOAD)
        for row in list(record.files):
            if row.key not in keep:
                files_svc.delete(session, actor, record_id, row.key)
    for key, obj, mimetype in stored.files:
        files_svc.attach(session, actor, record_id, key, obj, mimetype, max_files=cfg["MAX_FILES_PER_RECORD"])


def _finish(actor: Actor, record: Record, slug: str | None) -> None:
    """``In-Progress: false``: submit to the community's moderation (it does not publish)."""
    if not _in_progress():
        records_svc.submit(get_session(), actor, record.id, community=slug)


# -- documents ---------------------------------------------------------------------------------


def _base() -> str:
    return current_app.config["BASE_URL"] + "/sword"


def _deposit(record: Record) -> atom.Deposit:
    base = current_app.config["BASE_URL"]
    state = State(record.state)
    metadata = record.metadata_ or {}
    dc: list[tuple[str, str]] = []
    for t in metadata.get("titles", []):
        dc.append(("title" if "type" not in t else "alternative", t["text"]))
    for c in metadata.get("creators", []):
        dc.append(("creator", c.get("name", "")))
    for a in metadata.get("abstracts", []):
        dc.append(("abstract", a["text"]))
    if metadata.get("publisher"):
        dc.append(("publisher", metadata["publisher"].get("name", "")))
    for k in metadata.get("free_keywords", []):
        dc.append(("subject", k["term"]))
    license_ = (metadata.get("rights") or {}).get("license") or {}
    if license_:
        dc.append(("license", license_.get("uri") or license_.get("id") or license_.get("name", "")))
    access = (metadata.get("rights") or {}).get("access_level")
    if access:
        dc.append(("accessRights", access))
    return atom.Deposit(
        record_id=record.id,
        title=display_title(record),
        state=state.value,
        updated=_iso(record.updated_at),
        owner_email=record.owner.email if record.owner else "",
        links={
            "edit": f"{_base()}/edit/{record.id}",
            "edit_media": f"{_base()}/edit-media/{record.id}",
            "statement_atom": f"{_base()}/statement/{record.id}",
            "statement_ore": f"{_base()}/statement/{record.id}/ore",
            "alternate": f"{base}/records/{record.id}",
            "state": f"{_base()}/states#{state.value}",
        },
        dc=dc,
        files=[
            {
                "key": f.key,
                "url": f"{base}/api/records/{record.id}/files/{quote(f.key)}",
                "mimetype": f.mimetype,
                "created": _iso(f.created_at),
                "size": f.object.size,
            }
            for f in record.files
        ],
        state_description=STATE_DESCRIPTIONS.get(state, state.value),
    )


def _receipt(record_id: str, status: int = 200) -> Response:
    session = get_session()
    record = records_svc.get_record(session, _actor(), record_id)
    response = Response(
        atom.receipt(_deposit(record)), status=status, content_type=ATOM_ENTRY + ";charset=utf-8"
    )
    edit = f"{_base()}/edit/{record.id}"
    response.headers["Location"] = edit
    response.autocorrect_location_header = False
    return response


# -- service document and collections --------------------------------------------------------


@bp.get("/service-document")
@bp.get("/")
def service_document() -> Response:
    """One collection per community the token may deposit into (any community, for a token
    with the ``deposit`` scope: the REST API lets producers submit to every community)."""
    _, scopes = g.identity
    if not scopes & {"read", "deposit"}:
        raise Forbidden("this token has neither the 'read' nor the 'deposit' scope")
    user, scopes = g.identity
    session = get_session()
    communities = session.query(Community).order_by(Community.slug).all() if "deposit" in scopes else []
    cfg = current_app.config
    body = atom.service_document(
        repository=cfg["REPOSITORY_NAME"],
        max_upload_kb=max(cfg["MAX_FILE_SIZE"], cfg["SWORD_MAX_PACKAGE_SIZE"]) // 1024,
        collections=[
            atom.Collection(
                href=f"{_base()}/collection/{c.slug}",
                title=c.title,
                abstract=c.description or "",
                policy=f"Deposits are reviewed by the moderators of {c.title} before publication.",
            )
            for c in communities
        ],
        mediation=user.role == Role.ADMIN,
    )
    return Response(body, content_type="application/atomsvc+xml; charset=utf-8")


def _with_transaction_ended(check: Callable[[], Any]) -> Any:
    """Run the read-only checks, then end the transaction before the body is read."""
    value = check()
    get_session().rollback()
    return value


@bp.post("/collection/<slug>")
def create(slug: str) -> Response:
    """Create a deposit in a community: an Atom entry (metadata) or a binary package."""
    _require("deposit")
    _in_progress()  # a malformed header is refused before the body is read
    session = get_session()

    def check() -> _Depositor:
        try:
            accounts.get_community(session, slug)
        except InvalidInput:
            raise NotFound(f"no collection {slug!r}: GET the service document for the collections") from None
        return _depositor()

    depositor = _with_transaction_ended(check)
    with ExitStack() as stack:
        if _is_multipart():
            # The entry is the metadata; a metadata record inside the package is checked but
            # not used (docs/sword.md).
            entry_md, stored = _receive_multipart(stack, depositor)
            metadata = entry_md.metadata
        elif _is_entry():
            path, _ = _spool(stack, current_app.config["MAX_JSON_SIZE"])
            metadata = _entry_metadata(path, depositor).metadata
            stored = None
        else:
            stored = _receive_package(stack, _packaging(), depositor)
            metadata = stored.metadata or {}
        actor = depositor.actor
        record = records_svc.create_draft(session, actor, metadata, community=slug)
        if stored is not None:
            _attach_all(actor, record.id, stored, replace=False)
        _finish(actor, record, slug)
        record_id = record.id
        commit(session)
    return _receipt(record_id, 201)


# -- Edit-IRI -----------------------------------------------------------------------------------


@bp.get("/edit/<record_id>")
def get_receipt(record_id: str) -> Response:
    _require("read")
    return _receipt(record_id)


def _update_metadata(record_id: str, *, patch: bool) -> Response:
    _require("deposit")
    _in_progress()
    session = get_session()

    def check() -> _Depositor:
        depositor = _depositor()
        record = records_svc.get_record(session, depositor.actor, record_id, action=Action.EDIT)
        if request.content_length or _is_entry():
            next_state(record.state, Action.EDIT)
        return depositor

    depositor = _with_transaction_ended(check)
    actor = depositor.actor
    with ExitStack() as stack:
        has_body = bool(request.content_length) or _is_entry() or _is_multipart()
        stored = None
        if has_body and _is_multipart():
            # SWORD 2.0 §6.5.3 (PUT: replace metadata and files) and §6.7.3 (POST: add both).
            entry, stored = _receive_multipart(stack, depositor)
            _merge_entry(session, actor, record_id, entry, patch=patch)
            _attach_all(actor, record_id, stored, replace=not patch)
        elif has_body:
            if not _is_entry():
                raise SwordError(
                    415,
                    atom.ERROR_CONTENT,
                    "the Edit-IRI takes an Atom entry",
                    [
                        FieldError(
                            "/Content-Type", ["send application/atom+xml;type=entry (files go to the EM-IRI)"]
                        )
                    ],
                )
            path, _ = _spool(stack, current_app.config["MAX_JSON_SIZE"])
            _merge_entry(session, actor, record_id, _entry_metadata(path, depositor), patch=patch)
        record = records_svc.get_record(session, actor, record_id)
        slug = record.community.slug if record.community else None
        _finish(actor, record, slug)
        commit(session)
    return _receipt(record_id, 200)


def _merge_entry(session: Any, actor: Actor, record_id: str, entry: atom.EntryMetadata, *, patch: bool) -> None:
    """Apply an entry to the draft: PUT replaces the metadata, POST adds to it."""
    new = entry.metadata
    if patch:
        # A POST adds to what the draft says: the entry's fields replace the draft's;
        # what the mapping only fills by default (access level, resource type, the
        # depositor as contact) does not replace what the draft already has.
        current = records_svc.get_record(session, actor, record_id).metadata_
        for pointer in entry.defaulted:
            head, _, leaf = pointer.partition("/")
            if leaf and (current.get(head) or {}).get(leaf) is not None:
                new.get(head, {}).pop(leaf, None)
            elif not leaf and current.get(head):
                new.pop(head, None)
    records_svc.update_draft(
        session, actor, record_id, metadata=new, expected_revision=None, patch=patch
    )


@bp.put("/edit/<record_id>")
def replace_metadata(record_id: str) -> Response:
    """Replace the draft's metadata with the entry's; ``In-Progress: false`` then submits."""
    return _update_metadata(record_id, patch=False)


@bp.post("/edit/<record_id>")
def add_metadata_or_complete(record_id: str) -> Response:
    """An entry merges into the draft's metadata; an empty body with ``In-Progress: false``
    completes the deposit (submits it to its community's moderation)."""
    return _update_metadata(record_id, patch=True)


@bp.delete("/edit/<record_id>")
def delete_deposit(record_id: str) -> Response:
    """Delete a draft that was never submitted."""
    _require("deposit")
    session = get_session()
    records_svc.delete_draft(session, _actor(), record_id, expected_revision=None)
    commit(session)
    return Response(status=204)


# -- EM-IRI -------------------------------------------------------------------------------------


def _change_files(record_id: str, *, replace: bool) -> Response:
    _require("deposit")
    session = get_session()

    def check() -> _Depositor:
        depositor = _depositor()
        files_svc.prepare_upload(session, depositor.actor, record_id, "package")
        return depositor

    depositor = _with_transaction_ended(check)
    actor = depositor.actor
    with ExitStack() as stack:
        stored = _receive_package(stack, _packaging(), depositor)
        if stored.metadata is not None and request.headers.get("Metadata-Relevant", "").lower() == "true":
            records_svc.update_draft(
                session, actor, record_id, metadata=stored.metadata, expected_revision=None, patch=False
            )
        _attach_all(actor, record_id, stored, replace=replace)
        # In-Progress is not read here: SWORD 2.0 defines it for the Col-IRI and the Edit-IRI
        # only (the sword2 client sends "false" on every EM-IRI request). Complete the deposit
        # with an empty POST to the Edit-IRI.
        commit(session)
    return _receipt(record_id, 201 if not replace else 200)


@bp.post("/edit-media/<record_id>")
def add_files(record_id: str) -> Response:
    """Add files (a Binary file replaces the file of the same name)."""
    return _change_files(record_id, replace=False)


@bp.put("/edit-media/<record_id>")
def replace_files(record_id: str) -> Response:
    """Replace all the files of the draft with the package's."""
    return _change_files(record_id, replace=True)


@bp.delete("/edit-media/<record_id>")
def delete_files(record_id: str) -> Response:
    _require("deposit")
    session = get_session()
    actor = _actor()
    record = records_svc.get_record(session, actor, record_id, action=Action.UPLOAD)
    for row in list(record.files):
        files_svc.delete(session, actor, record_id, row.key)
    commit(session)
    return Response(status=204)


@bp.get("/edit-media/<record_id>")
def get_files(record_id: str) -> Response:
    """The content: the Atom statement lists each file with its download URL."""
    return statement(record_id)


# -- statements ----------------------------------------------------------------------------------


@bp.get("/statement/<record_id>")
def statement(record_id: str) -> Response:
    _require("read")
    session = get_session()
    record = records_svc.get_record(session, _actor(), record_id)
    if "application/rdf+xml" in (request.headers.get("Accept") or ""):
        return statement_ore(record_id)
    return Response(
        atom.statement_atom(_deposit(record)), content_type="application/atom+xml;type=feed;charset=utf-8"
    )


@bp.get("/statement/<record_id>/ore")
def statement_ore(record_id: str) -> Response:
    _require("read")
    session = get_session()
    record = records_svc.get_record(session, _actor(), record_id)
    return Response(atom.statement_ore(_deposit(record)), content_type="application/rdf+xml; charset=utf-8")

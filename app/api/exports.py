"""Metadata exports of a record in every registered format, and imports of foreign records."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request

from app.api import bp
from app.api.common import base_url, serialize_record
from app.auth import current_actor, optional_scope, require_scope
from app.db import get_session
from app.jobs_runtime import commit
from app.models import Record
from app.services import records as svc
from app.services.documents import record_document
from app.services.errors import InvalidInput, NotFound, PayloadTooLarge
from exports import registry
from exports.importing import import_record
from exports.registry import Format, ImportError_
from exports.xmlutil import MAX_IMPORT_BYTES


def export_format(name: str) -> Format:
    """The registered format ``name``; 404 listing the known names otherwise."""
    try:
        return registry.get_format(name)
    except KeyError as exc:
        raise NotFound(str(exc.args[0])) from None


def export_response(record: Record, fmt: Format) -> Response:
    """``record`` written in ``fmt``, with its media type and a download file name."""
    body = fmt.writer(record_document(get_session(), record, current_app.config["BASE_URL"]))
    mimetype = fmt.media_type
    if mimetype.startswith("text/") or mimetype.endswith(("+json", "/json", "+xml", "/xml")):
        mimetype = f"{mimetype}; charset=utf-8"
    response = Response(body, status=200, content_type=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{record.id}.{fmt.extension}"'
    return response


@bp.get("/records/<record_id>/export/<format_name>")
def export_record(record_id: str, format_name: str) -> Response:
    """A published version in ``format_name``. ``?draft=1``: the draft, for those who may read it."""
    optional_scope("read")
    fmt = export_format(format_name)
    session = get_session()
    if request.args.get("draft") in ("1", "true"):
        record = svc.get_record(session, current_actor(), record_id)
    else:
        record = svc.get_public_record(session, current_actor(), record_id)
    return export_response(record, fmt)


@bp.get("/exports/formats")
def list_formats() -> Response:
    """Every registered format: name, title, media type, whether it can be imported."""
    return jsonify(
        {
            "formats": [
                {
                    "name": f.name,
                    "title": f.title,
                    "media_type": f.media_type,
                    "extension": f.extension,
                    "namespace": f.namespace,
                    "schema": f.schema_location,
                    "importable": f.reader is not None,
                }
                for f in registry.formats()
            ]
        }
    )


@bp.post("/records/import")
@require_scope("deposit")
def import_draft() -> Response:
    """Create a draft from a foreign record (the request body). ``?format=`` or auto-detected.

    201 with the draft and ``"import": {"format", "unmapped", "source_identifier"}``; 400 for
    malformed or unsafe XML (naming the line) or an unknown format.
    """
    if request.content_length is not None and request.content_length > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(f"the record is larger than {MAX_IMPORT_BYTES} bytes")
    data = request.stream.read(MAX_IMPORT_BYTES + 1)
    if not data.strip():
        raise InvalidInput("send the record to import as the request body")
    try:
        name, result = import_record(data, request.args.get("format") or None)
    except ImportError_ as exc:
        raise InvalidInput(f"the record cannot be imported: {exc}") from None
    session = get_session()
    record = svc.create_draft(session, current_actor(), result.metadata)
    _keep_doi(session, record.id, result.source_identifier)
    commit(session)
    body = serialize_record(session, record)
    body["import"] = {
        "format": name,
        "unmapped": result.unmapped,
        "source_identifier": result.source_identifier,
    }
    response = jsonify(body)
    response.status_code = 201
    response.headers["ETag"] = f'"{record.revision}"'
    response.headers["Location"] = f"{base_url()}/api/records/{record.id}/draft"
    return response


def _keep_doi(session, record_id: str, source_identifier: str | None) -> None:  # type: ignore[no-untyped-def]
    """An imported record keeps its DOI (app.services.dois.adopt): never a second one."""
    from flask import current_app

    from app.services import dois
    from vocabularies import identifiers

    if not source_identifier:
        return
    try:
        identifiers.normalize_doi(source_identifier)
    except ValueError:
        return
    dois.adopt(session, current_actor(), record_id, source_identifier, dois.provider_for(current_app.config))

"""The record document: system fields around the producer's ``metadata``.

```
{"id", "pids": {"doi": {"identifier", "provider", "url"}}, "community", "created", "updated",
 "publication_date", "versions": {"index", "is_latest", "parent_id"},
 "files": [{"key", "size", "mimetype", "checksum": {"md5", "sha256"}}], "links": {...},
 "formats": [...], "size": N, "metadata": {...}}
```

``formats`` and ``size`` are derived from ``files`` (:func:`record_formats_and_size`); any value
given for them on input is replaced.
"""

from __future__ import annotations

import mimetypes
import re
from typing import Any

from marshmallow import ValidationError, fields, post_load, validates_schema
from marshmallow.validate import Range

from vocabularies import identifiers

from .api import REQUIRED_TO_SUBMIT, load_with_schema, missing_mandatory
from .dates import parse_date
from .errors import FieldError, RecordValidationError, merge_errors
from .fields import BaseSchema, Bool, Int, List, Nested, Str, Url
from .limits import InputLimitError, check_text
from .metadata import MetadataSchema


def record_formats_and_size(files: list[dict]) -> tuple[list[str], int]:
    """Distinct formats (media types, in first-seen order) and total size in bytes of ``files``.

    A file without ``mimetype`` gets one guessed from its key's extension; when none is known it
    counts as ``application/octet-stream``. DataCite ``formats``/``sizes`` and DCAT
    ``dcat:mediaType``/``dcat:byteSize`` are written from these.
    """
    formats: list[str] = []
    total = 0
    for item in files or []:
        mimetype = item.get("mimetype") or mimetypes.guess_type(item.get("key", ""), strict=False)[0]
        mimetype = mimetype or "application/octet-stream"
        if mimetype not in formats:
            formats.append(mimetype)
        total += int(item.get("size") or 0)
    return formats, total


class Timestamp(Str):
    """An ISO 8601 date-time with a time zone (``2024-05-01T10:00:00Z``)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            parsed = parse_date(text.replace("+00:00", "Z"))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if "T" not in parsed.text or not re.search(r"(Z|[+-]\d{2}:\d{2})$", parsed.text):
            raise ValidationError(f"{text!r} must be a date-time with a time zone, e.g. 2024-05-01T10:00:00Z")
        return parsed.text


class DayField(Str):
    """An ISO 8601 calendar date ``YYYY-MM-DD``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            parsed = parse_date(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", parsed.text):
            raise ValidationError(f"{text!r} must be a date YYYY-MM-DD")
        return parsed.text


class PidSchema(BaseSchema):
    """A persistent identifier registered for the record."""

    identifier = Str(kind="identifier", required=True)
    provider = Str(required=True)
    url = Url()


class _NamedEntries(Nested):
    """A JSON object whose keys are free names and whose values are all checked the same way."""

    type_message = "must be an object"

    def __init__(self, **kwargs: Any):
        super().__init__(BaseSchema, **kwargs)

    def load_entry(self, name: str, value: Any) -> tuple[str, Any]:
        """Check one entry; return (key, value) or raise ``ValidationError``."""
        raise NotImplementedError

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ValidationError(self.type_message)
        out, errors = {}, {}
        for name, entry in value.items():
            try:
                key, loaded = self.load_entry(name, entry)
            except ValidationError as err:
                errors[name] = err.messages
                continue
            out[key] = loaded
        if errors:
            raise ValidationError(errors)
        return out


class Pids(_NamedEntries):
    """``{"<scheme>": {...}}``; DOI, Handle and ARK identifiers are normalised (DOI: bare, lower case)."""

    type_message = "must be an object mapping a scheme (e.g. doi) to a PID"

    def load_entry(self, name: str, value: Any) -> tuple[str, Any]:
        """Load one PID; the scheme key is lower-cased."""
        try:
            check_text(name, "short")
        except InputLimitError as exc:
            raise ValidationError([f"the scheme name {exc}"]) from None
        loaded = PidSchema().load(value)
        if name.lower() in ("doi", "handle", "ark"):
            try:
                loaded["identifier"] = identifiers.normalize_identifier(name, loaded["identifier"])
            except ValueError as exc:
                raise ValidationError({"identifier": [str(exc)]}) from None
        return name.lower(), loaded


class ChecksumSchema(BaseSchema):
    """File checksums, lower-case hex."""

    md5 = Str()
    sha256 = Str()

    @validates_schema(skip_on_field_errors=True)
    def _hex(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors = {}
        for key, length in (("md5", 32), ("sha256", 64)):
            if key in data and not re.fullmatch(rf"[0-9a-fA-F]{{{length}}}", data[key]):
                errors[key] = [f"must be {length} hexadecimal characters"]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _lower(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {k: v.lower() for k, v in data.items()}


class FileSchema(BaseSchema):
    """A file of the record."""

    key = Str(kind="identifier", required=True)
    size = Int(required=True, validate=Range(min=0, error="must be 0 or more"))
    mimetype = Str()
    checksum = Nested(ChecksumSchema)


class VersionsSchema(BaseSchema):
    """Place of the record among the versions of one resource."""

    index = Int(required=True, validate=Range(min=1, error="must be 1 or more"))
    is_latest = Bool(required=True)
    parent_id = Str()


class Links(_NamedEntries):
    """``{"self_html": "https://...", ...}``: names to absolute URLs."""

    type_message = "must be an object mapping link names to URLs"

    def load_entry(self, name: str, value: Any) -> tuple[str, Any]:
        """Check one link URL."""
        if not isinstance(value, str):
            raise ValidationError(["must be a URL string"])
        try:
            check_text(name, "short")
            return name, identifiers.normalize_url(check_text(value, "identifier"))
        except ValueError as exc:
            raise ValidationError([str(exc)]) from None


class ReviewSchema(BaseSchema):
    """The community review a published version passed: which community, the day it was
    accepted, and the moderator's name only where the repository names them."""

    community = Str(required=True)
    date = DayField(required=True)
    moderator = Str()


def review_statement(review: dict[str, Any] | None) -> str | None:
    """The statement: "Reviewed by the X community on DATE." (and "by NAME" when named)."""
    if not review:
        return None
    who = f" by {review['moderator']}" if review.get("moderator") else ""
    return f"Reviewed by the {review['community']} community on {review['date']}{who}."


class RecordDocumentSchema(BaseSchema):
    """A record as the service stores and exports it."""

    id = Str(kind="identifier", required=True)
    pids = Pids()
    community = Str()
    created = Timestamp()
    updated = Timestamp()
    publication_date = DayField()
    versions = Nested(VersionsSchema)
    files = List(Nested(FileSchema))
    links = Links()
    reviewed_by = Nested(ReviewSchema)
    # Derived from files in post_load; whatever is sent is replaced, so it is not validated.
    formats = fields.Raw()
    size = fields.Raw()
    metadata = Nested(MetadataSchema, required=True)

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _cross(self, data: dict[str, Any], original: Any, **kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        sent = original.get("files") if isinstance(original, dict) else None
        # marshmallow keeps the valid part of an invalid item, so check that every key survived.
        loaded = data.get("files", [])
        files_ok = len(loaded) == (len(sent) if isinstance(sent, list) else 0) and all(
            isinstance(f, dict) and "key" in f for f in loaded
        )
        keys = [f["key"] for f in data.get("files", []) if "key" in f]
        seen: set[str] = set()
        for index, key in enumerate(keys):
            if key in seen:
                errors.setdefault("files", {})[index] = {"key": [f"file key {key!r} is used twice"]}
            seen.add(key)
        # Only when every file loaded: otherwise a key may be missing because its file is invalid.
        overviews = (data.get("metadata") or {}).get("graphic_overviews", []) if files_ok else []
        for index, overview in enumerate(overviews):
            if "file" in overview and overview["file"] not in seen:
                errors.setdefault("metadata", {}).setdefault("graphic_overviews", {})[index] = {
                    "file": [f"{overview['file']!r} is not the key of a file of this record"]
                }
        if errors:
            raise ValidationError(errors)

    @post_load
    def _derive(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data["formats"], data["size"] = record_formats_and_size(data.get("files", []))
        return data


def load_record_document(document: dict, *, require_mandatory: bool = False) -> dict:
    """Validate and normalise a whole record document (system fields + metadata).

    Same conventions as :func:`schemas.load_metadata`; pointers are relative to the document
    (``/metadata/creators/0/name``). ``require_mandatory`` applies to the metadata.
    """
    result, cleaned, errors = load_with_schema(
        RecordDocumentSchema(), document, "record document", size_of="metadata"
    )
    if require_mandatory and cleaned is not None and isinstance(cleaned.get("metadata"), dict):
        errors += [
            FieldError(f"/metadata{p}", [REQUIRED_TO_SUBMIT]) for p in missing_mandatory(cleaned["metadata"])
        ]
    if errors:
        raise RecordValidationError(merge_errors(errors))
    return result

"""Loading and checking metadata: the functions the rest of Alluvium calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema, ValidationError

from .errors import FieldError, RecordValidationError, clean, flatten_messages, merge_errors, to_pointer
from .limits import MAX_RECORD_BYTES, key_problems, serialised_size
from .metadata import MetadataSchema
from .tiers import is_present, scored_pointers

REQUIRED_TO_SUBMIT = "is required to submit"
UNTITLED = "(untitled)"


def load_with_schema(
    schema: Schema, data: Any, label: str, *, size_of: str | None = None
) -> tuple[dict[str, Any] | None, Any, list[FieldError]]:
    """Clean, then load with ``schema``; returns (result or None, cleaned input, errors).

    Before anything recursive runs, nesting deeper than ``MAX_JSON_DEPTH`` and object keys XML
    cannot carry are refused (nothing is loaded then); so is a value over ``MAX_RECORD_BYTES``
    serialised (the whole object, or its member ``size_of``), named by its pointer, together
    with the field errors (so that an importer can drop the one oversized field).
    """
    if not isinstance(data, dict):
        return None, None, [FieldError("", [f"{label} must be a JSON object"])]
    problems = key_problems(data)
    if problems:
        return None, None, [FieldError(to_pointer(path), [message]) for path, message in problems]
    errors: list[FieldError] = []
    size = serialised_size(data.get(size_of) if size_of else data)
    if size > MAX_RECORD_BYTES:
        message = f"is {size} bytes serialised as JSON; the limit is {MAX_RECORD_BYTES}"
        errors.append(FieldError(f"/{size_of}" if size_of else "", [message]))
    cleaned, index_map = clean(data)
    cleaned = cleaned or {}
    try:
        result = schema.load(cleaned)
    except ValidationError as err:
        return None, cleaned, errors + flatten_messages(err.messages, index_map)
    return (None if errors else result), cleaned, errors


def missing_mandatory(cleaned: dict[str, Any]) -> list[str]:
    """Mandatory pointers absent from cleaned metadata."""
    mandatory, _ = scored_pointers()
    return [p for p in mandatory if not is_present(cleaned, p)]


def load_metadata(data: dict, *, require_mandatory: bool = False) -> dict:
    """Validate and normalise a ``metadata`` object.

    Strings are stripped and empty values (``""``, ``[]``, ``{}``, ``null``) dropped before
    validation; identifiers, languages, licences and controlled values are normalised (ORCID
    ``0000-0002-1825-0097``, ROR ``https://ror.org/...``, DOI lower case, ``fre`` -> ``fr``...).
    Unknown keys are errors. With ``require_mandatory`` (submission) absent mandatory fields are
    errors too ("is required to submit"); without it (draft save) they are allowed.

    Raises :class:`RecordValidationError` listing every error, each named by a JSON Pointer
    relative to the metadata object, with indices as in ``data``.
    """
    result, cleaned, errors = load_with_schema(MetadataSchema(), data, "metadata")
    if require_mandatory and cleaned is not None:
        errors += [FieldError(p, [REQUIRED_TO_SUBMIT]) for p in missing_mandatory(cleaned)]
    if errors:
        raise RecordValidationError(merge_errors(errors))
    return result


@dataclass
class ValidationReport:
    """What a producer still has to do: errors, completeness and missing fields."""

    errors: list[FieldError] = field(default_factory=list)
    completeness: float = 0.0
    missing_mandatory: list[str] = field(default_factory=list)
    missing_recommended: list[str] = field(default_factory=list)
    #: True when the metadata can be submitted (no error, nothing mandatory missing).
    valid: bool = False


def validate_metadata(data: dict) -> ValidationReport:
    """Check metadata as for submission and score it; never raises on bad input.

    ``completeness`` is the share of mandatory + recommended fields (``schemas.tiers``) that
    are present, from 0 to 1. A present but invalid value counts as present (its error is
    in ``errors``).
    """
    try:
        load_metadata(data, require_mandatory=True)
        errors: list[FieldError] = []
    except RecordValidationError as exc:
        errors = exc.errors
    deep = isinstance(data, dict) and bool(key_problems(data))
    cleaned = clean(data)[0] if isinstance(data, dict) and not deep else None
    cleaned = cleaned or {}
    mandatory, recommended = scored_pointers()
    missing_m = [p for p in mandatory if not is_present(cleaned, p)]
    missing_r = [p for p in recommended if not is_present(cleaned, p)]
    total = len(mandatory) + len(recommended)
    completeness = (total - len(missing_m) - len(missing_r)) / total
    return ValidationReport(errors, round(completeness, 4), missing_m, missing_r, valid=not errors)


def display_title(metadata: dict) -> str:
    """The main title (a title without ``type``) in the first language given; ``"(untitled)"``.

    "First language" is the first main title in list order: producers list the title in the
    resource's own language first. Works on unvalidated data and never raises.
    """
    titles = metadata.get("titles") if isinstance(metadata, dict) else None
    if not isinstance(titles, list):
        return UNTITLED
    candidates = [
        t for t in titles if isinstance(t, dict) and isinstance(t.get("text"), str) and t["text"].strip()
    ]
    for title in candidates:
        if not title.get("type"):
            return title["text"].strip()
    return UNTITLED

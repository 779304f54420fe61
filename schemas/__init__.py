"""The canonical metadata record of Alluvium and its validation.

Every export (DataCite, ISO 19139/19115-3, INSPIRE, DC, DCAT-AP, schema.org, maDMP) is written
from the dicts this package returns. See docs/metadata-profile.md for the field list, tiers and
mappings. No Flask, SQLAlchemy or app import here: this is pure, I/O-free code.
"""

from .api import ValidationReport, display_title, load_metadata, validate_metadata
from .errors import FieldError, RecordValidationError
from .limits import InputLimitError, check_text, parse_json
from .metadata import MetadataSchema
from .patch import merge_patch
from .record import RecordDocumentSchema, load_record_document, record_formats_and_size, review_statement
from .tiers import field_tiers

__all__ = [
    "FieldError",
    "InputLimitError",
    "MetadataSchema",
    "RecordDocumentSchema",
    "RecordValidationError",
    "ValidationReport",
    "check_text",
    "display_title",
    "review_statement",
    "field_tiers",
    "load_metadata",
    "load_record_document",
    "merge_patch",
    "parse_json",
    "record_formats_and_size",
    "validate_metadata",
]

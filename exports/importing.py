"""Importing a foreign record: detect its format, run the format's reader, keep what is valid.

Readers map what they can; :func:`import_record` then loads the result with
``schemas.load_metadata`` and moves every value the canonical schema refuses into ``unmapped``
(never failing the whole import for one bad ORCID), so that the result is always a valid draft.
"""

from __future__ import annotations

import copy
from typing import Any

import schemas
from exports.registry import ImportError_, ImportResult, formats, get_format
from exports.xmlutil import safe_parse

#: Root element (namespace, local name) -> format name. ISO formats are looked up in the
#: registry at call time; they are registered by their own module.
ROOTS = {
    ("http://www.isotc211.org/2005/gmd", "MD_Metadata"): "iso19139",
    ("http://www.isotc211.org/2005/gmi", "MI_Metadata"): "iso19139",
    ("http://standards.iso.org/iso/19115/-3/mdb/1.0", "MD_Metadata"): "iso19115-3",
    ("http://standards.iso.org/iso/19115/-3/mdb/2.0", "MD_Metadata"): "iso19115-3",
    ("http://schema.datacite.org/oai/oai-1.0/", "oai_datacite"): "oai_datacite",
    ("http://schema.datacite.org/oai/oai-1.1/", "oai_datacite"): "oai_datacite",
}


def detect_format(data: bytes) -> str:
    """The registered format name of a foreign XML record, judged by its root element."""
    from lxml import etree

    root = safe_parse(data)
    qname = etree.QName(root)
    ns = qname.namespace or ""
    if qname.localname == "resource" and (ns.startswith("http://datacite.org/schema/kernel-") or not ns):
        return "datacite"
    if (ns, qname.localname) in ROOTS:
        return ROOTS[(ns, qname.localname)]
    for fmt in formats():
        if fmt.reader is not None and fmt.namespace == ns:
            return fmt.name
    raise ImportError_(f"unknown record format: root element {{{ns}}}{qname.localname}", line=root.sourceline)


def import_record(data: bytes, format_name: str | None = None) -> tuple[str, ImportResult]:
    """Read ``data`` (auto-detecting the format when not given); returns (format name, result).

    The result's metadata is accepted by ``schemas.load_metadata`` (drafts: mandatory fields may
    be missing). Raises :class:`ImportError_` for malformed or unsafe XML, or a format without
    a reader.
    """
    name = format_name or detect_format(data)
    try:
        fmt = get_format(name)
    except KeyError as exc:
        raise ImportError_(str(exc.args[0])) from None
    if fmt.reader is None:
        raise ImportError_(f"format {name!r} cannot be imported (it has no reader)")
    result = fmt.reader(data)
    metadata, dropped = keep_valid(result.metadata)
    return name, ImportResult(metadata, [*result.unmapped, *dropped], result.source_identifier)


def keep_valid(metadata: dict[str, Any], *, max_rounds: int = 500) -> tuple[dict[str, Any], list[str]]:
    """``metadata`` minus every value ``schemas.load_metadata`` refuses; returns (normalised, dropped).

    Each error is removed at the nearest list entry that holds it (an invalid ORCID drops that
    identifier, not the creator), or at the top-level field when no list is on the way.
    """
    data = copy.deepcopy(metadata)
    dropped: list[str] = []
    for _ in range(max_rounds):
        try:
            return schemas.load_metadata(data), dropped
        except schemas.RecordValidationError as exc:
            # One removal per round: removing a list entry shifts the indices of later errors.
            error = exc.errors[0]
            target = _removal_pointer(error.field)
            value = _pop(data, target)
            if value is _MISSING:
                break
            dropped.append(f"{target or '/'}: {'; '.join(error.messages)} (dropped {_short(value)})")
    raise ImportError_("the imported metadata could not be made valid: " + "; ".join(dropped[-3:]))


_MISSING = object()


def _removal_pointer(pointer: str) -> str:
    """The value to drop for an error at ``pointer``: the field itself when it is optional,
    else the nearest list entry holding it (a required field cannot be dropped alone)."""
    parts = [p for p in pointer.split("/") if p != ""]
    if parts and not parts[-1].isdigit() and not _required(parts):
        return "/" + "/".join(parts)
    for i in range(len(parts) - 1, -1, -1):
        if parts[i].isdigit():
            return "/" + "/".join(parts[: i + 1])
    return "/" + parts[0] if parts else ""


def _required(parts: list[str]) -> bool:
    """Whether the schema field at ``parts`` (a JSON pointer's segments) is required."""
    from marshmallow import fields

    schema: Any = schemas.MetadataSchema()
    field: Any = None
    for part in parts:
        if part.isdigit():
            continue
        if schema is None or part not in schema.fields:
            return True  # unknown key or schema-level error: drop the entry
        field = schema.fields[part]
        while isinstance(field, fields.List):
            field = field.inner
        schema = field.schema if isinstance(field, fields.Nested) else None
    return bool(field is not None and field.required)


def _pop(data: Any, pointer: str) -> Any:
    parts = [p for p in pointer.split("/") if p != ""]
    if not parts:
        return _MISSING
    node = data
    for part in parts[:-1]:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return _MISSING
    last = parts[-1]
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        value = node.pop(int(last))
        return value
    if isinstance(node, dict) and last in node:
        return node.pop(last)
    return _MISSING


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

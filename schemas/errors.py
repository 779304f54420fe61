"""Validation errors addressed by JSON Pointer (RFC 6901) relative to the object validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FieldError:
    """All messages about one field. ``field`` is a JSON Pointer such as
    ``/creators/0/identifiers/0/identifier``; ``""`` is the whole object."""

    field: str
    messages: list[str] = field(default_factory=list)


class RecordValidationError(Exception):
    """Raised by ``load_metadata`` / ``load_record_document``; ``errors`` lists every problem."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        summary = "; ".join(f"{e.field or '/'}: {' '.join(e.messages)}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} invalid field(s): {summary}{more}")


def escape_token(token: str | int) -> str:
    """Escape one reference token (RFC 6901 section 3: ``~`` -> ``~0``, ``/`` -> ``~1``)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def to_pointer(path: tuple[str | int, ...]) -> str:
    """JSON Pointer for a path of keys and list indices."""
    return "".join("/" + escape_token(p) for p in path)


# --- index maps -------------------------------------------------------------------------------
# Input cleaning drops empty list items; an index map remembers where each kept item came from,
# so that error pointers name the item the producer sent (its index before cleaning).

IndexMap = dict | tuple | None


def clean(value: Any) -> tuple[Any, IndexMap]:
    """Strip strings and drop empty values (``None``, ``""``, ``[]``, ``{}``), recursively.

    Returns the cleaned value (``None`` when it is empty) and its index map.
    """
    if isinstance(value, str):
        text = value.strip()
        return (text or None), None
    if isinstance(value, dict):
        out, maps = {}, {}
        for key, item in value.items():
            cleaned, sub = clean(item)
            if cleaned is not None:
                out[key], maps[key] = cleaned, sub
        return (out or None), maps
    if isinstance(value, list):
        items, origins, maps = [], [], []
        for index, item in enumerate(value):
            cleaned, sub = clean(item)
            if cleaned is not None:
                items.append(cleaned)
                origins.append(index)
                maps.append(sub)
        return (items or None), (origins, maps)
    return value, None


def _child_map(index_map: IndexMap, key: str | int) -> tuple[str | int, IndexMap]:
    if isinstance(index_map, dict):
        return key, index_map.get(key)
    if isinstance(index_map, tuple) and isinstance(key, int) and 0 <= key < len(index_map[0]):
        return index_map[0][key], index_map[1][key]
    return key, None


def flatten_messages(messages: Any, index_map: IndexMap = None, path: tuple = ()) -> list[FieldError]:
    """Turn marshmallow's nested error dict into ``FieldError`` s with original-index pointers."""
    out: list[FieldError] = []
    if isinstance(messages, dict):
        for key, sub in messages.items():
            if key == "_schema":
                out.extend(flatten_messages(sub, index_map, path))
                continue
            real_key, sub_map = _child_map(index_map, key)
            out.extend(flatten_messages(sub, sub_map, (*path, real_key)))
    elif isinstance(messages, list | tuple):
        texts = [m for m in messages if isinstance(m, str)]
        if texts:
            out.append(FieldError(to_pointer(path), texts))
        for m in messages:
            if isinstance(m, dict):
                out.extend(flatten_messages(m, index_map, path))
    elif isinstance(messages, str):
        out.append(FieldError(to_pointer(path), [messages]))
    return out


def _sort_key(pointer: str) -> tuple:
    return tuple((0, int(t), "") if t.isdigit() else (1, 0, t) for t in pointer.split("/")[1:])


def merge_errors(errors: list[FieldError]) -> list[FieldError]:
    """One ``FieldError`` per pointer, messages de-duplicated, sorted by pointer (indices numerically)."""
    merged: dict[str, list[str]] = {}
    for error in errors:
        bucket = merged.setdefault(error.field, [])
        bucket.extend(m for m in error.messages if m not in bucket)
    return [FieldError(p, merged[p]) for p in sorted(merged, key=_sort_key)]

"""A metadata proposal being built from one file: values, where each came from, validation.

Readers call :meth:`Proposal.add` (one item of a list field such as ``titles``) and
:meth:`Proposal.set` (an object or scalar field such as ``publisher``), each with a note
saying where the value was read. :meth:`Proposal.finish` validates every value against the
canonical schema on its own, keeps the normalised form of those that pass and drops (and
reports) those that do not, so one bad attribute never costs the whole proposal.
"""

from __future__ import annotations

from typing import Any

from schemas import MetadataSchema
from schemas.api import load_with_schema
from schemas.errors import escape_token

#: Longest text kept from a file attribute; longer ones are cut (with "…") and the note says so.
MAX_TEXT = 10_000
#: Most items proposed per list field (a file with 5 000 variables proposes the first ones).
MAX_ITEMS = 200


class Proposal:
    """Values proposed for the canonical ``metadata`` object, each with a source note."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self._lists: dict[str, list[tuple[Any, str]]] = {}
        self._objects: dict[str, tuple[Any, str]] = {}
        self.facts: dict[str, Any] = {}

    def note(self, text: str) -> str:
        """``from <file>: <text>``, the form every source note takes."""
        return f"from {self.filename}: {text}"

    def add(self, field: str, value: Any, note: str) -> None:
        """Propose one more item for the list field ``field`` (duplicates are skipped)."""
        items = self._lists.setdefault(field, [])
        if len(items) < MAX_ITEMS and all(existing != value for existing, _ in items):
            items.append((value, self.note(note)))

    def set(self, field: str, value: Any, note: str) -> None:
        """Propose the value of an object or scalar field (the first proposal wins)."""
        self._objects.setdefault(field, (value, self.note(note)))

    def has(self, field: str) -> bool:
        return field in self._lists or field in self._objects

    def empty(self) -> bool:
        return not self._lists and not self._objects

    def finish(self) -> tuple[dict[str, Any], dict[str, str], list[dict[str, Any]]]:
        """Validate each proposed value; return (fragment, sources, dropped).

        ``sources`` maps a JSON Pointer into the fragment to its note; ``dropped`` lists the
        values that failed validation with the schema's messages (pointer, value, messages).
        """
        fragment: dict[str, Any] = {}
        sources: dict[str, str] = {}
        dropped: list[dict[str, Any]] = []
        for field, (value, note) in self._objects.items():
            loaded, errors = _validate(field, value)
            if errors:
                dropped.append({"pointer": f"/{field}", "value": value, "note": note, "errors": errors})
            else:
                fragment[field] = loaded
                sources[f"/{escape_token(field)}"] = note
        for field, items in self._lists.items():
            kept = []
            for value, note in items:
                loaded, errors = _validate(field, [value])
                if errors:
                    dropped.append({"pointer": f"/{field}/-", "value": value, "note": note, "errors": errors})
                    continue
                sources[f"/{escape_token(field)}/{len(kept)}"] = note
                kept.append(loaded[0])
            if kept:
                fragment[field] = kept
        return fragment, sources, dropped


def _validate(field: str, value: Any) -> tuple[Any, list[dict[str, Any]]]:
    """Load ``{field: value}`` with the canonical schema; (normalised value, errors)."""
    if field not in MetadataSchema().fields:
        return None, [{"field": f"/{field}", "messages": ["is not a field of the canonical record"]}]
    result, _, errors = load_with_schema(MetadataSchema(), {field: value}, "metadata")
    if errors:
        return None, [{"field": e.field, "messages": list(e.messages)} for e in errors]
    if result is None or field not in result:
        return None, [{"field": f"/{field}", "messages": ["is empty"]}]
    return result[field], []


def text(value: Any) -> str | None:
    """An attribute value as clean text (bytes decoded, arrays joined), cut at MAX_TEXT."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        try:
            value = ", ".join(str(v) for v in value) if hasattr(value, "__iter__") else str(value)
        except TypeError:
            value = str(value)
    value = value.replace("\x00", "").strip()
    if len(value) > MAX_TEXT:
        value = value[: MAX_TEXT - 1] + "…"
    return value or None

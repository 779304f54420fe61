"""What changed between two submissions of a dataset: metadata field by field, files by checksum.

Plain Python (no Flask, no database). The moderation desk compares a resubmission with the
submission the moderator reviewed (the snapshot kept with the request for changes), and a new
version with the published version before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_MISSING: Any = object()


@dataclass(frozen=True)
class FieldChange:
    """One value that differs: its JSON pointer (RFC 6901) into the metadata, and the value
    before and after (``None`` when absent on that side)."""

    pointer: str
    before: Any
    after: Any

    @property
    def kind(self) -> str:
        """``added``, ``removed`` or ``changed``."""
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"


@dataclass
class FileChanges:
    """Files by key: added, removed, and changed (same key, another SHA-256)."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _walk(before: Any, after: Any, pointer: str, out: list[FieldChange]) -> None:
    if before == after:
        return
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(set(before) | set(after), key=str):
            _walk(before.get(key, _MISSING), after.get(key, _MISSING), f"{pointer}/{_escape(str(key))}", out)
        return
    if isinstance(before, list) and isinstance(after, list):
        for i in range(max(len(before), len(after))):
            _walk(
                before[i] if i < len(before) else _MISSING,
                after[i] if i < len(after) else _MISSING,
                f"{pointer}/{i}",
                out,
            )
        return
    if before is _MISSING and isinstance(after, (Mapping, list)):
        _walk(type(after)(), after, pointer, out)
        return
    if after is _MISSING and isinstance(before, (Mapping, list)):
        _walk(before, type(before)(), pointer, out)
        return
    out.append(
        FieldChange(pointer, None if before is _MISSING else before, None if after is _MISSING else after)
    )


def metadata_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[FieldChange]:
    """Every leaf value that differs between two metadata documents, in document order.

    Leaves are compared, so changing one corner of a bounding box is one change
    (``/spatial_extents/0/bbox/west``), not a change of the whole extent. An item added to or
    removed from a list shows as its leaves added or removed.
    """
    out: list[FieldChange] = []
    _walk(dict(before or {}), dict(after or {}), "", out)
    return out


def file_changes(before: Mapping[str, str], after: Mapping[str, str]) -> FileChanges:
    """Compare two ``{key: sha256}`` maps: added, removed, and changed by checksum (sorted)."""
    return FileChanges(
        added=sorted(set(after) - set(before)),
        removed=sorted(set(before) - set(after)),
        changed=sorted(k for k in set(before) & set(after) if before[k] != after[k]),
    )


__all__ = ["FieldChange", "FileChanges", "file_changes", "metadata_changes"]

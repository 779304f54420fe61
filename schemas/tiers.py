"""Field tiers, read from the ``metadata={"tier": ...}`` declarations on the schema fields.

Pointers use ``*`` for "any item of this list" (``/creators/*/name``). A field inside a list item
or inside an optional object that is ``mandatory`` must be present whenever its parent is.
Only the *checked* fields, those reached from the top through mandatory objects without a list
(``/titles``, ``/rights/access_level``, ``/rights/license``...), take part in the submission
check and the completeness score.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from marshmallow import Schema, fields

from .fields import MANDATORY, OPTIONAL, RECOMMENDED


@dataclass(frozen=True)
class TierEntry:
    """One field: pointer, tier, description and whether submission/completeness checks it."""

    pointer: str
    tier: str
    description: str
    checked: bool
    is_container: bool


def _walk(schema: Schema, prefix: str, checked_parent: bool, out: list[TierEntry]) -> None:
    for name, field in schema.fields.items():
        key = field.data_key or name
        pointer = f"{prefix}/{key}"
        meta = field.metadata
        level = meta.get("tier") or (MANDATORY if field.required else OPTIONAL)
        inner = field.inner if isinstance(field, fields.List) else None
        target = inner if inner is not None else field
        nested = target.schema if isinstance(target, fields.Nested) and target.schema.fields else None
        checked = checked_parent
        out.append(TierEntry(pointer, level, meta.get("description", ""), checked, nested is not None))
        if nested is not None:
            if inner is not None:
                _walk(nested, f"{pointer}/*", False, out)
            else:
                _walk(nested, pointer, checked and level == MANDATORY, out)


@lru_cache(maxsize=1)
def tier_entries() -> tuple[TierEntry, ...]:
    """All tier entries of ``MetadataSchema``, in declaration order."""
    from .metadata import MetadataSchema

    out: list[TierEntry] = []
    _walk(MetadataSchema(), "", True, out)
    return tuple(out)


def field_tiers() -> dict[str, str]:
    """JSON pointer (``*`` = any list index) -> ``"mandatory"``, ``"recommended"`` or ``"optional"``."""
    return {e.pointer: e.tier for e in tier_entries()}


def scored_pointers() -> tuple[list[str], list[str]]:
    """(mandatory, recommended) pointers used by the submission check and the completeness score.

    Containers whose children are themselves scored (``/rights``) are left out: the children say
    more precisely what is missing.
    """
    entries = [e for e in tier_entries() if e.checked and e.tier in (MANDATORY, RECOMMENDED)]
    parents = {e.pointer.rsplit("/", 1)[0] for e in entries}
    entries = [e for e in entries if e.pointer not in parents]
    return (
        [e.pointer for e in entries if e.tier == MANDATORY],
        [e.pointer for e in entries if e.tier == RECOMMENDED],
    )


def is_present(data: Any, pointer: str) -> bool:
    """True when the (cleaned) data has a value at a ``*``-free pointer."""
    node = data
    for token in pointer.split("/")[1:]:
        if not isinstance(node, dict) or token not in node:
            return False
        node = node[token]
    return node is not None

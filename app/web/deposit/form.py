"""The form of a draft, read from the canonical schema (``schemas.MetadataSchema``).

Nothing here restates a rule: which fields exist, their tiers, their types and their allowed
values all come from the marshmallow schema, walked once (:func:`form_fields`). This module only
adds presentation: which section a top-level field sits in (a field the list does not name lands
in the last section, "Other", so a field added to the schema is editable at once), labels, help
texts and examples (``app/web/deposit/help.py``).

Every input is named by the JSON pointer of the value it edits (``/titles/0/text``), so the
server's field errors land on the right input, and :func:`metadata_from_form` (here) and
``app/static/js/deposit.js`` (in the browser) turn the named inputs back into metadata the same
way: values by pointer, empty values left out, list indices compacted in order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from marshmallow import fields as mf

from schemas import MetadataSchema
from schemas.fields import OPTIONAL, Choice, Date, Float, Int
from schemas.tiers import scored_pointers

#: The sections of the Metadata-Engine, in the seed's order, and the top-level fields each holds.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "general",
        (
            "resource_type",
            "titles",
            "abstracts",
            "descriptions",
            "lineage",
            "metadata_language",
            "languages",
            "version",
            "publication_year",
            "dates",
            "alternate_identifiers",
        ),
    ),
    ("spatial", ("spatial_extents", "vertical_extent", "spatial_resolutions", "reference_systems")),
    ("temporal", ("temporal_extents",)),
    ("keywords", ("keywords", "free_keywords", "topic_categories", "platforms", "instruments", "variables")),
    ("creator", ("creators", "contacts")),
    ("publisher", ("publisher",)),
    ("logo", ("graphic_overviews",)),
    ("access", ("rights", "online_resources")),
    ("tracking", ("related_identifiers", "inspire_conformity")),
    ("contributing", ("contributors", "funding")),
    ("other", ()),
)


#: Fields drawn by a template of their own instead of the generic input (presentation only:
#: the values, names and rules stay the schema's). The template sees ``spec``, ``pointer``,
#: ``value``, ``described`` and ``ctx`` of the ``field`` macro (templates/_form.html).
WIDGET_TEMPLATES: dict[str, str] = {
    "/rights/license/id": "deposit/widgets/licence.html",
    "/rights/access_level": "deposit/widgets/access_level.html",
    "/rights/access_constraints/*/uri": "deposit/widgets/limitation.html",
    "/rights/use_constraints/*/uri": "deposit/widgets/condition.html",
}


@dataclass
class FormField:
    """One editable field. ``pattern`` is its pointer with ``*`` for list indices."""

    key: str
    pattern: str
    tier: str
    widget: str  # group, items, text, textarea, choice, number, integer, date, json
    choices: tuple[str, ...] = ()
    children: list[FormField] = field(default_factory=list)
    #: For ``items``: the item's own field (a group for objects, a scalar widget otherwise).
    item: FormField | None = None
    description: str = ""
    template: str = ""


_LONG_TEXT = {"text"}


def _widget(f: mf.Field) -> tuple[str, tuple[str, ...]]:
    if isinstance(f, Choice):
        return "choice", tuple(f.allowed())
    if isinstance(f, Int):
        return "integer", ()
    if isinstance(f, Float):
        return "number", ()
    if isinstance(f, Date):
        return "date", ()
    if isinstance(f, mf.String):
        return ("textarea" if getattr(f, "kind", "") in _LONG_TEXT else "text"), ()
    return "json", ()  # e.g. a GeoJSON polygon: typed as JSON


def _build(key: str, f: mf.Field, pattern: str) -> FormField:
    tier_ = f.metadata.get("tier") or (OPTIONAL if not f.required else "mandatory")
    desc = f.metadata.get("description", "")
    if isinstance(f, mf.List):
        item = _build("*", f.inner, pattern + "/*")
        return FormField(key, pattern, tier_, "items", item=item, description=desc)
    if isinstance(f, mf.Nested) and f.schema.fields:  # an empty schema (a GeoJSON polygon) is typed as JSON
        children = [_build(k, sub, f"{pattern}/{sub.data_key or k}") for k, sub in f.schema.fields.items()]
        return FormField(key, pattern, tier_, "group", children=children, description=desc)
    widget, choices = _widget(f)
    return FormField(
        key, pattern, tier_, widget, choices=choices, description=desc, template=WIDGET_TEMPLATES.get(pattern, "")
    )


@lru_cache(maxsize=1)
def form_fields() -> dict[str, FormField]:
    """Top-level key -> its form field, in the schema's declaration order."""
    schema = MetadataSchema()
    return {
        (f.data_key or k): _build(f.data_key or k, f, f"/{f.data_key or k}") for k, f in schema.fields.items()
    }


def sections() -> list[tuple[str, list[FormField]]]:
    """(section id, its fields) in the seed's order; fields no section names go to ``other``."""
    all_fields = form_fields()
    placed: set[str] = set()
    out: list[tuple[str, list[FormField]]] = []
    for name, keys in SECTIONS:
        chosen = [all_fields[k] for k in keys if k in all_fields]
        placed.update(f.key for f in chosen)
        out.append((name, chosen))
    rest = [f for k, f in all_fields.items() if k not in placed]
    out[-1] = (out[-1][0], out[-1][1] + rest)
    return [(name, chosen) for name, chosen in out if chosen]


def section_of(pointer: str) -> str:
    """The section holding a metadata pointer (``/creators/0/name`` -> ``creator``)."""
    top = pointer.split("/")[1] if pointer.startswith("/") else pointer
    for name, chosen in sections():
        if any(f.key == top for f in chosen):
            return name
    return "other"


def section_status(metadata: dict[str, Any], missing_mandatory: list[str], missing_recommended: list[str]):
    """Per section: (filled, missing mandatory pointers, missing recommended pointers), from
    the same scored pointers as the completeness score (``schemas.tiers``)."""
    status: dict[str, dict[str, Any]] = {}
    for name, chosen in sections():
        keys = {f.key for f in chosen}
        filled = any(metadata.get(k) not in (None, [], {}) for k in keys)
        status[name] = {
            "filled": filled,
            "mandatory": [p for p in missing_mandatory if p.split("/")[1] in keys],
            "recommended": [p for p in missing_recommended if p.split("/")[1] in keys],
        }
    return status


def scored_tiers() -> dict[str, str]:
    """Pointer -> tier for the scored fields (mandatory, recommended) — for the marks."""
    mandatory, recommended = scored_pointers()
    return {**{p: "mandatory" for p in mandatory}, **{p: "recommended" for p in recommended}}


# --- form values -> metadata ------------------------------------------------------------------


def _field_at(pointer: str) -> FormField | None:
    """The form field a concrete pointer edits (``/creators/3/name``)."""
    tokens = pointer.split("/")[1:]
    if not tokens:
        return None
    node = form_fields().get(tokens[0])
    for token in tokens[1:]:
        if node is None:
            return None
        if node.widget == "items":
            if not token.isdigit():
                return None
            node = node.item
        elif node.widget == "group":
            node = next((c for c in node.children if c.key == token), None)
        else:
            return None
    return node


class FormValueError(ValueError):
    """A form value that cannot be converted to its field's type; ``pointer`` names it."""

    def __init__(self, pointer: str, message: str):
        super().__init__(message)
        self.pointer = pointer


def _convert(pointer: str, widget: str, value: str) -> Any:
    if widget == "integer":
        try:
            return int(value)
        except ValueError:
            raise FormValueError(pointer, "must be a whole number") from None
    if widget == "number":
        try:
            return float(value.replace(",", "."))
        except ValueError:
            raise FormValueError(pointer, "must be a number (e.g. 45.5)") from None
    if widget == "json":
        try:
            return json.loads(value)
        except ValueError:
            raise FormValueError(pointer, "must be JSON") from None
    return value


def metadata_from_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Metadata from (pointer, value) form pairs: unknown names ignored, empty values left out,
    values converted to their field's type, list items kept in index order and compacted.
    Raises :class:`FormValueError` for a value of the wrong type."""
    tree: dict[str, Any] = {}
    for name, raw in pairs:
        if not name.startswith("/"):
            continue
        value = raw.strip()
        spec = _field_at(name)
        if spec is None or spec.widget in ("items", "group") or value == "":
            continue
        tokens = name.split("/")[1:]
        node = tree
        for token in tokens[:-1]:
            node = node.setdefault(token, {})
            if not isinstance(node, dict):
                break
        else:
            node[tokens[-1]] = _convert(name, spec.widget, value)
    return _shape(tree, None) or {}


def _shape(node: Any, spec: FormField | None) -> Any:
    """Index dicts -> lists (by numeric order), empty containers dropped."""
    if not isinstance(node, dict):
        return node
    if spec is not None and spec.widget == "items":
        items = [_shape(node[k], spec.item) for k in sorted(node, key=int)]
        items = [i for i in items if i not in (None, {}, [])]
        return items or None
    out = {}
    for key, value in node.items():
        child = (
            form_fields().get(key) if spec is None else next((c for c in spec.children if c.key == key), None)
        )
        shaped = _shape(value, child)
        if shaped not in (None, {}, []):
            out[key] = shaped
    return out or None

"""Importing a foreign record: detect its format, run the format's reader, keep what is valid.

Readers map what they can; :func:`import_record` then loads the result with
``schemas.load_metadata`` and moves every value the canonical schema refuses into ``unmapped``
(never failing the whole import for one bad ORCID), so that the result is always a valid draft.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

import schemas
from exports.registry import ImportError_, ImportResult, formats, get_format
from exports.xmlutil import safe_parse
from schemas.errors import escape_token

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
    # XML, with or without a UTF-8 byte order mark (upstream DataCite examples have one)
    is_xml = data.lstrip().removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"<"
    locator = SourceLocator(lambda: safe_parse(data)) if is_xml else None
    metadata, dropped = keep_valid(result.metadata, locator=locator)
    return name, ImportResult(metadata, [*result.unmapped, *dropped], result.source_identifier)


class SourceLocator:
    """Finds where a value the schema refused came from in the imported XML, so that an import
    answer names it by its SOURCE XPath (issue 10: "every import answer lists exactly what was
    not kept, by source XPath").

    Readers build canonical values from element text and attributes; the locator indexes both
    once (linear in the input) and answers the first element, in document order, whose text or
    attribute is the refused value (for an entry, one of its strings). Numbers are also indexed
    in the form the reader gives them (``-5.20`` as ``-5.2``). When no string of the value is
    found as such, the first text or attribute that contains one (of 6 characters or more) is
    named: a value the reader cut out of a longer one (an ORCID out of its URL). A value the
    reader computed otherwise (a code mapped to another list) may not be found: the answer then
    gives the canonical JSON pointer only."""

    def __init__(self, root: Any):
        """``root``: the parsed document, or a function returning it (parsed on first use only,
        so an import with nothing dropped does not parse twice)."""
        from lxml import etree

        self._root = root
        self._texts: dict[str, Any] = {}
        self._attrs: dict[str, tuple[Any, str]] = {}
        self._indexed = False
        self._qname = etree.QName
        self._positions: dict[Any, Any] = {}

    def _index(self) -> None:
        self._indexed = True
        root = self._root() if callable(self._root) else self._root
        texts: dict[str, list[Any]] = {}
        attrs: dict[str, list[Any]] = {}
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            text = (el.text or "").strip()
            if text:
                key = " ".join(text.split())
                keys = [key]
                if key[-1:].isdigit() and len(key) < 40:
                    # A number is read as a float (``-5.20`` → -5.2): index it under the
                    # canonical form too, so that a refused box or resolution is found.
                    try:
                        number = repr(float(key))
                    except ValueError:
                        number = key
                    if number != key:
                        keys.append(number)
                for key in keys:
                    if key in texts:
                        texts[key][1] += 1
                    else:
                        texts[key] = [el, 1]
            for name, value in el.attrib.items():
                value = value.strip()
                if value:
                    if value in attrs:
                        attrs[value][2] += 1
                    else:
                        attrs[value] = [el, name, 1]
        self._texts = texts
        self._attrs = attrs

    def path(self, el: Any, positions: bool = True) -> str:
        """A readable XPath with the document's prefixes and, with ``positions``, 1-based
        positions where an element has same-named siblings (computed once per parent)."""
        parts = []
        node = el
        while node is not None and isinstance(node.tag, str):
            qname = self._qname(node)
            prefix = node.prefix
            name = f"{prefix}:{qname.localname}" if prefix else qname.localname
            parent = node.getparent()
            if positions and parent is not None:
                index = self._positions.get(parent)
                if index is None:
                    index, counts = {}, {}
                    for child in parent:
                        counts[child.tag] = counts.get(child.tag, 0) + 1
                        index[child] = counts[child.tag]
                    index = self._positions[parent] = (index, counts)
                position, counts = index[0][node], index[1]
                if counts[node.tag] > 1:
                    name += f"[{position}]"
            parts.append(name)
            node = parent
        return "/" + "/".join(reversed(parts))

    def _attr_name(self, el: Any, key: str) -> str:
        if key.startswith("{"):
            ns, local = key[1:].split("}", 1)
            prefix = next((p for p, n in (el.nsmap or {}).items() if n == ns and p), None)
            return f"{prefix}:{local}" if prefix else local
        return key

    def _element(self, leaf: str) -> tuple[Any, str | None, bool] | None:
        """(element, attribute or None, unique) of the first place holding ``leaf``."""
        key = " ".join(leaf.split())
        hit = self._texts.get(key)
        if hit is not None:
            return hit[0], None, hit[1] == 1
        hit = self._attrs.get(key)
        return (hit[0], hit[1], hit[2] == 1) if hit is not None else None

    def _containing(self, leaf: str) -> tuple[Any, str | None, bool] | None:
        """(element, attribute or None, unique) of the first place whose text or attribute
        contains ``leaf``: a value the reader cut out of a longer one (an ORCID out of its URL,
        a date out of a date-time). Only for leaves long enough not to match by chance."""
        key = " ".join(leaf.split())
        if len(key) < 6:
            return None
        texts = [(hit[0], None) for text, hit in self._texts.items() if key in text]
        attrs = [(hit[0], hit[1]) for value, hit in self._attrs.items() if key in value]
        places = texts + attrs
        if not places:
            return None
        return (*places[0], len(places) == 1)

    def _named(self, el: Any, attr: str | None, unique: bool) -> str:
        # A value found in several places: the path without positions (which one is not known).
        path = self.path(el, positions=unique)
        return path + (f"/@{self._attr_name(el, attr)}" if attr else "")

    def locate(self, value: Any) -> str | None:
        """The source XPath of ``value``: for a string, its element (or attribute); for an entry,
        the nearest element holding every string of it that was found (the entry's own element,
        e.g. the ``EX_Extent`` of a refused box), unless that is the whole document. A value that
        occurs in several places is named without positions."""
        if not self._indexed:
            self._index()
        leaves = _strings(value)
        found = [hit for hit in map(self._element, leaves) if hit is not None]
        if not found:  # every string was computed: look for one the reader cut out of a longer one
            found = [hit for hit in map(self._containing, leaves) if hit is not None][:1]
        if not found:
            return None
        unique = [(el, attr) for el, attr, once in found if once]
        if not unique:  # every value occurs elsewhere too: the path, not which one
            return self._named(found[0][0], found[0][1], False)
        el, attr = unique[0]
        if len(unique) == 1:
            return self._named(el, attr, True)
        common = [el, *el.iterancestors()]
        for other, _ in unique[1:]:
            mine = {id(a) for a in (other, *other.iterancestors())}
            common = [a for a in common if id(a) in mine]
        if common and common[0].getparent() is not None:
            return self.path(common[0])
        return self._named(el, attr, True)


def _strings(value: Any, limit: int = 50) -> list[str]:
    """The string leaves of a value, depth first, at most ``limit``."""
    out: list[str] = []
    stack = [value]
    while stack and len(out) < limit:
        item = stack.pop(0)
        if isinstance(item, str):
            if item.strip():
                out.append(item.strip())
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            out.append(repr(item))
        elif isinstance(item, dict):
            stack[0:0] = list(item.values())
        elif isinstance(item, list):
            stack[0:0] = item
    return out


def keep_valid(
    metadata: dict[str, Any], *, max_rounds: int = 5, locator: SourceLocator | None = None
) -> tuple[dict[str, Any], list[str]]:
    """``metadata`` minus every value ``schemas.load_metadata`` refuses; returns (normalised, dropped).

    Each error is removed at the nearest list entry that holds it (an invalid ORCID drops that
    identifier, not the creator), or at the top-level field when no list is on the way. With a
    ``locator`` (XML imports), each dropped value is named by its source XPath first, then by the
    canonical JSON pointer in parentheses.
    """
    try:
        loaded, drops = drop_invalid(metadata, max_rounds=max_rounds)
    except schemas.RecordValidationError as exc:
        raise ImportError_(f"the imported metadata could not be made valid: {exc}") from None
    return loaded, [drop_message(target, messages, value, locator) for target, messages, value in drops]


def drop_message(target: str, messages: list[str], value: Any, locator: SourceLocator | None = None) -> str:
    """How an import answer names one value the schema refused: ``<source XPath> (<pointer>): …``
    when the source element is found, else ``<pointer>: …``."""
    where = target or "/"
    source = locator.locate(value) if locator is not None else None
    if source:
        where = f"{source} ({where})"
    return f"{where}: {'; '.join(messages)} (dropped {_short(value)})"


Drop = tuple[str, list[str], Any]  # (pointer removed, the validation messages, the value removed)


def drop_invalid(metadata: dict[str, Any], *, max_rounds: int = 5) -> tuple[dict[str, Any], list[Drop]]:
    """Load ``metadata`` (a copy), dropping what the schema refuses; returns (loaded, drops).

    The cost is linear in the input: each round validates once, collects every error, removes
    every offending value in one pass (by JSON pointer, later list entries first so indices stay
    right), and validates again. A second round is only needed when a removal uncovers a new
    error (e.g. the last main title dropped); ``max_rounds`` bounds it. Raises
    ``schemas.RecordValidationError`` with what is left when a round removes nothing (an error
    about the whole object, such as its size).
    """
    data = copy.deepcopy(metadata)
    drops: list[Drop] = []
    for _ in range(max_rounds):
        try:
            return schemas.load_metadata(data), drops
        except schemas.RecordValidationError as exc:
            errors = exc.errors
        removals: dict[str, list[str]] = {}
        for error in errors:
            bucket = removals.setdefault(_removal_pointer(error.field, data), [])
            bucket.extend(m for m in error.messages if m not in bucket)
        progressed = False
        for target in _removal_order(removals):
            value = _pop(data, target)
            if value is not _MISSING:
                drops.append((target, removals[target], value))
                progressed = True
        if not progressed:
            raise schemas.RecordValidationError(errors)
    return schemas.load_metadata(data), drops


_MISSING = object()


def _tokens(pointer: str) -> list[str]:
    """The unescaped reference tokens of a JSON pointer (RFC 6901 section 4)."""
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def _removal_order(removals: dict[str, list[str]]) -> list[str]:
    """The pointers to remove: inside one list, later entries first; none inside another one."""
    keyed = sorted(
        removals,
        key=lambda p: [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in _tokens(p)],
        reverse=True,
    )
    chosen = set(removals)
    out = []
    for pointer in keyed:
        tokens = _tokens(pointer)
        ancestors = ("".join("/" + escape_token(t) for t in tokens[:i]) for i in range(1, len(tokens)))
        if not any(a in chosen for a in ancestors):
            out.append(pointer)
    return out


def _removal_pointer(pointer: str, data: Any) -> str:
    """The value to drop for an error at ``pointer``: the field itself when it is optional and
    present, else the nearest list entry holding it (a required field cannot be dropped alone;
    a missing one, such as a name required by a cross-field rule, is no value to drop)."""
    parts = _tokens(pointer) if pointer else []
    optional = parts and not parts[-1].isdigit() and not _required(tuple(p for p in parts if not p.isdigit()))
    if optional and _present(data, parts):
        return pointer
    for i in range(len(parts) - 1, -1, -1):
        if parts[i].isdigit():
            return "".join("/" + escape_token(p) for p in parts[: i + 1])
    return "/" + escape_token(parts[0]) if parts else ""


@lru_cache(maxsize=1024)
def _required(names: tuple[str, ...]) -> bool:
    """Whether the schema field at ``names`` (a pointer's keys, list indices left out) is required."""
    from marshmallow import fields

    schema: Any = _METADATA_SCHEMA
    field: Any = None
    for part in names:
        if schema is None or part not in schema.fields:
            return True  # unknown key or schema-level error: drop the entry
        field = schema.fields[part]
        while isinstance(field, fields.List):
            field = field.inner
        schema = field.schema if isinstance(field, fields.Nested) else None
    return bool(field is not None and field.required)


_METADATA_SCHEMA = schemas.MetadataSchema()


def _present(data: Any, parts: list[str]) -> bool:
    node = data
    for part in parts:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return False
    return True


def _pop(data: Any, pointer: str) -> Any:
    parts = _tokens(pointer) if pointer else []
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
        return node.pop(int(last))
    if isinstance(node, dict) and last in node:
        return node.pop(last)
    return _MISSING


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

"""Direct, streaming writers for the restricted JSON-LD the linked-data crosswalks build.

The DCAT crosswalk (:func:`exports.dcat.to_jsonld`) builds plain dicts: an inline ``@context``
made only of prefixes, then nodes (``@id``, ``@type``, properties) whose values are strings
(plain literals), value objects (``@value`` with ``@language`` or ``@type``), nested nodes, or
lists of these. For that subset the JSON-LD 1.1 expansion and deserialisation algorithms
(JSON-LD 1.1 Processing Algorithms sections 5 and 8) come down to a walk of the tree, so the
triples are written here directly as Turtle (RDF 1.1 Turtle) and RDF/XML (RDF 1.1 XML Syntax,
"flat" form: one ``rdf:Description`` per subject), without building an rdflib graph: rdflib
parsing and serialising cost about 10 ms a record, this about 0.1 ms.

Anything outside the subset (``@list``, ``@reverse``, term definitions, numbers) raises
``ValueError``, so a crosswalk change that needs more cannot silently produce a different graph.
``tests/test_export_dcat.py`` checks that the output is isomorphic to what rdflib's JSON-LD
parser makes of the same document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape as _xml_escape

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

# A prefixed name we may write as is in Turtle (a conservative subset of PN_LOCAL, RDF 1.1 Turtle
# section 6.5) and as an XML element name (NCName) in RDF/XML.
_SAFE_LOCAL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_SAFE_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


class _Context:
    """Prefixes of the inline context, and the expansion of compact IRIs (JSON-LD 1.1 section 4.1.3)."""

    def __init__(self, context: Any):
        self.prefixes: dict[str, str] = {}
        for ctx in context if isinstance(context, list) else [context]:
            if ctx is None:
                continue
            if not isinstance(ctx, dict):
                raise ValueError("only inline contexts made of prefixes are supported")
            for key, value in ctx.items():
                if key.startswith("@") or not isinstance(value, str):
                    raise ValueError(f"context entry {key!r} is not a prefix definition")
                self.prefixes[key] = value
        self._cache: dict[str, str] = {}
        self.turtle_names: dict[str, str] = {}  # compact IRI → how Turtle writes it
        self.xml_attrs: dict[str, str] = {}  # compact IRI → its IRI escaped for an XML attribute
        # (format, IRI, class) → the whole block of a node that only has a type (a code-list
        # value, a language, a role…): common to many records.
        self.typed_blocks: dict[tuple[str, str, str], str] = {}
        self.headers: dict[str, str] = {}  # format → the prefix declarations it starts with

    def expand(self, value: str) -> str:
        """A compact IRI (``dct:title``) → its IRI; an absolute IRI is returned as is."""
        out = self._cache.get(value)
        if out is None:
            prefix, sep, suffix = value.partition(":")
            if sep and prefix in self.prefixes and not suffix.startswith("//"):
                out = _clean_iri(self.prefixes[prefix] + suffix)
            elif sep:
                out = _clean_iri(value)
            else:
                raise ValueError(f"{value!r} is neither a compact nor an absolute IRI")
            self._cache[value] = out
        return out


_CONTEXTS: dict[tuple, _Context] = {}
_NAMES: dict[tuple, Any] = {}
_CACHE_LIMIT = 20_000  # IRIs remembered per context; the cache is emptied when it grows past this


_LAST: list[Any] = [None, None]  # the last plain context seen (a copy) and its _Context


def _context(context: Any) -> _Context:
    """The (shared, cached) expansion of an inline context: a crosswalk uses one fixed context."""
    if context.__class__ is dict and context == _LAST[0]:  # the common case: the same prefixes again
        ctx = _LAST[1]
    else:
        plain = isinstance(context, dict) and all(isinstance(v, str) for v in context.values())
        key = tuple(context.items()) if plain else None
        ctx = _CONTEXTS.get(key) if key is not None else None
        if ctx is None:
            ctx = _Context(context)
            if key is not None:
                _CONTEXTS[key] = ctx
        if key is not None:
            _LAST[:] = [dict(context), ctx]
    if max(len(ctx._cache), len(ctx.turtle_names), len(ctx.xml_attrs), len(ctx.typed_blocks)) > _CACHE_LIMIT:
        ctx._cache.clear()
        ctx.turtle_names.clear()
        ctx.xml_attrs.clear()
        ctx.typed_blocks.clear()
    return ctx


def _names(prefixes: dict[str, str]) -> _Names:
    key = tuple(prefixes.items())
    names = _NAMES.get(key)
    if names is None:
        names = _NAMES[key] = _Names(prefixes)
    elif len(names._cache) > _CACHE_LIMIT:
        names._cache.clear()
        names._split.clear()
    return names


# --- Turtle (RDF 1.1 Turtle) -------------------------------------------------------------------
#
# One pass over the tree: a node without ``@id`` is written in place as a blank node property
# list ``[ … ]`` (Turtle section 2.6); a node with an ``@id`` is written as a reference, and its
# properties as a block of their own after the current one. A node described twice (an agent
# both creator and attributed party) gives the same triples twice, which a graph holds once.

_TTL_STRING_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_TTL_STRING_NEEDS = re.compile(r'["\\\n\r\t\x00-\x1f\x7f]')
# Characters RFC 3987 does not allow in an IRI (and Turtle's IRIREF, section 6.4, refuses): an
# IRI holding one is written percent-encoded (RFC 3987 section 3.1), as a browser would send it.
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def _clean_iri(iri: str) -> str:
    if _IRI_FORBIDDEN.search(iri):
        return _IRI_FORBIDDEN.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), iri)
    return iri


_TTL_STRING_TABLE = {
    **{c: f"\\u{c:04X}" for c in (*range(0x20), 0x7F)},
    **{ord(c): escaped for c, escaped in _TTL_STRING_ESCAPES.items()},
}


def _ttl_string(text: str) -> str:
    if _TTL_STRING_NEEDS.search(text):
        text = text.translate(_TTL_STRING_TABLE)
    return f'"{text}"'


class _Names:
    """Prefixed names for IRIs whose both halves are safe (cached: a crosswalk's context is fixed)."""

    def __init__(self, prefixes: dict[str, str]):
        # Longest namespace first so that a longer namespace is not shadowed by a shorter one.
        self.namespaces = sorted(
            ((ns, p) for p, ns in prefixes.items() if _SAFE_PREFIX.match(p)), key=lambda x: -len(x[0])
        )
        # A safe local name holds no "/" or "#": when every namespace ends with one of them, the
        # namespace of an IRI is what precedes its last "/" or "#" (one dict look-up, no scan).
        self.by_namespace = {ns: p for ns, p in self.namespaces}
        self.slash_hash = all(ns.endswith(("/", "#")) for ns in self.by_namespace)
        self._cache: dict[str, str] = {}
        self._split: dict[str, tuple[str, str] | None] = {}

    def split(self, iri: str) -> tuple[str, str] | None:
        try:
            return self._split[iri]
        except KeyError:
            pass
        out = None
        if self.slash_hash:
            cut = max(iri.rfind("/"), iri.rfind("#")) + 1
            prefix = self.by_namespace.get(iri[:cut])
            if prefix is not None and _SAFE_LOCAL.match(iri, cut):
                out = (prefix, iri[cut:])
        else:
            for ns, prefix in self.namespaces:
                if iri.startswith(ns):
                    local = iri[len(ns) :]
                    if _SAFE_LOCAL.match(local):
                        out = (prefix, local)
                        break
        self._split[iri] = out
        return out

    def turtle(self, iri: str) -> str:
        out = self._cache.get(iri)
        if out is None:
            parts = self.split(iri)
            if parts:
                out = f"{parts[0]}:{parts[1]}"
            else:
                out = f"<{iri}>"
            self._cache[iri] = out
        return out


class _TurtleWriter:
    """The Turtle walk. Hot path (issue 10, speed): predicates and types are looked up in the
    context's cache of Turtle names, plain and typed literals are written in the loop without a
    call, and only nested nodes recurse."""

    __slots__ = ("ctx", "names", "blocks", "tn", "done", "typed")

    def __init__(self, ctx: _Context, names: _Names):
        self.ctx = ctx
        self.names = names
        self.blocks: list[str] = []
        self.tn = ctx.turtle_names
        self.typed = ctx.typed_blocks
        # What was written for a node object met before in this document (a crosswalk shares
        # one dict between the places a node appears): a described node's reference, or the
        # text of an inline blank node at that indentation. Keyed by id(): the document holds
        # every node alive for the whole write.
        self.done: dict[Any, str] = {}

    def iri(self, compact: str) -> str:
        out = self.tn.get(compact)
        if out is None:
            out = self.tn[compact] = self.names.turtle(self.ctx.expand(compact))
        return out

    def ref(self, ident: str) -> str:
        if ident.startswith("_:"):
            return f"_:b-{ident[2:]}"
        return self.tn.get(ident) or self.iri(ident)

    def body(self, node: dict[str, Any], indent: str) -> str:
        tn = self.tn
        needs = _TTL_STRING_NEEDS.search
        parts = []
        append = parts.append
        sep = ",\n" + indent + "    "
        for key, value in node.items():
            if key[0] == "@":
                if key == "@type":
                    if value.__class__ is str:
                        append(f"{indent}a {tn.get(value) or self.iri(value)}")
                    elif value:
                        append(indent + "a " + sep.join([tn.get(k) or self.iri(k) for k in value]))
                    continue
                if key == "@id" or key == "@context":
                    continue
                raise ValueError(f"JSON-LD keyword {key!r} is not supported by the direct writer")
            pred = tn.get(key) or self.iri(key)
            cls = value.__class__
            if cls is str:  # the commonest case: one plain literal
                if needs(value):
                    value = value.translate(_TTL_STRING_TABLE)
                append(f'{indent}{pred} "{value}"')
                continue
            if cls is not list:
                if value is None:
                    continue
                value = (value,)
            objs = []
            for item in value:
                cls = item.__class__
                if cls is str:
                    if needs(item):
                        item = item.translate(_TTL_STRING_TABLE)
                    objs.append(f'"{item}"')
                elif cls is dict and len(item) == 2 and "@value" in item:
                    text = item["@value"]
                    if text.__class__ is not str:
                        objs.append(self.value(item, indent))  # refused
                        continue
                    if needs(text):
                        text = text.translate(_TTL_STRING_TABLE)
                    lang = item.get("@language")
                    if lang:
                        objs.append(f'"{text}"@{lang}')
                        continue
                    kind = item.get("@type")
                    if kind:
                        objs.append(f'"{text}"^^{tn.get(kind) or self.iri(kind)}')
                    else:
                        objs.append(self.value(item, indent))  # plain, or refused
                elif item is not None:
                    objs.append(self.value(item, indent))
            if objs:
                append(f"{indent}{pred} {sep.join(objs) if len(objs) > 1 else objs[0]}")
        return " ;\n".join(parts)

    def described(self, node: dict[str, Any]) -> str:
        """Write ``node`` (which has an ``@id``) as a block of its own, once; return its reference."""
        ref = self.done.get(id(node))
        if ref is not None:
            return ref
        ref = self.done[id(node)] = self.ref(node["@id"])
        if len(node) == 2:
            kind = node.get("@type")
            if kind.__class__ is str:
                key = ("ttl", node["@id"], kind)
                block = self.typed.get(key)
                if block is None:
                    block = self.typed[key] = f"{ref}\n    a {self.iri(kind)} .\n"
                self.blocks.append(block)
                return ref
        if len(node) > 1:
            body = self.body(node, "    ")
            if body:
                self.blocks.append(f"{ref}\n{body} .\n")
        return ref

    def value(self, item: Any, indent: str) -> str:
        if item.__class__ is str:
            return _ttl_string(item)
        if not isinstance(item, dict):
            raise ValueError(f"unsupported JSON-LD value {item!r} (numbers and booleans are not written)")
        if "@value" in item:
            text = item["@value"]
            if not isinstance(text, str) or len(item) > 2 or ("@language" in item and "@type" in item):
                raise ValueError(f"unsupported value object {item!r}")
            lang = item.get("@language")
            if lang:
                return f"{_ttl_string(text)}@{lang}"
            kind = item.get("@type")
            if kind:
                return f"{_ttl_string(text)}^^{self.iri(kind)}"
            return _ttl_string(text)
        if "@id" in item:
            return self.described(item)
        if "@list" in item or "@set" in item or "@reverse" in item:
            raise ValueError("@list, @set and @reverse are not supported by the direct writer")
        key = (id(item), indent)
        text = self.done.get(key)
        if text is None:
            body = self.body(item, indent + "    ")
            text = self.done[key] = f"[\n{body}\n{indent}]" if body else "[]"
        return text


def iter_turtle(document: dict[str, Any]) -> Iterator[str]:
    """Turtle text of the document, piece by piece (prefixes first, then one block per subject)."""
    context = document.get("@context")
    ctx = _context(context)
    names = _names(ctx.prefixes)
    writer = _TurtleWriter(ctx, names)
    for node in document["@graph"] if "@graph" in document else [document]:
        if "@id" in node:
            writer.described(node)
        else:
            writer.blocks.append(f"[]\n{writer.body(node, '    ')} .\n")
    header = ctx.headers.get("ttl")
    if header is None:
        header = ctx.headers["ttl"] = "".join(
            f"@prefix {prefix}: <{namespace}> .\n"
            for prefix, namespace in ctx.prefixes.items()
            if _SAFE_PREFIX.match(prefix)
        )
    yield header
    yield "\n"
    yield "\n".join(writer.blocks)


def turtle(document: dict[str, Any]) -> bytes:
    """The document's triples as Turtle, UTF-8."""
    return "".join(iter_turtle(document)).encode("utf-8")


# --- RDF/XML (RDF 1.1 XML Syntax) --------------------------------------------------------------
#
# Same pass: a node without ``@id`` is written in place as a property element with
# rdf:parseType="Resource" (RDF/XML section 2.11); a node with an ``@id`` as rdf:resource or
# rdf:nodeID, its properties in an ``rdf:Description`` of its own.

_XML_ATTR = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"}
_XML_TEXT = {"\r": "&#13;"}
# Characters XML 1.0 cannot carry at all (section 2.2): a literal holding one cannot be written.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_SPECIAL = re.compile('[&<>"\r\n\t\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]')
_NCNAME_TAIL = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")


def _xml_text(text: str) -> str:
    if not _XML_SPECIAL.search(text):
        return text
    if _XML_FORBIDDEN.search(text):
        raise ValueError("a literal holds a character XML 1.0 cannot represent")
    return _xml_escape(text, _XML_TEXT)


def _xml_attr(text: str) -> str:
    if not _XML_SPECIAL.search(text):
        return text
    if _XML_FORBIDDEN.search(text):
        raise ValueError("an IRI holds a character XML 1.0 cannot represent")
    return _xml_escape(text, _XML_ATTR)


class _XmlWriter:
    """The RDF/XML walk; same hot-path choices as :class:`_TurtleWriter` (cached element names
    and escaped IRIs, literals written in the loop, a node object shared in the document
    described once)."""

    __slots__ = ("ctx", "names", "blocks", "extra", "_elements", "_attrs", "done")

    def __init__(self, ctx: _Context, names: _Names):
        self.ctx = ctx
        self.names = names
        self.blocks: list[str] = []
        self.extra: dict[str, str] = {}  # namespaces of predicates without a usable prefix
        self._elements: dict[str, str] = {}
        self._attrs = ctx.xml_attrs
        self.done: dict[Any, list[str] | bool] = {}

    def element(self, key: str) -> str:
        name = self._elements.get(key)
        if name is None:
            iri = self.ctx.expand(key)
            parts = self.names.split(iri)
            if parts:
                name = f"{parts[0]}:{parts[1]}"
            else:
                # RDF/XML section 2.2: a property is written as a QName: split after the NCName tail.
                match = _NCNAME_TAIL.search(iri)
                if not match or match.start() == 0:
                    raise ValueError(f"predicate {iri!r} cannot be written as an XML element name")
                prefix = self.extra.setdefault(iri[: match.start()], f"ns{len(self.extra) + 1}")
                name = f"{prefix}:{match.group()}"
            self._elements[key] = name
        return name

    def attr(self, compact: str) -> str:
        """The expanded IRI of ``compact``, escaped for an attribute value (cached)."""
        out = self._attrs.get(compact)
        if out is None:
            out = self._attrs[compact] = _xml_attr(self.ctx.expand(compact))
        return out

    def subject_attr(self, ident: str) -> str:
        if ident.startswith("_:"):
            return f'rdf:nodeID="b-{ident[2:]}"'
        return f'rdf:about="{self._attrs.get(ident) or self.attr(ident)}"'

    def props(self, node: dict[str, Any], indent: str, out: list[str]) -> None:
        attrs = self._attrs
        elements = self._elements
        append = out.append
        for key, value in node.items():
            if key[0] == "@":
                if key == "@type":
                    for kind in value if value.__class__ is list else (value,):
                        append(f'{indent}<rdf:type rdf:resource="{attrs.get(kind) or self.attr(kind)}"/>\n')
                    continue
                if key == "@id" or key == "@context":
                    continue
                raise ValueError(f"JSON-LD keyword {key!r} is not supported by the direct writer")
            name = elements.get(key) or self.element(key)
            if value.__class__ is not list:
                if value is None:
                    continue
                value = (value,)
            for item in value:
                cls = item.__class__
                if cls is str:
                    if _XML_SPECIAL.search(item):
                        item = _xml_text(item)
                    append(f"{indent}<{name}>{item}</{name}>\n")
                elif cls is dict and len(item) == 2 and "@value" in item:
                    text = item["@value"]
                    lang = item.get("@language")
                    kind = item.get("@type")
                    if text.__class__ is not str or not (lang or kind):
                        self.prop(name, item, indent, out)  # plain, or refused
                        continue
                    if _XML_SPECIAL.search(text):
                        text = _xml_text(text)
                    if lang:
                        append(f'{indent}<{name} xml:lang="{_xml_attr(lang)}">{text}</{name}>\n')
                    else:
                        datatype = attrs.get(kind) or self.attr(kind)
                        append(f'{indent}<{name} rdf:datatype="{datatype}">{text}</{name}>\n')
                elif item is not None:
                    self.prop(name, item, indent, out)

    def prop(self, name: str, item: Any, indent: str, out: list[str]) -> None:
        if item is None:
            return
        if isinstance(item, str):
            out.append(f"{indent}<{name}>{_xml_text(item)}</{name}>\n")
            return
        if not isinstance(item, dict):
            raise ValueError(f"unsupported JSON-LD value {item!r} (numbers and booleans are not written)")
        if "@value" in item:
            text = item["@value"]
            if not isinstance(text, str) or len(item) > 2 or ("@language" in item and "@type" in item):
                raise ValueError(f"unsupported value object {item!r}")
            lang = item.get("@language")
            kind = item.get("@type")
            if lang:
                out.append(f'{indent}<{name} xml:lang="{_xml_attr(lang)}">{_xml_text(text)}</{name}>\n')
            elif kind:
                out.append(f'{indent}<{name} rdf:datatype="{self.attr(kind)}">{_xml_text(text)}</{name}>\n')
            else:
                out.append(f"{indent}<{name}>{_xml_text(text)}</{name}>\n")
            return
        if "@id" in item:
            ident = item["@id"]
            if ident.startswith("_:"):
                out.append(f'{indent}<{name} rdf:nodeID="b-{ident[2:]}"/>\n')
            else:
                out.append(f'{indent}<{name} rdf:resource="{self._attrs.get(ident) or self.attr(ident)}"/>\n')
            if len(item) > 1 and id(item) not in self.done:
                self.done[id(item)] = True
                self.described(item)
            return
        if "@list" in item or "@set" in item or "@reverse" in item:
            raise ValueError("@list, @set and @reverse are not supported by the direct writer")
        key = (id(item), indent)
        lines = self.done.get(key)
        if lines is None:
            lines = self.done[key] = []
            self.props(item, indent + "  ", lines)
        out.append(f'{indent}<{name} rdf:parseType="Resource">\n')
        out += lines
        out.append(f"{indent}</{name}>\n")

    def described(self, node: dict[str, Any]) -> None:
        if len(node) == 2:
            kind = node.get("@type")
            ident = node.get("@id")
            if kind.__class__ is str and ident is not None:
                key = ("xml", ident, kind)
                block = self.ctx.typed_blocks.get(key)
                if block is None:
                    block = self.ctx.typed_blocks[key] = (
                        f"  <rdf:Description {self.subject_attr(ident)}>\n"
                        f'    <rdf:type rdf:resource="{self.attr(kind)}"/>\n'
                        "  </rdf:Description>\n"
                    )
                self.blocks.append(block)
                return
        out = (
            [f"  <rdf:Description {self.subject_attr(node['@id'])}>\n"]
            if "@id" in node
            else ["  <rdf:Description>\n"]
        )
        self.props(node, "    ", out)
        out.append("  </rdf:Description>\n")
        self.blocks.append("".join(out))


def iter_rdfxml(document: dict[str, Any]) -> Iterator[str]:
    """RDF/XML of the document, piece by piece: one ``rdf:Description`` per described node."""
    ctx = _context(document.get("@context"))
    names = _names(ctx.prefixes)
    writer = _XmlWriter(ctx, names)
    for node in document["@graph"] if "@graph" in document else [document]:
        writer.described(node)
    header = ctx.headers.get("xml") if not writer.extra else None
    if header is None:
        declared = {"rdf": RDF_NS, **{p: ns for p, ns in ctx.prefixes.items() if _SAFE_PREFIX.match(p)}}
        declared.update({p: ns for ns, p in writer.extra.items()})
        header = "".join(
            [
                '<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF',
                *(f'\n   xmlns:{prefix}="{_xml_attr(namespace)}"' for prefix, namespace in declared.items()),
                ">\n",
            ]
        )
        if not writer.extra:
            ctx.headers["xml"] = header
    yield header
    yield from writer.blocks
    yield "</rdf:RDF>\n"


def rdfxml(document: dict[str, Any]) -> bytes:
    """The document's triples as RDF/XML, UTF-8."""
    return "".join(iter_rdfxml(document)).encode("utf-8")

"""Read a SKOS vocabulary file (Turtle, RDF/XML, JSON-LD) into plain dataclasses.

This module and its siblings are the only place rdflib is used (see STYLE.md layering). The
loader does no network access: RDF/XML and Turtle parsing never dereference anything in
rdflib, and JSON-LD documents that point at a remote ``@context`` or ``@import`` are refused
rather than fetched, because a vocabulary import must be reproducible from the file alone.

SKOS reference: W3C SKOS Reference (2009), sections 4 (concept schemes), 5 (lexical labels),
6 (notations), 7 (documentation), 8 (semantic relations). ``owl:deprecated`` and
``dct:isReplacedBy`` follow the usual practice of GEMET, the INSPIRE registry and NERC.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat
from xml.sax import make_parser
from xml.sax.handler import feature_external_ges, feature_external_pes, feature_namespaces

from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, Namespace, URIRef, plugin
from rdflib.namespace import DC, DCTERMS
from rdflib.parser import Parser
from rdflib.plugins.parsers.rdfxml import ErrorHandler, RDFXMLHandler, RDFXMLParser

ADMS = Namespace("http://www.w3.org/ns/adms#")
GCMD = Namespace("http://gcmd.gsfc.nasa.gov/kms#")

#: Default largest file accepted (bytes). GEMET in one language is about 4 MB, GCMD
#: instruments 3.7 MB; 64 MiB leaves room for all-language dumps without exhausting memory.
MAX_BYTES = 64 * 1024 * 1024

#: Deepest nesting accepted: XML elements (RDF/XML), ``[``/``(`` (Turtle blank nodes and
#: collections), arrays and objects (JSON-LD). SKOS files nest a handful of levels; the rdflib
#: parsers recurse per level, and Python's stack would end them with a RecursionError long
#: before the size limit.
MAX_DEPTH = 32

#: Most elements accepted inside one ``rdf:parseType="Literal"`` value: rdflib builds the
#: literal by string concatenation, one per element (quadratic in their number).
MAX_XML_LITERAL_ELEMENTS = 1000

FORMATS = {
    "ttl": "turtle",
    "turtle": "turtle",
    "n3": "turtle",
    "nt": "nt",
    "xml": "xml",
    "rdf": "xml",
    "owl": "xml",
    "rdfxml": "xml",
    "rdf/xml": "xml",
    "json-ld": "json-ld",
    "jsonld": "json-ld",
    "json": "json-ld",
}

# The INSPIRE registry marks retired and superseded themes with adms:status rather than
# owl:deprecated; both mean "do not use for new records".
_RETIRED_STATUS = re.compile(r"/status/(retired|superseded|invalid)$")
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")


class SkosError(ValueError):
    """A file that cannot be imported as a SKOS vocabulary; the message says where and why."""


@dataclass
class ConceptScheme:
    """A ``skos:ConceptScheme``: its URI, title per language and the dates exports cite."""

    uri: str
    title: dict[str, str] = field(default_factory=dict)
    version: str | None = None
    issued: str | None = None
    modified: str | None = None
    #: The scheme URI written in the file when it differs from ``uri`` (GeoNetwork conversions
    #: use their own scheme URIs, e.g. ``http://geonetwork-opensource.org/gemet``).
    source_uri: str | None = None


@dataclass
class Concept:
    """A ``skos:Concept`` with its labels per language and its relations, as URIs."""

    uri: str
    notation: str | None = None
    pref_labels: dict[str, str] = field(default_factory=dict)
    alt_labels: dict[str, list[str]] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)
    broader: list[str] = field(default_factory=list)
    narrower: list[str] = field(default_factory=list)
    deprecated: bool = False
    replaced_by: list[str] = field(default_factory=list)
    schemes: list[str] = field(default_factory=list)


@dataclass
class Vocabulary:
    """One concept scheme and its concepts, in URI order."""

    scheme: ConceptScheme
    concepts: list[Concept]

    def by_uri(self) -> dict[str, Concept]:
        return {c.uri: c for c in self.concepts}


def format_for(path: Path, fmt: str | None = None) -> str:
    """The rdflib parser name for an explicit format or the file extension."""
    key = (fmt or path.suffix.lstrip(".")).lower()
    try:
        return FORMATS[key]
    except KeyError:
        raise SkosError(
            f"{path.name}: cannot tell the RDF syntax from {key!r}; give the format (ttl, xml or json-ld)"
        ) from None


class _RdflibLogCatcher(logging.Handler):
    """Collect rdflib's literal-conversion complaints instead of printing tracebacks."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _quiet_rdflib() -> Iterator[_RdflibLogCatcher]:
    """Silence the bad-literal warning only. The INSPIRE registry writes ``xsd:date`` values
    such as ``2013-03-25 14:14 PM UTC``; rdflib 7 logs a traceback per literal (older rdflib
    raised a UserWarning, which pytest's ``filterwarnings=error`` turns into a failure). The
    lexical form is kept and :func:`_date` reads the ISO date from it."""
    catcher = _RdflibLogCatcher()
    logger = logging.getLogger("rdflib.term")
    saved = logger.propagate
    logger.addHandler(catcher)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Failed to convert Literal lexical form")
            # rdflib 7's own JSON-LD parser builds a ConjunctiveGraph internally and warns about it.
            warnings.filterwarnings(
                "ignore", message="ConjunctiveGraph is deprecated", category=DeprecationWarning
            )
            yield catcher
    finally:
        logger.removeHandler(catcher)
        logger.propagate = saved


def _check_xml(name: str, raw: bytes) -> None:
    """Refuse what the RDF/XML parser must never see, before it sees it: entity declarations
    (billion laughs: rdflib concatenates each expanded chunk into the literal, so even a 1 KB
    file runs for minutes), external DTDs and entities (XXE), nesting deeper than
    :data:`MAX_DEPTH` and oversized XML literals. One expat pass, no Python recursion; it
    also reports malformed XML with its line."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth = 0
    literal_depth: int | None = None
    literal_elements = 0

    def refuse(why: str) -> None:
        raise SkosError(f"{name}, line {parser.CurrentLineNumber}: {why}")

    def doctype(_name: str, system_id: str | None, public_id: str | None, _internal: int) -> None:
        if system_id or public_id:
            refuse("an external DTD is refused (nothing is fetched); remove the DOCTYPE")

    def entity(*_args: Any) -> None:
        refuse(
            "entity declarations (<!ENTITY …> in a DOCTYPE) are refused in vocabulary files; "
            "write the URIs out in full"
        )

    def external_ref(*_args: Any) -> int:
        refuse("external entities are refused")
        return 0

    def start(_tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth, literal_depth, literal_elements
        depth += 1
        if depth > MAX_DEPTH:
            refuse(f"elements nested more than {MAX_DEPTH} levels deep")
        if literal_depth is not None:
            literal_elements += 1
            if literal_elements > MAX_XML_LITERAL_ELEMENTS:
                refuse(f'an rdf:parseType="Literal" value with more than {MAX_XML_LITERAL_ELEMENTS} elements')
        elif any(k.endswith("parseType") and v == "Literal" for k, v in attrs.items()):
            literal_depth, literal_elements = depth, 0

    def end(_tag: str) -> None:
        nonlocal depth, literal_depth
        if literal_depth == depth:
            literal_depth = None
        depth -= 1

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.ExternalEntityRefHandler = external_ref
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as exc:
        raise SkosError(f"{name}, line {exc.lineno}: not valid xml: {expat.ErrorString(exc.code)}") from None


class _TextCoalescingHandler(RDFXMLHandler):
    """rdflib's RDF/XML handler appends every character chunk to the literal being built
    (``data += chunk``); expat delivers a chunk per line and per character reference, so a
    long multi-line label costs quadratic time (a 900 KB label: 13 s). Hand it each text node
    in one piece instead."""

    def reset(self) -> None:
        super().reset()
        self._pending: list[str] = []

    def _flush(self) -> None:
        if self._pending:
            text = "".join(self._pending)
            self._pending = []
            super().characters(text)

    def characters(self, content: str) -> None:
        self._pending.append(content)

    def startElementNS(self, name: Any, qname: Any, attrs: Any) -> None:
        self._flush()
        super().startElementNS(name, qname, attrs)

    def endElementNS(self, name: Any, qname: Any) -> None:
        self._flush()
        super().endElementNS(name, qname)


class _SafeRDFXMLParser(RDFXMLParser):
    """rdflib's RDF/XML parser with :class:`_TextCoalescingHandler` and external entities off."""

    def parse(self, source: Any, sink: Graph, **args: Any) -> None:
        reader = make_parser()
        reader.setFeature(feature_namespaces, 1)
        reader.setFeature(feature_external_ges, 0)
        reader.setFeature(feature_external_pes, 0)
        handler = _TextCoalescingHandler(sink)
        handler.setDocumentLocator(source)
        reader.setContentHandler(handler)
        reader.setErrorHandler(ErrorHandler())
        reader.parse(source)


plugin.register("alluvium-rdfxml", Parser, __name__, "_SafeRDFXMLParser")

# Outside strings, IRIs, escapes and comments, these open and close a nesting level in Turtle.
_TURTLE_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^>\s]*>|\\.|#[^\n]*|([\[({])|([\])}])',
    re.S,
)


def _check_turtle(name: str, text: str) -> None:
    """Refuse blank-node property lists and collections nested deeper than :data:`MAX_DEPTH`
    (rdflib's Turtle parser is recursive descent: 5,000 ``[`` end it with a RecursionError)."""
    depth = 0
    for match in _TURTLE_TOKENS.finditer(text):
        if match.group(1):
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                raise SkosError(
                    f"{name}, line {line}: blank nodes or collections nested more than {MAX_DEPTH} levels deep"
                )
        elif match.group(2):
            depth = max(depth - 1, 0)


def _json_depth_exceeds(doc: Any, limit: int) -> bool:
    """Whether arrays/objects nest deeper than ``limit`` (iterative: the document may be deep)."""
    stack = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _remote_jsonld_refs(node: Any) -> Iterator[str]:
    """Remote ``@context``/``@import`` references anywhere in a JSON-LD document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("@context", "@import"):
                refs = value if isinstance(value, list) else [value]
                yield from (r for r in refs if isinstance(r, str))
            yield from _remote_jsonld_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _remote_jsonld_refs(item)


def _parse_graph(path: Path, rdf_format: str, max_bytes: int) -> Graph:
    if not path.is_file():
        raise SkosError(f"{path}: no such file")
    size = path.stat().st_size
    if size > max_bytes:
        raise SkosError(f"{path.name}: {size} bytes is more than the {max_bytes}-byte limit")
    raw = path.read_bytes()
    graph = Graph()
    parser_name = rdf_format
    if rdf_format == "json-ld":
        too_deep = f"{path.name}: arrays or objects nested more than {MAX_DEPTH} levels deep"
        try:
            doc = json.loads(raw)
        except RecursionError:
            raise SkosError(too_deep) from None
        except (ValueError, UnicodeDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            raise SkosError(f"{path.name}{f', line {line}' if line else ''}: not valid JSON: {exc}") from None
        if _json_depth_exceeds(doc, MAX_DEPTH):
            raise SkosError(too_deep)
        remote = sorted(set(_remote_jsonld_refs(doc)))
        if remote:
            raise SkosError(
                f"{path.name}: the JSON-LD refers to remote contexts ({', '.join(remote)}), which are "
                "never fetched; inline the context in the file"
            )
        data: bytes | str = json.dumps(doc)
    elif rdf_format == "xml":
        _check_xml(path.name, raw)
        data, parser_name = raw, "alluvium-rdfxml"
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SkosError(f"{path.name}: not valid {rdf_format}: not UTF-8 (byte {exc.start})") from None
        _check_turtle(path.name, text)
        data = raw
    try:
        with _quiet_rdflib():
            # publicID: relative URIs resolve against the file name, never a web location.
            graph.parse(data=data, format=parser_name, publicID=path.resolve().as_uri())
    except SkosError:
        raise
    except RecursionError:
        # Backstop for nesting the checks above did not see: an error, never a traceback.
        raise SkosError(f"{path.name}: nested too deeply to parse") from None
    except Exception as exc:  # noqa: BLE001 - each rdflib parser raises its own types
        line = None
        if hasattr(exc, "getLineNumber"):  # xml.sax.SAXParseException
            line = exc.getLineNumber()
        elif getattr(exc, "lines", None) is not None:  # rdflib notation3 BadSyntax
            line = exc.lines + 1
        where = f", line {line}" if line else ""
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SkosError(f"{path.name}{where}: not valid {rdf_format}: {message}") from None
    return graph


def _lang(literal: Literal) -> str:
    # Untagged literals (e.g. the theme codes the GeoNetwork INSPIRE file stores as altLabel)
    # are kept under "" so that they are searchable but never shown as a language's label.
    return (literal.language or "").lower()


def _texts(graph: Graph, subject: URIRef, *predicates: URIRef) -> dict[str, str]:
    out: dict[str, str] = {}
    for predicate in predicates:
        for obj in sorted(graph.objects(subject, predicate), key=str):
            if isinstance(obj, Literal) and str(obj).strip():
                out.setdefault(_lang(obj), " ".join(str(obj).split()))
    return out


def _date(graph: Graph, subject: URIRef, *predicates: URIRef) -> str | None:
    for predicate in predicates:
        for obj in sorted(graph.objects(subject, predicate), key=str):
            match = _ISO_DATE.match(str(obj).strip())
            if match:
                return match.group(1)
    return None


def _first_text(graph: Graph, subjects: list[Any], *predicates: URIRef) -> str | None:
    for subject in subjects:
        for predicate in predicates:
            for obj in sorted(graph.objects(subject, predicate), key=str):
                if str(obj).strip():
                    return str(obj).strip()
    return None


def _uris(graph: Graph, subject: URIRef, predicate: URIRef) -> set[str]:
    return {str(o) for o in graph.objects(subject, predicate) if isinstance(o, URIRef)}


def _concept(
    graph: Graph, node: URIRef, inverse_broader: dict[str, set[str]], inverse_narrower: dict[str, set[str]]
) -> Concept:
    uri = str(node)
    alt: dict[str, list[str]] = {}
    for predicate in (SKOS.altLabel, SKOS.hiddenLabel):
        for obj in graph.objects(node, predicate):
            if isinstance(obj, Literal) and str(obj).strip():
                labels = alt.setdefault(_lang(obj), [])
                text = " ".join(str(obj).split())
                if text not in labels:
                    labels.append(text)
    for labels in alt.values():
        labels.sort()
    notation = next((str(o).strip() for o in sorted(graph.objects(node, SKOS.notation), key=str)), None)
    deprecated = any(str(o).strip().lower() in ("true", "1") for o in graph.objects(node, OWL.deprecated))
    deprecated = deprecated or any(_RETIRED_STATUS.search(str(o)) for o in graph.objects(node, ADMS.status))
    return Concept(
        uri=uri,
        notation=notation or None,
        pref_labels=_texts(graph, node, SKOS.prefLabel),
        alt_labels=alt,
        definitions=_texts(graph, node, SKOS.definition, SKOS.scopeNote),
        broader=sorted((_uris(graph, node, SKOS.broader) | inverse_narrower.get(uri, set())) - {uri}),
        narrower=sorted((_uris(graph, node, SKOS.narrower) | inverse_broader.get(uri, set())) - {uri}),
        deprecated=deprecated,
        replaced_by=sorted(_uris(graph, node, DCTERMS.isReplacedBy)),
        schemes=sorted(_uris(graph, node, SKOS.inScheme) | _uris(graph, node, SKOS.topConceptOf)),
    )


def parse_skos(
    path: str | Path,
    scheme_uri: str | None = None,
    fmt: str | None = None,
    *,
    max_bytes: int = MAX_BYTES,
) -> Vocabulary:
    """Parse a SKOS file into one :class:`Vocabulary`.

    ``scheme_uri`` names the concept scheme to import. Concepts whose ``skos:inScheme`` (or
    ``skos:topConceptOf``) names it, and concepts with no scheme at all, belong to it;
    concepts of other schemes in the same file are left out. Without ``scheme_uri`` the file
    must declare (or its concepts name) exactly one scheme.

    The scheme's title, version and dates come from the ``skos:ConceptScheme`` with that
    URI, or from the file's only ``skos:ConceptScheme`` when the file uses another URI for
    it. Raises :class:`SkosError` for unreadable or malformed files and for files with no
    ``skos:Concept`` in the scheme.
    """
    path = Path(path)
    graph = _parse_graph(path, format_for(path, fmt), max_bytes)
    concept_nodes = sorted(
        (n for n in set(graph.subjects(RDF.type, SKOS.Concept)) if isinstance(n, URIRef)), key=str
    )
    if not concept_nodes:
        raise SkosError(f"{path.name}: no skos:Concept found (is this a SKOS vocabulary?)")
    declared = sorted(
        (n for n in set(graph.subjects(RDF.type, SKOS.ConceptScheme)) if isinstance(n, URIRef)), key=str
    )

    # Build the inverse relations once: SKOS lets a file state only broader or only narrower.
    inverse_broader: dict[str, set[str]] = {}
    inverse_narrower: dict[str, set[str]] = {}
    for s, o in graph.subject_objects(SKOS.broader):
        inverse_broader.setdefault(str(o), set()).add(str(s))
    for s, o in graph.subject_objects(SKOS.narrower):
        inverse_narrower.setdefault(str(o), set()).add(str(s))
    concepts = [_concept(graph, n, inverse_broader, inverse_narrower) for n in concept_nodes]

    named = sorted({s for c in concepts for s in c.schemes} | {str(d) for d in declared})
    if scheme_uri is None:
        if len(named) != 1:
            raise SkosError(
                f"{path.name}: give the scheme URI; the file names "
                f"{', '.join(named) if named else 'no concept scheme'}"
            )
        scheme_uri = named[0]
    concepts = [c for c in concepts if not c.schemes or scheme_uri in c.schemes]
    if not concepts:
        raise SkosError(
            f"{path.name}: no skos:Concept in scheme {scheme_uri}; the file's schemes are {', '.join(named)}"
        )

    scheme_node = URIRef(scheme_uri)
    source_uri = None
    if scheme_node not in declared and len(declared) == 1:
        scheme_node, source_uri = declared[0], str(declared[0])
    # GCMD KMS dumps carry their version in a gcmd:gcmd node, not on a ConceptScheme.
    gcmd_nodes = list(graph.subjects(GCMD.keywordVersion, None))
    scheme = ConceptScheme(
        uri=scheme_uri,
        title=_texts(graph, scheme_node, DCTERMS.title, DC.title, SKOS.prefLabel, RDFS.label),
        version=_first_text(graph, [scheme_node], OWL.versionInfo, DCTERMS.hasVersion, ADMS.version)
        or _first_text(graph, gcmd_nodes, GCMD.keywordVersion),
        issued=_date(graph, scheme_node, DCTERMS.issued, DCTERMS.created, DC.date)
        or next((d for n in gcmd_nodes if (d := _date(graph, n, GCMD.schemeVersion))), None),
        modified=_date(graph, scheme_node, DCTERMS.modified),
        source_uri=source_uri,
    )
    return Vocabulary(scheme=scheme, concepts=concepts)

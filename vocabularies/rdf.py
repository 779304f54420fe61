"""A small, generic RDF helper: JSON-LD documents (plain dicts) in, Turtle / RDF/XML / JSON-LD out.

This is the one place outside the vocabulary loaders where rdflib is used (project rule: rdflib
only in ``vocabularies``). Crosswalks in ``exports`` build a JSON-LD document with an *inline*
``@context`` and hand it here; which property maps to what stays in ``exports``.

Remote contexts are refused: a JSON-LD processor would fetch them over the network (JSON-LD 1.1
section 3.1), which an export or an import must never do.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from rdflib import Graph

# Our names → rdflib plugin names.
# rdflib "pretty-xml" drops triples of blank nodes referenced twice; the flat "xml" writer is exact.
_FORMATS = {"turtle": "turtle", "xml": "xml", "json-ld": "json-ld", "nt": "nt"}
_PARSE_FORMATS = {"turtle": "turtle", "xml": "xml", "json-ld": "json-ld", "nt": "nt"}


def _check_contexts(node: Any) -> None:
    """Raise ``ValueError`` when a ``@context`` anywhere in ``node`` names a remote document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                for ctx in value if isinstance(value, list) else [value]:
                    if isinstance(ctx, str):
                        raise ValueError(f"remote JSON-LD context {ctx!r} refused: give the context inline")
                    _check_contexts(ctx)
            else:
                _check_contexts(value)
    elif isinstance(node, list):
        for item in node:
            _check_contexts(item)


def _prefixes(document: dict[str, Any]) -> dict[str, str]:
    """Prefix definitions of the top-level inline context (``"dct": "http://purl.org/dc/terms/"``)."""
    context = document.get("@context") or {}
    out: dict[str, str] = {}
    for ctx in context if isinstance(context, list) else [context]:
        if isinstance(ctx, dict):
            for key, value in ctx.items():
                if isinstance(value, str) and not key.startswith("@") and value.endswith(("/", "#")):
                    out[key] = value
    return out


def _parse(graph: Graph, data: bytes | str, fmt: str) -> None:
    with warnings.catch_warnings():
        # rdflib 7's own JSON-LD parser builds a ConjunctiveGraph internally and warns about it.
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        graph.parse(data=data, format=fmt)


def graph_from_jsonld(document: dict[str, Any]) -> Graph:
    """An rdflib ``Graph`` holding the triples of a JSON-LD document with an inline context."""
    _check_contexts(document)
    graph = Graph(bind_namespaces="core")
    _parse(graph, json.dumps(document), "json-ld")
    for prefix, namespace in _prefixes(document).items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


def serialize_graph(document: dict[str, Any], fmt: str) -> bytes:
    """Serialise the triples of a JSON-LD ``document`` as ``fmt``: turtle, xml, json-ld or nt.

    Prefixes declared in the document's inline ``@context`` are used in Turtle and RDF/XML.
    ``json-ld`` returns the document itself (compact, with its context), UTF-8 encoded, after
    checking that it is valid JSON-LD.
    """
    if fmt not in _FORMATS:
        raise ValueError(f"unknown RDF format {fmt!r}; known: {', '.join(sorted(_FORMATS))}")
    graph = graph_from_jsonld(document)
    if fmt == "json-ld":
        return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return graph.serialize(format=_FORMATS[fmt], encoding="utf-8")


def parse_graph(data: bytes | str, fmt: str) -> Graph:
    """Parse ``data`` (turtle, xml, json-ld or nt) into an rdflib ``Graph``; remote contexts refused."""
    if fmt not in _PARSE_FORMATS:
        raise ValueError(f"unknown RDF format {fmt!r}; known: {', '.join(sorted(_PARSE_FORMATS))}")
    if fmt == "json-ld":
        _check_contexts(json.loads(data))
    graph = Graph(bind_namespaces="core")
    _parse(graph, data, _PARSE_FORMATS[fmt])
    return graph


def graph_digest(data: bytes | str, fmt: str) -> str:
    """A digest of the triples in ``data`` that does not depend on blank node labels or on the
    order of statements (rdflib's canonical isomorphic graph): two serialisations of the same
    graph, which rdflib writes with random blank node ids, get the same digest."""
    from rdflib.compare import to_isomorphic

    return f"{to_isomorphic(parse_graph(data, fmt)).graph_digest():x}"

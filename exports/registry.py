"""The registry of metadata formats: one entry per standard, each a crosswalk from the canonical record.

A writer takes the canonical *record document* (``schemas.RecordDocumentSchema`` shape: ``id``,
``pids``, ``files``, ``links``, ``publication_date``, ``metadata``…) and returns bytes. A reader,
where import makes sense, takes bytes and returns an :class:`ImportResult` holding canonical
``metadata`` plus what could not be mapped. Nothing here touches Flask or a database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

Writer = Callable[[dict[str, Any]], bytes]


@dataclass
class ImportResult:
    """Metadata read from a foreign record, and what the canonical model could not hold."""

    metadata: dict[str, Any]
    unmapped: list[str] = field(default_factory=list)  # human-readable: "gmd:…/gmd:foo: not mapped (value…)"
    source_identifier: str | None = None  # the foreign record's own id / DOI, when it has one


Reader = Callable[[bytes], ImportResult]


class ImportError_(ValueError):
    """The foreign record cannot be read (malformed, unsafe, too large, wrong format). Says where."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass(frozen=True)
class Format:
    name: str  # short name used in URLs, CLI and OAI-PMH metadataPrefix: "datacite", "iso19139", …
    title: str
    media_type: str  # what content negotiation matches
    extension: str  # for `alluvium export --all --out DIR`
    writer: Writer
    reader: Reader | None = None
    namespace: str | None = None  # XML root namespace (OAI-PMH ListMetadataFormats)
    schema_location: str | None = None  # official schema URL (resolved offline through the catalog)
    aliases: tuple[str, ...] = ()  # other media types accepted in negotiation
    is_xml: bool = False
    #: The writer's version: bump it whenever the writer's output for some record changes. It
    #: takes part in the OAI-PMH payload cache key and item state (app/oai/items.fingerprint), so
    #: an upgrade reaches harvesters (docs/operations.md, "Upgrading").
    version: str = "1"


_REGISTRY: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    """Register ``fmt``. Its writer is called through :func:`_with_versions`: the links between
    versions (previous, next, concept) reach every format as related identifiers."""
    if fmt.name in _REGISTRY:
        raise ValueError(f"format {fmt.name!r} registered twice")
    fmt = replace(fmt, writer=_with_versions(fmt.writer))
    _REGISTRY[fmt.name] = fmt
    return fmt


def _with_versions(writer: Writer) -> Writer:
    from exports.linkeddata import with_version_relations

    def write(document: dict[str, Any]) -> bytes:
        return writer(with_version_relations(document))

    write.__name__ = getattr(writer, "__name__", "write")
    write.__doc__ = writer.__doc__
    write.__wrapped__ = writer  # type: ignore[attr-defined]
    return write


def get_format(name: str) -> Format:
    """The format called ``name``; ``KeyError`` listing the known names otherwise."""
    _load_all()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown format {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def formats() -> list[Format]:
    _load_all()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def by_media_type(media_type: str) -> Format | None:
    _load_all()
    for fmt in _REGISTRY.values():
        if media_type == fmt.media_type or media_type in fmt.aliases:
            return fmt
    return None


#: Media types whose payload is RDF: their digest is the graph's (blank node ids are random).
_RDF_MEDIA_TYPES = {"application/rdf+xml": "xml", "text/turtle": "turtle", "application/ld+json": "json-ld"}


def output_digest(fmt: Format, document: dict[str, Any]) -> str:
    """SHA-256 of what ``fmt`` writes for ``document``, equal for equal content (RDF payloads are
    compared as graphs): lets a sync tell whether a writer upgrade changed a record's payload."""
    import hashlib

    body = fmt.writer(document)
    rdf = _RDF_MEDIA_TYPES.get(fmt.media_type)
    if rdf:
        from vocabularies.rdf import graph_digest

        try:
            return hashlib.sha256(graph_digest(body, rdf).encode()).hexdigest()
        except ValueError:
            # JSON-LD naming a remote context (schema.org's "https://schema.org/") is not
            # parsed offline: its bytes are compared (equal bytes, equal content).
            pass
    return hashlib.sha256(body).hexdigest()


def _load_all() -> None:
    # Each crosswalk module registers itself on import; importing here keeps the registry
    # complete whichever module a caller imported first.
    import exports.crosswalks  # noqa: F401

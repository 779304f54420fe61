"""Hardened XML parsing for imports, and offline validation against the official schemas.

Imports read untrusted documents: no network, no DTD loading, no entity expansion (XXE,
billion laughs), a size limit, and errors that name the line.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from lxml import etree

from exports.registry import ImportError_

MAX_IMPORT_BYTES = 20 * 1024 * 1024
#: Deepest element nesting accepted (ISO 19139 records need about 20; libxml2 stops at 256).
MAX_XML_DEPTH = 128


def safe_parse(data: bytes, *, max_bytes: int = MAX_IMPORT_BYTES) -> etree._Element:
    """Parse untrusted XML: no network, no DTD, no entities, no XInclude (never processed), no huge
    text nodes, at most ``MAX_XML_DEPTH`` levels; ImportError_ with the line on failure."""
    if len(data) > max_bytes:
        raise ImportError_(f"the document is {len(data)} bytes; the limit is {max_bytes}")
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data.upper():
        raise ImportError_("documents with a DOCTYPE or entity declarations are refused")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ImportError_(f"malformed XML: {exc.msg}", line=exc.lineno) from None
    # The byte check above misses a DOCTYPE in UTF-16/32 or after a long prolog: ask the parser.
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise ImportError_("documents with a DOCTYPE or entity declarations are refused")
    depth = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > MAX_XML_DEPTH:
            raise ImportError_(
                f"the document is nested deeper than {MAX_XML_DEPTH} elements", line=element.sourceline
            )
    return root


def standards_root() -> Path | None:
    """The offline standards bundle: $ALLUVIUM_STANDARDS_PATH, else ../shared/standards beside the repo."""
    env = os.environ.get("ALLUVIUM_STANDARDS_PATH")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2] / "shared" / "standards")
    for path in candidates:
        if (path / "catalog.xml").is_file():
            return path
    return None


def _use_catalog() -> Path | None:
    root = standards_root()
    if root is not None:
        # libxml2 reads XML_CATALOG_FILES once, before it first resolves anything.
        os.environ.setdefault("XML_CATALOG_FILES", str(root / "catalog.xml"))
    return root


@lru_cache(maxsize=32)
def xml_schema(imports: tuple[tuple[str, str], ...]) -> etree.XMLSchema:
    """Compile a schema importing each (namespace, official URL), resolved offline via the catalog."""
    if _use_catalog() is None:
        raise FileNotFoundError("the offline standards bundle is absent; set ALLUVIUM_STANDARDS_PATH")
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        + "".join(f'<xs:import namespace="{ns}" schemaLocation="{loc}"/>' for ns, loc in imports)
        + "</xs:schema>"
    )
    return etree.XMLSchema(etree.XML(wrapper.encode(), parser))


def validate_xml(payload: bytes | etree._Element, imports: tuple[tuple[str, str], ...]) -> list[str]:
    """Validation errors ("line N: message") of ``payload`` against the schemas; [] when valid."""
    schema = xml_schema(imports)
    doc = payload if isinstance(payload, etree._Element) else etree.fromstring(payload)
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]

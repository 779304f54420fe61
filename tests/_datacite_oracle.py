"""The DataCite XML as the ``datacite`` package (PyPI, v1.4.x, ``schema45.dump_etree``) writes it
from our ``exports.datacite.attributes`` dict: an independent oracle for our own writer.

This is what ``exports.datacite`` did before it wrote the XML itself (issue 10): the package
builds the tree with lxml, then the same three touches as before: children moved into the
kernel-4 namespace, ``xsi:schemaLocation`` set for the kernel, and the ``identifier`` put first
(a URL identifier when the record has no DOI). The OAI wrapper is built around it with lxml.
"""

from __future__ import annotations

from typing import Any

from datacite import schema45
from lxml import etree

from exports import datacite, oai_datacite
from vocabularies import controlled

NS = datacite.NS
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def resource_from_attributes(attrs: dict[str, Any], document: dict[str, Any], kernel: str) -> etree._Element:
    root = schema45.dump_etree(attrs)
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag[0] != "{":
            el.tag = f"{{{NS}}}{el.tag}"
    location = datacite.KERNEL45_XSD if kernel == "4.5" else datacite.KERNEL4_XSD
    root.set(f"{{{XSI}}}schemaLocation", f"{NS} {location}")
    ident = root.find(f"{{{NS}}}identifier")
    if ident is None:
        ident = etree.Element(f"{{{NS}}}identifier", identifierType="URL")
        ident.text = attrs.get("url") or f"urn:alluvium:{document.get('id', '')}"
    root.insert(0, ident)
    return root


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_xml(document: dict[str, Any], kernel: str = "4.7") -> bytes:
    """What ``datacite.write_xml`` (or ``write_xml_45``) wrote with the package."""
    attrs = datacite.attributes(document, kernel=kernel)
    return serialize(resource_from_attributes(attrs, document, kernel))


def write_oai_datacite(document: dict[str, Any]) -> bytes:
    """What ``oai_datacite.write_oai_datacite`` wrote with the package."""
    ns = oai_datacite.OAI_DATACITE_NS
    resource = resource_from_attributes(datacite.attributes(document), document, "4.7")
    root = etree.Element(f"{{{ns}}}oai_datacite", nsmap={None: ns})
    root.set(f"{{{XSI}}}schemaLocation", f"{ns} {oai_datacite.OAI_DATACITE_XSD}")
    etree.SubElement(root, f"{{{ns}}}schemaVersion").text = controlled.datacite_version()
    etree.SubElement(root, f"{{{ns}}}datacentreSymbol").text = oai_datacite.DATACENTRE_SYMBOL
    etree.SubElement(root, f"{{{ns}}}payload").append(resource)
    return serialize(root)

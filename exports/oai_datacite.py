"""DataCite's OAI-PMH wrapper ``oai_datacite`` (oai-1.1), as the OpenAIRE Guidelines for Data
Archives expect it.

``oai.xsd`` 1.1: root ``oai_datacite`` with ``schemaVersion``, ``datacentreSymbol`` and a
``payload`` holding the complete kernel-4 ``resource``. OpenAIRE reads the access right from
``rightsList/rights/@rightsURI`` (``info:eu-repo/semantics/openAccess|embargoedAccess|
restrictedAccess|closedAccess``) and, under embargo, the end date as
``info:eu-repo/date/embargoEnd/YYYY-MM-DD`` (Guidelines for Data Archives, "Rights" and
"Date (Embargo)"); the DataCite payload carries both (all our DataCite outputs do), the
access right, the embargo end (``exports.datacite._rights``) and ``dateType="Available"``.

The upstream ``oai-sample-1.1.xml`` declares the oai-1.0 namespace; ours uses the 1.1 one and is
validated against oai-1.1 together with kernel-4 (the payload is ``xs:anyType``, so it is
checked laxly against whatever schema declares ``resource``).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from exports.datacite import read_xml, resource_element
from exports.registry import Format, ImportError_, ImportResult, register
from exports.xmlutil import safe_parse
from vocabularies import controlled

OAI_DATACITE_NS = "http://schema.datacite.org/oai/oai-1.1/"
OAI_DATACITE_XSD = "http://schema.datacite.org/oai/oai-1.1/oai.xsd"
#: Our datacentre symbol (DataCite repository id) until the DataCite provider is configured.
DATACENTRE_SYMBOL = "ALLUVIUM"


def write_oai_datacite(document: dict[str, Any]) -> bytes:
    """``oai_datacite`` XML: the kernel-4 record in the oai-1.1 wrapper, OpenAIRE access rights."""
    # The access right and the embargo end are already in the payload's rightsList
    # (exports.datacite._rights), where OpenAIRE reads them.
    resource = resource_element(document)
    root = etree.Element(f"{{{OAI_DATACITE_NS}}}oai_datacite", nsmap={None: OAI_DATACITE_NS})
    root.set(
        "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation", f"{OAI_DATACITE_NS} {OAI_DATACITE_XSD}"
    )
    etree.SubElement(root, f"{{{OAI_DATACITE_NS}}}schemaVersion").text = controlled.datacite_version()
    etree.SubElement(root, f"{{{OAI_DATACITE_NS}}}datacentreSymbol").text = DATACENTRE_SYMBOL
    etree.SubElement(root, f"{{{OAI_DATACITE_NS}}}payload").append(resource)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def read_oai_datacite(data: bytes) -> ImportResult:
    """Read the kernel-4 record inside an ``oai_datacite`` wrapper (1.0 or 1.1)."""
    root = safe_parse(data)
    payload = [
        el for el in root.iter() if isinstance(el.tag, str) and etree.QName(el).localname == "resource"
    ]
    if not payload:
        raise ImportError_("no DataCite resource in the oai_datacite payload", line=root.sourceline)
    return read_xml(etree.tostring(payload[0]))


OAI_DATACITE = register(
    Format(
        name="oai_datacite",
        version="2",  # online resources, services, issue 10 fixes
        title="DataCite OAI-PMH wrapper (oai_datacite 1.1, OpenAIRE)",
        media_type="application/x-oai-datacite+xml",
        extension="oai_datacite.xml",
        writer=write_oai_datacite,
        reader=read_oai_datacite,
        namespace=OAI_DATACITE_NS,
        schema_location=OAI_DATACITE_XSD,
        is_xml=True,
    )
)

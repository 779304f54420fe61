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

from exports.datacite import XSI, read_xml, resource_lines, xml_document, xml_text
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
    # (exports.datacite._rights), where OpenAIRE reads them. Written as text, like the
    # kernel-4 writer (the bytes lxml wrote before: xmlns:xsi declared once, on the wrapper).
    lines = [
        f'<oai_datacite xmlns="{OAI_DATACITE_NS}" xmlns:xsi="{XSI}" '
        f'xsi:schemaLocation="{OAI_DATACITE_NS} {OAI_DATACITE_XSD}">',
        f"  <schemaVersion>{xml_text(controlled.datacite_version())}</schemaVersion>",
        f"  <datacentreSymbol>{xml_text(DATACENTRE_SYMBOL)}</datacentreSymbol>",
        "  <payload>",
        *resource_lines(document, indent="    ", declare_xsi=False),
        "  </payload>",
        "</oai_datacite>",
    ]
    return xml_document(lines)


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

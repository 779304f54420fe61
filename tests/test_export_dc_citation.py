"""oai_dc (Dataverse harvesting), oai_datacite (OpenAIRE), BibTeX, CSL-JSON and citation text.

Expected values are hand-written from OAI-PMH 2.0 / DCMES, the OpenAIRE Guidelines for Data
Archives, biblatex and CSL 1.0.2; golden files were reviewed before being committed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from _export_records import EDGE_METADATA, all_documents, document, rich_document
from lxml import etree
from test_export_datacite import assert_golden

from exports import citation, dublincore, oai_datacite
from exports.importing import import_record
from exports.xmlutil import validate_xml
from schemas.examples import minimal_example

DC = "{http://purl.org/dc/elements/1.1/}"
OAI = "{http://schema.datacite.org/oai/oai-1.1/}"
K4 = "{http://datacite.org/schema/kernel-4}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
OAI_DC_XSD = (
    ("http://www.openarchives.org/OAI/2.0/oai_dc/", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"),
)
OAI_DATACITE_XSD = (
    ("http://schema.datacite.org/oai/oai-1.1/", "http://schema.datacite.org/oai/oai-1.1/oai.xsd"),
    ("http://datacite.org/schema/kernel-4", "http://schema.datacite.org/meta/kernel-4/metadata.xsd"),
)
DOCS = all_documents()


# --- oai_dc ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DOCS))
def test_oai_dc_is_valid(name: str, shared_standards: Path) -> None:
    assert validate_xml(dublincore.write_oai_dc(DOCS[name]), OAI_DC_XSD) == []


def test_oai_dc_validator_can_fail(shared_standards: Path) -> None:
    bad = (
        dublincore.write_oai_dc(rich_document())
        .replace(b"<dc:date>", b"<dc:when>")
        .replace(b"</dc:date>", b"</dc:when>")
    )
    assert validate_xml(bad, OAI_DC_XSD) != []


def test_oai_dc_first_identifier_is_the_doi_url_and_the_root_declares_its_namespaces() -> None:
    data = dublincore.write_oai_dc(rich_document())
    root = etree.fromstring(data)
    assert root.tag == "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
    assert root.nsmap["dc"] == "http://purl.org/dc/elements/1.1/"
    assert root.nsmap["oai_dc"] == "http://www.openarchives.org/OAI/2.0/oai_dc/"
    ids = [e.text for e in root.findall(f"{DC}identifier")]
    assert ids[0] == "https://doi.org/10.5072/alluvium.abcd-1234"
    assert root[0].tag == f"{DC}identifier"
    assert "https://alluvium.example.org/records/abcd-1234" in ids


def test_oai_dc_without_doi_starts_with_the_landing_url() -> None:
    root = etree.fromstring(dublincore.write_oai_dc(document(minimal_example())))
    assert root.find(f"{DC}identifier").text == "https://alluvium.example.org/records/rec01-abcde"


def test_oai_dc_dates_languages_and_the_rest() -> None:
    root = etree.fromstring(dublincore.write_oai_dc(rich_document()))
    # Dataverse reads dc:date as dates: only the publication date, never the OpenAIRE
    # embargoEnd URI (the embargo end is said in dc:rights, checked below).
    assert [e.text for e in root.findall(f"{DC}date")] == ["2024-06-01"]
    assert [e.text for e in root.findall(f"{DC}language")] == ["fra", "eng"]
    titles = [(e.get(XML_LANG), e.text[:11]) for e in root.findall(f"{DC}title")]
    assert titles[:2] == [("fr", "Température"), ("en", "Sea surface")]
    assert [e.text for e in root.findall(f"{DC}creator")] == [
        "Institut de recherche pour le développement",
        "Carberry, Josiah",
        "Dupont, Marie",
    ]
    assert root.find(f"{DC}publisher").text == "ODATIS / Data Terra"
    assert [e.text for e in root.findall(f"{DC}type")] == ["Dataset", "In situ time series"]
    assert [e.text for e in root.findall(f"{DC}format")] == ["application/x-netcdf", "image/png"]
    rights = [e.text for e in root.findall(f"{DC}rights")]
    assert rights[:3] == [
        "https://spdx.org/licenses/CC-BY-4.0.html",
        "info:eu-repo/semantics/embargoedAccess",
        "Embargoed until 2026-12-31",
    ]
    coverage = [e.text for e in root.findall(f"{DC}coverage")]
    assert "westlimit=160; eastlimit=-150; southlimit=-35; northlimit=-10" in coverage
    assert "2019-03-01/.." in coverage  # open-ended
    assert "2015-01/2016-12" in coverage
    descriptions = [e.text for e in root.findall(f"{DC}description")]
    assert "Raw Argos transmissions decoded, flagged and averaged hourly." in descriptions  # lineage
    assert "No limitation on public access after the embargo." in rights  # access constraints
    assert ("BUOYS", None) in [(e.text, e.get(XML_LANG)) for e in root.findall(f"{DC}subject")]  # platform
    subjects = [(e.text, e.get(XML_LANG)) for e in root.findall(f"{DC}subject")]
    assert ("bouées dérivantes", "fr") in subjects


def test_iso639_3_codes() -> None:
    assert [dublincore.iso639_3(t) for t in ("fr", "en-GB", "de", "oc")] == ["fra", "eng", "deu", "oci"]


# --- oai_datacite ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DOCS))
def test_oai_datacite_is_valid_wrapper_and_payload(name: str, shared_standards: Path) -> None:
    assert validate_xml(oai_datacite.write_oai_datacite(DOCS[name]), OAI_DATACITE_XSD) == []


def test_oai_datacite_payload_is_really_validated(shared_standards: Path) -> None:
    bad = oai_datacite.write_oai_datacite(rich_document()).replace(
        b'dateType="Collected"', b'dateType="Gathered"'
    )
    errors = validate_xml(bad, OAI_DATACITE_XSD)
    assert errors and "Gathered" in errors[0]


def test_oai_datacite_wrapper_and_openaire_rights() -> None:
    root = etree.fromstring(oai_datacite.write_oai_datacite(rich_document()))
    assert root.tag == f"{OAI}oai_datacite"
    assert root.find(f"{OAI}schemaVersion").text == "4.7"
    assert root.find(f"{OAI}datacentreSymbol").text == "ALLUVIUM"
    resource = root.find(f"{OAI}payload/{K4}resource")
    uris = [r.get("rightsURI") for r in resource.findall(f"{K4}rightsList/{K4}rights")]
    assert "info:eu-repo/semantics/embargoedAccess" in uris
    assert "info:eu-repo/date/embargoEnd/2026-12-31" in uris


@pytest.mark.parametrize(
    ("edge", "uri"),
    [
        ("restricted", "info:eu-repo/semantics/restrictedAccess"),
        ("metadata-only", "info:eu-repo/semantics/closedAccess"),
        ("dateline-box", "info:eu-repo/semantics/openAccess"),
    ],
)
def test_oai_datacite_access_rights(edge: str, uri: str) -> None:
    root = etree.fromstring(oai_datacite.write_oai_datacite(document(EDGE_METADATA[edge])))
    uris = [r.get("rightsURI") for r in root.iter(f"{K4}rights")]
    assert uri in uris
    assert not [u for u in uris if u and u.startswith("info:eu-repo/date/embargoEnd/")]


def test_oai_datacite_imports_back() -> None:
    name, result = import_record(oai_datacite.write_oai_datacite(rich_document()))
    assert name == "oai_datacite"
    assert result.metadata["rights"]["access_level"] == "embargoed"
    assert result.metadata["titles"][0]["lang"] == "fr"


# --- citations ---------------------------------------------------------------------------------


def test_citation_text_in_the_datacite_form() -> None:
    assert citation.citation_text(rich_document()) == (
        "Institut de recherche pour le développement; Carberry, Josiah; Dupont, Marie (2024). "
        "Température et salinité de surface des bouées dérivantes du Pacifique Sud-Ouest. Version 1.2.0. "
        "ODATIS / Data Terra. https://doi.org/10.5072/alluvium.abcd-1234"
    )
    assert citation.citation_text(document(minimal_example())) == (
        "Martin, Claire (2024). Soil moisture at the Lusignan observatory. THEIA. "
        "https://alluvium.example.org/records/rec01-abcde"
    )


def test_bibtex_entry() -> None:
    text = citation.write_bibtex(rich_document()).decode()
    assert text.startswith("@misc{alluvium:abcd-1234,\n")
    assert (
        "  author = {{Institut de recherche pour le développement} and Carberry, Josiah and Dupont, Marie},\n"
        in text
    )
    assert "  year = {2024},\n" in text
    assert "  doi = {10.5072/alluvium.abcd-1234},\n" in text
    assert "  url = {https://alluvium.example.org/records/abcd-1234},\n" in text
    assert "  version = {1.2.0},\n" in text
    assert "  publisher = {ODATIS / Data Terra},\n" in text
    assert text.endswith("}\n")


def test_bibtex_escapes_latex_specials() -> None:
    md = {**minimal_example(), "titles": [{"text": "Nitrate & 15% of #1_a {x}"}]}
    text = citation.write_bibtex(document(md)).decode()
    assert r"title = {{Nitrate \& 15\% of \#1\_a \{x\}}}" in text


def test_csl_json_item() -> None:
    item = json.loads(citation.write_csl_json(rich_document()))
    assert item["type"] == "dataset"
    assert item["author"][0] == {"literal": "Institut de recherche pour le développement"}
    assert item["author"][1] == {"family": "Carberry", "given": "Josiah"}
    assert item["issued"] == {"date-parts": [[2024, 6, 1]]}
    assert item["DOI"] == "10.5072/alluvium.abcd-1234"
    assert item["URL"] == "https://doi.org/10.5072/alluvium.abcd-1234"
    assert item["version"] == "1.2.0" and item["publisher"] == "ODATIS / Data Terra"


@pytest.mark.parametrize("name", sorted(DOCS))
def test_citations_for_every_record(name: str) -> None:
    doc = DOCS[name]
    assert citation.citation_text(doc).count("(") >= 1
    assert citation.write_bibtex(doc).decode().count("{") == citation.write_bibtex(doc).decode().count("}")
    assert json.loads(citation.write_csl_json(doc))["title"]


# --- golden files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt_name", "filename", "writer", "kind"),
    [
        ("oai_dc", "rich.xml", dublincore.write_oai_dc, "xml"),
        ("oai_datacite", "rich.xml", oai_datacite.write_oai_datacite, "xml"),
        ("bibtex", "rich.bib", citation.write_bibtex, "text"),
        ("csl-json", "rich.json", citation.write_csl_json, "json"),
        ("citation", "rich.txt", citation.write_citation, "text"),
    ],
)
def test_rich_matches_golden_file(fmt_name: str, filename: str, writer, kind: str) -> None:  # type: ignore[no-untyped-def]
    assert_golden(fmt_name, filename, writer(rich_document()), kind=kind)


@pytest.mark.parametrize("name", ["rich", *sorted(EDGE_METADATA)])
def test_oai_dc_date_holds_only_dates(name: str) -> None:
    """Recherche Data Gouv's Dataverse importer parses every dc:date as a date."""
    doc = rich_document() if name == "rich" else document(EDGE_METADATA[name])
    root = etree.fromstring(dublincore.write_oai_dc(doc))
    dates = [e.text for e in root.findall(f"{DC}date")]
    assert dates
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in dates), dates

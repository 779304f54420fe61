"""The ISO 19139 / 19115-3 writers write their XML text themselves (issue 10, exports/_iso.py):
regression against the previous writer's output, escaping against lxml, the builders' order check.

The fixtures in tests/data/iso_writer/ (``<name>.json`` a loaded record document,
``<name>.<format>.xml`` its export) were produced by the previous writer, which built an lxml tree
and serialised it with ``etree.tostring(pretty_print=True)``, and whose output the schema tests
(tests/test_export_iso.py) validated against the official XSDs: the edge records, a demo record,
imported foreign records (tests/data/foreign_*.xml, the 19115-3 VMAP example), a generated record
with several affiliations and a generated service (tests/test_roundtrip_properties.py
strategies), a record whose values need escaping, a service built from the rich example.
Pure tests: no app, no database.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from exports import _iso as I
from exports import get_format, iso19139
from exports import iso19115_3 as iso3
from exports.xmlutil import validate_xml

DATA = Path(__file__).resolve().parent / "data" / "iso_writer"
NAMES = sorted(p.name.removesuffix(".json") for p in DATA.glob("*.json"))
FORMATS = ("iso19139", "iso19115-3")


def _exc_c14n(xml: bytes) -> bytes:
    return etree.tostring(etree.fromstring(xml), method="c14n", exclusive=True)


def test_the_fixtures_are_there():
    assert len(NAMES) >= 12
    for name in NAMES:
        for fmt in FORMATS:
            assert (DATA / f"{name}.{fmt}.xml").is_file(), (name, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", NAMES)
def test_same_document_as_the_previous_writer(fmt, name):
    """Exclusive C14N of the output equals that of the previous writer's."""
    document = json.loads((DATA / f"{name}.json").read_text())
    expected = (DATA / f"{name}.{fmt}.xml").read_bytes()
    produced = get_format(fmt).writer(document)
    assert _exc_c14n(produced) == _exc_c14n(expected)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", NAMES)
def test_same_bytes_as_the_previous_writer(fmt, name):
    """Byte for byte (declaration, indentation, empty elements, escaping): the formats' writer
    versions (exports/registry.py, the OAI payload cache key) were therefore not bumped."""
    document = json.loads((DATA / f"{name}.json").read_text())
    assert get_format(fmt).writer(document) == (DATA / f"{name}.{fmt}.xml").read_bytes()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", NAMES)
def test_output_is_valid_against_the_official_xsd(shared_standards, fmt, name):
    document = json.loads((DATA / f"{name}.json").read_text())
    schemas = iso19139.SCHEMAS if fmt == "iso19139" else iso3.SCHEMAS
    assert validate_xml(get_format(fmt).writer(document), schemas) == []


def test_the_comparison_can_fail():
    document = json.loads((DATA / "minimal.json").read_text())
    document["metadata"]["titles"][0]["text"] += " (changed)"
    produced = get_format("iso19139").writer(document)
    assert _exc_c14n(produced) != _exc_c14n((DATA / "minimal.iso19139.xml").read_bytes())


# --- escaping, checked against lxml's serialiser --------------------------------------------------


def _lxml_text(value: str) -> str:
    el = etree.Element("a")
    el.text = value
    return etree.tostring(el, encoding="unicode")[3:-4]


def _lxml_attribute(value: str) -> str:
    el = etree.Element("a")
    el.set("b", value)
    return etree.tostring(el, encoding="unicode")[6:-3]


SPECIAL = st.text(
    alphabet=st.sampled_from("ab &<>\"'\n\r\t\x00\x01\x0b\x1f\x7f\x85é€\ufffd\ufffe\uffff😀]]>")
)


@settings(max_examples=300)
@given(st.one_of(SPECIAL, st.text()))
def test_escaping_is_lxml_s(value):
    """The same escaping as libxml2, and a refusal (ValueError) where lxml refused the value."""
    try:
        text, attribute = _lxml_text(value), _lxml_attribute(value)
    except ValueError:
        with pytest.raises(ValueError, match="XML compatible"):
            I.escape_text(value)
        with pytest.raises(ValueError, match="XML compatible"):
            I.escape_attribute(value)
        return
    assert I.escape_text(value) == text
    assert I.escape_attribute(value) == attribute


def test_a_control_character_in_a_record_is_refused_as_lxml_did():
    document = json.loads((DATA / "minimal.json").read_text())
    document["metadata"]["abstracts"][0]["text"] = "bell \x07"
    for fmt in FORMATS:
        with pytest.raises(ValueError, match="XML compatible"):
            get_format(fmt).writer(document)


@pytest.mark.parametrize("writer", [iso19139.write_iso19139, iso3.write_iso19115_3])
def test_values_with_markup_characters_parse_back(writer):
    document = json.loads((DATA / "escaping.json").read_text())
    root = etree.fromstring(writer(document))
    texts = {t.strip() for t in root.itertext()}
    assert document["metadata"]["titles"][0]["text"] in texts
    hrefs = set(root.xpath("//@xlink:href", namespaces={"xlink": "http://www.w3.org/1999/xlink"}))
    assert "https://example.org/?a=1&b=2" in hrefs


# --- the builders ------------------------------------------------------------------------------


class _Tiny(I.Writer):
    NSMAP = {"gco": "urn:gco", "cit": "urn:cit"}

    def build(self):
        root = self.root("cit:root", self.NSMAP)
        first = self.sub(root, "cit:first")
        self.string(first, "cit:name", "a < b")
        self.sub(root, "cit:empty")
        self.subs(root, "cit:chain", "cit:inner")
        self.sub(root, "cit:leaf", "x & y", code="1")
        return root


def test_tiny_document_is_what_lxml_writes():
    produced = _Tiny({"id": "t"}).write()
    root = etree.Element("{urn:cit}root", nsmap={"gco": "urn:gco", "cit": "urn:cit"})
    first = etree.SubElement(root, "{urn:cit}first")
    etree.SubElement(etree.SubElement(first, "{urn:cit}name"), "{urn:gco}CharacterString").text = "a < b"
    etree.SubElement(root, "{urn:cit}empty")
    etree.SubElement(etree.SubElement(root, "{urn:cit}chain"), "{urn:cit}inner")
    leaf = etree.SubElement(root, "{urn:cit}leaf", code="1")
    leaf.text = "x & y"
    assert produced == etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def test_adding_to_an_element_already_closed_is_refused():
    class OutOfOrder(_Tiny):
        def build(self):
            root = self.root("cit:root", self.NSMAP)
            first = self.sub(root, "cit:first")
            self.sub(root, "cit:second")
            self.string(first, "cit:name", "late")  # first was closed when second began
            return root

    with pytest.raises(ValueError, match="already closed"):
        OutOfOrder({"id": "t"}).write()


def test_element_gives_an_lxml_tree():
    root = iso19139._Writer(json.loads((DATA / "minimal.json").read_text())).element()
    assert root.tag == "{http://www.isotc211.org/2005/gmd}MD_Metadata"

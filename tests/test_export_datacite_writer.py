"""Our own DataCite XML writer (exports.datacite, issue 10) against an independent oracle.

The oracle is the ``datacite`` PyPI package (``schema45.dump_etree``, lxml), which wrote our
DataCite XML before, fed with the same ``exports.datacite.attributes`` dict (the dict path
stays: it is also the DataCite JSON). tests/_datacite_oracle.py rebuilds that former pipeline.
For the example records (schemas.examples, the demo records and the edge cases of
tests/_export_records.py) and for Hypothesis-generated records, the writer's output must equal
the oracle's after exclusive C14N, and byte for byte: unchanged bytes are why the writer versions
of ``datacite``, ``datacite45`` and ``oai_datacite`` (the OAI-PMH cache key) were not bumped.
A third test feeds both writers attribute dicts built directly by Hypothesis (empty strings,
absent optional keys, XML-special and non-ASCII characters), beyond what the schema lets in.

Pure tests: no app, no database.
"""

from __future__ import annotations

import copy
from typing import Any

import _datacite_oracle as oracle
import pytest
from _export_records import all_documents
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from test_roundtrip_properties import document, record

from exports import datacite, oai_datacite
from exports.linkeddata import with_version_relations
from schemas import load_metadata

DOCS = all_documents()
WRITERS = {
    "datacite": (datacite.write_xml, lambda d: oracle.write_xml(d)),
    "datacite45": (datacite.write_xml_45, lambda d: oracle.write_xml(d, "4.5")),
    "oai_datacite": (oai_datacite.write_oai_datacite, oracle.write_oai_datacite),
}


def exc14n(data: bytes) -> bytes:
    """Exclusive XML canonicalisation (C14N 1.0, exclusive, no comments)."""
    return etree.tostring(etree.fromstring(data), method="c14n", exclusive=True)


def assert_same(mine: bytes, theirs: bytes) -> None:
    assert exc14n(mine) == exc14n(theirs)
    assert mine == theirs


@pytest.mark.parametrize("fmt", sorted(WRITERS))
@pytest.mark.parametrize("name", sorted(DOCS))
def test_example_records_equal_the_datacite_package(name: str, fmt: str) -> None:
    doc = with_version_relations(DOCS[name])  # as the registry calls the writers
    ours, theirs = WRITERS[fmt]
    assert_same(ours(doc), theirs(doc))


# --- Hypothesis: canonical records -------------------------------------------------------------

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Characters XML 1.0 carries that the input schema keeps (schemas/limits.py), with the ones the
#: writer must escape or pass through drawn often.
SPECIAL = list("&<>\"'\t\n\r;]]>=/#é中ø") + ["😀", "\u00a0", "\u2028", "&amp;", "<!--", "]]>"]
CHARS = st.one_of(
    st.sampled_from(SPECIAL),
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.characters(min_codepoint=0xA0, exclude_categories=("Cs",), exclude_characters="\ufffe\uffff"),
)
LINE = st.lists(CHARS, min_size=1, max_size=30).map("".join).filter(lambda s: s.strip())


@st.composite
def hostile_record(draw: Any) -> dict[str, Any]:
    """A valid canonical record (tests/test_roundtrip_properties.record) whose free texts hold
    characters XML must escape, line breaks and tabs (kept in multi-line texts) and non-ASCII."""
    md = copy.deepcopy(draw(record()))
    md["titles"][0]["text"] = draw(LINE)
    md["abstracts"][0]["text"] = draw(LINE)
    md["lineage"] = [{"text": draw(LINE)}]
    md["creators"].append({"type": "Organizational", "name": draw(LINE)})
    md["creators"][0]["affiliations"][0]["name"] = draw(LINE)
    md["publisher"] = {"name": draw(LINE)}
    md["free_keywords"] = [{"term": draw(LINE)}]
    md["version"] = draw(LINE)
    md["funding"] = [{"funder_name": draw(LINE), "award_number": draw(LINE), "award_title": draw(LINE)}]
    md["rights"]["use_constraints"] = [{"text": draw(LINE)}]
    md["spatial_extents"][0]["place"] = draw(LINE)
    return load_metadata(md)


@SETTINGS
@given(record())
def test_generated_records_equal_the_datacite_package(md: dict[str, Any]) -> None:
    doc = document(md)
    for ours, theirs in WRITERS.values():
        assert_same(ours(doc), theirs(doc))


@SETTINGS
@given(hostile_record())
def test_records_with_special_characters_equal_the_datacite_package(md: dict[str, Any]) -> None:
    doc = document(md)
    for ours, theirs in WRITERS.values():
        assert_same(ours(doc), theirs(doc))


# --- Hypothesis: attribute dicts beyond the schema ---------------------------------------------

TEXT = st.lists(CHARS, max_size=8).map("".join)  # may be empty
MAYBE = st.one_of(st.none(), TEXT)
COORD = st.one_of(st.floats(), st.integers(-200, 200))
POINT = st.fixed_dictionaries({"pointLongitude": COORD, "pointLatitude": COORD})


def items(required: dict[str, Any], **optional: Any) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(st.fixed_dictionaries(required, optional=optional), max_size=3)


AGENT = {
    "required": {"name": TEXT},
    "optional": dict(
        nameType=TEXT,
        lang=TEXT,
        givenName=TEXT,
        familyName=TEXT,
        nameIdentifiers=items({"nameIdentifier": TEXT, "nameIdentifierScheme": TEXT}, schemeUri=TEXT),
        affiliation=items(
            {"name": TEXT},
            affiliationIdentifier=TEXT,
            affiliationIdentifierScheme=TEXT,
            schemeUri=TEXT,
        ),
    ),
}
ATTRIBUTES = st.fixed_dictionaries(
    {"types": st.fixed_dictionaries({"resourceTypeGeneral": TEXT}, optional={"resourceType": MAYBE})},
    optional=dict(
        doi=TEXT,
        url=TEXT,
        alternateIdentifiers=items({"alternateIdentifier": TEXT}, alternateIdentifierType=TEXT),
        creators=items(AGENT["required"], **AGENT["optional"]),
        titles=items({"title": MAYBE}, lang=TEXT, titleType=TEXT, type=TEXT),
        publisher=st.fixed_dictionaries(
            {"name": TEXT},
            optional=dict(publisherIdentifier=TEXT, publisherIdentifierScheme=TEXT, schemeUri=TEXT),
        ),
        publicationYear=TEXT,
        subjects=items({"subject": TEXT}, lang=TEXT, subjectScheme=TEXT, schemeUri=TEXT, valueUri=TEXT),
        contributors=items(AGENT["required"], contributorType=TEXT, **AGENT["optional"]),
        dates=items({"date": TEXT, "dateType": TEXT}, dateInformation=TEXT),
        language=TEXT,
        relatedIdentifiers=items(
            {"relatedIdentifier": MAYBE, "relationType": TEXT},
            relatedIdentifierType=TEXT,
            resourceTypeGeneral=TEXT,
            schemeUri=TEXT,
            relatedMetadataScheme=TEXT,
            schemeType=TEXT,
        ),
        sizes=st.lists(MAYBE, max_size=3),
        formats=st.lists(MAYBE, max_size=3),
        version=TEXT,
        rightsList=items(
            {},
            rights=TEXT,
            rightsUri=TEXT,
            rightsIdentifierScheme=TEXT,
            rightsIdentifier=TEXT,
            schemeUri=TEXT,
            lang=TEXT,
        ),
        descriptions=items({"description": TEXT, "descriptionType": TEXT}, lang=TEXT),
        geoLocations=items(
            {},
            geoLocationPlace=TEXT,
            geoLocationPoint=POINT,
            geoLocationBox=st.fixed_dictionaries(
                {
                    "westBoundLongitude": COORD,
                    "eastBoundLongitude": COORD,
                    "southBoundLatitude": COORD,
                    "northBoundLatitude": COORD,
                }
            ),
            geoLocationPolygon=items({}, polygonPoint=POINT, inPolygonPoint=POINT),
        ),
        fundingReferences=items(
            {"funderName": TEXT},
            funderIdentifier=TEXT,
            funderIdentifierType=TEXT,
            awardNumber=TEXT,
            awardUri=TEXT,
            awardTitle=TEXT,
        ),
    ),
)


@settings(max_examples=300, deadline=None)
@given(ATTRIBUTES, st.sampled_from(["4.7", "4.5"]), st.sampled_from(["", "    "]))
def test_any_attribute_dict_is_written_as_the_datacite_package_writes_it(
    attrs: dict[str, Any], kernel: str, indent: str
) -> None:
    doc = {"id": "rec-x"}
    out: list[str] = []
    location = datacite.KERNEL45_XSD if kernel == "4.5" else datacite.KERNEL4_XSD
    datacite._resource_lines(out, copy.deepcopy(attrs), doc, schema_location=location, ind=indent)
    mine = datacite.xml_document(out)
    theirs = oracle.serialize(oracle.resource_from_attributes(copy.deepcopy(attrs), doc, kernel))
    if indent:  # the indented variant is the OAI payload's: compare without the indentation
        mine = b"\n".join(line.removeprefix(b"    ") for line in mine.split(b"\n"))
    assert_same(mine, theirs)


# --- hand-written expectations -----------------------------------------------------------------


def test_escaping_of_text_and_attributes() -> None:
    doc = copy.deepcopy(DOCS["minimal"])
    doc["metadata"]["titles"] = [{"text": "A & B <c> \"d\" 'e' ]]>\r\nf\tg"}]
    doc["metadata"]["creators"][0]["affiliations"] = [
        {"name": "Lab", "ror": 'https://ror.org/x?a=1&b="2"<\t\n'}
    ]
    out = datacite.write_xml(doc).decode()
    assert "<title>A &amp; B &lt;c&gt; \"d\" 'e' ]]&gt;&#13;\nf\tg</title>" in out
    assert 'affiliationIdentifier="https://ror.org/x?a=1&amp;b=&quot;2&quot;&lt;&#9;&#10;"' in out
    assert out.startswith("<?xml version='1.0' encoding='UTF-8'?>\n<resource ")
    assert out.endswith("</resource>\n")


@pytest.mark.parametrize("bad", ["\x00", "\x01", "\x0b", "\x1f", "\ufffe", "\uffff", "\ud800"])
def test_characters_xml_cannot_carry_are_refused_as_before(bad: str) -> None:
    # The input schema refuses them (schemas/limits.py); a document that bypassed it makes
    # the writer raise ValueError, as lxml did in the package's writer.
    doc = copy.deepcopy(DOCS["minimal"])
    doc["metadata"]["titles"][0]["text"] = f"Title {bad} here"
    for ours, theirs in WRITERS.values():
        with pytest.raises(ValueError):
            theirs(doc)
        with pytest.raises(ValueError):
            ours(doc)


def test_characters_xml_can_carry_are_kept() -> None:
    doc = copy.deepcopy(DOCS["minimal"])
    doc["metadata"]["titles"][0]["text"] = "del \x7f nel \x85 \U0001fffe 😀"
    root = etree.fromstring(datacite.write_xml(doc))
    assert (
        root.findtext(f"{{{datacite.NS}}}titles/{{{datacite.NS}}}title") == "del \x7f nel \x85 \U0001fffe 😀"
    )

"""The deposit form's INSPIRE conditions applying to access and use picker (Data access, the use
constraints), server side: the options (the INSPIRE code list ConditionsApplyingToAccessAndUse,
labels in the interface language), a code chosen in the form and saved through the draft PATCH
the form uses, the ISO 19139 / 19115-3 exports citing it as an Anchor in the use constraints
(INSPIRE TG metadata 2.0.1 section 2.5) that validates, and the import reading it back (from
otherConstraints and from useLimitation).

Expected labels and URIs are written by hand from the INSPIRE registry
(http://inspire.ec.europa.eu/metadata-codelist/ConditionsApplyingToAccessAndUse)."""

from __future__ import annotations

import copy

import pytest
from lxml import etree
from lxml import html as lhtml

from app.web.deposit.form import metadata_from_form
from exports import iso19115_3 as iso3
from exports import iso19139
from exports.xmlutil import validate_xml
from schemas import load_metadata, load_record_document
from schemas.errors import RecordValidationError
from schemas.examples import example_record_document, minimal_example
from tests.test_deposit_widgets import _options, edit_page
from tests.test_web_deposit import form_pairs

CONDITIONS = "http://inspire.ec.europa.eu/metadata-codelist/ConditionsApplyingToAccessAndUse/"
NO_CONDITIONS = CONDITIONS + "noConditionsApply"
UNKNOWN = CONDITIONS + "conditionsUnknown"
POINTER = "/rights/use_constraints/0/uri"
NS = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "gco": "http://www.isotc211.org/2005/gco",
    "xlink": "http://www.w3.org/1999/xlink",
}
HREF = f"{{{NS['xlink']}}}href"
USE_ANCHORS = (
    "//gmd:resourceConstraints/gmd:MD_LegalConstraints[gmd:useConstraints]/gmd:otherConstraints/gmx:Anchor"
)


def _open(**rights) -> dict:
    md = minimal_example()
    md["rights"] = {"access_level": "open", **rights}
    return md


def test_the_picker_offers_the_inspire_code_list_in_the_interface_language(factory, client) -> None:  # type: ignore[no-untyped-def]
    md = _open(use_constraints=[{"uri": UNKNOWN}])
    _producer, _rid, page = edit_page(factory, client, md, lang="fr")
    html = page.get_data(as_text=True)
    options = _options(html, POINTER)
    assert [v for _g, v, _t in options] == ["", NO_CONDITIONS, UNKNOWN]
    labels = {v: t for _g, v, t in options}
    assert labels[NO_CONDITIONS] == "Aucune condition ne s'applique à l'accès et à l'utilisation"
    assert labels[UNKNOWN] == "Conditions d'accès et d'utilisation inconnues"
    assert (POINTER, UNKNOWN) in form_pairs(html)  # the stored code is the one selected
    label = lhtml.fromstring(html).xpath(f"//label[@for='{POINTER}']")[0].text_content()
    assert "Condition INSPIRE" in label, label
    assert "en plus de la licence : un code INSPIRE ou vos propres mots" in html  # the list's hint, in French
    english = client.get(page.request.path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert {v: t for _g, v, t in _options(english, POINTER)}[
        NO_CONDITIONS
    ] == "No conditions apply to access and use"


def test_a_code_chosen_in_the_form_is_saved_and_exported_as_an_anchor(factory, client) -> None:  # type: ignore[no-untyped-def]
    md = _open(
        license={"id": "CC-BY-4.0"}, use_constraints=[{"text": "Citer le jeu de données.", "lang": "fr"}]
    )
    producer, rid, page = edit_page(factory, client, md, lang="fr")
    pairs = form_pairs(page.get_data(as_text=True))
    assert (POINTER, "") in pairs  # the item has a picker, nothing chosen yet
    pairs += [("/rights/use_constraints/1/uri", NO_CONDITIONS)]  # as the form's script sends it
    r = producer.patch(
        f"/api/records/{rid}/draft", json={"metadata": metadata_from_form(pairs)}, headers={"If-Match": '"1"'}
    )
    assert r.status_code == 200, r.json
    saved = producer.get(f"/api/records/{rid}/draft").json["metadata"]["rights"]["use_constraints"]
    assert saved == [
        {"text": "Citer le jeu de données.", "lang": "fr"},
        {"uri": NO_CONDITIONS, "text": "No conditions apply to access and use", "lang": "en"},
    ]
    again = client.get(f"/records/{rid}/edit").get_data(as_text=True)
    assert ("/rights/use_constraints/1/uri", NO_CONDITIONS) in form_pairs(again)

    xml = producer.get(f"/api/records/{rid}/export/iso19139?draft=1")
    assert xml.status_code == 200
    assert validate_xml(xml.data, iso19139.SCHEMAS) == []
    anchors = etree.fromstring(xml.data).xpath(USE_ANCHORS, namespaces=NS)
    # The licence's Anchor, then the chosen code's (labelled in the metadata language, en);
    # no default conditionsUnknown.
    assert [(a.get(HREF), a.text) for a in anchors][1:] == [
        (NO_CONDITIONS, "No conditions apply to access and use")
    ]
    assert UNKNOWN.encode() not in xml.data


def test_changing_the_code_relabels_and_bad_values_are_refused() -> None:
    first = load_metadata(_open(use_constraints=[{"uri": NO_CONDITIONS}]))
    item = first["rights"]["use_constraints"][0]
    item["uri"] = UNKNOWN  # the new code with the old label still in the text box
    assert (
        load_metadata(first)["rights"]["use_constraints"][0]["text"] == "Conditions to access and use unknown"
    )
    own = load_metadata(_open(use_constraints=[{"uri": UNKNOWN, "text": "À préciser"}]))
    assert own["rights"]["use_constraints"][0]["text"] == "À préciser"
    for bad, field, words in (
        (
            {"uri": CONDITIONS + "noSuchCode"},
            "/rights/use_constraints/0/uri",
            "ConditionsApplyingToAccessAndUse",
        ),
        ({"lang": "fr"}, "/rights/use_constraints/0/text", "choose an INSPIRE condition"),
    ):
        with pytest.raises(RecordValidationError) as caught:
            load_metadata(_open(use_constraints=[bad]))
        assert [e.field for e in caught.value.errors] == [field]
        assert words in caught.value.errors[0].messages[0]


def _rich_document(use_constraints: list) -> dict:
    doc = copy.deepcopy(example_record_document())
    doc["metadata"]["rights"]["use_constraints"] = use_constraints
    return load_record_document(doc)


def test_a_chosen_code_survives_iso_round_trips_in_another_metadata_language() -> None:
    doc = _rich_document([{"uri": NO_CONDITIONS}])
    assert doc["metadata"]["metadata_language"] == "fr"
    xml = iso19139.write_iso19139(doc)
    assert validate_xml(xml, iso19139.SCHEMAS) == []
    anchors = etree.fromstring(xml).xpath(USE_ANCHORS, namespaces=NS)
    assert (NO_CONDITIONS, "Aucune condition ne s'applique à l'accès et à l'utilisation") in [
        (a.get(HREF), a.text) for a in anchors
    ]
    back = iso19139.read_iso19139(xml).metadata["rights"]
    assert back["use_constraints"] == [
        {"uri": NO_CONDITIONS, "text": "No conditions apply to access and use", "lang": "en"}
    ]
    xml3 = iso3.write_iso19115_3(doc)
    assert validate_xml(xml3, iso3.SCHEMAS) == []
    assert b'xlink:href="' + NO_CONDITIONS.encode() in xml3
    back3 = iso3.read_iso19115_3(xml3).metadata["rights"]
    assert back3["use_constraints"] == back["use_constraints"]


def test_the_default_conditions_unknown_is_not_read_as_a_choice_but_a_chosen_one_is() -> None:
    # No licence, no condition: the writer states conditionsUnknown, and reading it back adds nothing.
    bare = minimal_example()
    bare["rights"] = {"access_level": "open"}
    doc = {**copy.deepcopy(example_record_document()), "metadata": load_metadata(bare)}
    xml = iso19139.write_iso19139(doc)
    assert UNKNOWN.encode() in xml
    assert "use_constraints" not in iso19139.read_iso19139(xml).metadata.get("rights", {})
    # With a licence, a chosen conditionsUnknown is the producer's and comes back.
    chosen = _rich_document([{"uri": UNKNOWN}])
    back = iso19139.read_iso19139(iso19139.write_iso19139(chosen)).metadata["rights"]
    assert back["use_constraints"] == [
        {"uri": UNKNOWN, "text": "Conditions to access and use unknown", "lang": "en"}
    ]


def test_an_anchor_in_use_limitation_is_read_as_the_code() -> None:
    """Some INSPIRE catalogues put the Anchor in gmd:useLimitation: read it the same way."""
    xml = iso19139.write_iso19139(_rich_document([{"text": "Citer la source", "lang": "fr"}]))
    root = etree.fromstring(xml)
    block = root.xpath("//gmd:MD_LegalConstraints[gmd:useConstraints]", namespaces=NS)[0]
    limitation = etree.Element(f"{{{NS['gmd']}}}useLimitation")
    anchor = etree.SubElement(limitation, f"{{{NS['gmx']}}}Anchor", {HREF: NO_CONDITIONS})
    anchor.text = "No conditions apply to access and use"
    block.insert(0, limitation)
    xml = etree.tostring(root)
    assert validate_xml(xml, iso19139.SCHEMAS) == []
    back = iso19139.read_iso19139(xml).metadata["rights"]["use_constraints"]
    assert back[0] == {"uri": NO_CONDITIONS, "text": "No conditions apply to access and use", "lang": "en"}
    assert {"text": "Citer la source", "lang": "fr"} in back

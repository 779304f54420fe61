"""The deposit form's INSPIRE limitations on public access picker, server side: the options
(the INSPIRE code list LimitationsOnPublicAccess, labels in the interface language), a code
chosen in the form and saved through the draft PATCH the form uses, the ISO 19139 export citing
it as a gmx:Anchor that validates, and the acceptance panel's INSPIRE target.

Expected labels and URIs are written by hand from the INSPIRE registry
(http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess)."""

from __future__ import annotations

import copy

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

LIMITS = "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/"
ART_13_1B = LIMITS + "INSPIRE_Directive_Article13_1b"
ART_13_1E = LIMITS + "INSPIRE_Directive_Article13_1e"
POINTER = "/rights/access_constraints/0/uri"
NS = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "xlink": "http://www.w3.org/1999/xlink",
}
ACCESS_ANCHORS = (
    "//gmd:resourceConstraints/gmd:MD_LegalConstraints[gmd:accessConstraints]/gmd:otherConstraints/gmx:Anchor"
)


def _restricted(**rights) -> dict:
    md = minimal_example()
    md["rights"] = {"access_level": "restricted", **rights}
    return md


def test_the_picker_offers_the_inspire_code_list_in_the_interface_language(factory, client) -> None:  # type: ignore[no-untyped-def]
    md = _restricted(access_constraints=[{"uri": ART_13_1B}])
    _producer, _rid, page = edit_page(factory, client, md, lang="fr")
    html = page.get_data(as_text=True)
    options = _options(html, POINTER)
    values = [v for _g, v, _t in options]
    assert values[0] == ""  # no code: a text of one's own only
    assert values[1] == LIMITS + "noLimitations"
    assert values[2:] == [LIMITS + f"INSPIRE_Directive_Article13_1{x}" for x in "abcdefgh"]
    labels = dict((v, t) for _g, v, t in options)
    assert labels[LIMITS + "noLimitations"] == "Pas de restriction d'accès public"
    assert "article 13, paragraphe 1, point b)" in labels[ART_13_1B]
    assert (POINTER, ART_13_1B) in form_pairs(html)  # the stored code is the one selected
    doc = lhtml.fromstring(html)
    label = doc.xpath(f"//label[@for='{POINTER}']")[0].text_content()
    assert "Restriction INSPIRE" in label, label
    english = client.get(page.request.path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    en_labels = {v: t for _g, v, t in _options(english, POINTER)}
    assert en_labels[LIMITS + "noLimitations"] == "No limitations to public access"


def test_a_code_chosen_in_the_form_is_saved_with_its_uri_and_label_and_exported_as_an_anchor(factory, client) -> None:  # type: ignore[no-untyped-def]
    md = _restricted(access_constraints=[{"text": "Données nominatives : accès sur demande.", "lang": "fr"}])
    producer, rid, page = edit_page(factory, client, md, lang="fr")
    pairs = form_pairs(page.get_data(as_text=True))
    assert (POINTER, "") in pairs  # the item has a picker, nothing chosen yet
    # The producer picks Article 13(1)(b) on a second item, as the form's script would send it.
    pairs += [("/rights/access_constraints/1/uri", ART_13_1B)]
    metadata = metadata_from_form(pairs)
    r = producer.patch(f"/api/records/{rid}/draft", json={"metadata": metadata}, headers={"If-Match": '"1"'})
    assert r.status_code == 200, r.json
    saved = producer.get(f"/api/records/{rid}/draft").json["metadata"]["rights"]["access_constraints"]
    assert saved == [
        {"text": "Données nominatives : accès sur demande.", "lang": "fr"},
        {
            "uri": ART_13_1B,
            "text": "Public access limited according to Article 13(1)(b) of the INSPIRE Directive",
            "lang": "en",
        },
    ]
    # The form shows it chosen again.
    again = client.get(f"/records/{rid}/edit").get_data(as_text=True)
    assert ("/rights/access_constraints/1/uri", ART_13_1B) in form_pairs(again)

    xml = producer.get(f"/api/records/{rid}/export/iso19139?draft=1")
    assert xml.status_code == 200
    assert validate_xml(xml.data, iso19139.SCHEMAS) == []
    anchors = etree.fromstring(xml.data).xpath(ACCESS_ANCHORS, namespaces=NS)
    hrefs = [a.get(f"{{{NS['xlink']}}}href") for a in anchors]
    # The chosen code replaces the one the access level implies (Article 13(1)(e) for restricted).
    assert hrefs == [ART_13_1B]
    # Labelled in the metadata language (minimal example: en).
    assert anchors[0].text == "Public access limited according to Article 13(1)(b) of the INSPIRE Directive"

    # The acceptance panel's INSPIRE target counts it: no problem under INSPIRE.
    panel = lhtml.fromstring(client.get(f"/records/{rid}/edit/acceptance").get_data(as_text=True))
    inspire = [li for li in panel.xpath("//li[contains(@class, 'target')]") if "INSPIRE" in li.text_content()]
    assert len(inspire) == 1 and "ok" in inspire[0].get("class").split(), inspire[0].text_content()


def test_changing_the_code_relabels_a_text_that_was_the_old_codes_label() -> None:
    first = load_metadata(_restricted(access_constraints=[{"uri": ART_13_1B}]))
    item = first["rights"]["access_constraints"][0]
    assert "Article 13(1)(b)" in item["text"]
    item["uri"] = ART_13_1E  # the form sends the new code with the old label still in the text box
    second = load_metadata(first)["rights"]["access_constraints"][0]
    assert second["uri"] == ART_13_1E and "Article 13(1)(e)" in second["text"]
    # A text of the producer's own is kept.
    own = load_metadata(_restricted(access_constraints=[{"uri": ART_13_1E, "text": "Brevet en cours"}]))
    assert own["rights"]["access_constraints"][0]["text"] == "Brevet en cours"


def test_a_value_outside_the_code_list_or_contradicting_the_access_level_is_refused() -> None:
    bogus = _restricted(access_constraints=[{"uri": LIMITS + "noSuchCode"}])
    try:
        load_metadata(bogus)
    except RecordValidationError as exc:
        fields = [e.field for e in exc.errors]
        assert fields == ["/rights/access_constraints/0/uri"], fields
        assert "LimitationsOnPublicAccess" in exc.errors[0].messages[0]
    else:
        raise AssertionError("an unknown code was accepted")
    contradiction = _restricted(access_constraints=[{"uri": LIMITS + "noLimitations"}])
    try:
        load_metadata(contradiction)
    except RecordValidationError as exc:
        assert [e.field for e in exc.errors] == ["/rights/access_constraints"]
        assert "restricted" in exc.errors[0].messages[0]
    else:
        raise AssertionError("noLimitations with restricted access was accepted")
    empty = _restricted(access_constraints=[{"lang": "fr"}])
    try:
        load_metadata(empty)
    except RecordValidationError as exc:
        assert [e.field for e in exc.errors] == ["/rights/access_constraints/0/text"]
    else:
        raise AssertionError("an item with neither code nor text was accepted")


def _rich_document(rights_change) -> dict:  # type: ignore[no-untyped-def]
    """The example record document (rich metadata, metadata language fr, embargoed), its
    rights changed by ``rights_change`` and loaded again."""
    doc = copy.deepcopy(example_record_document())
    rights_change(doc["metadata"]["rights"])
    return load_record_document(doc)


def test_a_chosen_code_survives_an_iso19139_round_trip_in_another_metadata_language() -> None:
    doc = _rich_document(lambda r: r.__setitem__("access_constraints", [{"uri": ART_13_1B}]))
    assert doc["metadata"]["metadata_language"] == "fr"
    xml = iso19139.write_iso19139(doc)
    assert validate_xml(xml, iso19139.SCHEMAS) == []
    anchors = etree.fromstring(xml).xpath(ACCESS_ANCHORS, namespaces=NS)
    assert [(a.get(f"{{{NS['xlink']}}}href"), a.text) for a in anchors] == [
        (ART_13_1B, "Accès public limité en vertu de l'article 13, paragraphe 1, point b), de la directive INSPIRE")
    ]
    back = iso19139.read_iso19139(xml).metadata["rights"]
    assert back["access_level"] == "embargoed"
    assert back["access_constraints"] == [
        {
            "uri": ART_13_1B,
            "text": "Public access limited according to Article 13(1)(b) of the INSPIRE Directive",
            "lang": "en",
        }
    ]
    # ISO 19115-3 (the other INSPIRE target's format): the same Anchor, valid, read back.
    xml3 = iso3.write_iso19115_3(doc)
    assert validate_xml(xml3, iso3.SCHEMAS) == []
    assert ART_13_1B.encode() in xml3
    assert iso3.read_iso19115_3(xml3).metadata["rights"]["access_constraints"] == back["access_constraints"]
    # Without a choice the access level's own code is written and nothing is added on re-import.
    plain = iso19139.write_iso19139(_rich_document(lambda r: r.pop("access_constraints", None)))
    hrefs = [a.get(f"{{{NS['xlink']}}}href") for a in etree.fromstring(plain).xpath(ACCESS_ANCHORS, namespaces=NS)]
    assert hrefs == [ART_13_1E]
    assert "access_constraints" not in iso19139.read_iso19139(plain).metadata["rights"]

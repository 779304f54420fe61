"""The deposit form's field widgets, server side, over Flask's test client: the map's page
policy and basemap, the licence picker, the access levels' meanings. (Their behaviour in a
browser is in tests/test_e2e_widgets.py.)"""

from __future__ import annotations

import json
from pathlib import Path

from lxml import html as lhtml

from app.web.deposit import map_policy
from schemas.examples import minimal_example
from tests.test_web_deposit import form_pairs, new_draft, sign_in

STATIC = Path(__file__).resolve().parents[1] / "app" / "static"


def edit_page(factory, client, metadata: dict, lang: str = "en"):  # type: ignore[no-untyped-def]
    producer = factory.user("w@example.org")
    rid = new_draft(producer, metadata)
    sign_in(client, "w@example.org")
    page = client.get(f"/records/{rid}/edit", headers={"Accept-Language": lang})
    assert page.status_code == 200
    return producer, rid, page


# --- map --------------------------------------------------------------------------------------


def test_map_policy_allows_data_images_and_only_the_configured_tile_origin() -> None:
    assert map_policy("").endswith("; img-src 'self' data:")
    assert "script-src" not in map_policy("https://tiles.example.org/{z}/{x}/{y}.png")
    assert map_policy("https://tiles.example.org/{z}/{x}/{y}.png").endswith(
        "img-src 'self' data: https://tiles.example.org"
    )
    assert map_policy("https://{s}.tile.example.org/{z}/{x}/{y}.png").endswith(
        "img-src 'self' data: https://*.tile.example.org"
    )
    # Not a web address: ignored, never copied into the header.
    assert map_policy("javascript:alert(1)").endswith("img-src 'self' data:")


def test_the_form_carries_the_map_with_the_bundled_basemap_and_the_tile_url(app, factory, client) -> None:  # type: ignore[no-untyped-def]
    app.config["MAP_TILE_URL"] = "https://tiles.example.org/{z}/{x}/{y}.png"
    _producer, _rid, page = edit_page(factory, client, minimal_example())
    doc = lhtml.fromstring(page.get_data(as_text=True))
    box = doc.get_element_by_id("extent-map-box")
    assert box.get("hidden") is not None  # shown by map.js only; typing works without it
    assert box.get("data-tiles") == "https://tiles.example.org/{z}/{x}/{y}.png"
    assert box.get("data-basemap") == "/static/vendor/natural-earth/countries-110m.geojson"
    assert box.getparent().get("id") == "section-spatial"
    assert page.headers["Content-Security-Policy"].endswith("img-src 'self' data: https://tiles.example.org")
    basemap = client.get(box.get("data-basemap"))
    assert basemap.status_code == 200
    countries = json.loads(basemap.get_data())
    basemap.close()
    names = {f["properties"]["name"] for f in countries["features"]}
    assert {"France", "Fiji", "Antarctica"} <= names and len(names) > 150


def test_the_basemap_licence_is_recorded() -> None:
    licences = (STATIC / "vendor" / "LICENSES.md").read_text(encoding="utf-8")
    assert "Natural Earth" in licences and "public domain" in licences
    assert (STATIC / "vendor" / "natural-earth" / "LICENSE").is_file()


# --- licence and access level -------------------------------------------------------------------


def _options(html: str, pointer: str) -> list[tuple[str, str, str]]:
    """(optgroup label, value, text) of a select's options."""
    select = lhtml.fromstring(html).get_element_by_id(pointer)
    return [
        ((o.getparent().get("label") or ""), o.get("value", o.text), o.text_content())
        for o in select.iter("option")
    ]


def test_licence_picker_lists_the_bundled_licences_first_in_the_interface_language(factory, client) -> None:  # type: ignore[no-untyped-def]
    md = minimal_example()
    md["rights"] = {"access_level": "open", "license": {"id": "CC-BY-4.0"}}
    _producer, _rid, page = edit_page(factory, client, md, lang="fr")
    options = _options(page.get_data(as_text=True), "/rights/license/id")
    assert options[0][1] == ""
    groups = [g for g, _v, _t in options[1:]]
    first_group = groups[0]
    bundled = [v for g, v, _t in options[1:] if g == first_group]
    assert {"CC-BY-4.0", "CC0-1.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0"} <= set(bundled)
    assert first_group == "Licences recommandées pour les données de recherche"
    # French labels from the bundled vocabulary.
    assert any("Pas d'utilisation commerciale" in t for _g, v, t in options if v == "CC-BY-NC-4.0")
    others = [v for g, v, _t in options[1:] if g != first_group]
    assert "MIT" in others and "Apache-2.0" in others and len(others) > 500
    assert not set(bundled) & set(others)
    # Deprecated SPDX ids are not offered.
    assert "GPL-2.0" not in others
    assert ("/rights/license/id", "CC-BY-4.0") in form_pairs(page.get_data(as_text=True))


def test_a_deprecated_licence_posted_is_refused_by_the_server_naming_the_field(factory, client) -> None:  # type: ignore[no-untyped-def]
    md = minimal_example()
    md["rights"] = {"access_level": "open", "license": {"id": "CC-BY-4.0"}}
    producer, rid, page = edit_page(factory, client, md)
    pairs = [
        (k, "GPL-2.0" if k == "/rights/license/id" else v) for k, v in form_pairs(page.get_data(as_text=True))
    ]
    from werkzeug.datastructures import MultiDict

    r = client.post(f"/records/{rid}/edit", data=MultiDict(pairs))
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    doc = lhtml.fromstring(html)
    assert "deprecated" in doc.get_element_by_id("/rights/license/id-error").text_content()
    assert (
        producer.get(f"/api/records/{rid}/draft").json["metadata"]["rights"]["license"]["id"] == "CC-BY-4.0"
    )


def test_access_levels_say_what_they_mean_for_downloads(factory, client) -> None:  # type: ignore[no-untyped-def]
    md = minimal_example()
    md["rights"] = {"access_level": "restricted"}
    _producer, _rid, page = edit_page(factory, client, md)
    html = page.get_data(as_text=True)
    doc = lhtml.fromstring(html)
    select = doc.get_element_by_id("/rights/access_level")
    values = [o.get("value") for o in select.iter("option")]
    assert values == ["", "open", "embargoed", "restricted", "metadata_only"]  # the schema's order
    assert "/rights/access_level-meanings" in select.get("aria-describedby")
    meanings = {li.get("data-level"): li for li in doc.get_element_by_id("/rights/access_level-meanings")}
    assert set(meanings) == {"open", "embargoed", "restricted", "metadata_only"}
    assert "anyone can download" in meanings["open"].text_content()
    assert "never downloadable by the public" in meanings["restricted"].text_content()
    assert meanings["restricted"].get("class") == "chosen"
    assert ("/rights/access_level", "restricted") in form_pairs(html)
    fr = client.get(page.request.path, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Accès restreint" in fr

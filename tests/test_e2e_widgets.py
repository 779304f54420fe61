"""The field widgets of the Metadata-Engine in Debian's chromium (Playwright): the map of the
Spatial section (and, further down, the other widgets).

The map must work with no network: every request the page makes is checked to stay on the
loopback server, and the basemap is the bundled Natural Earth layer. Pages are checked with
axe-core and photographed at 390/1280 px by ``check_page`` (tests/test_e2e_deposit.py).
"""

from __future__ import annotations

import pytest

from schemas.examples import minimal_example
from tests.test_e2e_deposit import (
    PASSWORD,
    SHOTS,
    arrow_select,
    check_page,
    focused,
    sign_in,
    tab_to,
    tab_type,
    type_into,
    wait_saved,
)

pytestmark = pytest.mark.e2e

SHAPES = "#extent-map .leaflet-overlay-pane path.leaflet-interactive"
NO_LIMITATIONS = "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/noLimitations"
NO_CONDITIONS = (
    "http://inspire.ec.europa.eu/metadata-codelist/ConditionsApplyingToAccessAndUse/noConditionsApply"
)


def open_draft(
    browser, live_server, factory, email: str, metadata: dict | None = None, locale: str = "en-GB"
):  # type: ignore[no-untyped-def]
    """A producer with a draft, signed in, on its form; returns (page, api client, record id,
    the list of non-loopback URLs the page asked for, the console's CSP complaints)."""
    producer = factory.user(email, password=PASSWORD)
    rid = producer.post("/api/records", json={"metadata": metadata or minimal_example()}).json["id"]
    context = browser.new_context(locale=locale, extra_http_headers={"Accept-Language": locale})
    page = context.new_page()
    outside: list[str] = []
    csp: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((live_server, "data:")) else outside.append(r.url))
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/records/{rid}/edit")
    wait_saved(page)
    return page, producer, rid, outside, csp


def wait_js(page, expression: str, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until a JavaScript expression is true. (Playwright's wait_for_function polls with
    ``new Function``, which the page's Content-Security-Policy rightly forbids; evaluate runs
    through the DevTools protocol.)"""
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        time.sleep(0.1)


def wait_server(producer, rid: str, ready, timeout: float = 10.0) -> dict:  # type: ignore[no-untyped-def]
    """The draft's metadata once ``ready(metadata)`` is true (autosave has reached the server)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        md = producer.get(f"/api/records/{rid}/draft").json["metadata"]
        if ready(md):
            return md
        assert time.monotonic() < deadline, f"the server never got it: {md}"
        time.sleep(0.2)


def drag_box(page, x1: float, y1: float, x2: float, y2: float) -> None:  # type: ignore[no-untyped-def]
    """Leaflet-Geoman's rectangle tool: click the button, click one corner, click the other."""
    page.click("#extent-map .leaflet-pm-icon-rectangle")
    box = page.locator("#extent-map").bounding_box()
    page.mouse.click(box["x"] + x1, box["y"] + y1)
    page.mouse.click(box["x"] + x2, box["y"] + y2)


def test_boxes_drawn_on_the_map_fill_the_extents_and_are_saved(factory, live_server, browser) -> None:  # type: ignore[no-untyped-def]
    page, producer, rid, outside, csp = open_draft(browser, live_server, factory, "map@example.org")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#extent-map").scroll_into_view_if_needed()
    # The bundled basemap is drawn (Natural Earth: some 177 countries, three world copies).
    wait_js(page, "document.querySelectorAll('#extent-map .leaflet-overlay-pane path').length > 300")

    # The view is the whole world at zoom 1 (512 px wide, centred on 0° / 20°N): a box drawn
    # right of and below the centre lies east of 0° and south of 20°N.
    box = page.locator("#extent-map").bounding_box()
    cx, cy = box["width"] / 2, box["height"] / 2
    drag_box(page, cx + 20, cy + 10, cx + 60, cy + 40)
    wait_js(page, "document.getElementById('/spatial_extents/0/bbox/north').value !== ''")
    wait_saved(page)
    bbox = producer.get(f"/api/records/{rid}/draft").json["metadata"]["spatial_extents"][0]["bbox"]
    assert 0 < bbox["west"] < bbox["east"] < 60
    assert -60 < bbox["south"] < bbox["north"] < 20
    assert page.locator(SHAPES).count() == 1
    assert "extent no. 1" in page.inner_text("#extent-map-status")

    # A second box goes to a second extent (added by the map through the add button).
    drag_box(page, cx - 80, cy - 60, cx - 40, cy - 20)
    page.wait_for_selector('[name="/spatial_extents/1/bbox/west"]')
    wait_js(page, "document.getElementById('/spatial_extents/1/bbox/north').value !== ''")
    wait_saved(page)
    extents = producer.get(f"/api/records/{rid}/draft").json["metadata"]["spatial_extents"]
    assert len(extents) == 2
    assert extents[0]["bbox"] == bbox
    assert extents[1]["bbox"]["east"] < 0 < extents[1]["bbox"]["south"]
    assert page.locator(SHAPES).count() == 2

    # A point with the marker tool fills a third extent's point.
    page.click("#extent-map .leaflet-pm-icon-marker")
    page.mouse.click(box["x"] + cx + 100, box["y"] + cy - 30)
    wait_js(page, "(document.getElementById('/spatial_extents/2/point/lon') || {}).value > ''")
    wait_saved(page)
    point = producer.get(f"/api/records/{rid}/draft").json["metadata"]["spatial_extents"][2]["point"]
    assert point["lon"] > 0 and point["lat"] > 20

    # A polygon: three vertices, then the first one again closes it.
    page.click("#extent-map .leaflet-pm-icon-polygon")
    for dx, dy in ((-150, 40), (-110, 40), (-130, 80), (-150, 40)):
        page.mouse.click(box["x"] + cx + dx, box["y"] + cy + dy)
    wait_js(page, "(document.getElementById('/spatial_extents/3/polygon') || {}).value > ''")
    polygon = wait_server(producer, rid, lambda md: len(md["spatial_extents"]) == 4)["spatial_extents"][3][
        "polygon"
    ]
    ring = polygon["coordinates"][0]
    assert polygon["type"] == "Polygon" and len(ring) == 4 and ring[0] == ring[-1]
    assert all(lon < 0 and lat < 20 for lon, lat in ring)
    assert page.locator(SHAPES).count() == 3  # two boxes and the polygon (the point is a marker image)
    assert page.locator("#extent-map .leaflet-marker-pane img.leaflet-marker-icon").count() == 1

    page.locator("#extent-map-box").screenshot(path=str(SHOTS / "map-drawn-1280.png"))
    check_page(page, "edit-map")
    assert outside == [], f"the map asked the network for {outside[:3]}"
    assert csp == [], csp
    page.context.close()


def test_typed_coordinates_redraw_the_map_and_the_server_says_which_side_is_wrong(
    factory, live_server, browser
) -> None:  # type: ignore[no-untyped-def]
    page, producer, rid, outside, _csp = open_draft(browser, live_server, factory, "typed@example.org")
    page.set_viewport_size({"width": 1280, "height": 900})
    # Keyboard only: a box across the antimeridian (west 170 > east -170), typed.
    for key, value in (
        ("place", "Fiji"),
        ("bbox/west", "170"),
        ("bbox/east", "-170"),
        ("bbox/south", "-20"),
        ("bbox/north", "-10"),
    ):
        type_into(page, f"/spatial_extents/0/{key}", value)
    wait_saved(page)
    stored = producer.get(f"/api/records/{rid}/draft").json["metadata"]["spatial_extents"][0]["bbox"]
    assert stored == {"west": 170.0, "east": -170.0, "south": -20.0, "north": -10.0}
    page.wait_for_selector(SHAPES)
    # Drawn 20° wide across 180°, not 340° wide the other way round the world (zoom 1: 512 px
    # for 360°, so 20° is about 28 px).
    width = page.locator(SHAPES).first.bounding_box()["width"]
    assert 15 < width < 60, width

    # South above north: the server's rule, its message under the south field; nothing saved.
    page.fill('[name="/spatial_extents/0/bbox/south"]', "")
    type_into(page, "/spatial_extents/0/bbox/south", "5")
    page.wait_for_selector("#save-state[data-state=invalid]")
    message = page.inner_text('[id="/spatial_extents/0/bbox/south-error"]')
    assert "south latitude 5 is greater than north latitude -10" in message
    assert page.get_attribute('[id="/spatial_extents/0/bbox/south"]', "aria-invalid") == "true"
    assert (
        producer.get(f"/api/records/{rid}/draft").json["metadata"]["spatial_extents"][0]["bbox"]["south"]
        == -20
    )
    # Data access: the meaning of the chosen access level stands out.
    page.select_option('[name="/rights/access_level"]', "restricted")
    page.wait_for_selector('[id="/rights/access_level-meanings"] li.chosen[data-level=restricted]')
    assert page.locator('[id="/rights/access_level-meanings"] li.chosen').count() == 1
    assert outside == []
    page.context.close()


def test_the_keyboard_takes_the_visible_map_area_as_a_box_across_the_antimeridian(
    factory, live_server, browser
) -> None:  # type: ignore[no-untyped-def]
    """WCAG 2.1.1: the map is focused with Tab, zoomed with + and moved with the arrow keys until
    the 180° meridian is in the middle; the button after the map takes the visible area as a box,
    written into the fields (west > east: across the antimeridian), saved and announced."""
    page, producer, rid, outside, csp = open_draft(browser, live_server, factory, "keys@example.org")
    page.set_viewport_size({"width": 1280, "height": 900})
    tab_to(page, "#extent-map")
    # Zoom 1 -> 3 (2048 px for 360°), then 13 x 80 px east: the centre passes 180°.
    for key in ["+"] * 2 + ["ArrowRight"] * 13:
        page.keyboard.press(key)
        page.wait_for_timeout(350)  # Leaflet ignores keys during its animations
    page.keyboard.press("Tab")
    tab_to(page, "#extent-map-visible")
    page.keyboard.press("Enter")
    wait_js(page, "document.getElementById('/spatial_extents/0/bbox/north').value !== ''")
    bbox = wait_server(producer, rid, lambda md: md.get("spatial_extents"))["spatial_extents"][0]["bbox"]
    assert 90 < bbox["west"] <= 180 and -180 <= bbox["east"] < -90, bbox
    assert -90 <= bbox["south"] < bbox["north"] <= 90, bbox
    assert "extent no. 1" in page.inner_text("#extent-map-status")
    # Redrawn from the fields the short way across 180° (about 135° of 360° at zoom 3), not round
    # the world the other way.
    page.wait_for_selector(SHAPES)
    width = page.locator(SHAPES).first.bounding_box()["width"]
    assert 500 < width < 1000, width
    page.locator("#extent-map-box").screenshot(path=str(SHOTS / "map-keyboard-1280.png"))
    check_page(page, "edit-map-keyboard")
    assert outside == [] and csp == []
    page.context.close()


def test_a_configured_tile_url_is_used_and_allowed_by_the_page_policy(
    app, factory, live_server, browser
) -> None:  # type: ignore[no-untyped-def]
    # The "tile server" is the live server itself (a missing tile is a 404, which is enough to
    # see Leaflet ask for it with the template filled in).
    app.config["MAP_TILE_URL"] = f"{live_server}/static/tiles/{{z}}/{{x}}/{{y}}.png"
    page, _producer, _rid, _outside, csp = open_draft(browser, live_server, factory, "tiles@example.org")
    tile = page.wait_for_selector("#extent-map img.leaflet-tile", state="attached")
    assert tile.get_attribute("src").startswith(f"{live_server}/static/tiles/1/")
    policy = page.evaluate("fetch(location.href).then(r => r.headers.get('content-security-policy'))")
    assert f"img-src 'self' data: {live_server}" in policy
    assert csp == []
    page.context.close()


# --- Themes & Keywords: the keyword finder (combobox) -------------------------------------------


def load_vocabularies(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The bundled vocabularies (INSPIRE themes…) and a small one with a hierarchy and a
    deprecated term (tests/test_vocab_app.py's ocean vocabulary), loaded by the real CLI."""
    from tests.test_vocab_app import EX, run, write_ttl

    assert run(app, "load-bundled").exit_code == 0
    r = run(app, "import", str(write_ttl(tmp_path)), "--scheme-uri", EX, "--name", "ocean")
    assert r.exit_code == 0, r.output


def choose(page, typed: str, option_text: str) -> None:  # type: ignore[no-untyped-def]
    """Type into the keyword finder, move with the down arrow to the option whose text starts
    with ``option_text``, press Enter. Keyboard only."""
    tab_to(page, "#keyword-search")
    page.keyboard.type(typed)
    page.wait_for_selector("#keyword-options:not([hidden]) [role=option]")
    for _ in range(30):
        page.keyboard.press("ArrowDown")
        active = page.get_attribute("#keyword-search", "aria-activedescendant")
        assert page.get_attribute(f'[id="{active}"]', "aria-selected") == "true"
        if page.inner_text(f'[id="{active}"] .option-text').startswith(option_text):
            break
    else:
        raise AssertionError(f"no option {option_text!r} for {typed!r}")
    page.keyboard.press("Enter")


def test_keywords_found_by_autocomplete_in_french_deprecated_replaced_free_kept(
    app, tmp_path, factory, live_server, browser
) -> None:  # type: ignore[no-untyped-def]
    from tests.test_vocab_app import EX

    load_vocabularies(app, tmp_path)
    page, producer, rid, outside, csp = open_draft(
        browser, live_server, factory, "kw@example.org", locale="fr-FR"
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.get_attribute("#keyword-search", "role") == "combobox"
    assert page.get_attribute("#keyword-search", "aria-expanded") == "false"

    # An INSPIRE theme, labelled in French.
    choose(page, "hydro", "Hydrographie")
    assert page.get_attribute("#keyword-search", "aria-expanded") == "false"
    wait_js(page, "(document.getElementById('/keywords/0/terms/0/term') || {}).value === 'Hydrographie'")
    wait_saved(page)
    groups = producer.get(f"/api/records/{rid}/draft").json["metadata"]["keywords"]
    assert groups[0]["scheme_uri"] == "http://inspire.ec.europa.eu/theme"
    # The citation title (the server may normalise it to the metadata language's).
    assert groups[0]["scheme_name"] in (
        "GEMET - thèmes INSPIRE, version 1.0",
        "GEMET - INSPIRE themes, version 1.0",
    )
    assert groups[0]["scheme_date"] == "2008-06-01"
    assert groups[0]["terms"] == [
        {"term": "Hydrographie", "value_uri": "http://inspire.ec.europa.eu/theme/hy", "lang": "fr"}
    ]

    # The hierarchy path is shown; the deprecated term offers its replacement, which is added.
    page.focus("#keyword-search")
    page.keyboard.type("surface")
    page.wait_for_selector("#keyword-options:not([hidden]) [role=option]")
    listed = page.inner_text("#keyword-options")
    assert "Eau > Température de surface de la mer" in listed
    assert "obsolète" in listed and "Température de surface de la mer" in listed
    page.locator("#keyword-finder").screenshot(path=str(SHOTS / "keyword-finder-1280.png"))
    check_page(page, "edit-keyword-finder")
    page.fill("#keyword-search", "")
    page.keyboard.press("Escape")
    choose(page, "surface", "Sea surface temperature (old)")
    wait_js(page, "(document.getElementById('/keywords/1/terms/0/value_uri') || {}).value > ''")
    wait_saved(page)
    groups = producer.get(f"/api/records/{rid}/draft").json["metadata"]["keywords"]
    assert groups[1]["scheme_uri"] == EX
    assert groups[1]["terms"][0]["value_uri"] == f"{EX}/sst"
    assert groups[1]["terms"][0]["term"] == "Température de surface de la mer"

    # A second term of the same vocabulary joins its group.
    choose(page, "sal", "Salinité")
    wait_js(page, "(document.getElementById('/keywords/1/terms/1/term') || {}).value === 'Salinité'")
    # A word in no vocabulary: a free keyword.
    choose(page, "bouées dérivantes", "Ajouter")
    wait_js(page, "(document.getElementById('/free_keywords/0/term') || {}).value > ''")
    wait_saved(page)
    md = producer.get(f"/api/records/{rid}/draft").json["metadata"]
    assert [t["term"] for t in md["keywords"][1]["terms"]] == ["Température de surface de la mer", "Salinité"]
    assert md["free_keywords"] == [{"term": "bouées dérivantes", "lang": "fr"}]
    assert "Ajouté comme mot-clé libre" in page.inner_text("#keyword-status")
    assert outside == [] and csp == []
    page.context.close()


# --- People and organisations: ORCID / ROR look-ups (tests/orcid_ror_standin.py) ---------------


@pytest.fixture
def orcid_ror(app):  # type: ignore[no-untyped-def]
    """A local stand-in speaking ORCID public API v3.0 and ROR API v2 (no network in tests)."""
    from tests.orcid_ror_standin import StandIn, orcid_record, ror_organization, serve

    s = StandIn()
    s.orcid["0000-0002-1825-0097"] = orcid_record(
        "0000-0002-1825-0097",
        "Josiah",
        "Carberry",
        [("Centre National de la Recherche Scientifique", "https://ror.org/02feahw73", True)],
    )
    s.ror["02feahw73"] = ror_organization(
        "02feahw73",
        "French National Centre for Scientific Research",
        acronym="CNRS",
        labels={"fr": "Centre national de la recherche scientifique"},
    )
    s.ror["00rbzpz17"] = ror_organization(
        "00rbzpz17", "Agence Nationale de la Recherche", acronym="ANR", fundref="501100001665"
    )
    server, url = serve(s)
    app.config.update(ORCID_API_URL=f"{url}/v3.0", ROR_API_URL=f"{url}/v2", LOOKUP_TIMEOUT=1)
    yield s
    server.shutdown()
    server.server_close()


def test_orcid_and_ror_look_ups_fill_the_person_and_organisations(
    orcid_ror, factory, live_server, browser
) -> None:  # type: ignore[no-untyped-def]
    page, producer, rid, outside, csp = open_draft(browser, live_server, factory, "orcid@example.org")
    page.set_viewport_size({"width": 1280, "height": 900})
    # A recommended list: its first (empty) item is on the form already.
    page.focus('[name="/creators/0/identifiers/0/identifier"]')
    # A mistyped ORCID iD: the server's check-digit message, before anything is asked of ORCID.
    page.keyboard.type("0000-0002-1825-0098")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "lookup"
    page.keyboard.press("Enter")
    page.wait_for_selector(".lookup-status.error")
    assert "check digit" in page.inner_text(".lookup-status.error")
    assert orcid_ror.requests == []

    page.fill('[name="/creators/0/identifiers/0/identifier"]', "https://orcid.org/0000-0002-1825-0097")
    page.focus('[name="/creators/0/identifiers/0/identifier"] + button.lookup')
    page.keyboard.press("Enter")
    wait_js(page, "(document.getElementById('/creators/0/affiliations/0/ror') || {}).value > ''")
    assert "Carberry, Josiah" in page.inner_text(
        '[name="/creators/0/identifiers/0/identifier"] ~ .lookup-status'
    )
    creator = wait_server(producer, rid, lambda md: md["creators"][0].get("affiliations"))["creators"][0]
    assert (creator["given_name"], creator["family_name"], creator["name"]) == (
        "Josiah",
        "Carberry",
        "Carberry, Josiah",
    )
    assert creator["identifiers"] == [{"identifier": "0000-0002-1825-0097", "scheme": "ORCID"}]
    assert creator["affiliations"] == [
        {"name": "Centre National de la Recherche Scientifique", "ror": "https://ror.org/02feahw73"}
    ]

    # The publisher's ROR id fills its name.
    page.fill('[name="/publisher/ror"]', "02feahw73")
    page.focus('[name="/publisher/ror"] + button.lookup')
    page.keyboard.press("Enter")
    wait_js(
        page,
        "document.getElementById('/publisher/name').value === 'French National Centre for Scientific Research'",
    )
    # Autosave may store the typed ROR id before the looked-up name: wait for the name to arrive.
    publisher = wait_server(
        producer, rid, lambda md: md["publisher"].get("ror") and md["publisher"]["name"] != "THEIA"
    )["publisher"]
    assert publisher == {
        "name": "French National Centre for Scientific Research",
        "ror": "https://ror.org/02feahw73",
    }
    check_page(page, "edit-lookups")

    # ORCID down: said so, nothing changed.
    orcid_ror.down = True
    page.focus('[name="/creators/0/identifiers/0/identifier"] + button.lookup')
    page.keyboard.press("Enter")
    page.wait_for_selector('[name="/creators/0/identifiers/0/identifier"] ~ .lookup-status.error')
    assert "ORCID answered HTTP 503" in page.inner_text(
        '[name="/creators/0/identifiers/0/identifier"] ~ .lookup-status'
    )
    assert outside == [] and csp == []
    page.context.close()


def test_a_funder_identifier_looked_up_fills_the_funder_name_and_type(
    orcid_ror, factory, live_server, browser
) -> None:  # type: ignore[no-untyped-def]
    """Keyboard only: a Crossref Funder ID typed in a funding item, then "Look up" (the ROR route
    and stand-in): the funder's name and the identifier's type are filled in and saved; then a
    ROR id in a second item."""
    page, producer, rid, outside, csp = open_draft(browser, live_server, factory, "funder@example.org")
    page.set_viewport_size({"width": 1280, "height": 900})
    tab_type(page, "/funding/0/funder_identifier", "10.13039/501100001665")
    assert focused(page, '[name="/funding/0/funder_identifier"] + button.lookup')
    page.keyboard.press("Enter")
    wait_js(
        page, "document.getElementById('/funding/0/funder_name').value === 'Agence Nationale de la Recherche'"
    )
    assert page.input_value('[name="/funding/0/funder_identifier_type"]') == "Crossref Funder ID"
    assert "Agence Nationale de la Recherche" in page.inner_text(
        '[name="/funding/0/funder_identifier"] ~ .lookup-status'
    )
    funding = wait_server(producer, rid, lambda md: (md.get("funding") or [{}])[0].get("funder_name"))[
        "funding"
    ]
    assert funding == [
        {
            "funder_name": "Agence Nationale de la Recherche",
            "funder_identifier": "https://doi.org/10.13039/501100001665",
            "funder_identifier_type": "Crossref Funder ID",
        }
    ]
    assert orcid_ror.requests == ["/v2/organizations?query.advanced=external_ids.all:501100001665"]

    # A ROR id in a second funding item (added with the keyboard).
    tab_to(page, 'button[data-add="/funding"]')
    page.keyboard.press("Enter")
    page.wait_for_selector('[name="/funding/1/funder_identifier"]')
    tab_type(page, "/funding/1/funder_identifier", "00rbzpz17")
    page.keyboard.press("Enter")
    wait_js(page, "(document.getElementById('/funding/1/funder_name') || {}).value > ''")
    second = wait_server(
        producer, rid, lambda md: len(md.get("funding") or []) == 2 and md["funding"][1].get("funder_name")
    )["funding"][1]
    assert second == {
        "funder_name": "Agence Nationale de la Recherche",
        "funder_identifier": "https://ror.org/00rbzpz17",
        "funder_identifier_type": "ROR",
    }
    check_page(page, "edit-funder-lookup")
    assert outside == [] and csp == []
    page.context.close()


def test_people_of_earlier_records_are_suggested_and_fill_the_person(factory, live_server, browser) -> None:  # type: ignore[no-untyped-def]
    page, producer, rid, _outside, _csp = open_draft(browser, live_server, factory, "again@example.org")
    earlier = minimal_example()
    earlier["creators"] = [
        {
            "type": "Personal",
            "given_name": "Josiah",
            "family_name": "Carberry",
            "identifiers": [{"identifier": "0000-0002-1825-0097"}],
            "affiliations": [{"name": "CNRS", "ror": "https://ror.org/02feahw73"}],
        }
    ]
    producer.post("/api/records", json={"metadata": earlier})
    page.reload()
    wait_saved(page)
    assert page.get_attribute('[name="/creators/0/name"]', "list") == "known-agents"
    wait_js(
        page,
        "[...document.querySelectorAll('#known-agents option')].some(o => o.value === 'Carberry, Josiah')",
    )
    page.fill('[name="/creators/0/name"]', "")
    type_into(page, "/creators/0/name", "Carberry, Josiah")
    wait_js(page, "(document.getElementById('/creators/0/affiliations/0/ror') || {}).value > ''")
    assert page.input_value('[name="/creators/0/given_name"]') == "Josiah"
    creator = wait_server(producer, rid, lambda md: md["creators"][0].get("affiliations"))["creators"][0]
    assert (creator["given_name"], creator["family_name"]) == ("Josiah", "Carberry")
    assert creator["identifiers"][0]["identifier"] == "0000-0002-1825-0097"
    assert creator["affiliations"] == [{"name": "CNRS", "ror": "https://ror.org/02feahw73"}]
    page.context.close()


# --- Journey 1 of issue #11 ---------------------------------------------------------------------


def test_journey_1_french_producer_with_the_widgets(
    app, tmp_path, factory, live_server, browser, orcid_ror, shared_standards
) -> None:  # type: ignore[no-untyped-def]
    """Journey 1: interface in French, keyboard only (Tab, Shift+Tab, typing, arrows, Enter):
    a blank draft, title and abstract in two languages, an INSPIRE theme and a GCMD science
    keyword by autocomplete, a creator by ORCID look-up (with a ROR affiliation) through the
    stand-in, a box taken from the map moved and zoomed with the arrow keys and + / -, an
    interval, a licence; the acceptance panel turns green; submitted; the DataCite, ISO 19139
    and oai_dc exports of the submitted record validate against the official schemas."""
    from exports import iso19139
    from exports.xmlutil import validate_xml
    from tests.test_export_datacite import KERNEL4
    from tests.test_export_dc_citation import OAI_DC_XSD
    from tests.test_vocab_app import GCMD_SCIENCE, run

    load_vocabularies(app, tmp_path)
    gcmd = shared_standards / "vocabularies/gcmd/rdf/sciencekeywords.rdf"
    assert (
        run(app, "import", str(gcmd), "--scheme-uri", GCMD_SCIENCE, "--name", "gcmd-science").exit_code == 0
    )
    factory.community("theia")
    producer = factory.user("journey@example.org", password=PASSWORD)
    context = browser.new_context(locale="fr-FR", extra_http_headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((live_server, "data:")) else outside.append(r.url))
    page.goto(f"{live_server}/login")
    tab_to(page, "input[name=email]")
    page.keyboard.type("journey@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/me")
    page.goto(f"{live_server}/deposit")
    tab_to(page, "button[value=blank]")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: url.endswith("/edit"))
    rid = page.url.split("/")[-2]
    wait_saved(page)

    # General: two languages for the title and the abstract.
    arrow_select(page, '[name="/resource_type/general"]', "Dataset")
    tab_type(page, "/titles/0/text", "Humidité des sols à Lusignan")
    tab_type(page, "/titles/0/lang", "fr")
    tab_to(page, 'button[data-add="/titles"]')
    page.keyboard.press("Enter")
    page.wait_for_selector('[name="/titles/1/text"]')
    assert focused(page, '[name="/titles/1/text"]')
    page.keyboard.type("Soil moisture at Lusignan")
    arrow_select(page, '[name="/titles/1/type"]', "TranslatedTitle")
    tab_type(page, "/titles/1/lang", "en")
    tab_type(page, "/abstracts/0/text", "Humidité quotidienne du sol à 10 cm de profondeur.")
    tab_type(page, "/abstracts/0/lang", "fr")
    tab_to(page, 'button[data-add="/abstracts"]')
    page.keyboard.press("Enter")
    page.wait_for_selector('[name="/abstracts/1/text"]')
    assert focused(page, '[name="/abstracts/1/text"]')
    page.keyboard.type("Daily soil moisture at 10 cm depth.")
    tab_type(page, "/abstracts/1/lang", "en")

    # Spatial: the map focused with Tab, zoomed in with + and moved north-east with the arrow
    # keys; its visible area taken as the box.
    tab_to(page, "#extent-map")
    for key in ["+"] * 3 + ["ArrowUp"] * 4 + ["ArrowRight"]:
        page.keyboard.press(key)
        page.wait_for_timeout(350)  # Leaflet ignores keys during its pan and zoom animations
    tab_to(page, "#extent-map-visible")
    page.keyboard.press("Enter")
    wait_js(page, "document.getElementById('/spatial_extents/0/bbox/north').value !== ''")
    assert "emprise n° 1" in page.inner_text("#extent-map-status")
    # Temporal: an interval.
    tab_type(page, "/temporal_extents/0/start", "2019-01-01")
    tab_type(page, "/temporal_extents/0/end", "2023-12-31")

    # Themes & keywords by autocomplete.
    choose(page, "hydro", "Hydrographie")
    choose(page, "atmospheric winds", "ATMOSPHERIC WINDS")
    wait_js(page, "(document.getElementById('/keywords/1/terms/0/term') || {}).value === 'ATMOSPHERIC WINDS'")

    # Creator by ORCID look-up (the stand-in), with its ROR affiliation.
    tab_type(page, "/creators/0/identifiers/0/identifier", "0000-0002-1825-0097")
    assert focused(page, '[name="/creators/0/identifiers/0/identifier"] + button.lookup')
    page.keyboard.press("Enter")
    wait_js(page, "(document.getElementById('/creators/0/affiliations/0/ror') || {}).value > ''")
    arrow_select(page, '[name="/contacts/0/type"]', "Personal")
    tab_type(page, "/contacts/0/name", "Carberry, Josiah")
    tab_type(page, "/contacts/0/email", "josiah.carberry@example.org")
    tab_type(page, "/publisher/name", "THEIA")

    # Data access: licence and access level.
    arrow_select(page, '[name="/rights/license/id"]', "CC-BY-4.0")
    arrow_select(page, '[name="/rights/access_level"]', "open")
    # The INSPIRE condition applying to access and use, and the limitation on public access,
    # picked from their code lists (labels in French).
    tab_to(page, 'button[data-add="/rights/use_constraints"]')
    page.keyboard.press("Enter")
    page.wait_for_selector('[name="/rights/use_constraints/0/uri"]')
    assert "Aucune condition ne s'applique" in page.inner_text('[name="/rights/use_constraints/0/uri"]')
    arrow_select(page, '[name="/rights/use_constraints/0/uri"]', NO_CONDITIONS)
    page.locator('fieldset[data-list="/rights/use_constraints"]').screenshot(
        path=str(SHOTS / "conditions-1280.png")
    )
    tab_to(page, 'button[data-add="/rights/access_constraints"]')
    page.keyboard.press("Enter")
    picker = '[name="/rights/access_constraints/0/uri"]'
    page.wait_for_selector(picker)
    assert "Pas de restriction d'accès public" in page.inner_text(picker)
    arrow_select(page, picker, NO_LIMITATIONS)
    page.keyboard.press("Tab")
    md = wait_server(
        producer,
        rid,
        lambda m: (
            m.get("rights", {}).get("license")
            and m.get("rights", {}).get("access_constraints")
            and m.get("rights", {}).get("use_constraints")
            and m.get("temporal_extents")
            and m.get("publisher")
        ),
    )
    assert md["rights"]["access_constraints"] == [
        {"uri": NO_LIMITATIONS, "text": "No limitations to public access", "lang": "en"}
    ]
    assert md["rights"]["use_constraints"] == [
        {"uri": NO_CONDITIONS, "text": "No conditions apply to access and use", "lang": "en"}
    ]
    assert md["resource_type"]["general"] == "Dataset" and md["titles"][1]["type"] == "TranslatedTitle"
    assert [t["lang"] for t in md["titles"]] == ["fr", "en"] and len(md["abstracts"]) == 2
    assert md["creators"][0]["identifiers"] == [{"identifier": "0000-0002-1825-0097", "scheme": "ORCID"}]
    assert md["creators"][0]["affiliations"][0]["ror"] == "https://ror.org/02feahw73"
    assert {g["scheme_uri"] for g in md["keywords"]} == {"http://inspire.ec.europa.eu/theme", GCMD_SCIENCE}
    # The box: the view moved north and east of where the map opens (20° N, 0° E), zoomed in.
    bbox = md["spatial_extents"][0]["bbox"]
    assert -90 <= bbox["south"] < bbox["north"] <= 90 and -180 <= bbox["west"] < bbox["east"] <= 180, bbox
    assert (bbox["south"] + bbox["north"]) / 2 > 25 and (bbox["west"] + bbox["east"]) / 2 > 0, bbox
    assert bbox["east"] - bbox["west"] < 90, bbox
    assert md["temporal_extents"] == [{"start": "2019-01-01", "end": "2023-12-31"}]

    # The acceptance panel, refreshed after the saves: DataCite, Recherche Data Gouv and INSPIRE
    # green (every target that the fields of this journey cover).
    wait_saved(page)
    page.wait_for_selector("#acceptance .target.ok >> text=INSPIRE", timeout=20_000)
    ready = [
        page.inner_text(f"#acceptance .target.ok >> nth={i}")
        for i in range(page.locator("#acceptance .target.ok").count())
    ]
    assert any("DataCite" in t for t in ready) and any("Recherche Data Gouv" in t for t in ready), ready
    assert any("INSPIRE" in t for t in ready), ready
    check_page(page, "journey1-filled")

    arrow_select(page, '[id="/community"]', "theia")
    tab_to(page, ".submit-box button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("fieldset.whole[disabled]")
    assert producer.get(f"/api/records/{rid}/draft").json["state"] == "submitted"
    check_page(page, "journey1-submitted")

    for fmt, schemas in (("datacite", KERNEL4), ("iso19139", iso19139.SCHEMAS), ("oai_dc", OAI_DC_XSD)):
        r = producer.get(f"/api/records/{rid}/export/{fmt}?draft=1")
        assert r.status_code == 200, (fmt, r.status_code)
        assert validate_xml(r.data, schemas) == [], fmt
    assert outside == []
    context.close()


# --- Dataset logo -------------------------------------------------------------------------------


def test_logo_upload_shows_the_thumbnail_and_names_the_file(factory, live_server, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.test_deposit_logo import PNG

    page, producer, rid, outside, csp = open_draft(browser, live_server, factory, "logo@example.org")
    bad = tmp_path / "logo.svg"
    bad.write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', encoding="utf-8")
    page.set_input_files("#logo-file", str(bad))
    page.wait_for_selector("#logo-status.error")
    assert "PNG, JPEG, GIF or WebP" in page.inner_text("#logo-status")
    good = tmp_path / "logo.png"
    good.write_bytes(PNG)
    page.set_input_files("#logo-file", str(good))
    page.wait_for_selector("#logo-thumbnail:not([hidden])")
    wait_js(page, "document.getElementById('logo-thumbnail').naturalWidth === 1")
    md = wait_server(producer, rid, lambda m: m.get("graphic_overviews"))
    assert md["graphic_overviews"] == [{"file": "logo.png", "type": "logo"}]
    check_page(page, "edit-logo")
    assert outside == [] and csp == []
    page.context.close()

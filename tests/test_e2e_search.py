"""End-to-end: the catalogue page (/search) in Debian's chromium (Playwright), with axe-core and
screenshots at 390 and 1280 px (tests/test_e2e_deposit.check_page). The map draws each result's
extent; a box drawn on it fills the four typed fields, which stay the way to type one."""

from __future__ import annotations

import copy

import pytest

from schemas.examples import minimal_example
from tests.test_e2e_deposit import check_page

pytestmark = pytest.mark.e2e


def publish(factory, n: int, title: str, bbox: dict[str, float]) -> str:  # type: ignore[no-untyped-def]
    producer = factory.user(f"p{n}@example.org")
    mod = factory.user(f"m{n}@example.org", role="moderator", communities=["theia"])
    md = copy.deepcopy(minimal_example())
    md["titles"] = [{"text": title}]
    md["spatial_extents"] = [{"place": title, "bbox": bbox}]
    rid = producer.post("/api/records", json={"metadata": md, "community": "theia"}).json["id"]
    producer.post(f"/api/records/{rid}/draft/actions/submit", json={})
    mod.post(f"/api/records/{rid}/review/actions/assign", json={})
    assert mod.post(f"/api/records/{rid}/review/actions/accept", json={}).json["state"] == "published"
    return rid


def test_search_page_map_draws_extents_and_a_box_that_fills_the_fields(factory, live_server, browser) -> None:  # type: ignore[no-untyped-def]
    factory.community("theia")
    alps = publish(factory, 1, "Snow depth in the Alps", {"west": 5.0, "south": 44.0, "east": 16.0, "north": 48.0})
    andes = publish(factory, 2, "Snow cover in the Andes", {"west": -75.0, "south": -40.0, "east": -65.0, "north": -10.0})

    page = browser.new_page()
    page.goto(f"{live_server}/search?q=snow&lang=en")
    assert page.is_visible("#search-map") and page.is_visible("#search-map-draw")
    # one rectangle per result box, drawn in the results' colour (the graticule is grey)
    page.wait_for_selector(".leaflet-overlay-pane path[stroke='#7a3b00']")
    assert page.locator(".leaflet-overlay-pane path[stroke='#7a3b00']").count() == 2
    check_page(page, "search")

    # draw a box around the Alps: the fields are filled, and the search keeps the Alps only
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("#search-map-draw")
    assert page.get_attribute("#search-map-draw", "aria-pressed") == "true"
    box = page.locator("#search-map").bounding_box()
    assert box is not None
    west_px = box["x"] + box["width"] * 0.50
    east_px = box["x"] + box["width"] * 0.62
    page.mouse.move(west_px, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    page.mouse.move(east_px, box["y"] + box["height"] * 0.45, steps=5)
    page.mouse.up()
    values = {k: page.input_value(f"#{k}") for k in ("west", "south", "east", "north")}
    assert all(v != "" for v in values.values()), values
    w, s, e, n = (float(values[k]) for k in ("west", "south", "east", "north"))
    assert w < e and s < n and -180 <= w and e <= 180 and -90 <= s and n <= 90
    # typing stays possible: set the box exactly around the Alps and search
    for k, v in (("west", "0"), ("south", "40"), ("east", "20"), ("north", "50")):
        page.fill(f"#{k}", v)
    page.click("aside button[type=submit]")
    page.wait_for_load_state()
    results = page.inner_text(".results")
    assert "Snow depth in the Alps" in results and "Snow cover in the Andes" not in results
    assert f"/records/{alps}" in page.content() and f"/records/{andes}" not in page.content()
    # the query box is drawn (dashed, blue) and its fields keep the typed values
    assert page.locator(".leaflet-overlay-pane path[stroke='#0b5cad']").count() >= 1
    assert page.input_value("#west") == "0"
    check_page(page, "search-box")
    page.close()

    french = browser.new_context(locale="fr-FR", extra_http_headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    page = french.new_page()
    page.goto(f"{live_server}/search?q=snow")
    assert page.inner_text("h1") == "Rechercher dans le catalogue"
    assert page.inner_text("#search-map-draw") == "Tracer une emprise sur la carte"
    assert "2 résultats" in page.inner_text(".results")
    check_page(page, "search-fr")
    # the home page leads into the catalogue: its search box lands on /search
    page.goto(f"{live_server}/")
    check_page(page, "home-fr")
    page.fill("#home-q", "snow")
    page.press("#home-q", "Enter")
    page.wait_for_url(f"{live_server}/search?q=snow")
    assert "2 résultats" in page.inner_text(".results")
    french.close()

"""End-to-end: a published record's landing page in Debian's chromium (Playwright): citation,
map, licence, copy button, zip download; axe-core clean; screenshots at 390 and 1280 px."""

from __future__ import annotations

import pytest

from tests.test_e2e_deposit import check_page
from tests.test_records_landing import FILES, make_people, open_rich, published

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_landing_page_shows_citation_map_and_licence(factory, app, live_server, browser, lang) -> None:  # type: ignore[no-untyped-def]
    app.config["BASE_URL"] = live_server
    people = make_people(factory)
    rid = published(people, open_rich(), FILES)

    context = browser.new_context(locale=lang, extra_http_headers={"Accept-Language": lang})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # Failed loads by URL (the browser's own favicon request aside): scripts, styles, images.
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and not r.url.endswith("/favicon.ico") else None,
    )
    page.goto(f"{live_server}/records/{rid}")

    citation = page.inner_text("#citation-text")
    assert "Carberry, Josiah" in citation and f"{live_server}/records/{rid}" in citation
    # The map is drawn (Leaflet panes and one shape per extent) and the coordinates stay as text.
    page.wait_for_selector("#landing-map.map-ready")
    assert page.locator("#landing-map path.extent-shape").count() == 3
    assert page.is_visible("text=lat -22.27, lon 166.45")
    licence = page.locator("a[rel=license]")
    assert licence.inner_text() == "Creative Commons Attribution 4.0 International"
    # The copy button appears with JavaScript and copies the citation.
    page.click("button[data-copy=citation-text]")
    assert page.evaluate("navigator.clipboard.readText()") == citation.strip()
    with page.expect_download() as download:
        page.click(f"a[href='/records/{rid}/files.zip']")
    assert download.value.suggested_filename == f"{rid}.zip"
    assert not errors, errors
    check_page(page, f"landing-{lang}")
    context.close()

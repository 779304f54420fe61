"""End-to-end journeys of the Metadata-Engine in Debian's chromium (Playwright).

Every page visited is checked with axe-core (tests/vendor/axe.min.js, injected from its file)
for serious or critical WCAG 2.1 A/AA violations, and photographed at 390 px and 1280 px into
``tests/e2e-screenshots/`` (or ``$ALLUVIUM_SCREENSHOTS``): look at them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from schemas.examples import minimal_example

pytestmark = pytest.mark.e2e

PASSWORD = "a long enough password"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SHOTS = Path(os.environ.get("ALLUVIUM_SCREENSHOTS", Path(__file__).parent / "e2e-screenshots"))


def check_page(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """axe-core finds no serious or critical violation; screenshots at 390 and 1280 px, and
    no horizontal scrolling at either width."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        page.screenshot(path=str(SHOTS / f"{name}-{width}-top.png"))
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls horizontally at {width} px ({overflow} px)"
    if not page.evaluate("typeof axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the page's own CSP (no inline script) stays on.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{name}: {bad}"


def sign_in(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in with the keyboard only."""
    page.goto(f"{base}/login")
    tab_to(page, "input[name=email]")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/me")


def type_into(page, pointer: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Focus the input of a pointer, type, and leave the field (Tab)."""
    page.focus(f'[name="{pointer}"]')
    page.keyboard.type(text)
    page.keyboard.press("Tab")


def wait_saved(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector("#save-state[data-state=saved]", timeout=10_000)


def focused(page, selector: str) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("s => document.activeElement === document.querySelector(s)", selector)


def tab_to(page, selector: str, limit: int = 600) -> None:  # type: ignore[no-untyped-def]
    """Press Tab (Shift+Tab when the element comes before the focus) until ``selector`` has the
    focus; at most ``limit`` presses. Keyboard only: nothing is focused by script."""
    page.wait_for_selector(selector, state="attached")
    forward = page.evaluate(
        """s => { const t = document.querySelector(s), a = document.activeElement;
                  if (!a || a === document.body) return true;
                  return !!(a.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING); }""",
        selector,
    )
    for _ in range(limit):
        if focused(page, selector):
            return
        page.keyboard.press("Tab" if forward else "Shift+Tab")
    raise AssertionError(f"{selector} not reached in {limit} presses of Tab")


def tab_type(page, pointer: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Tab to the input of a pointer, type, and leave the field (Tab)."""
    tab_to(page, f'[name="{pointer}"]')
    page.keyboard.type(text)
    page.keyboard.press("Tab")


def arrow_select(page, selector: str, value: str) -> None:  # type: ignore[no-untyped-def]
    """Tab to a closed <select> and move its choice with the arrow keys to ``value``."""
    tab_to(page, selector)
    values = page.evaluate("s => [...document.querySelector(s).options].map(o => o.value)", selector)
    for _ in range(len(values) + 1):
        now = page.evaluate("s => document.querySelector(s).value", selector)
        if now == value:
            return
        page.keyboard.press("ArrowDown" if values.index(value) > values.index(now) else "ArrowUp")
    raise AssertionError(f"{selector} never showed {value!r}")


def test_french_producer_describes_a_dataset_with_the_keyboard(factory, live_server, browser) -> None:  # type: ignore[no-untyped-def]
    """Journey 1, as far as the form goes today: interface in French, keyboard only, a blank
    draft, the mandatory fields typed (two languages for the title), autosaved, the acceptance
    panel green for DataCite, then submitted to a community."""
    factory.community("theia")
    producer = factory.user("fr@example.org", password=PASSWORD)
    context = browser.new_context(locale="fr-FR", extra_http_headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    page = context.new_page()
    sign_in(page, live_server, "fr@example.org")
    assert page.get_attribute("html", "lang") == "fr"
    check_page(page, "dashboard-empty")

    page.goto(f"{live_server}/deposit")
    assert page.inner_text("h1") == "Décrire un jeu de données"
    check_page(page, "deposit-start")
    tab_to(page, "button[value=blank]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/records/[^/]+/edit$"))
    record_id = page.url.split("/")[-2]
    wait_saved(page)
    check_page(page, "edit-blank")

    arrow_select(page, '[name="/resource_type/general"]', "Dataset")
    tab_type(page, "/titles/0/text", "Humidité des sols à Lusignan")
    tab_type(page, "/titles/0/lang", "fr")
    # A second title, in English: the add button, with the keyboard.
    tab_to(page, 'button[data-add="/titles"]')
    page.keyboard.press("Enter")
    page.wait_for_selector('[name="/titles/1/text"]')
    assert page.evaluate("document.activeElement.name") == "/titles/1/text"
    page.keyboard.type("Soil moisture at Lusignan")
    page.keyboard.press("Tab")
    arrow_select(page, '[name="/titles/1/type"]', "TranslatedTitle")
    tab_type(page, "/titles/1/lang", "en")
    tab_type(page, "/abstracts/0/text", "Humidité quotidienne du sol à 10 cm.")
    arrow_select(page, '[name="/creators/0/type"]', "Personal")
    tab_type(page, "/creators/0/family_name", "Martin")
    tab_type(page, "/creators/0/given_name", "Claire")
    arrow_select(page, '[name="/contacts/0/type"]', "Personal")
    tab_type(page, "/contacts/0/name", "Martin, Claire")
    tab_type(page, "/contacts/0/email", "claire.martin@example.org")
    tab_type(page, "/publisher/name", "THEIA")
    arrow_select(page, '[name="/rights/access_level"]', "open")
    page.keyboard.press("Tab")
    wait_saved(page)

    stored = producer.get(f"/api/records/{record_id}/draft").json["metadata"]
    assert [t["text"] for t in stored["titles"]] == [
        "Humidité des sols à Lusignan",
        "Soil moisture at Lusignan",
    ]
    assert stored["creators"][0]["name"] == "Martin, Claire"
    page.wait_for_selector("#acceptance .target.ok", timeout=20_000)
    assert "DataCite" in page.inner_text("#acceptance .target.ok")

    page.reload()
    check_page(page, "edit-filled")
    arrow_select(page, '[id="/community"]', "theia")
    tab_to(page, ".submit-box button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("fieldset.whole[disabled]")
    assert producer.get(f"/api/records/{record_id}/draft").json["state"] == "submitted"
    check_page(page, "edit-submitted")
    context.close()


def test_two_tabs_conflict_then_keep_mine(factory, live_server, browser) -> None:  # type: ignore[no-untyped-def]
    """Two tabs edit one draft: the second save meets 412, the differing field is listed, and
    "keep my values" stores the second tab's value; nothing is overwritten silently."""
    producer = factory.user("two@example.org", password=PASSWORD)
    rid = producer.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    context = browser.new_context()
    first, second = context.new_page(), context.new_page()
    sign_in(first, live_server, "two@example.org")
    for page in (first, second):
        page.goto(f"{live_server}/records/{rid}/edit")
        wait_saved(page)
    first.fill('[name="/publisher/name"]', "")
    type_into(first, "/publisher/name", "Tab one")
    wait_saved(first)
    assert producer.get(f"/api/records/{rid}/draft").json["metadata"]["publisher"]["name"] == "Tab one"
    second.fill('[name="/publisher/name"]', "")
    type_into(second, "/publisher/name", "Tab two")
    second.wait_for_selector("#conflict:not([hidden])")
    # Who and when: the same person in another tab; the field by its label, linked to its input.
    assert "You saved this draft in another tab or window on" in second.inner_text("#conflict-text")
    assert "Publisher › Name: Tab one → Tab two" in second.inner_text("#conflict-fields")
    assert second.get_attribute("#conflict-fields a", "href") == "#/publisher/name"
    assert producer.get(f"/api/records/{rid}/draft").json["metadata"]["publisher"]["name"] == "Tab one"
    check_page(second, "edit-conflict")
    second.click("#keep-mine")
    second.wait_for_load_state()
    wait_saved(second)
    assert producer.get(f"/api/records/{rid}/draft").json["metadata"]["publisher"]["name"] == "Tab two"
    context.close()


def test_values_typed_offline_reach_the_server_when_back_online(factory, live_server, browser) -> None:  # type: ignore[no-untyped-def]
    producer = factory.user("off@example.org", password=PASSWORD)
    rid = producer.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server, "off@example.org")
    page.goto(f"{live_server}/records/{rid}/edit")
    wait_saved(page)
    context.set_offline(True)
    type_into(page, "/version", "2.1")
    page.wait_for_selector("#save-state[data-state=offline]", timeout=10_000)
    kept = page.evaluate(f"localStorage.getItem('alluvium-draft-{rid}')")
    assert kept and '"2.1"' in kept
    assert "version" not in producer.get(f"/api/records/{rid}/draft").json["metadata"]
    context.set_offline(False)
    wait_saved(page)
    assert producer.get(f"/api/records/{rid}/draft").json["metadata"]["version"] == "2.1"
    context.close()


def test_import_an_iso_file_complete_what_is_missing_and_submit(factory, live_server, browser) -> None:  # type: ignore[no-untyped-def]
    """Journey 2: import an ISO 19139 file, see what could not be carried over, follow the
    acceptance panel's links to the missing fields (named by their labels), fill them, submit."""
    factory.community("odatis")
    producer = factory.user("iso@example.org", password=PASSWORD)
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server, "iso@example.org")
    page.goto(f"{live_server}/deposit")
    page.set_input_files("#\\/file", str(Path(__file__).parent / "data" / "sextant_gml2006.xml"))
    page.click("button[value=import]")
    page.wait_for_selector("ul.unmapped")
    unmapped = page.inner_text("ul.unmapped")
    assert "Plouzané" in unmapped and "presentationForm" in unmapped
    check_page(page, "import-unmapped")
    page.click("text=Continue to the form")
    page.wait_for_url(re.compile(r".*/records/[^/]+/edit$"))
    record_id = page.url.split("/")[-2]
    wait_saved(page)
    problems = page.inner_text("#acceptance .target.ko")
    assert "Publisher › Name" in problems and "/publisher" not in problems
    # The panel's link leads to the field.
    page.click('#acceptance .target.ko a[data-pointer="/publisher/name"]')
    assert page.url.endswith("#/publisher/name")
    type_into(page, "/publisher/name", "Ifremer")
    page.select_option('[name="/rights/access_level"]', "open")
    wait_saved(page)
    page.wait_for_function(
        "() => !document.querySelector('#acceptance').innerText.includes('Publisher › Name')", timeout=20_000
    )
    check_page(page, "import-completed")
    page.select_option("#\\/community", "odatis")
    page.click(".submit-box button[type=submit]")
    page.wait_for_selector("fieldset.whole[disabled]")
    got = producer.get(f"/api/records/{record_id}/draft").json
    assert got["state"] == "submitted"
    assert got["metadata"]["publisher"]["name"] == "Ifremer"
    context.close()


CSV = b"latitude,longitude,time\n48.1,-4.5,2019-01-01\n48.6,-4.4,2019-06-30\n"


def test_upload_through_the_widget_then_use_a_proposal(factory, live_server, browser) -> None:  # type: ignore[no-untyped-def]
    """A file sent by the form's uploader (tus-js-client against our tus endpoint): progress,
    the server's SHA-256 shown when done, then the metadata read from the file offered as
    suggestions; "use" saves one through the form's PATCH, "ignore" hides another for good."""
    import hashlib

    producer = factory.user("up@example.org", password=PASSWORD)
    rid = producer.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server, "up@example.org")
    page.goto(f"{live_server}/records/{rid}/edit")
    wait_saved(page)
    page.set_input_files("#\\/file", files=[{"name": "stations.csv", "mimeType": "text/csv", "buffer": CSV}])
    page.wait_for_selector('#uploads li[data-state="done"] code.sha256', timeout=20_000)
    assert page.inner_text("#uploads code.sha256") == hashlib.sha256(CSV).hexdigest()
    assert page.get_attribute("#uploads progress", "value") == "100"
    entries = producer.get(f"/api/records/{rid}/files").json["entries"]
    assert [e["key"] for e in entries] == ["stations.csv"]
    page.wait_for_selector('#uploads li.proposal[data-field="spatial_extents"]', timeout=20_000)
    check_page(page, "edit-upload-proposals")
    page.locator("#files").screenshot(path=str(SHOTS / "files-box-1280.png"))
    page.set_viewport_size({"width": 390, "height": 900})
    page.locator("#files").screenshot(path=str(SHOTS / "files-box-390.png"))
    temporal = page.query_selector('#uploads li.proposal[data-field="temporal_extents"] button[data-ignore]')
    assert temporal is not None
    temporal.click()
    assert page.query_selector('#uploads li.proposal[data-field="temporal_extents"]') is None
    page.click('#uploads li.proposal[data-field="spatial_extents"] button[data-use]')
    page.wait_for_load_state()
    wait_saved(page)
    stored = producer.get(f"/api/records/{rid}/draft").json["metadata"]
    boxes = [e["bbox"] for e in stored["spatial_extents"] if "bbox" in e]
    assert {"west": -4.5, "east": -4.4, "south": 48.1, "north": 48.6} in boxes, stored["spatial_extents"]
    assert "temporal_extents" not in stored or all(
        t.get("start") != "2019-01-01" for t in stored["temporal_extents"]
    )
    # After the reload: the file is listed by the server, the used and the ignored proposals
    # are not offered again, and the form shows the used value in its field.
    page.wait_for_selector('#file-list li.file[data-key="stations.csv"] .proposals')
    page.wait_for_timeout(1500)
    assert page.query_selector('#file-list li.proposal[data-field="spatial_extents"]') is None
    assert page.query_selector('#file-list li.proposal[data-field="temporal_extents"]') is None
    assert page.input_value('[name="/spatial_extents/0/bbox/south"]') in ("48.1",) or "48.1" in [
        page.input_value(f'[name="/spatial_extents/{i}/bbox/south"]')
        for i in range(len(stored["spatial_extents"]))
    ]
    context.close()


def test_an_upload_paused_then_resumed_continues_from_the_stored_bytes(factory, live_server, browser) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    producer = factory.user("pause@example.org", password=PASSWORD)
    rid = producer.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    body = os.urandom(20 * 1024 * 1024)  # 20 MiB: three 8 MiB tus chunks
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server, "pause@example.org")
    page.goto(f"{live_server}/records/{rid}/edit")
    wait_saved(page)
    # Slow the upload down (Chromium's network emulation: 4 MiB/s) so that it is paused midway.
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 4 * 1024 * 1024},
    )
    page.set_input_files(
        "#\\/file", files=[{"name": "big.bin", "mimeType": "application/octet-stream", "buffer": body}]
    )
    page.wait_for_selector('#uploads li[data-state="uploading"]')
    # Paused once the first 8 MiB chunk is stored (the progress bar is past 40 %).
    page.wait_for_function("() => document.querySelector('#uploads progress').value >= 42", timeout=60_000)
    page.click("#uploads li.upload button >> nth=0")  # Pause
    page.wait_for_selector('#uploads li[data-state="paused"]')
    assert "Paused: big.bin" in page.inner_text("#uploads li.upload p")
    assert producer.get(f"/api/records/{rid}/files").json["entries"] == []
    assert int(page.evaluate("document.querySelector('#uploads progress').value")) < 100
    offsets: list[int] = []
    page.on(
        "request",
        lambda r: (
            offsets.append(int(r.headers["upload-offset"]))
            if r.method == "PATCH" and "/draft/uploads/" in r.url
            else None
        ),
    )
    page.click("#uploads li.upload button >> nth=0")  # Resume
    page.wait_for_selector('#uploads li[data-state="done"] code.sha256', timeout=60_000)
    assert page.inner_text("#uploads code.sha256") == hashlib.sha256(body).hexdigest()
    # The resumed upload asked the server for its offset and went on from there, not from 0.
    assert offsets and offsets[0] >= 8 * 1024 * 1024, offsets
    entries = producer.get(f"/api/records/{rid}/files").json["entries"]
    assert entries[0]["key"] == "big.bin" and entries[0]["size"] == len(body)
    context.close()


def test_without_javascript_files_go_through_the_plain_form(factory, live_server, browser) -> None:  # type: ignore[no-untyped-def]
    producer = factory.user("nojs@example.org", password=PASSWORD)
    rid = producer.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, "nojs@example.org")
    page.goto(f"{live_server}/records/{rid}/edit")
    page.set_input_files("#\\/file", files=[{"name": "stations.csv", "mimeType": "text/csv", "buffer": CSV}])
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector('#file-list li.file[data-key="stations.csv"]')
    assert [e["key"] for e in producer.get(f"/api/records/{rid}/files").json["entries"]] == ["stations.csv"]
    context.close()

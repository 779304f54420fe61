"""End-to-end: Debian's chromium driven by Playwright against the app on a loopback port."""

from __future__ import annotations

import pytest

from schemas.examples import minimal_example

pytestmark = pytest.mark.e2e


def test_sign_in_dashboard_and_landing_page(factory, live_server, browser) -> None:  # type: ignore[no-untyped-def]
    factory.community("theia")
    producer = factory.user("e2e@example.org", password="a long enough password")
    mod = factory.user("mod@example.org", role="moderator", communities=["theia"])
    metadata = minimal_example()
    draft_id = producer.post(
        "/api/records", json={"metadata": metadata | {"titles": [{"text": "Brouillon privé"}]}}
    ).json["id"]
    rid = producer.post("/api/records", json={"metadata": metadata, "community": "theia"}).json["id"]
    producer.put(f"/api/records/{rid}/draft/files/soil.csv", data=b"date,sm\n2024-01-01,0.31\n")
    producer.post(f"/api/records/{rid}/draft/actions/submit", json={})
    mod.post(f"/api/records/{rid}/review/actions/assign", json={})
    assert mod.post(f"/api/records/{rid}/review/actions/accept", json={}).json["state"] == "published"

    page = browser.new_page()
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "e2e@example.org")
    page.fill("input[name=password]", "wrong password")
    page.click("main button[type=submit]")
    assert "Unknown e-mail or wrong password" in page.inner_text("[role=alert]")
    page.fill("input[name=email]", "e2e@example.org")
    page.fill("input[name=password]", "a long enough password")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/me")
    table = page.inner_text("table")
    assert "Brouillon privé" in table and draft_id in table and "published" in table

    page.click(f"text={metadata['titles'][0]['text']}")
    page.wait_for_url(f"{live_server}/records/{rid}")
    assert page.inner_text("h1") == metadata["titles"][0]["text"]
    assert "soil.csv" in page.inner_text("table")
    with page.expect_download() as download:
        page.click("text=soil.csv")
    assert download.value.suggested_filename == "soil.csv"

    page.click("text=Sign out")
    page.goto(f"{live_server}/me")
    assert page.url.startswith(f"{live_server}/login")
    page.close()

"""The moderation desk's journey in Debian's chromium (Playwright), with e-mails read from a
real SMTP server on loopback (tests/smtp_standin.py, aiosmtpd, standing in for the mail relay).

A French moderator claims a submission, ticks the checklist, comments on the abstract and on
the bounding box, and requests changes; the producer sees both comments at their fields,
fixes them, replies and resubmits; the moderator sees exactly those two fields changed and
accepts; every step's e-mail arrives. Every page is checked with axe-core and photographed at
390 and 1280 px (check_page, from tests/test_e2e_deposit.py).
"""

from __future__ import annotations

import threading

import pytest

from app import create_app
from schemas.examples import minimal_example
from tests.conftest import Factory, make_test_config
from tests.smtp_standin import SmtpStandIn
from tests.test_e2e_deposit import PASSWORD, check_page, sign_in, wait_saved

pytestmark = pytest.mark.e2e


@pytest.fixture
def desk(database_url, instance):  # type: ignore[no-untyped-def]
    from werkzeug.serving import make_server

    with SmtpStandIn() as smtp:
        app = create_app(
            make_test_config(
                database_url,
                instance,
                MAIL_BACKEND="smtp",
                MAIL_SERVER="127.0.0.1",
                MAIL_PORT=smtp.port,
                MAIL_LOCALE="fr",
            )
        )
        server = make_server("127.0.0.1", 0, app, threaded=True)
        app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield app, f"http://127.0.0.1:{server.server_port}", smtp
        finally:
            server.shutdown()
            thread.join(10)
            app.extensions["alluvium.engine"].dispose()


def test_moderator_and_producer_journey_through_the_desk(desk, browser) -> None:  # type: ignore[no-untyped-def]
    app, base, smtp = desk
    factory = Factory(app, app.test_client())
    factory.community("theia", "Theia")
    producer = factory.user("producteur@example.org", password=PASSWORD)
    factory.user("moderatrice@example.org", role="moderator", communities=["theia"], password=PASSWORD)
    md = minimal_example()
    md["spatial_extents"] = [{"bbox": {"west": -1.0, "east": 0.5, "south": 46.0, "north": 47.0}}]
    rid = producer.post("/api/records", json={"metadata": md}).json["id"]
    assert (
        producer.post(f"/api/records/{rid}/draft/actions/submit", json={"community": "theia"}).status_code
        == 202
    )
    assert [m["Subject"] for m in smtp.to("moderatrice@example.org")] == [
        f"Nouveau dépôt pour Theia : {md['titles'][0]['text']}"
    ]

    # --- the French moderator -----------------------------------------------------------------
    fr = browser.new_context(locale="fr-FR", extra_http_headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    mod = fr.new_page()
    sign_in(mod, base, "moderatrice@example.org")
    mod.goto(f"{base}/reviews/communities/theia/checklist")
    mod.fill(
        "#items",
        "Le résumé dit comment les données ont été produites\nLes fichiers sont dans des formats ouverts",
    )
    mod.click("form[action$='/checklist'] button[type=submit]")
    mod.wait_for_selector("text=Grille de relecture enregistrée.")
    check_page(mod, "desk-checklist")
    mod.goto(f"{base}/reviews")
    assert mod.locator("h1").inner_text() == "Bureau de modération"
    check_page(mod, "desk-queue")
    mod.click("button[name=claim]")
    mod.wait_for_url(f"{base}/reviews")
    mod.click(f"a[href='/reviews/{rid}']")
    mod.wait_for_url(f"{base}/reviews/{rid}")
    assert "moderatrice@example.org" in mod.locator(".assign-box").inner_text()
    check_page(mod, "desk-review")
    mod.check("#check-0")
    for top, detail, text in (
        ("abstracts", "/abstracts/0/text", "Précisez la méthode de mesure."),
        ("spatial_extents", "/spatial_extents/0/bbox", "La boîte déborde sur l'océan."),
    ):
        mod.click(f"details:has(input[name=anchor][value='/{top}']) summary")
        mod.fill(f"#anchor-{top}", detail)
        mod.fill(f"#comment-{top}", text)
        mod.click(f"details:has(input[name=anchor][value='/{top}']) button[type=submit]")
        mod.wait_for_selector(f"text={text}")
    mod.check("#check-0")
    mod.fill("textarea[name=comment]#\\/comment", "Merci de reprendre le résumé et l'emprise.")
    mod.click("button[name=decision][value=request-changes]")
    mod.wait_for_selector("text=Modifications demandées")
    assert producer.get(f"/api/records/{rid}/draft").json["state"] == "changes_requested"

    # --- the producer -------------------------------------------------------------------------
    en = browser.new_context(locale="en-GB", extra_http_headers={"Accept-Language": "en-GB,en;q=0.9"})
    page = en.new_page()
    sign_in(page, base, "producteur@example.org")
    page.goto(f"{base}/records/{rid}/edit")
    abstract_thread = page.locator("fieldset[id='/abstracts'] + .review-threads .thread")
    assert "Précisez la méthode de mesure." in abstract_thread.inner_text()
    box_thread = page.locator("fieldset[id='/spatial_extents'] + .review-threads .thread")
    assert "La boîte déborde sur l'océan." in box_thread.inner_text()
    check_page(page, "desk-producer-form")
    page.fill("[name='/abstracts/0/text']", "Daily soil moisture at 10 cm depth, measured by TDR probes.")
    page.keyboard.press("Tab")
    wait_saved(page)
    page.fill("[name='/spatial_extents/0/bbox/west']", "-0.2")
    page.keyboard.press("Tab")
    wait_saved(page)
    reply = abstract_thread.locator("textarea")
    reply.fill("C'est fait : sondes TDR.")
    abstract_thread.locator("button", has_text="Send the reply").click()
    page.wait_for_selector("text=C'est fait : sondes TDR.")
    page.click("section.submit-box button[type=submit]")
    page.wait_for_selector("text=This dataset is with the moderators")
    assert producer.get(f"/api/records/{rid}/draft").json["state"] == "resubmitted"

    # --- the moderator again: the diff, then accept ---------------------------------------------
    mod.goto(f"{base}/reviews/{rid}")
    changed = mod.locator("#changes tr.change").evaluate_all("rows => rows.map(r => r.dataset.pointer)")
    assert changed == ["/abstracts/0/text", "/spatial_extents/0/bbox/west"]
    assert "C'est fait : sondes TDR." in mod.locator("#history").inner_text()
    check_page(mod, "desk-review-diff")
    mod.check("#check-0")
    mod.check("#check-1")
    mod.click("button[name=decision][value=accept]")
    mod.wait_for_selector("#history >> text=Accepté")
    from app.services import jobs

    with app.app_context():  # the worker sends what the publish job queued
        jobs.run_pending(app.extensions["alluvium.sessionmaker"])
    assert producer.get(f"/api/records/{rid}/draft").json["state"] == "published"
    page.goto(f"{base}/records/{rid}")
    assert "Reviewed by the Theia community on" in page.locator("article").inner_text()

    # --- the e-mails of each step -------------------------------------------------------------
    title = md["titles"][0]["text"]
    to_producer = [m["Subject"] for m in smtp.to("producteur@example.org")]
    assert to_producer == [
        f"Nouveau commentaire sur {title}",
        f"Nouveau commentaire sur {title}",
        f"Modifications demandées sur {title}",
        f"Accepté : {title}",
        f"Publié : {title}",
    ]
    to_mod = [m["Subject"] for m in smtp.to("moderatrice@example.org")]
    assert to_mod == [
        f"Nouveau dépôt pour Theia : {title}",
        f"Nouveau commentaire sur {title}",
        f"Nouveau dépôt pour Theia : {title}",
    ]
    assert f"{base}/reviews/{rid}" in smtp.to("moderatrice@example.org")[-1].get_content()
    assert f"{base}/records/{rid}/edit" in smtp.to("producteur@example.org")[0].get_content()

    # --- after publication: a new version from the dashboard, then deleted ---------------------
    frp = fr.new_page()
    sign_in(frp, base, "producteur@example.org")
    frp.goto(f"{base}/me")
    assert frp.locator(f'form[action="/records/{rid}/new-version"] button').inner_text() == (
        "Commencer une nouvelle version"
    )
    check_page(frp, "dashboard-published-fr")
    page.goto(f"{base}/me")
    check_page(page, "dashboard-published-en")
    page.click(f'form[action="/records/{rid}/new-version"] button')
    page.wait_for_url(f"{base}/records/*/edit")
    draft_id = page.url.rstrip("/").split("/")[-2]
    assert draft_id != rid and producer.get(f"/api/records/{draft_id}/draft").json["versions"]["index"] == 2
    wait_saved(page)
    check_page(page, "edit-new-version-en")
    frp.goto(f"{base}/records/{draft_id}/edit")
    check_page(frp, "edit-new-version-fr")
    page.check("#\\/confirm")
    page.click("form[action$='/delete'] button[type=submit]")
    page.wait_for_url(f"{base}/me")
    assert producer.get(f"/api/records/{draft_id}/draft").status_code == 404
    assert page.locator(f'form[action="/records/{rid}/new-version"]').count() == 1

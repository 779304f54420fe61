"""End-to-end: an administrator (interface in French) goes through every administration page in
Debian's chromium, acting with the forms; each page checked with axe-core (serious or critical
WCAG 2.1 A/AA violations fail) and photographed at 390 and 1280 px without horizontal scroll."""

from __future__ import annotations

import uuid

import pytest
from test_e2e_deposit import PASSWORD, check_page, sign_in

from app.db import new_session
from app.services import jobs

pytestmark = pytest.mark.e2e

TTL = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<http://example.org/vocab/sites> a skos:ConceptScheme .
<http://example.org/vocab/sites/lusignan> a skos:Concept ; skos:prefLabel "Lusignan"@fr ;
    skos:inScheme <http://example.org/vocab/sites> .
"""


@jobs.handler("test-e2e-admin-fails")
def _fails(session, payload) -> None:  # type: ignore[no-untyped-def]
    raise jobs.PermanentJobError("DataCite answered 401: bad credentials for repository INIST.TEST")


def test_french_administrator_uses_every_admin_page(factory, live_server, browser, app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    factory.user("admin@example.org", role="admin", password=PASSWORD)
    factory.user("claire.martin@example.org", password=PASSWORD)
    with new_session(app) as s:
        job_id = jobs.enqueue(s, "test-e2e-admin-fails", {"n": uuid.uuid4().hex}).id
        s.commit()
    assert jobs.run_job(app.extensions["alluvium.sessionmaker"], job_id) is False

    context = browser.new_context(locale="fr-FR", extra_http_headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    page = context.new_page()
    sign_in(page, live_server, "admin@example.org")
    page.click("text=Administration")
    assert page.inner_text("h1") == "Administration"
    check_page(page, "admin-overview")

    page.click("nav.admin-nav >> text=Communautés")
    page.fill("#slug", "theia")
    page.fill("#title", "THEIA")
    page.fill("#description", "Pôle de données Terres")
    page.click("text=Créer la communauté")
    assert "Communauté theia créée." in page.inner_text("[role=status]")
    page.fill("#moderator-email", "claire.martin@example.org")
    page.click("text=Ajouter le modérateur")
    assert "claire.martin@example.org modère désormais theia." in page.inner_text("[role=status]")
    check_page(page, "admin-community")
    page.goto(f"{live_server}/admin/communities")
    page.fill("#slug", "Pas Bon")
    page.fill("#title", "x")
    page.click("text=Créer la communauté")
    assert "/slug" in page.inner_text("[role=alert]")
    check_page(page, "admin-communities-error")

    page.click("nav.admin-nav >> text=Utilisateurs")
    page.click("text=claire.martin@example.org")
    assert page.input_value("#role") == "moderator"
    check_page(page, "admin-user")
    page.click("text=Réinitialiser le mot de passe")
    assert len(page.inner_text("#new-password")) >= 12
    check_page(page, "admin-password")
    page.goto(f"{live_server}/admin/users")
    check_page(page, "admin-users")

    page.click("nav.admin-nav >> text=Ensembles OAI-PMH")
    page.fill("#spec", "rdg")
    page.fill("#set-name", "Recherche Data Gouv")
    page.check("input[name=communities][value=theia]")
    page.check("input[name=require_doi]")
    page.click("text=Enregistrer l'ensemble")
    assert "Ensemble rdg créé" in page.inner_text("[role=status]")
    check_page(page, "admin-oai-sets")

    page.click("nav.admin-nav >> text=Vocabulaires")
    skos = tmp_path / "sites.ttl"
    skos.write_text(TTL, encoding="utf-8")
    page.set_input_files("#file", str(skos))
    page.fill("#scheme_uri", "http://example.org/vocab/sites")
    page.fill("#vocab-name", "sites")
    page.click("main button[type=submit]")
    assert "Vocabulaire sites importé : 1 concepts nouveaux" in page.inner_text("[role=status]")
    check_page(page, "admin-vocabularies")

    page.click("nav.admin-nav >> text=Tâches")
    assert "bad credentials for repository INIST.TEST" in page.inner_text("table")
    check_page(page, "admin-jobs-failed")
    page.click(f"text=Tâche {job_id}")
    assert "DataCite answered 401" in page.inner_text("pre.traceback")
    check_page(page, "admin-job")
    page.click("text=Relancer la tâche")
    # Eager mode ran it again at once; its cause is not fixed, so it failed again.
    assert "de nouveau en attente" in page.inner_text("[role=status]")

    page.click("nav.admin-nav >> text=Préservation")
    assert page.inner_text("h1") == "Préservation"
    check_page(page, "admin-preservation")
    context.close()

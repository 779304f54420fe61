"""The "reviewed by the X community on DATE" statement of a published version: in the record
document, every export (validated against its official schema) and the landing page."""

from __future__ import annotations

import json
import re
from datetime import date

from app import create_app
from curation.checks import export_problems
from schemas.examples import minimal_example
from tests.conftest import Factory, make_test_config


def _published(app) -> tuple[str, object]:  # type: ignore[no-untyped-def]
    f = Factory(app, app.test_client())
    f.community("theia", "Theia")
    producer = f.user("p@example.org")
    mod = f.user("claire.mod@example.org", role="moderator", communities=["theia"])
    rid = producer.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    producer.post(f"/api/records/{rid}/draft/actions/submit", json={"community": "theia"})
    mod.post(f"/api/records/{rid}/review/actions/assign", json={})
    assert mod.post(f"/api/records/{rid}/review/actions/accept", json={}).status_code == 200
    return rid, f.anonymous()


def test_statement_in_the_document_exports_and_landing_page(app, shared_standards) -> None:  # type: ignore[no-untyped-def]
    rid, anyone = _published(app)
    today = date.today().isoformat()
    statement = f"Reviewed by the Theia community on {today}."
    document = anyone.get(f"/api/records/{rid}").json
    assert document["reviewed_by"] == {"community": "Theia", "date": today}
    assert "claire.mod" not in json.dumps(document)
    # Every export still validates against its official schema with the statement in it.
    assert [p for p in export_problems(document) if p[0] != "*"] == []
    datacite = anyone.get(f"/api/records/{rid}/export/datacite-json").get_data(as_text=True)
    assert {"description": statement, "descriptionType": "Other", "lang": "en"} in json.loads(datacite).get(
        "descriptions", json.loads(datacite).get("data", {}).get("attributes", {}).get("descriptions", [])
    )
    iso = anyone.get(f"/api/records/{rid}/export/iso19139").get_data(as_text=True)
    assert f"<gco:CharacterString>{statement}</gco:CharacterString>" in iso and "gmd:LI_ProcessStep" in iso
    iso3 = anyone.get(f"/api/records/{rid}/export/iso19115-3").get_data(as_text=True)
    assert "mrl:LI_ProcessStep" in iso3
    assert f"<mrl:description><gco:CharacterString>{statement}</gco:CharacterString>" in re.sub(
        r">\s+<", "><", iso3
    )
    schemaorg = json.loads(anyone.get(f"/api/records/{rid}/export/schemaorg").get_data(as_text=True))
    assert schemaorg["review"]["reviewBody"] == statement
    assert schemaorg["review"]["author"] == {"@type": "Organization", "name": "Theia community"}
    dcat = anyone.get(f"/api/records/{rid}/export/dcat").get_data(as_text=True)
    assert statement in dcat
    for body in (datacite, iso, iso3, json.dumps(schemaorg), dcat):
        assert "claire.mod" not in body
    en = anyone.get(f"/records/{rid}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Reviewed by the Theia community on" in en and "claire.mod" not in en
    fr = anyone.get(f"/records/{rid}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Relu par la communauté Theia le" in fr


def test_the_moderator_is_named_only_when_configured(database_url, instance) -> None:  # type: ignore[no-untyped-def]
    application = create_app(make_test_config(database_url, instance, REVIEW_STATEMENT_NAMES_MODERATOR=True))
    try:
        rid, anyone = _published(application)
        document = anyone.get(f"/api/records/{rid}").json
        assert document["reviewed_by"]["moderator"] == "claire.mod@example.org"
        schemaorg = json.loads(anyone.get(f"/api/records/{rid}/export/schemaorg").get_data(as_text=True))
        assert schemaorg["review"]["author"] == {"@type": "Person", "name": "claire.mod@example.org"}
    finally:
        application.extensions["alluvium.engine"].dispose()

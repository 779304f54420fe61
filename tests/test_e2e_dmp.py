"""End-to-end journey of a DMP writer in Debian's chromium (Playwright), with DataCite DOIs from
the DataCite stand-in (tests/datacite_standin.py, a real HTTP server on loopback).

A DMP writer imports a plan written in DMP OPIDoR, starts the deposit of one of its datasets
from the plan, completes and submits it; a moderator accepts it (through the API); the plan
then shows the DOI, the licence and the size, and its maDMP export validates against the
official 1.2 schema. Every page is checked with axe-core and photographed at 390 and 1280 px
(``check_page`` of tests/test_e2e_deposit.py).
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from flask import Flask

import schemas
from app import create_app
from app.db import new_session
from app.services import dois, jobs
from tests.conftest import make_test_config
from tests.datacite_standin import StandIn, serve
from tests.test_dois import PREFIX, doi_config
from tests.test_e2e_deposit import PASSWORD, check_page, sign_in, type_into, wait_saved

pytestmark = pytest.mark.e2e

PLAN = Path(__file__).parent / "data" / "madmp" / "tool-dmpopidor-1.1.json"
DATA = b"depth,temperature,salinity\n1,12.5,35.1\n2,12.4,35.1\n"


@pytest.fixture
def app(database_url: str, instance: Path, shared_standards: Path) -> Iterator[Flask]:
    si = StandIn("TEST.ALLUVIUM", "secret", (PREFIX,))
    server, url = serve(si)
    application = create_app(
        make_test_config(database_url, instance, **doi_config(url), DMP_HOST_CERTIFICATION="coretrustseal")
    )
    yield application
    application.extensions["alluvium.engine"].dispose()
    server.shutdown()
    server.server_close()


def run_jobs(app: Flask, timeout: float = 30.0) -> None:
    """Run due jobs as a worker does until the DOIs are registered and no job is due."""
    make = app.extensions["alluvium.sessionmaker"]
    deadline = time.time() + timeout
    with app.app_context():
        settings = dataclasses.replace(jobs.Settings.from_config(app.config), sweep_seconds=0)
        while time.time() < deadline:
            ok, _failed = jobs.run_pending(make, settings=settings)
            with new_session(app) as s:
                st = dois.status(s)
            if ok == 0 and not st.pending:
                return
            time.sleep(0.05)
    raise AssertionError("jobs did not settle")


def test_dmp_writer_imports_a_plan_deposits_a_dataset_and_the_plan_follows(  # type: ignore[no-untyped-def]
    app, factory, live_server, browser
) -> None:
    factory.community("odatis", "ODATIS")
    writer = factory.user("writer@example.org", password=PASSWORD)
    moderator = factory.user("mod@example.org", role="moderator", communities=["odatis"])
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, live_server, "writer@example.org")

    # 1. Import the plan exported from DMP OPIDoR.
    page.goto(f"{live_server}/dmps")
    check_page(page, "dmp-list-empty")
    page.set_input_files("#file", str(PLAN))
    page.click("form[enctype] button[type=submit]")
    page.wait_for_selector("text=Plan imported")
    assert "/dmp/extension" in page.inner_text("main")
    check_page(page, "dmp-imported")
    page.click("text=Open the plan")
    page.wait_for_url(re.compile(r".*/dmps/[^/]+$"))
    dmp_id = page.url.rsplit("/", 1)[-1]
    assert "Profils CTD des campagnes SWOT-Côtier" in page.inner_text("#dataset-0")
    check_page(page, "dmp-plan-imported")

    # 2. Start the deposit of the first planned dataset, from the plan.
    page.focus("#dataset-0 form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/records/[^/]+/edit$"))
    record_id = page.url.split("/")[-2]
    assert page.input_value('[name="/titles/0/text"]') == "Profils CTD des campagnes SWOT-Côtier"
    wait_saved(page)
    check_page(page, "dmp-deposit-prefilled")

    # 3. Complete it: what the plan could not say, and the data file.
    page.select_option('[name="/resource_type/general"]', "Dataset")
    page.select_option('[name="/contacts/0/type"]', "Personal")
    type_into(page, "/contacts/0/name", "Dupont, Marie")
    type_into(page, "/contacts/0/email", "marie.dupont@example.org")
    type_into(page, "/publisher/name", "ODATIS")
    wait_saved(page)
    # The file goes through the API with the writer's token (the uploader has its own tests).
    up = writer.put(
        f"/api/records/{record_id}/draft/files/ctd.csv", data=DATA, headers={"Content-Type": "text/csv"}
    )
    assert up.status_code == 201, up.json
    page.reload()
    page.wait_for_selector("#acceptance .target.ok", timeout=20_000)
    page.select_option("#\\/community", "odatis")
    page.focus(".submit-box button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("fieldset.whole[disabled]")
    assert writer.get(f"/api/records/{record_id}/draft").json["state"] == "submitted"

    # 4. The moderator accepts it (API); the publication and the write-back run as jobs.
    assert moderator.post(f"/api/records/{record_id}/review/actions/assign", json={}).status_code == 200
    r = moderator.post(f"/api/records/{record_id}/review/actions/accept", json={"comment": "ok"})
    assert r.status_code == 200, r.json
    run_jobs(app)

    # 5. The plan shows the DOI, the licence and the size.
    page.goto(f"{live_server}/dmps/{dmp_id}")
    dataset = page.inner_text("#dataset-0")
    doi = writer.get(f"/api/records/{record_id}").json["pids"]["doi"]["identifier"]
    assert doi.startswith(PREFIX + "/")
    assert doi in dataset
    assert "https://creativecommons.org/licenses/by/4.0/legalcode" in dataset
    assert f"{len(DATA)} bytes" in dataset
    assert "published" in dataset
    check_page(page, "dmp-plan-after-publication")

    # 6. Its maDMP export validates against the official 1.2 schema and carries the same facts.
    response = page.request.get(f"{live_server}/api/dmps/{dmp_id}/export/madmp")
    assert response.status == 200
    export = response.json()
    schema = json.loads((Path(schemas.__file__).parent / "data/madmp/maDMP-schema-1.2.json").read_text())
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert [e.message for e in validator.iter_errors(export)] == []
    planned = export["dmp"]["dataset"][0]
    assert planned["dataset_id"] == {"identifier": f"https://doi.org/{doi}", "type": "doi"}
    ours = planned["distribution"][-1]
    assert ours["byte_size"] == len(DATA) and ours["host"]["certified_with"] == "coretrustseal"

    # The history says what the deposit changed; the printable export in French.
    page.goto(f"{live_server}/dmps/{dmp_id}/versions")
    assert "updated by a deposit" in page.inner_text("main")
    check_page(page, "dmp-history")
    page.goto(f"{live_server}/dmps/{dmp_id}/export.html?lang=fr")
    assert page.get_attribute("html", "lang") == "fr"
    assert "Jeux de données" in page.inner_text("main")
    check_page(page, "dmp-export-fr")
    page.goto(f"{live_server}/dmps/{dmp_id}/edit")
    check_page(page, "dmp-edit")
    page.goto(f"{live_server}/dmps/{dmp_id}/share")
    check_page(page, "dmp-share")
    page.goto(f"{live_server}/dmps")
    assert "PGD du projet SWOT-Côtier" in page.inner_text("main table")
    check_page(page, "dmp-list")
    context.close()

"""Data management plans through the REST API on a real database: import, edit with If-Match,
sharing, versions, export, starting a deposit, linking, write-back after publication (local
PIDs, and DataCite DOIs against tests/datacite_standin.py), and the DMP OPIDoR link against
tests/opidor_standin.py (a local HTTP server speaking DMP OPIDoR's endpoints, no network).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask import Flask
from sqlalchemy import func, select

import schemas
from app import create_app
from app.db import new_session
from app.models import Dmp, DmpVersion, Record
from app.services import jobs
from schemas.examples import minimal_example
from tests.conftest import Factory, make_test_config
from tests.opidor_standin import StandIn as OpidorStandIn

DATA = Path(__file__).parent / "data" / "madmp"
SCHEMA_DIR = Path(schemas.__file__).parent / "data" / "madmp"


def official_errors(document: dict, version: str) -> list[str]:
    schema = json.loads((SCHEMA_DIR / f"maDMP-schema-{version}.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def example(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text())


def count(app: Flask, model: Any) -> int:
    with new_session(app) as s:
        return s.scalar(select(func.count()).select_from(model))


def run_jobs(app: Flask) -> None:
    """Run due jobs as a worker does."""
    make = app.extensions["alluvium.sessionmaker"]
    with app.app_context():
        settings = dataclasses.replace(jobs.Settings.from_config(app.config), sweep_seconds=0)
        for _ in range(10):
            ok, failed = jobs.run_pending(make, settings=settings)
            assert failed == 0
            if ok == 0:
                return


@pytest.fixture
def people(factory: Factory) -> dict[str, Any]:
    factory.community("aeris", "AERIS")
    return {
        "writer": factory.user("writer@example.org"),
        "coauthor": factory.user("coauthor@example.org"),
        "reader": factory.user("reader@example.org"),
        "stranger": factory.user("stranger@example.org"),
        "mod": factory.user("mod@example.org", role="moderator", communities=["aeris"]),
        "anon": factory.anonymous(),
    }


def test_import_reports_and_writes_the_plan(app, people) -> None:  # type: ignore[no-untyped-def]
    w = people["writer"]
    r = w.post("/api/dmps/import", json=example("tool-dmpopidor-1.1.json"))
    assert r.status_code == 201, r.json
    assert r.headers["ETag"] == '"1"'
    assert r.json["import"]["version"] == "1.2"
    assert [u.split(":")[0] for u in r.json["import"]["unmapped"]] == ["/dmp/extension"]
    assert r.json["plan"]["title"] == "PGD du projet SWOT-Côtier"
    assert [d["title"] for d in r.json["datasets"]] == [
        "Profils CTD des campagnes SWOT-Côtier",
        "Photographies du littoral",
    ]
    dmp_id = r.json["id"]
    listing = w.get("/api/dmps").json["hits"]
    assert [h["id"] for h in listing["hits"]] == [dmp_id] and listing["hits"][0]["access"] == "own"
    versions = w.get(f"/api/dmps/{dmp_id}/versions").json["hits"]["hits"]
    assert [(v["number"], v["action"]) for v in versions] == [(1, "import")]
    assert versions[0]["note"]["unmapped"][0].startswith("/dmp/extension")


def test_schema_invalid_import_is_refused_with_pointers_and_writes_nothing(app, people) -> None:  # type: ignore[no-untyped-def]
    doc = example("ex9-dmp-long.json")
    del doc["dmp"]["contact"]["mbox"]
    doc["dmp"]["dataset"][0]["personal_data"] = "maybe"
    r = people["writer"].post("/api/dmps/import", json=doc)
    assert r.status_code == 400
    assert [e["field"] for e in r.json["errors"]] == ["/dmp/contact/mbox", "/dmp/dataset/0/personal_data"]
    assert count(app, Dmp) == 0 and count(app, DmpVersion) == 0
    r = people["writer"].post("/api/dmps/import", json={"plan": {}})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "/dmp"
    assert (
        people["anon"].post("/api/dmps/import", json=example("ex8-dmp-minimal-content.json")).status_code
        == 401
    )


def test_create_edit_with_if_match_and_versions(app, people) -> None:  # type: ignore[no-untyped-def]
    w = people["writer"]
    plan = {
        "title": "Plan de gestion OSU",
        "contact": {
            "name": "Claire Martin",
            "mbox": "claire.martin@example.org",
            "contact_id": {"identifier": "0000-0002-1825-0097", "type": "orcid"},
        },
        "dataset": [{"title": "Mesures de sol"}],
    }
    r = w.post("/api/dmps", json={"plan": plan})
    assert r.status_code == 201, r.json
    dmp_id, etag = r.json["id"], r.headers["ETag"]
    filled = r.json["plan"]
    assert filled["dmp_id"] == {"identifier": f"http://alluvium.test/dmps/{dmp_id}", "type": "url"}
    assert filled["dataset"][0]["personal_data"] == "unknown"
    assert official_errors({"dmp": filled}, "1.2") == []

    # Missing and stale If-Match; invalid values; nothing written.
    assert w.patch(f"/api/dmps/{dmp_id}", json={"plan": {"title": "x"}}).status_code == 428
    r = w.patch(f"/api/dmps/{dmp_id}", json={"plan": {"title": "x"}}, headers={"If-Match": '"7"'})
    assert r.status_code == 412
    r = w.patch(
        f"/api/dmps/{dmp_id}",
        json={"plan": {"ethical_issues_exist": "perhaps", "language": "french"}},
        headers={"If-Match": etag},
    )
    assert r.status_code == 400
    assert [e["field"] for e in r.json["errors"]] == ["/plan/ethical_issues_exist", "/plan/language"]
    assert w.get(f"/api/dmps/{dmp_id}").json["plan"]["title"] == "Plan de gestion OSU"

    r = w.patch(
        f"/api/dmps/{dmp_id}",
        json={"plan": {"description": "Observatoire", "language": "fra"}},
        headers={"If-Match": etag},
    )
    assert r.status_code == 200, r.json
    assert r.headers["ETag"] == '"2"'
    assert r.json["plan"]["modified"] >= filled["modified"]
    versions = w.get(f"/api/dmps/{dmp_id}/versions").json["hits"]["hits"]
    assert [v["action"] for v in versions] == ["update", "create"]
    changed = {c["field"]: c for c in versions[0]["changes"]}
    assert changed["/description"] == {"field": "/description", "old": None, "new": "Observatoire"}
    assert changed["/language"]["old"] == "eng" and changed["/language"]["new"] == "fra"
    # A replacement that omits the identifier and creation date keeps them.
    current = w.get(f"/api/dmps/{dmp_id}")
    body = {k: v for k, v in current.json["plan"].items() if k not in ("dmp_id", "created", "modified")}
    r = w.put(f"/api/dmps/{dmp_id}", json={"plan": body}, headers={"If-Match": current.headers["ETag"]})
    assert r.status_code == 200, r.json
    assert r.json["plan"]["dmp_id"] == filled["dmp_id"] and r.json["plan"]["created"] == filled["created"]
    v1 = w.get(f"/api/dmps/{dmp_id}/versions/1").json
    assert "description" not in v1["plan"]
    assert w.get(f"/api/dmps/{dmp_id}/versions/9").status_code == 404


def test_sharing_edit_and_read(app, people) -> None:  # type: ignore[no-untyped-def]
    w, co, rd, st = people["writer"], people["coauthor"], people["reader"], people["stranger"]
    dmp_id = w.post("/api/dmps/import", json=example("ex9-dmp-long.json")).json["id"]
    assert st.get(f"/api/dmps/{dmp_id}").status_code == 404
    assert (
        co.post(
            f"/api/dmps/{dmp_id}/shares", json={"email": "x@example.org", "permission": "edit"}
        ).status_code
        == 404
    )
    r = w.post(f"/api/dmps/{dmp_id}/shares", json={"email": "coauthor@example.org", "permission": "edit"})
    assert r.status_code == 201, r.json
    assert (
        w.post(
            f"/api/dmps/{dmp_id}/shares", json={"email": "reader@example.org", "permission": "read"}
        ).status_code
        == 201
    )
    r = w.post(f"/api/dmps/{dmp_id}/shares", json={"email": "nobody@example.org", "permission": "read"})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "/email"
    r = w.post(f"/api/dmps/{dmp_id}/shares", json={"email": "reader@example.org", "permission": "admin"})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "/permission"

    r = rd.get(f"/api/dmps/{dmp_id}")
    assert r.status_code == 200 and r.json["access"] == "read"
    assert (
        rd.patch(f"/api/dmps/{dmp_id}", json={"plan": {"title": "no"}}, headers={"If-Match": "*"}).status_code
        == 403
    )
    assert rd.get(f"/api/dmps/{dmp_id}/export/madmp").status_code == 200
    r = co.patch(f"/api/dmps/{dmp_id}", json={"plan": {"title": "Shared title"}}, headers={"If-Match": "*"})
    assert r.status_code == 200 and r.json["access"] == "edit"
    assert (
        co.post(
            f"/api/dmps/{dmp_id}/shares", json={"email": "stranger@example.org", "permission": "read"}
        ).status_code
        == 403
    )
    assert {h["id"] for h in co.get("/api/dmps").json["hits"]["hits"]} == {dmp_id}

    shares = w.get(f"/api/dmps/{dmp_id}/shares").json["shares"]
    reader_id = next(s["user_id"] for s in shares if s["email"] == "reader@example.org")
    assert w.delete(f"/api/dmps/{dmp_id}/shares/{reader_id}").status_code == 204
    assert rd.get(f"/api/dmps/{dmp_id}").status_code == 404


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("ex*.json")))
def test_every_official_example_through_the_api_exports_valid_madmp(app, people, name) -> None:  # type: ignore[no-untyped-def]
    w = people["writer"]
    r = w.post("/api/dmps/import", json=example(name))
    assert r.status_code == 201, r.json
    dmp_id = r.json["id"]
    v12 = w.get(f"/api/dmps/{dmp_id}/export/madmp")
    assert v12.status_code == 200 and official_errors(v12.json, "1.2") == []
    v11 = w.get(f"/api/dmps/{dmp_id}/export/madmp?version=1.1")
    assert v11.status_code == 200 and official_errors(v11.json, "1.1") == []
    again = w.post("/api/dmps/import", json=v12.json)
    assert again.status_code == 201
    assert again.json["plan"] == r.json["plan"]
    assert w.get(f"/api/dmps/{dmp_id}/export/madmp?version=2.0").status_code == 400


def complete_and_publish(app: Flask, people: dict[str, Any], record_id: str) -> None:
    """The producer completes the draft the plan started and submits it; a moderator accepts."""
    w, m = people["writer"], people["mod"]
    draft = w.get(f"/api/records/{record_id}/draft")
    missing = {k: v for k, v in minimal_example().items() if k not in draft.json["metadata"]}
    r = w.patch(
        f"/api/records/{record_id}/draft",
        json={"metadata": missing},
        headers={"If-Match": draft.headers["ETag"]},
    )
    assert r.status_code == 200, r.json
    files = w.put(
        f"/api/records/{record_id}/draft/files/ctd.csv",
        data=b"depth,temp\n1,12.5\n",
        headers={"Content-Type": "text/csv"},
    )
    assert files.status_code == 201, files.json
    assert (
        w.post(f"/api/records/{record_id}/draft/actions/submit", json={"community": "aeris"}).status_code
        == 202
    )
    assert m.post(f"/api/records/{record_id}/review/actions/assign", json={}).status_code == 200
    r = m.post(f"/api/records/{record_id}/review/actions/accept", json={"comment": "ok"})
    assert r.status_code == 200, r.json
    run_jobs(app)


def test_start_deposit_then_publication_writes_back(app, people) -> None:  # type: ignore[no-untyped-def]
    w = people["writer"]
    dmp_id = w.post("/api/dmps/import", json=example("tool-dmpopidor-1.1.json")).json["id"]
    r = w.post(f"/api/dmps/{dmp_id}/datasets/0/deposit")
    assert r.status_code == 201, r.json
    record = r.json["record"]
    md = record["metadata"]
    assert md["titles"][0]["text"] == "Profils CTD des campagnes SWOT-Côtier"
    assert [k["term"] for k in md["free_keywords"]] == ["CTD", "salinité", "Iroise"]
    assert [c["name"] for c in md["creators"]] == ["Marie Dupont", "Josiah Carberry"]
    assert md["rights"] == {
        "access_level": "open",
        "license": {
            "id": "CC-BY-4.0",
            "name": "Creative Commons Attribution 4.0 International",
            "uri": md["rights"]["license"]["uri"],
        },
    }
    assert md["funding"][0]["award_number"] == "ANR-23-CE01-0001"
    # Only one deposit per planned dataset; bad positions name the field.
    assert w.post(f"/api/dmps/{dmp_id}/datasets/0/deposit").status_code == 409
    assert w.post(f"/api/dmps/{dmp_id}/datasets/5/deposit").json["errors"][0]["field"] == "/dataset"
    assert people["reader"].post(f"/api/dmps/{dmp_id}/datasets/1/deposit").status_code == 404
    plan = w.get(f"/api/dmps/{dmp_id}").json
    assert plan["datasets"][0]["deposit"]["record_id"] == record["id"]
    assert plan["datasets"][0]["deposit"]["state"] == "draft"

    complete_and_publish(app, people, record["id"])
    r = w.get(f"/api/dmps/{dmp_id}")
    dataset = r.json["plan"]["dataset"][0]
    landing = f"http://alluvium.test/records/{record['id']}"
    assert dataset["dataset_id"] == {"identifier": landing, "type": "url"}  # local PIDs: no DOI
    ours = dataset["distribution"][-1]
    assert ours["byte_size"] == len(b"depth,temp\n1,12.5\n")
    assert ours["format"] == ["text/csv"]
    assert ours["host"]["url"] == "http://alluvium.test" and ours["host"]["pid_system"] == ["url"]
    assert ours["license"][0]["license_ref"].startswith("https://creativecommons.org/licenses/by/4.0")
    assert r.json["datasets"][0]["deposit"]["state"] == "published"
    versions = w.get(f"/api/dmps/{dmp_id}/versions").json["hits"]["hits"]
    assert versions[0]["action"] == "write-back" and versions[0]["actor_id"] is None
    assert "/dataset/0/dataset_id/identifier" in {c["field"] for c in versions[0]["changes"]}
    export = w.get(f"/api/dmps/{dmp_id}/export/madmp").json
    assert official_errors(export, "1.2") == []
    latest = w.get(f"/api/dmps/{dmp_id}/versions/{versions[0]['number']}").json
    assert export["dmp"]["modified"] == latest["plan"]["modified"]
    assert export["dmp"]["modified"] != example("tool-dmpopidor-1.1.json")["dmp"]["modified"]

    # A new version, published: the plan follows it (same distribution, new size).
    nv = w.post(f"/api/records/{record['id']}/versions")
    assert nv.status_code == 201, nv.json
    new_id = nv.json["id"]
    d = w.get(f"/api/records/{new_id}/draft")
    w.put(
        f"/api/records/{new_id}/draft/files/more.csv", data=b"x\n" * 10, headers={"Content-Type": "text/csv"}
    )
    assert (
        w.post(f"/api/records/{new_id}/draft/actions/submit", json={"community": "aeris"}).status_code == 202
    ), d.json
    people["mod"].post(f"/api/records/{new_id}/review/actions/assign", json={})
    assert people["mod"].post(f"/api/records/{new_id}/review/actions/accept", json={}).status_code == 200
    run_jobs(app)
    dataset = w.get(f"/api/dmps/{dmp_id}").json["plan"]["dataset"][0]
    assert dataset["dataset_id"]["identifier"] == f"http://alluvium.test/records/{new_id}"
    assert dataset["distribution"][-1]["byte_size"] == len(b"depth,temp\n1,12.5\n") + 20
    assert len(dataset["distribution"]) == 2


def test_link_existing_record_and_write_back_at_once(app, people) -> None:  # type: ignore[no-untyped-def]
    w = people["writer"]
    rec = w.post("/api/records", json={"metadata": minimal_example()}).json
    assert (
        w.post(f"/api/records/{rec['id']}/draft/actions/submit", json={"community": "aeris"}).status_code
        == 202
    )
    people["mod"].post(f"/api/records/{rec['id']}/review/actions/assign", json={})
    people["mod"].post(f"/api/records/{rec['id']}/review/actions/accept", json={})
    run_jobs(app)
    dmp_id = w.post("/api/dmps/import", json=example("ex2-dataset-planned.json")).json["id"]
    other = people["stranger"].post("/api/records", json={"metadata": minimal_example()}).json
    r = w.post(f"/api/dmps/{dmp_id}/datasets/0/link", json={"record_id": other["id"]})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "/record_id"
    r = w.post(f"/api/dmps/{dmp_id}/datasets/0/link", json={"record_id": rec["id"]})
    assert r.status_code == 200, r.json
    run_jobs(app)
    plan = w.get(f"/api/dmps/{dmp_id}").json
    assert (
        plan["plan"]["dataset"][0]["dataset_id"]["identifier"] == f"http://alluvium.test/records/{rec['id']}"
    )
    assert plan["datasets"][0]["deposit"]["state"] == "published"
    assert w.post(f"/api/dmps/{dmp_id}/datasets/0/link", json={"record_id": rec["id"]}).status_code == 409


def test_deleting_a_started_draft_unlinks_it(app, people) -> None:  # type: ignore[no-untyped-def]
    w = people["writer"]
    dmp_id = w.post("/api/dmps/import", json=example("tool-dmpopidor-1.1.json")).json["id"]
    rid = w.post(f"/api/dmps/{dmp_id}/datasets/1/deposit").json["record"]["id"]
    assert w.delete(f"/api/records/{rid}/draft", headers={"If-Match": "*"}).status_code == 204
    assert w.get(f"/api/dmps/{dmp_id}").json["datasets"][1]["deposit"] is None
    with new_session(app) as s:
        assert s.get(Record, rid) is None


# -- DataCite DOIs ---------------------------------------------------------------------------


@pytest.fixture
def doi_app(database_url: str, instance: Path, shared_standards: Path) -> Iterator[Flask]:
    from tests.datacite_standin import StandIn, serve
    from tests.test_dois import doi_config

    si = StandIn("TEST.ALLUVIUM", "secret", ("10.5072",))
    server, url = serve(si)
    application = create_app(
        make_test_config(database_url, instance, **doi_config(url), DMP_HOST_CERTIFICATION="coretrustseal")
    )
    yield application
    application.extensions["alluvium.engine"].dispose()
    server.shutdown()
    server.server_close()


def test_write_back_gives_the_doi_with_datacite(doi_app) -> None:  # type: ignore[no-untyped-def]
    client = doi_app.test_client()
    f = Factory(doi_app, client)
    f.community("aeris")
    people = {
        "writer": f.user("writer@example.org"),
        "mod": f.user("mod@example.org", role="moderator", communities=["aeris"]),
    }
    w = people["writer"]
    dmp_id = w.post("/api/dmps/import", json=example("tool-dmpopidor-1.1.json")).json["id"]
    rid = w.post(f"/api/dmps/{dmp_id}/datasets/0/deposit").json["record"]["id"]
    complete_and_publish(doi_app, people, rid)
    dataset = w.get(f"/api/dmps/{dmp_id}").json["plan"]["dataset"][0]
    assert dataset["dataset_id"]["type"] == "doi"
    assert dataset["dataset_id"]["identifier"].startswith("https://doi.org/10.5072/")
    host = dataset["distribution"][-1]["host"]
    assert host["pid_system"] == ["doi"] and host["certified_with"] == "coretrustseal"
    assert w.get(f"/api/dmps/{dmp_id}").json["datasets"][0]["deposit"]["doi"] == dataset["dataset_id"][
        "identifier"
    ].removeprefix("https://doi.org/")


# -- DMP OPIDoR ------------------------------------------------------------------------------


@pytest.fixture
def opidor_app(database_url: str, instance: Path) -> Iterator[tuple[Flask, OpidorStandIn]]:
    with OpidorStandIn() as standin:
        standin.plans["21457"] = example("tool-dmpopidor-1.1.json")
        application = create_app(
            make_test_config(
                database_url,
                instance,
                DMP_OPIDOR_URL=standin.url,
                DMP_OPIDOR_CLIENT_ID="alluvium",
                DMP_OPIDOR_CLIENT_SECRET="s3cret",
                DMP_OPIDOR_TIMEOUT=5,
            )
        )
        yield application, standin
        application.extensions["alluvium.engine"].dispose()


def test_opidor_fetch_import_and_push_back(opidor_app) -> None:  # type: ignore[no-untyped-def]
    app, standin = opidor_app
    w = Factory(app, app.test_client()).user("writer@example.org")
    r = w.post("/api/dmps/opidor/import", json={"plan_id": "21457"})
    assert r.status_code == 201, r.json
    assert r.json["source"] == "dmp-opidor:21457"
    assert r.json["plan"]["title"] == "PGD du projet SWOT-Côtier"
    dmp_id = r.json["id"]
    r = w.post("/api/dmps/opidor/import", json={"plan_id": "999"})
    assert r.status_code == 502 and "999" in r.json["message"]

    w.patch(f"/api/dmps/{dmp_id}", json={"plan": {"description": "Mis à jour"}}, headers={"If-Match": "*"})
    r = w.post(f"/api/dmps/{dmp_id}/opidor/push")
    assert r.status_code == 200, r.json
    new_id = r.json["opidor_plan_id"]
    assert new_id != "21457" and r.json["previous_source"] == "dmp-opidor:21457"
    sent = standin.imports[-1]
    assert sent["dmp"]["description"] == "Mis à jour"
    assert official_errors(sent, "1.1") == []
    assert w.get(f"/api/dmps/{dmp_id}").json["source"] == f"dmp-opidor:{new_id}"
    assert w.get(f"/api/dmps/{dmp_id}/versions").json["hits"]["hits"][0]["action"] == "opidor-push"
    # What we pushed reads back as the same plan.
    again = w.post("/api/dmps/opidor/import", json={"plan_id": new_id})
    assert again.status_code == 201
    assert again.json["plan"]["description"] == "Mis à jour"
    assert again.json["plan"]["dataset"] == w.get(f"/api/dmps/{dmp_id}").json["plan"]["dataset"]


def test_opidor_wrong_credentials_and_not_configured(database_url, instance) -> None:  # type: ignore[no-untyped-def]
    with OpidorStandIn() as standin:
        app = create_app(
            make_test_config(
                database_url,
                instance,
                DMP_OPIDOR_URL=standin.url,
                DMP_OPIDOR_CLIENT_ID="alluvium",
                DMP_OPIDOR_CLIENT_SECRET="wrong",
            )
        )
        w = Factory(app, app.test_client()).user("writer@example.org")
        r = w.post("/api/dmps/opidor/import", json={"plan_id": "1"})
        assert r.status_code == 502 and "credentials" in r.json["message"]
        app.config["DMP_OPIDOR_CLIENT_ID"] = ""
        r = w.post("/api/dmps/opidor/import", json={"plan_id": "1"})
        assert r.status_code == 503
        assert count(app, Dmp) == 0
        app.extensions["alluvium.engine"].dispose()


def test_demo_has_a_plan_written_back_from_its_published_record(app) -> None:  # type: ignore[no-untyped-def]
    from app.cli import main as cli

    env = {
        "ALLUVIUM_DATABASE_URL": app.config["DATABASE_URL"],
        "ALLUVIUM_ARGON2_MEMORY_COST": "1024",
        "ALLUVIUM_ARGON2_TIME_COST": "1",
        "ALLUVIUM_STORAGE_PATH": app.config["STORAGE_PATH"],
    }
    r = app.test_cli_runner().invoke(cli, ["demo"], env=env)
    assert r.exit_code == 0, r.output
    with new_session(app) as s:
        dmp = s.scalars(select(Dmp)).one()
        actions = [v.action for v in s.scalars(select(DmpVersion).order_by(DmpVersion.number))]
    assert actions == ["import", "link", "write-back"]
    dataset = dmp.plan["dataset"][0]
    assert dataset["dataset_id"]["type"] in ("url", "doi")
    assert dataset["distribution"][-1]["host"]["title"] == "Alluvium"
    assert official_errors({"dmp": dmp.plan}, "1.2") == []

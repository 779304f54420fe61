"""DataCite DOIs against the DataCite stand-in (tests/datacite_standin.py, a real HTTP server on
loopback): publication, versions and concept DOI, withdrawal, reservation, existing DOIs, and
every fault the stand-in injects. Runs on SQLite and on PostgreSQL (ALLUVIUM_TEST_DATABASE_URL).
"""

from __future__ import annotations

import base64
import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from lxml import etree
from sqlalchemy import select

from app import create_app
from app.db import new_session
from app.models import DoiRegistration, Event, Job, OaiItem, Record
from app.pid.datacite_client import DataCiteClient, PermanentError, TransientError, classify
from app.services import dois, jobs
from tests._oai import Repo
from tests.conftest import make_test_config
from tests.datacite_standin import StandIn, serve

PREFIX = "10.5072"
DC = "{http://datacite.org/schema/kernel-4}"


@pytest.fixture
def standin(shared_standards: Path) -> Iterator[tuple[StandIn, str]]:
    si = StandIn("TEST.ALLUVIUM", "secret", (PREFIX,))
    assert si.schema is not None  # the kernel-4 XSD from the standards bundle
    server, url = serve(si)
    yield si, url
    server.shutdown()
    server.server_close()


def doi_config(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "PID_PROVIDER": "datacite",
        "DATACITE_API_URL": url,
        "DATACITE_USERNAME": "TEST.ALLUVIUM",
        "DATACITE_PASSWORD": "secret",
        "DATACITE_PREFIX": PREFIX,
        "DATACITE_TIMEOUT": 1.0,
        "DATACITE_RATE_LIMIT": 200.0,
        "DOI_RETRY_BASE_SECONDS": 0.05,
        "DOI_RETRY_MAX_SECONDS": 0.3,
        "DOI_LEASE_SECONDS": 3,
        "OAI_REPOSITORY_IDENTIFIER": "alluvium.test",
        **extra,
    }


@pytest.fixture
def app(database_url: str, instance: Path, standin: tuple[StandIn, str]) -> Iterator[Flask]:
    application = create_app(make_test_config(database_url, instance, **doi_config(standin[1])))
    yield application
    application.extensions["alluvium.engine"].dispose()


@pytest.fixture
def repo(app: Flask) -> Repo:
    return Repo(app)


def drain(app: Flask, timeout: float = 20.0) -> None:
    """Run due jobs as a worker does (``jobs.run_pending``, which runs the DOI sweep itself,
    here on every call) until every DOI has converged."""
    deadline = time.time() + timeout
    make = app.extensions["alluvium.sessionmaker"]
    settings = dataclasses.replace(jobs.Settings.from_config(app.config), sweep_seconds=0)
    with app.app_context():
        while time.time() < deadline:
            jobs.run_pending(make, settings=settings)
            with new_session(app) as s:
                st = dois.status(s)
                if not st.pending and not st.failed:
                    return
            time.sleep(0.05)
    raise AssertionError(f"DOIs did not converge in {timeout} s: {st.counts}")


def regs(app: Flask) -> dict[str, DoiRegistration]:
    with new_session(app) as s:
        return {r.doi: r for r in s.scalars(select(DoiRegistration))}


def held_xml(si: StandIn, doi: str) -> etree._Element:
    return etree.fromstring(si.dois[doi]["xml"])


def relations(si: StandIn, doi: str) -> set[tuple[str, str]]:
    root = held_xml(si, doi)
    return {
        (r.text.lower(), r.get("relationType"))
        for r in root.iter(f"{DC}relatedIdentifier")
        if r.get("relatedIdentifierType") == "DOI"
    }


def oai_visible(app: Flask, rid: str) -> bool:
    with new_session(app) as s:
        return s.scalar(select(OaiItem.id).where(OaiItem.record_id == rid)) is not None


# -- publication, versions, concept, withdrawal ------------------------------------------------


def test_publication_mints_version_and_concept_dois_findable_only_after_datacite_knows_them(
    app, repo, standin, client
) -> None:  # type: ignore[no-untyped-def]
    si, _ = standin
    rid = repo.publish(1)
    with new_session(app) as s:
        record = s.get(Record, rid)
        assert record.state == "published"  # publication did not wait for DataCite
        info = dois.doi_info(s, record)
        parent = record.parent_id
    assert info["doi"] == f"{PREFIX}/{rid}" and info["status"] == "pending"
    assert si.dois == {}
    # Harvesters and search do not see a DOI DataCite does not know yet; the landing page works.
    assert not oai_visible(app, rid)
    assert client.get("/api/records").json["hits"]["total"] == 0
    page = client.get(f"/records/{rid}")
    assert page.status_code == 200
    assert "DOI registration pending" in page.get_data(as_text=True)

    drain(app)
    assert "DOI registration pending" not in client.get(f"/records/{rid}").get_data(as_text=True)
    version, concept = f"{PREFIX}/{rid}", f"{PREFIX}/{parent}"
    assert si.dois[version]["state"] == "findable" and si.dois[concept]["state"] == "findable"
    assert si.dois[version]["url"] == f"http://alluvium.test/records/{rid}"
    assert si.dois[concept]["url"] == f"http://alluvium.test/records/{rid}"
    assert relations(si, version) == {(concept, "IsVersionOf")}
    assert relations(si, concept) == {(version, "HasVersion")}
    assert held_xml(si, version).findtext(f"{DC}identifier") == version
    assert oai_visible(app, rid)
    assert client.get("/api/records").json["hits"]["total"] == 1
    assert client.get(f"/api/records/{rid}/doi").json["status"] == "registered"

    # A new version: its own DOI; the concept moves to it; the versions are linked both ways.
    rid2 = repo.new_version(rid, 2)
    drain(app)
    v2 = f"{PREFIX}/{rid2}"
    assert si.dois[v2]["state"] == "findable"
    assert si.dois[concept]["url"] == f"http://alluvium.test/records/{rid2}"
    assert relations(si, concept) == {(version, "HasVersion"), (v2, "HasVersion")}
    assert relations(si, v2) == {(concept, "IsVersionOf"), (version, "IsNewVersionOf")}
    assert relations(si, version) == {(concept, "IsVersionOf"), (v2, "IsPreviousVersionOf")}
    assert len(si.dois) == 3

    # Withdrawal of v2: hidden (registered), still resolving to its tombstone; concept back to v1.
    repo.withdraw(rid2)
    drain(app)
    assert si.dois[v2]["state"] == "registered"
    assert si.dois[v2]["url"] == f"http://alluvium.test/records/{rid2}"
    assert client.get(f"/records/{rid2}").status_code == 410
    assert si.dois[concept]["url"] == f"http://alluvium.test/records/{rid}"
    assert si.dois[concept]["state"] == "findable"
    # Withdrawing the last published version hides the concept DOI too.
    repo.withdraw(rid)
    drain(app)
    assert {d["state"] for d in si.dois.values()} == {"registered"}
    assert len(si.dois) == 3


def test_a_reserved_doi_is_a_datacite_draft_then_becomes_findable_on_publication(
    app, factory, standin
) -> None:  # type: ignore[no-untyped-def]
    si, _ = standin
    from schemas.examples import minimal_example

    factory.community("aeris")
    producer = factory.user("p@example.org")
    mod = factory.user("m@example.org", role="moderator", communities=["aeris"])
    rid = producer.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    r = producer.post(f"/api/records/{rid}/doi", json={})
    assert r.status_code == 201, r.json
    doi = f"{PREFIX}/{rid}"
    assert r.json["doi"] == doi and r.json["status"] == "reserved"
    assert r.json["message"] == "reserved, not yet registered"
    # Asking again returns the same DOI: no second one.
    again = producer.post(f"/api/records/{rid}/doi", json={})
    assert again.status_code == 200 and again.json["doi"] == doi
    # Only the owner (or an editor) may reserve; bad input names the field.
    other = factory.user("o@example.org")
    assert other.post(f"/api/records/{rid}/doi", json={}).status_code == 403
    bad = producer.post(f"/api/records/{rid}/doi", json={"color": "red"})
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "/color"
    drain(app)
    assert si.dois[doi]["state"] == "draft" and si.dois[doi]["xml"] is None
    # The draft shows the DOI (to cite it) in its document.
    assert producer.get(f"/api/records/{rid}/draft").json["pids"]["doi"]["identifier"] == doi

    assert (
        producer.post(f"/api/records/{rid}/draft/actions/submit", json={"community": "aeris"}).status_code
        == 202
    )
    assert mod.post(f"/api/records/{rid}/review/actions/assign", json={}).status_code == 200
    assert mod.post(f"/api/records/{rid}/review/actions/accept", json={}).status_code == 200
    assert producer.get(f"/api/records/{rid}/doi").json["status"] == "pending"
    drain(app)
    assert si.dois[doi]["state"] == "findable"
    assert producer.get(f"/api/records/{rid}/doi").json["status"] == "registered"
    assert len([d for d in si.dois if d != doi]) == 1  # plus the concept DOI, nothing else


def test_reservation_needs_the_datacite_provider(database_url, instance, factory) -> None:  # type: ignore[no-untyped-def]
    from schemas.examples import minimal_example

    producer = factory.user("p@example.org")
    rid = producer.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    # The default app of this module is DataCite; a local-provider app refuses with a message.
    local = create_app(make_test_config(database_url, instance / "local"))
    api = type(producer)(local.test_client(), producer.token)
    r = api.post(f"/api/records/{rid}/doi", json={})
    assert r.status_code == 409 and "PID_PROVIDER" in r.json["message"]
    local.extensions["alluvium.engine"].dispose()


def test_an_existing_doi_is_kept_never_a_second_one(app, repo, standin, factory) -> None:  # type: ignore[no-untyped-def]
    si, _ = standin
    # An imported DataCite record with a DOI under another prefix keeps it.
    from exports.datacite import write_xml
    from schemas.examples import minimal_example

    doc = {"id": "x", "pids": {"doi": {"identifier": "10.1234/elsewhere.1"}}, "metadata": minimal_example()}
    producer = factory.user("imp@example.org")
    r = producer.post("/api/records/import", data=write_xml(doc), headers={"Content-Type": "application/xml"})
    assert r.status_code == 201, r.json
    rid = r.json["id"]
    assert r.json["pids"]["doi"]["identifier"] == "10.1234/elsewhere.1"
    patched = producer.patch(
        f"/api/records/{rid}/draft",
        json={"metadata": {"contacts": minimal_example()["contacts"]}},
        headers={"If-Match": r.headers["ETag"]},
    )
    assert patched.status_code == 200, patched.json
    publish_as(app, repo, "imp@example.org", rid)
    with new_session(app) as s:
        record = s.get(Record, rid)
        assert {p.scheme: p.value for p in record.pids} == {"doi": "10.1234/elsewhere.1", "local": rid}
    drain(app)
    assert si.dois == {} and regs(app) == {}
    assert oai_visible(app, rid)  # a DOI registered elsewhere is shown at once
    # A new version of that dataset gets no DOI of ours either.
    nv = producer.post(f"/api/records/{rid}/versions")
    assert nv.status_code == 201, nv.json
    rid2 = nv.json["id"]
    publish_as(app, repo, "imp@example.org", rid2)
    drain(app)
    assert si.dois == {}
    with new_session(app) as s:
        assert [p.scheme for p in s.get(Record, rid2).pids] == ["local"]

    # A DOI under our own prefix is managed: published with our metadata at publication.
    draft = producer.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    own = f"{PREFIX}/legacy-42"
    r = producer.post(f"/api/records/{draft}/doi", json={"doi": f"https://doi.org/{own.upper()}"})
    assert r.status_code == 201 and r.json["doi"] == own and r.json["managed"] is True
    bad = producer.post(f"/api/records/{draft}/doi", json={"doi": "not a doi"})
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "/doi"
    publish_as(app, repo, "imp@example.org", draft)
    drain(app)
    assert si.dois[own]["state"] == "findable"
    assert f"{PREFIX}/{draft}" not in si.dois


def publish_as(app: Flask, repo: Repo, owner_email: str, rid: str) -> None:
    """Submit as the owner, then assign, accept and publish as the moderator (the real use cases)."""
    from app.services import accounts
    from app.services import records as svc

    with app.app_context(), new_session(app) as s:
        owner = accounts.actor_for(accounts.get_user_by_email(s, owner_email))
        svc.submit(s, owner, rid, community="aeris")
        svc.assign(s, repo.m, rid)
        svc.accept(s, repo.m, rid)
        jobs.take_enqueued(s)
        svc.publish(s, rid, dois.provider_for(app.config), app.config["BASE_URL"])
        s.commit()


# -- faults ------------------------------------------------------------------------------------


def test_an_outage_then_a_429_storm_are_retried_until_the_dois_are_findable(app, repo, standin) -> None:  # type: ignore[no-untyped-def]
    si, _ = standin
    rid = repo.publish(1)
    si.faults({"outage": 1.0})
    drain(app, timeout=30)
    assert si.dois[f"{PREFIX}/{rid}"]["state"] == "findable"
    failures = [r for r in si.requests if r[3] == 503]
    assert failures, "the outage was seen"
    # A 429 storm without Retry-After (with it: the next test).
    rid2 = repo.publish(2)
    si.faults({"storm": 0.8})
    drain(app, timeout=30)
    assert si.dois[f"{PREFIX}/{rid2}"]["state"] == "findable"
    assert any(r[3] == 429 for r in si.requests)
    with new_session(app) as s:
        assert not s.scalars(select(Job).where(Job.state == "failed")).all()


def test_retry_after_is_honoured_by_every_worker(app, repo, standin) -> None:  # type: ignore[no-untyped-def]
    si, _ = standin
    rid = repo.publish(1)
    si.faults({"storm": 0.5, "retry_after": 2})
    start = time.time()
    drain(app, timeout=30)
    assert si.dois[f"{PREFIX}/{rid}"]["state"] == "findable"
    storm = [r for r in si.requests if r[3] == 429]
    after = [r for r in si.requests if r[0] > storm[0][0] and r[3] != 429]
    # Nobody asked again before Retry-After (2 s) had passed since the 429.
    assert storm and len(storm) == 1, storm
    assert min(r[0] for r in after) - storm[0][0] >= 1.9
    assert time.time() - start >= 1.9


def test_a_timeout_and_a_dropped_answer_after_commit_leave_no_duplicate(app, repo, standin) -> None:  # type: ignore[no-untyped-def]
    si, _ = standin
    rid = repo.publish(1)
    si.faults({"slow": {"delay": 1.6, "count": 1}})  # slower than DATACITE_TIMEOUT (1 s)
    drain(app, timeout=30)
    rid2 = repo.publish(2)
    si.faults({"drop": 2})  # DataCite commits, the client never hears it
    drain(app, timeout=30)
    with new_session(app) as s:
        parents = {s.get(Record, r).parent_id for r in (rid, rid2)}
    assert si.slow_count == 0 and si.drop_count == 0  # both faults were met
    expected = {f"{PREFIX}/{r}" for r in (rid, rid2)} | {f"{PREFIX}/{p}" for p in parents}
    assert set(si.dois) == expected  # no orphan, no duplicate
    assert {d["state"] for d in si.dois.values()} == {"findable"}


def test_a_permanent_error_fails_the_job_with_datacites_message(database_url, instance, standin) -> None:  # type: ignore[no-untyped-def]
    si, url = standin
    app = create_app(make_test_config(database_url, instance, **doi_config(url, DATACITE_PASSWORD="wrong")))
    repo = Repo(app)
    rid = repo.publish(1)
    with app.app_context():
        jobs.run_pending(app.extensions["alluvium.sessionmaker"])
    with new_session(app) as s:
        failed = s.scalars(select(Job).where(Job.state == "failed", Job.kind == "doi-sync")).all()
        assert failed and all("Bad credentials" in j.last_error for j in failed)
        st = dois.status(s)
        assert {r.doi for r in st.failed} >= {f"{PREFIX}/{rid}"}
        assert all(r.last_status == 401 for r in st.failed)
        # The record stays published; the sweep does not retry a permanent failure by itself.
        assert s.get(Record, rid).state == "published"
        assert dois.sweep(s) == 0
    assert si.dois == {}
    app.extensions["alluvium.engine"].dispose()


def test_metadata_datacite_refuses_is_a_permanent_error(app, repo, standin) -> None:  # type: ignore[no-untyped-def]
    si, _ = standin
    with app.app_context():
        client = dois.provider_for(app.config).client()
    with pytest.raises(PermanentError) as refused:
        client.put_doi(f"{PREFIX}/bad", xml=b"<resource/>", url="http://x.test/1", event="publish")
    assert refused.value.status == 422 and "kernel-4" in refused.value.message
    with pytest.raises(PermanentError) as foreign:
        client.put_doi("10.9999/not-ours", url="http://x.test/1")
    assert foreign.value.status == 403
    with pytest.raises(PermanentError) as syntax:
        client.put_doi(f"{PREFIX}/bad doi", url="http://x.test/1")
    assert syntax.value.status == 422


def test_errors_are_classified_and_retry_after_is_kept() -> None:
    assert classify(503, None, {}).transient
    assert (
        classify(429, {"errors": [{"status": "429", "title": "slow down"}]}, {"Retry-After": "7"}).retry_after
        == 7
    )
    date = classify(429, None, {"Retry-After": "Wed, 21 Oct 2065 07:28:00 GMT"})
    assert date.transient and date.retry_after > 1e6
    for status in (400, 401, 403, 404, 405, 422):
        assert not classify(status, None, {}).transient
    refused = classify(
        422, {"errors": [{"status": "422", "title": "This DOI has already been taken", "source": "doi"}]}, {}
    )
    assert "This DOI has already been taken (doi)" in refused.message
    with pytest.raises(TransientError):
        DataCiteClient("http://127.0.0.1:9", "u", "p", timeout=0.5).get_doi("10.5072/x")


def test_the_standin_answers_as_datacite_does(standin) -> None:  # type: ignore[no-untyped-def]
    import requests

    si, url = standin
    auth = ("TEST.ALLUVIUM", "secret")
    headers = {"Content-Type": "application/vnd.api+json"}
    body = {"data": {"type": "dois", "attributes": {"doi": f"{PREFIX}/abc"}}}
    assert requests.post(f"{url}/dois", json=body, auth=("x", "y"), headers=headers).status_code == 401
    r = requests.post(f"{url}/dois", json=body, auth=auth, headers=headers)
    assert r.status_code == 201 and r.headers["Content-Type"] == "application/vnd.api+json"
    r = requests.post(f"{url}/dois", json=body, auth=auth, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["title"] == "This DOI has already been taken"
    assert (
        requests.put(f"{url}/dois/{PREFIX}/new", json=body | {}, auth=auth, headers=headers).status_code
        == 422
    )
    created = requests.put(
        f"{url}/dois/{PREFIX}/new",
        json={"data": {"type": "dois", "attributes": {"url": "http://x.test/"}}},
        auth=auth,
        headers=headers,
    )
    assert created.status_code == 201 and created.json()["data"]["attributes"]["state"] == "draft"
    assert requests.delete(f"{url}/dois/{PREFIX}/new", auth=auth).status_code == 204
    # Only drafts are deletable; a findable DOI answers 405.
    si.dois[f"{PREFIX}/done"] = {
        "doi": f"{PREFIX}/done",
        "state": "findable",
        "url": "http://x.test/",
        "xml": b"<x/>",
    }
    assert requests.delete(f"{url}/dois/{PREFIX}/done", auth=auth).status_code == 405
    listed = requests.get(f"{url}/dois", params={"prefix": PREFIX}, auth=auth).json()
    assert {d["id"] for d in listed["data"]} == {f"{PREFIX}/abc", f"{PREFIX}/done"}
    xml_b64 = base64.b64encode(b"<resource xmlns='http://datacite.org/schema/kernel-4'/>").decode()
    refused = requests.put(
        f"{url}/dois/{PREFIX}/abc",
        json={
            "data": {
                "type": "dois",
                "attributes": {"xml": xml_b64, "url": "http://x.test/", "event": "publish"},
            }
        },
        auth=auth,
        headers=headers,
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["source"] == "xml"


# -- workers, rate limit ------------------------------------------------------------------------


def test_concurrent_workers_never_send_one_doi_twice_at_once_and_respect_the_shared_rate(
    database_url, instance, standin
) -> None:  # type: ignore[no-untyped-def]
    """Four threads (as four workers) drain 12 publications with a rate limit of 10 req/s."""
    import threading

    si, url = standin
    app = create_app(make_test_config(database_url, instance, **doi_config(url, DATACITE_RATE_LIMIT=10.0)))
    repo = Repo(app)
    rids = [repo.publish(n) for n in range(12)]
    start = time.time()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            drain(app, timeout=60)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    elapsed = time.time() - start
    assert {si.dois[f"{PREFIX}/{r}"]["state"] for r in rids} == {"findable"}
    assert len(si.dois) == 24  # 12 versions + 12 concepts, nothing else
    writes = sorted(si.writes)
    # 10 req/s with a bucket of 1: at most 10 (+1 for the edge) writes in any second.
    from tests.datacite_standin import max_in_window

    assert max_in_window(writes, 1.0) <= 11, max_in_window(writes, 1.0)
    assert elapsed >= (len(writes) - 1) / 10 * 0.9
    # Each DOI was written exactly once: nobody took a job twice or raced on a DOI.
    assert {d["versions"] for d in si.dois.values()} == {1}
    app.extensions["alluvium.engine"].dispose()


def test_the_token_bucket_is_shared_across_processes(app) -> None:  # type: ignore[no-untyped-def]
    """Three processes take tokens from one bucket at 20/s: 60 tokens take at least ~3 s."""
    import subprocess
    import sys

    code = (
        "import sys,time\n"
        "from app.db import make_engine\n"
        "from app.services.dois import take_token\n"
        "e=make_engine(sys.argv[1])\n"
        "out=[]\n"
        "for _ in range(20):\n"
        "    w=take_token(e,20.0,1.0,name='t',max_wait=60)\n"
        "    time.sleep(w); out.append(time.time())\n"
        "print(' '.join(map(str,out)))\n"
    )
    url = app.config["DATABASE_URL"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, url],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parents[1],
        )
        for _ in range(3)
    ]
    times = sorted(float(t) for p in procs for t in p.communicate(timeout=60)[0].split())
    assert len(times) == 60
    from tests.datacite_standin import max_in_window

    assert max_in_window(times, 1.0) <= 22
    assert times[-1] - times[0] >= 59 / 20 * 0.95


# -- administration, harvesting -----------------------------------------------------------------


def test_doi_status_and_reconcile(app, repo, standin) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from app.cli import main

    si, _ = standin
    rid = repo.publish(1)
    runner = CliRunner()
    env = {
        "ALLUVIUM_" + k: str(v)
        for k, v in app.config.items()
        if k.startswith(("DATACITE_", "DOI_", "PID_", "DATABASE_URL", "BASE_URL", "OAI_REPO"))
    }
    status = runner.invoke(main, ["doi", "status"], env=env)
    assert status.exit_code == 0, status.output
    assert "findable (pending)" in status.output and f"{PREFIX}/{rid}" in status.output
    drain(app)
    status = runner.invoke(main, ["doi", "status"], env=env)
    assert "pending" not in status.output
    clean = runner.invoke(main, ["doi", "reconcile"], env=env)
    assert clean.exit_code == 0 and "0 difference(s)" in clean.output, clean.output

    # DataCite drifts: a wrong URL, a lost DOI, a hidden one, and an extra DOI nobody claims.
    version = f"{PREFIX}/{rid}"
    with new_session(app) as s:
        concept = dois._concept(s, s.get(Record, rid).parent_id).doi
    si.dois[version]["url"] = "http://old.example/landing"
    si.dois[concept]["state"] = "registered"
    si.dois[f"{PREFIX}/stray"] = {"doi": f"{PREFIX}/stray", "state": "draft", "url": None, "xml": None}
    found = runner.invoke(main, ["doi", "reconcile"], env=env)
    assert found.exit_code == 1
    lines = found.output.splitlines()
    assert any(line.startswith("url") and version in line for line in lines)
    assert any(line.startswith("state") and concept in line for line in lines)
    assert any(line.startswith("extra") and "stray" in line for line in lines)
    del si.dois[version]
    missing = runner.invoke(main, ["doi", "reconcile", "--repair"], env=env)
    assert any(line.startswith("missing") and version in line for line in missing.output.splitlines())
    drain(app)
    assert si.dois[version]["state"] == "findable"
    assert si.dois[version]["url"] == f"http://alluvium.test/records/{rid}"
    assert si.dois[concept]["state"] == "findable"
    again = runner.invoke(main, ["doi", "reconcile"], env=env)
    assert [line for line in again.output.splitlines() if not line.startswith("extra")] == ["1 difference(s)"]


def test_a_dataverse_style_harvest_of_rdg_finds_a_doi_first(app, repo, standin, live_server) -> None:  # type: ignore[no-untyped-def]
    from sickle import Sickle

    from app.oai import admin

    with app.app_context(), new_session(app) as s:
        admin.put_admin_set(s, repo.a, "rdg", name="Recherche Data Gouv", criteria={"require_doi": True})
        s.commit()
    rids = [repo.publish(n) for n in range(3)]
    sickle = Sickle(f"{live_server}/oai")

    def harvest() -> list[Any]:
        try:
            return list(sickle.ListRecords(metadataPrefix="oai_dc", set="rdg"))
        except Exception as exc:  # noqa: BLE001 - sickle raises NoRecordsMatch for an empty set
            if type(exc).__name__ == "NoRecordsMatch":
                return []
            raise

    assert harvest() == []  # nothing before DataCite knows the DOIs
    drain(app)
    records = harvest()
    assert len(records) == 3
    for r in records:
        first = r.metadata["identifier"][0]
        assert first.startswith(f"https://doi.org/{PREFIX}/"), first
    assert {r.metadata["identifier"][0].rsplit("/", 1)[1] for r in records} == set(rids)


def test_a_deleted_draft_releases_its_reserved_doi(app, factory, standin) -> None:  # type: ignore[no-untyped-def]
    si, _ = standin
    from schemas.examples import minimal_example

    producer = factory.user("p@example.org")
    rid = producer.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    assert producer.post(f"/api/records/{rid}/doi", json={}).status_code == 201
    drain(app)
    assert si.dois[f"{PREFIX}/{rid}"]["state"] == "draft"
    etag = producer.get(f"/api/records/{rid}/draft").headers["ETag"]
    si.faults({"outage": 60})  # DataCite is down when the draft is deleted: the outbox keeps it
    assert producer.delete(f"/api/records/{rid}/draft", headers={"If-Match": etag}).status_code == 204
    with new_session(app) as s:
        (reg,) = s.scalars(select(DoiRegistration)).all()
        assert (reg.record_id, reg.parent_id, reg.desired_state) == (None, None, "deleted")
        assert s.get(Job, reg.job_id).kind == "doi-sync"  # queued with the deletion, no admin step
    assert si.dois[f"{PREFIX}/{rid}"]["state"] == "draft"
    si.faults({"outage": 0})
    drain(app)
    assert f"{PREFIX}/{rid}" not in si.dois
    assert ("DELETE", f"/dois/{PREFIX}/{rid}") in {(m, p) for _, m, p in si.received}


# -- kill -9 ------------------------------------------------------------------------------------


def _worker(app: Flask, url: str, **extra: Any) -> Any:
    """``alluvium jobs run --loop`` (the lease-based job runner, which sweeps unfinished DOIs by
    itself) in its own process, configured like ``app``."""
    import os
    import subprocess
    import sys

    env = dict(os.environ)
    cfg = {**doi_config(url), **extra}
    env.update({f"ALLUVIUM_{k}": str(v) for k, v in cfg.items()})
    env["ALLUVIUM_DATABASE_URL"] = app.config["DATABASE_URL"]
    env["ALLUVIUM_BASE_URL"] = app.config["BASE_URL"]
    env["ALLUVIUM_STORAGE_PATH"] = app.config["STORAGE_PATH"]
    env["ALLUVIUM_JOBS_POLL_SECONDS"] = "0.1"
    env["ALLUVIUM_JOBS_SWEEP_SECONDS"] = "0.1"
    return subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", "jobs", "run", "--loop"],
        env=env,
        cwd=Path(__file__).parents[1],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _no_orphans_or_duplicates(app: Flask, si: StandIn, rids: list[str]) -> None:
    with new_session(app) as s:
        ours = {r.doi for r in s.scalars(select(DoiRegistration))}
        parents = {s.get(Record, r).parent_id for r in rids}
    assert ours == {f"{PREFIX}/{r}" for r in rids} | {f"{PREFIX}/{p}" for p in parents}
    assert set(si.dois) == ours  # nothing at DataCite that we do not know (no orphan, no duplicate)
    assert {si.dois[d]["state"] for d in ours} == {"findable"}
    # No landing page has two DOIs at DataCite.
    urls = [d["url"] for k, d in si.dois.items() if k.split("/", 1)[1] in rids]
    assert len(urls) == len(set(urls)) == len(rids)


def test_kill_9_during_the_datacite_call_then_the_next_run_converges(app, repo, standin) -> None:  # type: ignore[no-untyped-def]
    si, url = standin
    rid = repo.publish(1)
    si.faults({"slow": {"delay": 2.0, "count": 1}})
    worker = _worker(app, url, DATACITE_TIMEOUT=10)
    try:
        deadline = time.time() + 30
        while not any(m == "PUT" for _, m, _ in si.received) and time.time() < deadline:
            time.sleep(0.02)
        assert any(m == "PUT" for _, m, _ in si.received), "the worker never called DataCite"
        time.sleep(0.3)  # inside the 2 s answer
    finally:
        worker.kill()  # SIGKILL
        worker.wait()
    time.sleep(2.0)  # DataCite (the stand-in) commits the write the dead worker asked for
    assert len(si.dois) == 1
    with new_session(app) as s:
        assert dois.status(s).pending  # our side never heard the answer
    drain(app, timeout=30)  # the lease (3 s) expires, the sweep queues it again, the PUT updates
    _no_orphans_or_duplicates(app, si, [rid])


@pytest.mark.slow
def test_kill_9_at_random_moments_loses_and_duplicates_nothing(app, repo, standin) -> None:  # type: ignore[no-untyped-def]
    """Workers killed (SIGKILL) at random moments while 6 publications register, every answer
    slowed to 0.15 s so kills land before, during and after DataCite's answers; then one clean
    run converges with no orphan and no duplicate."""
    import random

    si, url = standin
    rids = [repo.publish(n) for n in range(6)]
    # Write the publications' archival packages (archive-version jobs) first: the workers killed
    # below must spend their short lives on DataCite, which is what this test is about.
    with new_session(app) as s:
        archive_jobs = s.scalars(
            select(Job.id).where(Job.kind == "archive-version", Job.state == "pending")
        ).all()
    with app.app_context():
        for job_id in archive_jobs:
            assert jobs.run_job(app.extensions["alluvium.sessionmaker"], job_id)
    si.faults({"slow": {"delay": 0.15, "count": 10_000}})
    rng = random.Random(7)
    for _ in range(8):
        seen = len(si.received)
        worker = _worker(app, url, DOI_LEASE_SECONDS=1)
        deadline = time.time() + 15
        while len(si.received) == seen and time.time() < deadline:
            time.sleep(0.01)  # until this worker reaches DataCite (start-up takes a second)
        time.sleep(rng.uniform(0.0, 0.5))  # then before, during or after an answer
        worker.kill()
        worker.wait()
    assert len(si.received) >= 8, "every worker reached DataCite before it was killed"
    si.faults({"slow": {"delay": 0, "count": 0}})
    time.sleep(1.1)  # leases of the killed workers expire
    drain(app, timeout=60)
    _no_orphans_or_duplicates(app, si, rids)


def test_a_corrected_landing_url_updates_datacite(app, repo, standin, database_url, instance) -> None:  # type: ignore[no-untyped-def]
    """The service moves (BASE_URL corrected): `doi sync --all` sends every DOI its new URL."""
    si, url = standin
    rid = repo.publish(1)
    drain(app)
    moved = create_app(
        make_test_config(database_url, instance, **doi_config(url), BASE_URL="https://data.example.org")
    )
    with moved.app_context(), new_session(moved) as s:
        assert dois.sync_all(s, moved.config["BASE_URL"]) == 2  # the version and the concept
        s.commit()
    drain(moved)
    assert {d["url"] for d in si.dois.values()} == {f"https://data.example.org/records/{rid}"}
    assert held_xml(si, f"{PREFIX}/{rid}").findtext(f"{DC}identifier") == f"{PREFIX}/{rid}"
    moved.extensions["alluvium.engine"].dispose()


def test_the_background_runner_sweeps_dois_whose_job_was_lost(database_url, instance, standin) -> None:  # type: ignore[no-untyped-def]
    """No `doi sync` worker: the job runner of `alluvium serve` (the background runner) finds a
    DOI left unregistered with no job (a job lost, e.g. deleted by hand) and registers it."""
    from sqlalchemy import delete

    from app.jobs_runtime import start_background_runner

    si, url = standin
    app = create_app(
        make_test_config(
            database_url, instance, **doi_config(url), JOBS_POLL_SECONDS=0.1, JOBS_SWEEP_SECONDS=0.2
        )
    )
    rid = Repo(app).publish(1)
    with new_session(app) as s:
        assert s.execute(delete(Job).where(Job.kind == "doi-sync")).rowcount == 2
        s.commit()
        parent = s.get(Record, rid).parent_id
    expected = {f"{PREFIX}/{rid}": "findable", f"{PREFIX}/{parent}": "findable"}
    runner = start_background_runner(app)
    try:
        deadline = time.time() + 20
        while {d: v["state"] for d, v in si.dois.items()} != expected and time.time() < deadline:
            time.sleep(0.05)
    finally:
        runner.stop()
    assert {d: v["state"] for d, v in si.dois.items()} == expected  # nothing else at DataCite
    with new_session(app) as s:
        assert not dois.status(s).pending
    app.extensions["alluvium.engine"].dispose()


def test_an_admin_correction_of_a_published_version_updates_datacite_and_oai(
    app, repo, standin, factory, client
) -> None:  # type: ignore[no-untyped-def]
    si, _ = standin
    rid = repo.publish(1)
    drain(app)
    version = f"{PREFIX}/{rid}"
    with new_session(app) as s:
        concept = f"{PREFIX}/{s.get(Record, rid).parent_id}"
    title = f"{DC}titles/{DC}title"
    assert held_xml(si, version).findtext(title) == "Test dataset 1"
    admin = factory.user("root@example.org", role="admin")
    producer = factory.user("p2@example.org")
    url = f"/api/records/{rid}"
    patch = {"metadata": {"titles": [{"text": "Test dataset 1 (corrected)"}]}, "reason": "typo"}

    # Refused, changing nothing: not an admin; no reason; invalid or empty metadata; a draft.
    assert producer.patch(url, json=patch).status_code == 403
    r = admin.patch(url, json={"metadata": patch["metadata"]})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "/reason"
    r = admin.patch(url, json={"metadata": {"titles": []}, "reason": "x"})
    assert r.status_code == 400 and r.json["errors"][0]["field"].startswith("/metadata/titles"), r.json
    r = admin.patch(url, json={"metadata": {"titles": [{"text": "Test dataset 1"}]}, "reason": "x"})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "/metadata"
    r = admin.patch(url, json={**patch, "colour": "red"})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "/colour"
    draft = producer.post("/api/records", json={"metadata": repo.metadata(2)}).json["id"]
    assert admin.patch(f"/api/records/{draft}", json=patch).status_code == 409
    with new_session(app) as s:
        assert s.get(Record, rid).metadata_["titles"] == [{"text": "Test dataset 1"}]
        assert not dois.status(s).pending

    r = admin.patch(url, json=patch)
    assert r.status_code == 200, r.json
    assert r.json["diff"] == {
        "titles": {"from": [{"text": "Test dataset 1"}], "to": [{"text": "Test dataset 1 (corrected)"}]}
    }
    with new_session(app) as s:
        event = s.scalars(select(Event).where(Event.record_id == rid).order_by(Event.id.desc())).first()
        assert (event.action, event.comment, event.as_admin) == ("correct", "typo", True)
        assert event.data["diff"] == r.json["diff"]
    # Harvesters get the corrected record at once (the DOI is already registered)…
    oai = client.get(
        f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:alluvium.test:{rid}"
    ).get_data(as_text=True)
    assert "Test dataset 1 (corrected)" in oai
    # …and DataCite once the doi-sync jobs queued with the correction ran (eager mode here).
    drain(app)
    assert held_xml(si, version).findtext(title) == "Test dataset 1 (corrected)"
    assert held_xml(si, concept).findtext(title) == "Test dataset 1 (corrected)"
    assert si.dois[version]["state"] == "findable"


def test_alluvium_records_correct_from_the_command_line(app, repo, standin, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The CLI twin of PATCH /api/records/<id>: same use case, same refusals, DataCite updated."""
    import json

    from click.testing import CliRunner

    from app.cli import main

    si, _ = standin
    rid = repo.publish(1)
    drain(app)
    env = {
        "ALLUVIUM_" + k: str(v)
        for k, v in app.config.items()
        if k.startswith(("DATACITE_", "DOI_", "PID_", "DATABASE_URL", "BASE_URL", "OAI_REPO", "STORAGE_PATH"))
    }
    patch = tmp_path / "patch.json"
    patch.write_text(json.dumps({"titles": [{"text": "Renamed by the CLI"}]}))
    args = ["records", "correct", rid, "--reason", "typo", "--patch", str(patch)]
    refused = CliRunner().invoke(main, [*args, "--as", "producer@example.org"], env=env)
    assert refused.exit_code == 1 and "only an administrator may correct" in refused.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"titles": [')
    invalid = CliRunner().invoke(main, [*args[:-1], str(bad), "--as", "admin@example.org"], env=env)
    assert invalid.exit_code == 1 and "/metadata" in invalid.output and "Traceback" not in invalid.output
    done = CliRunner().invoke(main, [*args, "--as", "admin@example.org"], env=env)
    assert done.exit_code == 0, done.output
    assert "titles:" in done.output and "Renamed by the CLI" in done.output
    drain(app)
    assert held_xml(si, f"{PREFIX}/{rid}").findtext(f"{DC}titles/{DC}title") == "Renamed by the CLI"


def test_a_doi_job_that_failed_is_resolved_once_its_doi_converged(app, repo, standin) -> None:  # type: ignore[no-untyped-def]
    """A doi-sync job whose worker died on its last attempt fails; the sweep queues another job
    for the DOI, which converges it; the failed job is then closed (done, its error kept), so
    ``jobs status`` stops failing. Until then it stays failed."""
    si, _ = standin
    rid = repo.publish(1)
    make = app.extensions["alluvium.sessionmaker"]
    with new_session(app) as s:
        doi_jobs = s.scalars(select(Job.id).where(Job.kind == "doi-sync").order_by(Job.id)).all()
    assert len(doi_jobs) == 2  # version and concept
    dead = doi_jobs[0]
    assert jobs.claim(make, "dead-worker", jobs.Settings(lease_seconds=0.1), job_id=dead) is not None
    time.sleep(0.2)
    si.faults({"outage": 3600})  # DataCite down: the DOI cannot converge yet
    with app.app_context():
        jobs.run_pending(make, settings=jobs.Settings(max_attempts=1, sweep_seconds=0))
    with new_session(app) as s:
        job = s.get(Job, dead)
        assert job.state == "failed" and "lease expired" in job.last_error
        assert jobs.counts(s)["failed"] == 1
        # the sweep queued a new job for the DOI, waiting out the outage
        assert s.scalar(select(DoiRegistration.job_id).where(DoiRegistration.doi == f"{PREFIX}/{rid}")) != dead
    si.faults({"outage": 0})
    drain(app)
    assert si.dois[f"{PREFIX}/{rid}"]["state"] == "findable"
    with new_session(app) as s:
        job = s.get(Job, dead)
        assert job.state == "done"
        assert job.last_error.startswith("resolved: ") and "in sync at DataCite" in job.last_error
        assert "lease expired" in job.last_error  # the original error is kept
        assert jobs.counts(s)["failed"] == 0


def test_a_doi_job_failed_for_a_permanent_error_stays_failed(app, repo, standin) -> None:  # type: ignore[no-untyped-def]
    """DataCite refuses the credentials: the job fails and is not resolved by the sweep (the DOI
    is not in sync); an administrator retries it once the cause is fixed, and it converges."""
    si, _ = standin
    real = si.password
    si.password = "changed-at-datacite"
    rid = repo.publish(2)
    make = app.extensions["alluvium.sessionmaker"]
    settings = dataclasses.replace(jobs.Settings.from_config(app.config), sweep_seconds=0)
    with app.app_context():
        jobs.run_pending(make, settings=settings)
        jobs.run_pending(make, settings=settings)  # and the sweep once more
    with new_session(app) as s:
        failed = s.scalars(select(Job).where(Job.kind == "doi-sync", Job.state == "failed")).all()
        assert len(failed) == 2 and all("401" in j.last_error or "credentials" in j.last_error.lower() for j in failed)
        ids = [j.id for j in failed]
    si.password = real
    with new_session(app) as s:
        for job_id in ids:
            jobs.retry(s, job_id)
        s.commit()
    drain(app)
    assert si.dois[f"{PREFIX}/{rid}"]["state"] == "findable"

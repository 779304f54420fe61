"""Archival packages (BagIt), replication, fixity audit with repair, and restore from the archive.

Everything runs for real: the publish and withdraw use cases queue ``archive-version`` jobs, the
job runner writes the bags into two folders (primary and replica), the CLI audits and restores,
and the ``bagit`` library validates the bags. Nothing is mocked.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bagit
import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select, text

from app import create_app
from app.cli import main
from app.db import make_engine, new_session
from app.migrate import upgrade
from app.models import ArchiveCopy, ArchivePackage, Event, FixityCheck, Record
from app.services import files as file_svc
from app.services import jobs
from app.services import records as svc
from exports.registry import formats
from tests._oai import Repo
from tests.conftest import PG_URL, make_test_config


def _config(database_url: str, instance: Path) -> dict[str, Any]:
    return make_test_config(database_url, instance, ARCHIVE_REPLICA_PATH=str(instance / "replica"))


@pytest.fixture
def archive_app(database_url: str, instance: Path) -> Iterator[Flask]:
    application = create_app(_config(database_url, instance))
    yield application
    application.extensions["alluvium.engine"].dispose()


def run_jobs(app: Flask) -> None:
    with app.app_context():
        ok, failed = jobs.run_pending(app.extensions["alluvium.sessionmaker"])
    assert failed == 0


def add_file(app: Flask, repo: Repo, rid: str, key: str, body: bytes) -> None:
    with app.app_context(), new_session(app) as s:
        file_svc.upload(
            s,
            repo.p,
            app.extensions["alluvium.store"],
            rid,
            key,
            io.BytesIO(body),
            content_length=len(body),
            content_type=None,
            max_size=10**9,
            max_files=100,
        )
        s.commit()


def publish_with_files(
    app: Flask, repo: Repo, n: int, files: dict[str, bytes], community: str = "aeris"
) -> str:
    with app.app_context(), new_session(app) as s:
        rid = svc.create_draft(s, repo.p, repo.metadata(n)).id
        s.commit()
    for key, body in files.items():
        add_file(app, repo, rid, key, body)
    with app.app_context(), new_session(app) as s:
        svc.submit(s, repo.p, rid, community=community)
        svc.assign(s, repo.m, rid)
        svc.accept(s, repo.m, rid)
        s.commit()
    run_jobs(app)  # publish, then archive-version
    return rid


def new_version_with_file(app: Flask, repo: Repo, rid: str, n: int, key: str, body: bytes) -> str:
    with app.app_context(), new_session(app) as s:
        draft = svc.new_version(s, repo.p, rid)
        new = draft.id
        svc.update_draft(s, repo.p, new, metadata=repo.metadata(n), expected_revision=draft.revision)
        s.commit()
    add_file(app, repo, new, key, body)
    with app.app_context(), new_session(app) as s:
        svc.submit(s, repo.p, new)
        svc.assign(s, repo.m, new)
        svc.accept(s, repo.m, new)
        s.commit()
    run_jobs(app)
    return new


def cli(args: list[str], env: dict[str, str]) -> Any:
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def cli_env(config: dict[str, Any], instance: Path) -> dict[str, str]:
    return {
        "ALLUVIUM_INSTANCE_PATH": str(instance),
        "ALLUVIUM_DATABASE_URL": config["DATABASE_URL"],
        "ALLUVIUM_BASE_URL": config["BASE_URL"],
        "ALLUVIUM_STORAGE_PATH": config["STORAGE_PATH"],
        "ALLUVIUM_ARCHIVE_REPLICA_PATH": config["ARCHIVE_REPLICA_PATH"],
    }


RESPONSE_DATE = re.compile(rb"<responseDate>[^<]*</responseDate>")


def canonical_rdf(body: bytes) -> bytes:
    from rdflib import Graph
    from rdflib.compare import to_canonical_graph

    graph = to_canonical_graph(Graph().parse(data=body, format="xml"))
    return "\n".join(sorted(graph.serialize(format="nt").splitlines())).encode()


def snapshot(app: Flask, record_ids: list[str]) -> dict[str, Any]:
    """What the public sees: every export, every file, the API documents and OAI-PMH answers;
    and each version's history as stored."""
    client = app.test_client()
    out: dict[str, Any] = {}
    downloads = 0
    for rid in record_ids:
        r = client.get(f"/api/records/{rid}")
        out[f"api {rid}"] = (r.status_code, r.data)
        for fmt in formats():
            r = client.get(f"/api/records/{rid}/export/{fmt.name}")
            body = r.data
            if fmt.name == "dcat-rdfxml" and r.status_code == 200:
                # The direct RDF/XML writer names blank nodes by their place in the record, so
                # two exports of the same row are the same bytes; a restored record is still
                # compared as a graph (blank node labels carry no meaning).
                assert client.get(f"/api/records/{rid}/export/{fmt.name}").data == body
                body = canonical_rdf(body)
            out[f"export {rid} {fmt.name}"] = (r.status_code, body)
        listing = client.get(f"/api/records/{rid}/files")
        out[f"files {rid}"] = (listing.status_code, listing.data)
        if listing.status_code == 200:
            for entry in listing.get_json()["entries"]:
                r = client.get(f"/api/records/{rid}/files/{entry['key']}", buffered=True)
                r.close()
                out[f"file {rid} {entry['key']}"] = (r.status_code, r.data)
                downloads += r.status_code == 200
    assert downloads >= 7  # the files really were compared
    for query in (
        "verb=Identify",
        "verb=ListSets",
        "verb=ListMetadataFormats",
        "verb=ListIdentifiers&metadataPrefix=oai_dc",
        "verb=ListRecords&metadataPrefix=oai_dc",
        "verb=ListRecords&metadataPrefix=oai_datacite",
        *(
            f"verb=GetRecord&metadataPrefix=datacite&identifier=oai:alluvium.invalid:{rid}"
            for rid in record_ids
        ),
    ):
        r = client.get(f"/oai?{query}")
        out[f"oai {query}"] = (r.status_code, RESPONSE_DATE.sub(b"", r.data))
    with new_session(app) as s:
        for rid in record_ids:
            out[f"history {rid}"] = [
                (
                    e.action,
                    e.from_state,
                    e.to_state,
                    e.comment,
                    e.actor.email if e.actor else None,
                    e.created_at,
                )
                for e in s.scalars(select(Event).where(Event.record_id == rid).order_by(Event.id))
            ]
            record = s.get(Record, rid)
            out[f"row {rid}"] = (
                record.state,
                record.tombstone,
                record.published_at,
                [p.value for p in record.pids],
            )
    return out


def _diff(a: Any, b: Any) -> str:
    """The first differing place of two snapshot entries, for a readable failure."""
    a, b = repr(a), repr(b)
    i = next((n for n, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"...{a[max(0, i - 80) : i + 80]}... != ...{b[max(0, i - 80) : i + 80]}..."


def destroy_database(database_url: str) -> str:
    """A new, empty, migrated database in place of the old one; returns its URL."""
    if PG_URL:
        engine = make_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        upgrade(PG_URL)
        return PG_URL
    path = Path(database_url.removeprefix("sqlite:///"))
    path.unlink()
    upgrade(f"sqlite:///{path}")
    return database_url


def test_restore_rebuilds_every_version_from_the_packages_alone(archive_app, database_url, instance) -> None:  # type: ignore[no-untyped-def]
    app = archive_app
    repo = Repo(app)
    shared = b"station,temperature\nA,12.5\n" * 50
    r1 = publish_with_files(
        app, repo, 1, {"obs.csv": shared, "notes/readme.txt": b"read me\n", "50% sample (v1).csv": b"a,b\n"}
    )
    r2 = publish_with_files(app, repo, 2, {"grid.bin": bytes(range(256)) * 40}, community="odatis")
    r1v2 = new_version_with_file(app, repo, r1, 3, "extra.txt", b"added in version 2\n")
    r3 = publish_with_files(app, repo, 4, {"gone.csv": b"x,y\n1,2\n"})
    with app.app_context(), new_session(app) as s:
        svc.withdraw(s, repo.a, r3, reason="duplicate of another dataset")
        s.commit()
    run_jobs(app)
    ids = [r1, r2, r1v2, r3]

    primary, replica = instance / "archive", instance / "replica"
    names = {f"{r1}-v1", f"{r2}-v1", f"{r1v2}-v2", f"{r3}-v1", f"{r3}-tombstone"}
    for root in (primary, replica):
        assert {p.name for p in root.iterdir()} == names
    # Version 2 refers to the bodies version 1 archived (fetch.txt) instead of storing them again.
    v2 = primary / f"{r1v2}-v2"
    assert not (v2 / "data" / "obs.csv").exists()
    assert (v2 / "data" / "extra.txt").read_bytes() == b"added in version 2\n"
    fetch = (v2 / "fetch.txt").read_text()
    assert f"file:../{r1}-v1/data/obs.csv {len(shared)} data/obs.csv" in fetch
    assert f"file:../{r1}-v1/data/50%25%20sample%20%28v1%29.csv 4 data/50% sample (v1).csv" in fetch
    manifest = (v2 / "manifest-sha256.txt").read_text()
    assert "data/obs.csv" in manifest and "data/extra.txt" in manifest
    # A complete bag validates with the bagit library; metadata and history are in it.
    v1 = primary / f"{r1}-v1"
    bagit.Bag(str(v1)).validate()
    for name in ("record.json", "datacite.xml", "iso19139.xml", "iso19115-3.xml", "history.json"):
        assert (v1 / "metadata" / name).stat().st_size > 0
    assert "manifest-md5.txt" in {p.name for p in v1.iterdir()}
    info = (v1 / "bag-info.txt").read_text()
    assert f"External-Identifier: local:{r1}" in info
    assert '"action": "publish"' in (v1 / "metadata" / "history.json").read_text()
    assert (
        '"reason": "duplicate of another dataset"'
        in (primary / f"{r3}-tombstone" / "metadata" / "tombstone.json").read_text()
    )
    env = cli_env(app.config, instance)
    status = cli(["archive", "status"], env)
    assert status.exit_code == 0, status.output
    assert "5 preserved" in status.output

    before = snapshot(app, ids)
    config = dict(_config(database_url, instance))
    app.extensions["alluvium.engine"].dispose()

    # Lose the database and the working store; keep only the archive.
    config["DATABASE_URL"] = destroy_database(database_url)
    shutil.rmtree(instance / "storage")

    result = cli(["archive", "restore"], env)
    assert result.exit_code == 0, result.output
    assert "5 package(s) read; 4 version(s)" in result.output

    restored = create_app(config)
    try:
        after = snapshot(restored, ids)
        assert set(after) == set(before)
        for key in before:
            assert after[key] == before[key], (key, _diff(after[key], before[key]))
        # The audit carries on from the restored package list: every copy checks out.
        audit = cli(["archive", "audit", "--limit", "100"], env)
        assert audit.exit_code == 0, audit.output
        assert "10 copy(ies) checked" in audit.output and "10 ok" in audit.output
        # A second restore into the now populated database is refused.
        again = cli(["archive", "restore"], env)
        assert again.exit_code == 1 and "empty database" in again.output
    finally:
        restored.extensions["alluvium.engine"].dispose()


def test_audit_repairs_a_bit_flip_and_a_deleted_file_from_the_other_copy(archive_app, instance) -> None:  # type: ignore[no-untyped-def]
    app = archive_app
    repo = Repo(app)
    body = b"depth,salinity\n" + b"10,35.1\n" * 1000
    rid = publish_with_files(app, repo, 1, {"ctd.csv": body})
    package = instance / "archive" / f"{rid}-v1"
    data = package / "data" / "ctd.csv"
    damaged = bytearray(data.read_bytes())
    damaged[500] ^= 0x01  # one bit
    data.write_bytes(bytes(damaged))
    (package / "metadata" / "datacite.xml").unlink()
    datacite = (instance / "replica" / f"{rid}-v1" / "metadata" / "datacite.xml").read_bytes()

    env = cli_env(app.config, instance)
    result = cli(["archive", "audit", "--limit", "10"], env)
    assert result.exit_code == 0, result.output
    assert f"REPAIRED {rid}-v1 (primary): data/ctd.csv, metadata/datacite.xml" in result.output
    assert data.read_bytes() == body
    assert (package / "metadata" / "datacite.xml").read_bytes() == datacite
    bagit.Bag(str(package)).validate()
    with new_session(app) as s:
        checks = s.execute(
            select(ArchiveCopy.location, FixityCheck.result, FixityCheck.details)
            .join(ArchiveCopy, FixityCheck.copy_id == ArchiveCopy.id)
            .order_by(FixityCheck.id)
        ).all()
        audited = [(loc, res) for loc, res, details in checks if not details.get("written")]
        assert sorted(audited) == [("primary", "repaired"), ("replica", "ok")]
        repaired = next(d for loc, res, d in checks if res == "repaired")
        assert repaired["mismatch"] == ["data/ctd.csv"] and repaired["missing"] == ["metadata/datacite.xml"]
        event = s.scalar(select(Event).where(Event.action == "archive-repair"))
        assert event is not None and event.data["record_id"] == rid
    again = cli(["archive", "audit", "--limit", "10"], env)
    assert again.exit_code == 0 and "2 ok" in again.output, again.output


def test_damage_in_both_copies_is_reported_and_not_counted_as_preserved(archive_app, instance) -> None:  # type: ignore[no-untyped-def]
    app = archive_app
    repo = Repo(app)
    rid = publish_with_files(app, repo, 1, {"a.txt": b"alpha\n"})
    for root in ("archive", "replica"):
        (instance / root / f"{rid}-v1" / "data" / "a.txt").write_bytes(b"alphA\n")
    env = cli_env(app.config, instance)
    result = cli(["archive", "audit", "--limit", "10"], env)
    assert result.exit_code == 1
    assert f"DAMAGED {rid}-v1 (primary): data/a.txt" in result.output
    status = cli(["archive", "status"], env)
    assert status.exit_code == 1
    assert "0 preserved" in status.output and f"DAMAGED {rid}-v1 (replica)" in status.output
    with new_session(app) as s:
        assert s.scalar(select(Event.action).where(Event.action == "archive-damage")) == "archive-damage"


def test_audit_is_bounded_and_takes_the_least_recently_checked_first(archive_app, instance) -> None:  # type: ignore[no-untyped-def]
    app = archive_app
    repo = Repo(app)
    for n in range(3):
        publish_with_files(app, repo, n, {"f.txt": f"file {n}\n".encode()})
    env = cli_env(app.config, instance)
    seen = []
    for _ in range(3):
        result = cli(["archive", "audit", "--limit", "2"], env)
        assert result.exit_code == 0 and "2 copy(ies) checked" in result.output, result.output
        with new_session(app) as s:
            last = s.scalars(
                select(FixityCheck.copy_id)
                .where(~FixityCheck.details.is_(None))
                .order_by(FixityCheck.id.desc())
                .limit(2)
            ).all()
            seen.extend(last)
    assert len(set(seen)) == 6  # three runs of two covered all six copies, none twice
    one_byte = cli(["archive", "audit", "--max-bytes", "1"], env)
    assert "1 copy(ies) checked" in one_byte.output  # the first copy is always checked
    with new_session(app) as s:
        assert s.scalar(select(ArchivePackage).limit(1)) is not None


def test_a_version_without_a_replica_is_not_preserved(database_url, instance) -> None:  # type: ignore[no-untyped-def]
    app = create_app(make_test_config(database_url, instance))
    try:
        repo = Repo(app)
        publish_with_files(app, repo, 1, {"a.txt": b"a\n"})
        env = cli_env({**app.config, "ARCHIVE_REPLICA_PATH": ""}, instance)
        status = cli(["archive", "status"], env)
        assert "1 package(s)" in status.output and "0 preserved" in status.output
        assert "no replica configured" in status.output
    finally:
        app.extensions["alluvium.engine"].dispose()


def test_restore_reads_a_damaged_package_from_the_replica_and_refuses_when_both_are_bad(  # type: ignore[no-untyped-def]
    archive_app, database_url, instance
) -> None:
    app = archive_app
    repo = Repo(app)
    body = b"lat,lon\n45.1,5.7\n"
    rid = publish_with_files(app, repo, 1, {"pos.csv": body})
    config = dict(_config(database_url, instance))
    env = cli_env(app.config, instance)
    app.extensions["alluvium.engine"].dispose()
    config["DATABASE_URL"] = destroy_database(database_url)
    shutil.rmtree(instance / "storage")
    primary = instance / "archive" / f"{rid}-v1" / "data" / "pos.csv"
    replica = instance / "replica" / f"{rid}-v1" / "data" / "pos.csv"

    primary.write_bytes(b"lat,lon\n45.1,5.8\n")  # same size, one digit changed
    replica.write_bytes(b"lat,lon\n45.1,5.8\n")
    refused = cli(["archive", "restore"], env)
    assert refused.exit_code == 1
    assert f"package {rid}-v1 cannot be restored" in refused.output and "pos.csv" in refused.output
    restored = create_app(config)
    try:
        with new_session(restored) as s:
            assert s.scalar(select(Record).limit(1)) is None  # nothing half-written

        replica.write_bytes(body)
        result = cli(["archive", "restore"], env)
        assert result.exit_code == 0, result.output
        assert f"{rid}-v1: read from the replica" in result.output
        r = restored.test_client().get(f"/api/records/{rid}/files/pos.csv", buffered=True)
        assert r.status_code == 200 and r.data == body
        r.close()
    finally:
        restored.extensions["alluvium.engine"].dispose()


def test_storage_verify_puts_back_a_damaged_working_object_from_the_archive(archive_app, instance) -> None:  # type: ignore[no-untyped-def]
    app = archive_app
    repo = Repo(app)
    body = b"time,level\n2024-01-01,3.2\n"
    lost = b"only in the working store\n"
    rid = publish_with_files(app, repo, 1, {"level.csv": body})
    with app.app_context(), new_session(app) as s:
        draft = svc.new_version(s, repo.p, rid).id
        s.commit()
    add_file(app, repo, draft, "unarchived.txt", lost)  # a draft's file: in no package
    objects = app.extensions["alluvium.store"]
    sha, other = hashlib.sha256(body).hexdigest(), hashlib.sha256(lost).hexdigest()
    path = objects.local_path(sha)
    path.chmod(0o644)
    path.write_bytes(b"time,level\n2024-01-01,3.3\n")
    objects.local_path(other).unlink()
    env = cli_env(app.config, instance)
    result = cli(["storage", "verify"], env)
    assert result.exit_code == 1  # the draft's file cannot be repaired
    assert f"REPAIRED {sha} from archive package {rid}-v1 (primary)" in result.output
    assert f"FAILED {other}" in result.output
    with objects.open(sha) as stream:
        assert stream.read() == body


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"ARCHIVE_BACKEND": "tape"}, "ARCHIVE_BACKEND='tape'"),
        ({"ARCHIVE_AUDIT_PERIOD_DAYS": "often"}, "ARCHIVE_AUDIT_PERIOD_DAYS='often' is not a number"),
        ({"ARCHIVE_AUDIT_PERIOD_DAYS": 0}, "ARCHIVE_AUDIT_PERIOD_DAYS must be at least 1"),
        ({"ARCHIVE_PATH": "/srv/a", "ARCHIVE_REPLICA_PATH": "/srv/a/"}, "another location"),
    ],
)
def test_archive_settings_are_checked_at_start(database_url, instance, setting, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=re.escape(message)):
        create_app(make_test_config(database_url, instance, **setting))

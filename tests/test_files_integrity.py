"""File-upload and storage integrity: state re-checked at attach time, no transaction held
while a body streams, race-free deduplication, cleanup grace period and crash-safe order,
and the history of file changes. Concurrency is driven for real: threads and raw sockets
against the app served on loopback (``live_server``), a subprocess killed with SIGKILL."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.db import new_session
from app.models import FileObject, RecordFile
from app.services import files as files_svc
from app.services.storage_maintenance import cleanup
from schemas.examples import minimal_example
from tests._pg import transactions_held_across
from tests._s3 import app_on_each_store, local_only, moto_endpoint  # noqa: F401

PG = bool(os.environ.get("ALLUVIUM_TEST_DATABASE_URL"))


@pytest.fixture
def producer(factory):  # type: ignore[no-untyped-def]
    factory.community("theia")
    return factory.user("producer@example.org")


def draft(api, **md):  # type: ignore[no-untyped-def]
    r = api.post("/api/records", json={"metadata": minimal_example() | md, "community": "theia"})
    assert r.status_code == 201, r.json
    return r.json["id"]


def call(base: str, method: str, path: str, token: str, body: Any = None, headers: dict | None = None):  # type: ignore[no-untyped-def]
    """One HTTP request to the live server; returns (status, parsed JSON or None, headers)."""
    conn = http.client.HTTPConnection(base.removeprefix("http://"), timeout=60)
    h = {"Authorization": f"Bearer {token}", **(headers or {})}
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    raw = r.read()
    conn.close()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return r.status, parsed, dict(r.getheaders())


class SlowUpload:
    """A client that sends the headers and the body of a PUT in pieces, when told to."""

    def __init__(self, base: str, path: str, token: str, body: bytes) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=60)
        self.body = body
        head = (
            f"PUT {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.sock.sendall(head.encode())
        self.sent = 0

    def send(self, n: int) -> None:
        self.sock.sendall(self.body[self.sent : self.sent + n])
        self.sent += n

    def finish(self) -> tuple[int, dict]:
        self.sock.sendall(self.body[self.sent :])
        reply = b""
        while b"\r\n\r\n" not in reply or len(reply.split(b"\r\n\r\n", 1)[1]) < _length(reply):
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            reply += chunk
        self.sock.close()
        head, _, payload = reply.partition(b"\r\n\r\n")
        return int(head.split(b" ")[1]), json.loads(payload or b"null")


def _length(reply: bytes) -> int:
    for line in reply.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 0


def stored(app) -> list[str]:  # type: ignore[no-untyped-def]
    return list(app.extensions["alluvium.store"].iter_objects())


# -- 1. the state holds at commit time ----------------------------------------------------


def test_uploads_streaming_while_the_record_is_published_are_refused(
    factory, producer, app, live_server
) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    original = b"a,b\n1,2\n"
    assert producer.put(f"/api/records/{rid}/draft/files/data.csv", data=original).status_code == 201
    replace = SlowUpload(
        live_server, f"/api/records/{rid}/draft/files/data.csv", producer.token, b"x" * 200_000
    )
    add = SlowUpload(live_server, f"/api/records/{rid}/draft/files/new.csv", producer.token, b"y" * 200_000)
    replace.send(1000)
    add.send(1000)
    time.sleep(0.3)  # both requests passed their first state check and are streaming

    mod = factory.user("mod@example.org", role="moderator", communities=["theia"])
    assert producer.post(f"/api/records/{rid}/draft/actions/submit", json={}).status_code == 202
    mod.post(f"/api/records/{rid}/review/actions/assign", json={})
    assert mod.post(f"/api/records/{rid}/review/actions/accept", json={}).json["state"] == "published"

    for upload in (replace, add):
        status, body = upload.finish()
        assert status == 409, body
        assert "published" in body["message"]
    entries = factory.anonymous().get(f"/api/records/{rid}/files").json["entries"]
    assert [(e["key"], e["checksum"]["sha256"]) for e in entries] == [
        ("data.csv", hashlib.sha256(original).hexdigest())
    ]
    events = producer.get(f"/api/records/{rid}/events").json["hits"]["hits"]
    assert [e["action"] for e in events if e["action"].startswith("file_")] == ["file_add"]


def test_file_changes_are_recorded_in_the_history(producer) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    producer.put(f"/api/records/{rid}/draft/files/a.csv", data=b"one")
    producer.put(f"/api/records/{rid}/draft/files/a.csv", data=b"two")
    producer.delete(f"/api/records/{rid}/draft/files/a.csv")
    events = producer.get(f"/api/records/{rid}/events").json["hits"]["hits"]
    files = [(e["action"], e["data"]) for e in events if e["action"].startswith("file_")]
    one, two = hashlib.sha256(b"one").hexdigest(), hashlib.sha256(b"two").hexdigest()
    assert files == [
        ("file_add", {"key": "a.csv", "sha256": one, "size": 3}),
        ("file_replace", {"key": "a.csv", "sha256": two, "size": 3, "previous_sha256": one}),
        ("file_delete", {"key": "a.csv", "previous_sha256": two}),
    ]
    assert all(e["actor"] == "producer@example.org" for e in events if e["action"].startswith("file_"))


def test_deleting_a_file_of_a_submitted_record_is_refused(producer) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    producer.put(f"/api/records/{rid}/draft/files/a.csv", data=b"one")
    assert producer.post(f"/api/records/{rid}/draft/actions/submit", json={}).status_code == 202
    assert producer.delete(f"/api/records/{rid}/draft/files/a.csv").status_code == 409
    assert [e["key"] for e in producer.get(f"/api/records/{rid}/files").json["entries"]] == ["a.csv"]


# -- 2. no transaction open while a body streams -------------------------------------------


def test_a_slow_upload_does_not_block_other_writers(factory, producer, app, live_server) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    others = [factory.user(f"other{i}@example.org") for i in range(3)]
    upload = SlowUpload(
        live_server, f"/api/records/{rid}/draft/files/slow.bin", producer.token, b"s" * 2_000_000
    )
    stop = threading.Event()

    # The body trickles (1,600 bytes every 0.1 s: it would take two minutes) until the writers
    # are done; only then is the rest sent. So the writers' requests all overlap the stream,
    # however slow the machine is: had the upload held the write lock, they would have waited
    # for SQLite's 30 s busy timeout and failed with "database is locked".
    def trickle() -> None:
        while upload.sent < len(upload.body) - 1600 and not stop.is_set():
            upload.send(1600)
            time.sleep(0.1)

    sender = threading.Thread(target=trickle)
    sender.start()
    try:
        time.sleep(1.2)
        if PG:
            # Nothing sits "idle in transaction" while the body streams: a transaction opened
            # before the body and held across it would have been idle for over a second now.
            assert transactions_held_across(app, 0.6) == []
    except BaseException:
        stop.set()
        sender.join()
        upload.sock.close()
        raise
    timings: list[float] = []
    failures: list[Any] = []

    def write(api) -> None:  # type: ignore[no-untyped-def]
        for _ in range(2):
            t0 = time.monotonic()
            status, body, headers = call(
                live_server,
                "POST",
                "/api/records",
                api.token,
                {"metadata": minimal_example(), "community": "theia"},
            )
            if status != 201:
                failures.append((status, body))
                continue
            status, body, _ = call(
                live_server,
                "PATCH",
                f"/api/records/{body['id']}/draft",
                api.token,
                {"metadata": {"version": "2"}},
                headers={"If-Match": headers["ETag"], "Content-Type": "application/merge-patch+json"},
            )
            if status != 200:
                failures.append((status, body))
            timings.append(time.monotonic() - t0)

    writers = [threading.Thread(target=write, args=(api,)) for api in others]
    for w in writers:
        w.start()
    for w in writers:
        w.join(60)
    still_streaming = upload.sent < len(upload.body) - 1600
    stop.set()
    sender.join()
    status, body = upload.finish()
    assert status == 201, body
    assert failures == []
    assert len(timings) == 6
    # Every write finished while the upload was still streaming. (How fast is the bench's
    # business; under load a write may take seconds, never the 30 s busy timeout.)
    assert still_streaming
    assert max(timings) < 25.0, timings


def test_token_last_used_is_recorded_at_most_once_a_minute(factory, producer, app) -> None:  # type: ignore[no-untyped-def]
    from app.models import ApiToken

    rid = draft(producer)
    with new_session(app) as s:
        first = s.scalars(select(ApiToken.last_used_at)).one()
    assert first is not None
    producer.get(f"/api/records/{rid}/draft")
    with new_session(app) as s:
        assert s.scalars(select(ApiToken.last_used_at)).one() == first


# -- 3. cleanup ------------------------------------------------------------------------------


def _old(app, sha: str, age: float = 3 * 24 * 3600) -> None:  # type: ignore[no-untyped-def]
    # S3 offers no way to backdate an object; its age checks are in tests/test_store_contract.py.
    local_only(app, "the test backdates an object's modification time")
    path = app.extensions["alluvium.store"]._path(sha)
    os.utime(path, (time.time() - age, time.time() - age))


def test_cleanup_spares_a_stored_body_whose_row_is_not_committed_yet(producer, app) -> None:  # type: ignore[no-untyped-def]
    """An upload answered later with 201: the body is stored, the row not yet committed."""
    rid = draft(producer)
    store = app.extensions["alluvium.store"]
    body = b"stored, not yet attached"
    with new_session(app) as s:
        actor = _actor(s, "producer@example.org")
        key = files_svc.check_upload(
            s, actor, rid, "late.csv", content_length=None, max_size=10**6, max_files=10
        )
        s.rollback()
        obj, mimetype = files_svc.store_body(
            store, _Stream(body), key, content_length=None, content_type=None, max_size=10**6
        )
        report = cleanup(lambda: new_session(app), store, delete_unreferenced=True)
        assert report.deleted == [] and report.kept_recent == [obj.sha256]
        files_svc.attach(s, actor, rid, key, obj, mimetype, max_files=10)
        s.commit()
    assert producer.get(f"/api/records/{rid}/files/late.csv").data == body


def test_a_deduplicated_upload_refreshes_the_age_of_an_old_object(producer, app) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    store = app.extensions["alluvium.store"]
    producer.put(f"/api/records/{rid}/draft/files/a.csv", data=b"same bytes")
    producer.delete(f"/api/records/{rid}/draft/files/a.csv")
    sha = hashlib.sha256(b"same bytes").hexdigest()
    _old(app, sha)
    assert store.modified_at(sha) < time.time() - 24 * 3600
    # The same content again, stored but (as far as cleanup can tell) not yet referenced.
    store.put_stream(_Stream(b"same bytes"))
    assert store.modified_at(sha) > time.time() - 60
    report = cleanup(lambda: new_session(app), store, delete_unreferenced=True)
    assert report.deleted == [] and sha in report.kept_recent and store.exists(sha)


def test_cleanup_deletes_old_unreferenced_objects_and_their_rows(producer, app) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    store = app.extensions["alluvium.store"]
    producer.put(f"/api/records/{rid}/draft/files/keep.csv", data=b"keep")
    producer.put(f"/api/records/{rid}/draft/files/drop.csv", data=b"drop")
    producer.delete(f"/api/records/{rid}/draft/files/drop.csv")
    keep, drop = (hashlib.sha256(b).hexdigest() for b in (b"keep", b"drop"))
    _old(app, keep)
    _old(app, drop)
    listed = cleanup(lambda: new_session(app), store)
    assert listed.unreferenced == [drop] and listed.deleted == [] and store.exists(drop)
    report = cleanup(lambda: new_session(app), store, delete_unreferenced=True)
    assert report.deleted == [drop]
    assert not store.exists(drop) and store.exists(keep)
    with new_session(app) as s:
        assert s.get(FileObject, drop) is None and s.get(FileObject, keep) is not None


def test_cleanup_killed_half_way_leaves_no_row_pointing_at_a_deleted_object(producer, app, instance) -> None:  # type: ignore[no-untyped-def]
    local_only(app, "the test backdates an object's modification time")  # before the uploads
    # Enough objects that the kill below (after ~20 deletions) lands with most still to go; the
    # cleanup deletes one object at a time, so more objects would only make the test slower.
    count = 120
    rid = draft(producer)
    store = app.extensions["alluvium.store"]
    with new_session(app) as s:
        actor = _actor(s, "producer@example.org")
        for i in range(count):
            files_svc.upload(
                s,
                actor,
                store,
                rid,
                f"f{i}.bin",
                _Stream(b"%d" % i),
                content_length=None,
                content_type=None,
                max_size=100,
                max_files=1000,
            )
            files_svc.delete(s, actor, rid, f"f{i}.bin")
        s.commit()
    shas = stored(app)
    assert len(shas) == count
    for sha in shas:
        _old(app, sha)
    env = {
        **os.environ,
        "ALLUVIUM_DATABASE_URL": app.config["DATABASE_URL"],
        "ALLUVIUM_STORAGE_PATH": app.config["STORAGE_PATH"],
        "ALLUVIUM_INSTANCE_PATH": str(instance),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from app.cli import main; main()",
            "storage",
            "cleanup",
            "--delete-unreferenced",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline and len(stored(app)) > count - 20 and proc.poll() is None:
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = set(stored(app))
    assert 0 < len(left) < count, "the cleanup was not interrupted half-way; make it slower"
    with new_session(app) as s:
        rows = set(s.scalars(select(FileObject.sha256)).all())
    assert rows <= left, f"{len(rows - left)} row(s) point at deleted objects"


# -- 4. deduplication race -------------------------------------------------------------------


def test_identical_concurrent_uploads_all_succeed(producer, app, live_server) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    body = b"identical content " * 1000
    barrier = threading.Barrier(8)
    results: list[Any] = []

    def put(i: int) -> None:
        barrier.wait()
        results.append(
            call(live_server, "PUT", f"/api/records/{rid}/draft/files/copy{i}.txt", producer.token, body)[:2]
        )

    threads = [threading.Thread(target=put, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(status for status, _ in results) == [201] * 8, results
    assert stored(app) == [hashlib.sha256(body).hexdigest()]
    with new_session(app) as s:
        assert len(s.scalars(select(RecordFile)).all()) == 8
        assert len(s.scalars(select(FileObject)).all()) == 1


# -- helpers -----------------------------------------------------------------------------


class _Stream:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, n: int = -1) -> bytes:
        out, self.data = (self.data, b"") if n < 0 else (self.data[:n], self.data[n:])
        return out


def _actor(session, email: str):  # type: ignore[no-untyped-def]
    from app.models import User
    from app.services.accounts import actor_for

    return actor_for(session.scalars(select(User).where(User.email == email)).one())


def test_object_deleted_by_cleanup_is_stored_again_by_a_later_upload(producer, app) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    store = app.extensions["alluvium.store"]
    producer.put(f"/api/records/{rid}/draft/files/a.csv", data=b"again")
    producer.delete(f"/api/records/{rid}/draft/files/a.csv")
    sha = hashlib.sha256(b"again").hexdigest()
    _old(app, sha)
    assert cleanup(lambda: new_session(app), store, delete_unreferenced=True).deleted == [sha]
    assert producer.put(f"/api/records/{rid}/draft/files/a.csv", data=b"again").status_code == 201
    assert producer.get(f"/api/records/{rid}/files/a.csv").data == b"again"
    assert Path(store._path(sha)).is_file()


def test_a_token_use_never_holds_one_connection_while_waiting_for_a_second(
    factory, app, database_url
) -> None:  # type: ignore[no-untyped-def]
    """Recording a token's first use takes its own short connection. It must give the request's
    connection back first: with a pool of N connections, N concurrent first uses each held one
    and waited for a second until the pool's timeout (every request answered 500). A pool of
    one connection shows it without threads."""
    from datetime import timedelta

    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from app.db import make_engine, utcnow
    from app.models import ApiToken
    from app.services import accounts

    secret = factory.user("one-pool@example.org").token
    stale = utcnow() - timedelta(hours=1)
    with new_session(app) as s:
        s.execute(update(ApiToken).values(last_used_at=stale))
        s.commit()
    engine = make_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=2)
    try:
        with Session(engine, expire_on_commit=False) as s:
            found = accounts.token_user(s, secret)
            assert found is not None and found[0].email == "one-pool@example.org"
            assert "deposit" in found[1]
        with Session(engine) as s:
            used = s.scalars(select(ApiToken.last_used_at).where(ApiToken.user_id == found[0].id)).one()
        assert used > stale
    finally:
        engine.dispose()

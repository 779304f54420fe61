"""Resumable uploads (tus 1.0) against the app served on loopback, driven by ``tuspy`` (an
independent client from PyPI) and by raw sockets for what a client library hides: a cut
connection, a concurrent PATCH, a wrong checksum. Runs on SQLite and PostgreSQL, on the local
store and on S3 (moto on loopback)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from tusclient import client as tus_client
from werkzeug.serving import make_server

from app import create_app
from app.cli import main as cli
from app.db import new_session
from app.models import Event, Upload
from schemas.examples import minimal_example
from tests._s3 import app_on_each_store, moto_endpoint, stored_names  # noqa: F401
from tests.conftest import make_test_config

TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture
def producer(factory):  # type: ignore[no-untyped-def]
    factory.community("theia")
    return factory.user("producer@example.org")


def draft(api) -> str:  # type: ignore[no-untyped-def]
    r = api.post("/api/records", json={"metadata": minimal_example(), "community": "theia"})
    assert r.status_code == 201, r.json
    return r.json["id"]


def auth(api) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {api.token}"}


def meta(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def create(base: str, api, rid: str, key: str, length: int) -> str:  # type: ignore[no-untyped-def]
    r = requests.post(
        f"{base}/api/records/{rid}/draft/uploads",
        headers={**TUS, **auth(api), "Upload-Length": str(length), "Upload-Metadata": meta(filename=key)},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    return base + r.headers["Location"] if r.headers["Location"].startswith("/") else r.headers["Location"]


def head_offset(url: str, api) -> int:  # type: ignore[no-untyped-def]
    r = requests.head(url, headers={**TUS, **auth(api)}, timeout=10)
    assert r.status_code == 200, r.status_code
    return int(r.headers["Upload-Offset"])


def patch(url: str, api, body: bytes, offset: int, **headers: str):  # type: ignore[no-untyped-def]
    return requests.patch(
        url,
        data=body,
        headers={
            **TUS,
            **auth(api),
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": str(offset),
            **headers,
        },
        timeout=30,
    )


def send_partial(url: str, api, body: bytes, announced: int, offset: int = 0) -> socket.socket:  # type: ignore[no-untyped-def]
    """A PATCH announcing ``announced`` bytes of which only ``body`` is sent; the socket stays open."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    head = (
        f"PATCH {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nTus-Resumable: 1.0.0\r\n"
        f"Authorization: Bearer {api.token}\r\nContent-Type: application/offset+octet-stream\r\n"
        f"Upload-Offset: {offset}\r\nContent-Length: {announced}\r\n\r\n"
    )
    sock.sendall(head.encode() + body)
    return sock


def wait_for_offset(url: str, api, expected: int, timeout: float = 10) -> int:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        offset = head_offset(url, api)
        if offset == expected or time.monotonic() > deadline:
            return offset
        time.sleep(0.05)


def files_of(api, rid: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return api.get(f"/api/records/{rid}/files").json["entries"]  # type: ignore[no-any-return]


def part_files(app) -> list[Path]:  # type: ignore[no-untyped-def]
    return sorted(Path(app.extensions["alluvium.uploads_dir"]).glob("*.part"))


def test_tuspy_uploads_in_chunks_with_checksums_into_the_content_addressed_store(
    producer, app, live_server, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    body = os.urandom(1_300_000)
    source = tmp_path / "series.csv"
    source.write_bytes(body)
    client = tus_client.TusClient(f"{live_server}/api/records/{rid}/draft/uploads", headers=auth(producer))
    with source.open("rb") as stream:
        client.uploader(
            file_stream=stream,
            chunk_size=256 * 1024,
            metadata={"filename": "data/2019/series.csv"},
            upload_checksum=True,
        ).upload()

    entries = files_of(producer, rid)
    assert [e["key"] for e in entries] == ["data/2019/series.csv"]
    assert entries[0]["size"] == len(body)
    assert entries[0]["checksum"] == {
        "md5": hashlib.md5(body).hexdigest(),
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    assert entries[0]["mimetype"] == "text/csv"
    store = app.extensions["alluvium.store"]
    sha = hashlib.sha256(body).hexdigest()
    with store.open(sha) as f:
        assert f.read() == body
    assert store.verify(sha) and stored_names(app) == [sha]
    assert part_files(app) == []
    assert producer.get(f"/api/records/{rid}/files/data/2019/series.csv").data == body
    with new_session(app) as s:
        events = s.query(Event).filter_by(record_id=rid, action="file_add").all()
        assert [e.data["sha256"] for e in events] == [sha]
        assert [u.state for u in s.query(Upload)] == ["complete"]


def test_a_cut_connection_resumes_from_the_last_stored_byte_without_rereading_it(
    producer, app, live_server, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    body = os.urandom(3_000_000)
    url = create(live_server, producer, rid, "cut.bin", len(body))
    sent = 1_100_000
    sock = send_partial(url, producer, body[:sent], len(body))
    time.sleep(0.3)
    sock.close()  # the network cut: the server got `sent` bytes of the announced length
    assert wait_for_offset(url, producer, sent) == sent
    # The partial upload is not in the draft.
    assert files_of(producer, rid) == []
    assert "cut.bin" not in json.dumps(producer.get(f"/api/records/{rid}/draft").json)

    # tuspy resumes at the offset the server reports (HEAD) and sends only the rest.
    source = tmp_path / "cut.bin"
    source.write_bytes(body)
    client = tus_client.TusClient(f"{live_server}/api/records/{rid}/draft/uploads", headers=auth(producer))
    with source.open("rb") as stream:
        client.uploader(file_stream=stream, url=url, chunk_size=512 * 1024).upload()

    states = app.extensions["alluvium.upload_states"]
    assert states.bytes_reread == 0  # the hash state was kept: the stored prefix was not read again
    [entry] = files_of(producer, rid)
    assert entry["checksum"]["sha256"] == hashlib.sha256(body).hexdigest()
    assert entry["checksum"]["md5"] == hashlib.md5(body).hexdigest()
    assert app.extensions["alluvium.store"].verify(entry["checksum"]["sha256"])


def test_an_upload_resumes_on_a_restarted_server(
    producer, app, live_server, database_url, instance, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    body = os.urandom(2_000_000)
    url = create(live_server, producer, rid, "restart.nc", len(body))
    assert patch(url, producer, body[:700_000], 0).status_code == 204

    # A second app instance on the same database and store: no hash state in memory.
    second = create_app(
        make_test_config(
            database_url,
            instance,
            **{k: v for k, v in app.config.items() if k.startswith(("S3_", "STORAGE_"))},
        )
    )
    server = make_server("127.0.0.1", 0, second, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        url2 = base + urlsplit(url).path
        assert head_offset(url2, producer) == 700_000
        source = tmp_path / "restart.nc"
        source.write_bytes(body)
        client = tus_client.TusClient(f"{base}/api/records/{rid}/draft/uploads", headers=auth(producer))
        with source.open("rb") as stream:
            client.uploader(file_stream=stream, url=url2, chunk_size=400_000).upload()
        # The state was rebuilt once from the partial file: exactly the stored prefix.
        assert second.extensions["alluvium.upload_states"].bytes_reread == 700_000
    finally:
        server.shutdown()
        thread.join(10)
        second.extensions["alluvium.engine"].dispose()
    [entry] = files_of(producer, rid)
    assert entry["checksum"]["sha256"] == hashlib.sha256(body).hexdigest()
    assert entry["checksum"]["md5"] == hashlib.md5(body).hexdigest()


def test_a_wrong_checksum_is_460_and_stores_nothing(producer, app, live_server) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    body = os.urandom(200_000)
    url = create(live_server, producer, rid, "sum.bin", len(body))
    good = base64.b64encode(hashlib.sha1(body[:100_000]).digest()).decode()
    bad = base64.b64encode(hashlib.sha1(b"other").digest()).decode()
    r = patch(url, producer, body[:100_000], 0, **{"Upload-Checksum": f"sha1 {bad}"})
    assert r.status_code == 460 and r.json()["errors"][0]["field"] == "/Upload-Checksum"
    assert head_offset(url, producer) == 0
    assert [p.stat().st_size for p in part_files(app)] == [0]
    r = patch(url, producer, body[:100_000], 0, **{"Upload-Checksum": f"sha1 {good}"})
    assert r.status_code == 204 and r.headers["Upload-Offset"] == "100000"
    r = patch(url, producer, body[100_000:], 100_000, **{"Upload-Checksum": "crc32 AAAA"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "/Upload-Checksum"
    sha256 = base64.b64encode(hashlib.sha256(body[100_000:]).digest()).decode()
    r = patch(url, producer, body[100_000:], 100_000, **{"Upload-Checksum": f"sha256 {sha256}"})
    assert r.status_code == 204 and r.headers["Upload-Sha256"] == hashlib.sha256(body).hexdigest()


def test_termination_removes_the_upload_and_its_data(producer, app, live_server) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    url = create(live_server, producer, rid, "gone.bin", 1000)
    assert patch(url, producer, b"x" * 400, 0).status_code == 204
    assert len(part_files(app)) == 1
    r = requests.delete(url, headers={**TUS, **auth(producer)}, timeout=10)
    assert r.status_code == 204
    assert requests.head(url, headers={**TUS, **auth(producer)}, timeout=10).status_code == 404
    assert patch(url, producer, b"x" * 600, 400).status_code == 404
    assert part_files(app) == [] and files_of(producer, rid) == []


def test_abandoned_uploads_expire_and_are_cleaned_by_the_command(producer, app, live_server) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    app.config["UPLOAD_EXPIRY_SECONDS"] = 1
    url = create(live_server, producer, rid, "old.bin", 1000)
    r = patch(url, producer, b"x" * 300, 0)
    assert r.status_code == 204 and "GMT" in r.headers["Upload-Expires"]
    app.config["UPLOAD_EXPIRY_SECONDS"] = 3600
    fresh = create(live_server, producer, rid, "fresh.bin", 1000)
    # A partial file nobody names (its row went with a crash before the commit), old enough.
    orphan = Path(app.extensions["alluvium.uploads_dir"]) / ("f" * 32 + ".part")
    orphan.write_bytes(b"lost")
    os.utime(orphan, (time.time() - 3 * 86400, time.time() - 3 * 86400))
    time.sleep(1.2)

    assert requests.head(url, headers={**TUS, **auth(producer)}, timeout=10).status_code == 410
    assert patch(url, producer, b"x" * 700, 300).status_code == 410
    result = app.test_cli_runner().invoke(
        cli,
        ["storage", "expire-uploads"],
        env={
            "ALLUVIUM_DATABASE_URL": app.config["DATABASE_URL"],
            **{
                f"ALLUVIUM_{k}": v
                for k, v in app.config.items()
                if k.startswith(("S3_", "STORAGE_B")) and isinstance(v, str)
            },
        },
    )
    assert result.exit_code == 0, result.output
    assert "1 expired upload(s) removed, 1 orphaned partial file(s) removed" in result.output
    assert requests.head(url, headers={**TUS, **auth(producer)}, timeout=10).status_code == 404
    assert [p.name for p in part_files(app)] == [fresh.rsplit("/", 1)[-1] + ".part"]
    assert head_offset(fresh, producer) == 0
    assert files_of(producer, rid) == []


def test_the_periodic_expiry_removes_abandoned_uploads(producer, app, live_server) -> None:  # type: ignore[no-untyped-def]
    from app.jobs_runtime import expire_uploads

    rid = draft(producer)
    app.config["UPLOAD_EXPIRY_SECONDS"] = 0
    url = create(live_server, producer, rid, "old.bin", 10)
    expire_uploads(app)
    assert part_files(app) == []
    with new_session(app) as s:
        assert s.get(Upload, url.rsplit("/", 1)[-1]) is None


def test_size_limit_and_quotas_are_413_naming_the_limit_before_anything_is_stored(
    factory, producer, app, live_server
) -> None:  # type: ignore[no-untyped-def]
    a, b = draft(producer), draft(producer)
    app.config["MAX_FILE_SIZE"] = 5000
    app.config["MAX_DRAFT_SIZE"] = 3000
    app.config["MAX_USER_UPLOAD_SIZE"] = 4000

    def try_create(rid: str, key: str, length: int):  # type: ignore[no-untyped-def]
        return requests.post(
            f"{live_server}/api/records/{rid}/draft/uploads",
            headers={
                **TUS,
                **auth(producer),
                "Upload-Length": str(length),
                "Upload-Metadata": meta(filename=key),
            },
            timeout=10,
        )

    r = try_create(a, "huge.bin", 6000)
    assert r.status_code == 413 and "MAX_FILE_SIZE" in r.json()["message"]
    r = try_create(a, "big.bin", 3500)
    assert r.status_code == 413 and "MAX_DRAFT_SIZE" in r.json()["message"]
    assert producer.put(f"/api/records/{a}/draft/files/one.bin", data=b"1" * 2500).status_code == 201
    # An open upload counts with its announced length.
    assert try_create(b, "two.bin", 1000).status_code == 201
    r = try_create(b, "three.bin", 600)
    assert r.status_code == 413 and "MAX_USER_UPLOAD_SIZE" in r.json()["message"], r.json()
    assert r.json()["errors"][0]["field"] == "/size"
    # The single PUT is held to the same limit and quotas.
    r = producer.put(f"/api/records/{b}/draft/files/huge.bin", data=b"h" * 6000)
    assert r.status_code == 413 and "MAX_FILE_SIZE" in r.json["message"]
    assert r.json["errors"][0]["field"] == "/size"
    r = producer.put(f"/api/records/{b}/draft/files/three.bin", data=b"3" * 600)
    assert r.status_code == 413 and "MAX_USER_UPLOAD_SIZE" in r.json["message"]
    r = producer.put(f"/api/records/{a}/draft/files/more.bin", data=b"4" * 600)
    assert r.status_code == 413 and "MAX_DRAFT_SIZE" in r.json["message"]
    # Replacing a file frees its old size.
    assert producer.put(f"/api/records/{a}/draft/files/one.bin", data=b"5" * 2900).status_code == 200
    assert len(part_files(app)) == 1  # only the accepted upload's
    with new_session(app) as s:
        assert s.query(Upload).count() == 1


def test_protocol_errors_are_clear_and_store_nothing(factory, producer, app, live_server) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    base = f"{live_server}/api/records/{rid}/draft/uploads"
    options = requests.options(base, timeout=10)
    assert options.status_code == 204 and options.headers["Tus-Version"] == "1.0.0"
    assert set(options.headers["Tus-Extension"].split(",")) == {
        "creation",
        "termination",
        "checksum",
        "expiration",
    }
    hdrs = {**auth(producer), "Upload-Length": "10", "Upload-Metadata": meta(filename="a.bin")}
    r = requests.post(base, headers=hdrs, timeout=10)
    assert r.status_code == 412 and r.json()["errors"][0]["field"] == "/Tus-Resumable"
    for bad, field in [
        ({"Upload-Length": "-1"}, "/Upload-Length"),
        ({"Upload-Length": "ten"}, "/Upload-Length"),
        ({"Upload-Metadata": meta(title="x")}, "/Upload-Metadata"),
        ({"Upload-Metadata": "filename !!!"}, "/Upload-Metadata"),
        ({"Upload-Metadata": meta(filename="../etc/passwd")}, "/key"),
        ({"Upload-Metadata": meta(filename="evil\u202etxt.exe")}, "/key"),
    ]:
        r = requests.post(base, headers={**TUS, **hdrs, **bad}, timeout=10)
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == field, (bad, r.text)
    assert requests.post(base, headers={**TUS, "Upload-Length": "10"}, timeout=10).status_code == 401
    reader = factory.user("reader@example.org", scopes=["read"])
    assert requests.post(base, headers={**TUS, **hdrs, **auth(reader)}, timeout=10).status_code == 403
    stranger = factory.user("stranger@example.org")
    assert requests.post(base, headers={**TUS, **hdrs, **auth(stranger)}, timeout=10).status_code == 403

    url = create(live_server, producer, rid, "a.bin", 10)
    r = requests.patch(url, data=b"x", headers={**TUS, **auth(producer), "Upload-Offset": "0"}, timeout=10)
    assert r.status_code == 415 and r.json()["errors"][0]["field"] == "/Content-Type"
    r = patch(url, producer, b"x" * 3, 5)
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "/Upload-Offset"
    r = patch(url, producer, b"x" * 11, 0)
    assert r.status_code == 413 and r.json()["errors"][0]["field"] == "/Content-Length"
    # Someone else's upload does not exist for them.
    assert requests.head(url, headers={**TUS, **auth(stranger)}, timeout=10).status_code in (403, 404)
    assert patch(url, stranger, b"x", 0).status_code in (403, 404)
    assert head_offset(url, producer) == 0

    # Once the draft is submitted, no upload completes into it.
    assert patch(url, producer, b"x" * 4, 0).status_code == 204
    etag = producer.get(f"/api/records/{rid}/draft").headers["ETag"]
    assert producer.post(
        f"/api/records/{rid}/draft/actions/submit", json={}, headers={"If-Match": etag}
    ).status_code in (200, 202)
    assert patch(url, producer, b"x" * 6, 4).status_code == 409
    assert create_status(base, producer) == 409
    assert files_of(producer, rid) == []


def create_status(base: str, api) -> int:  # type: ignore[no-untyped-def]
    return requests.post(  # type: ignore[no-any-return]
        base,
        headers={**TUS, **auth(api), "Upload-Length": "10", "Upload-Metadata": meta(filename="b.bin")},
        timeout=10,
    ).status_code


def test_a_concurrent_patch_on_the_same_upload_is_refused_with_423(producer, app, live_server) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    body = os.urandom(400_000)
    url = create(live_server, producer, rid, "race.bin", len(body))
    sock = send_partial(url, producer, body[:100_000], 200_000)  # holds the upload's lock
    time.sleep(0.3)
    r = patch(url, producer, body[:200_000], 0)
    assert r.status_code == 423
    sock.sendall(body[100_000:200_000])
    reply = sock.recv(4096).decode()
    sock.close()
    assert reply.startswith("HTTP/1.1 204") and "Upload-Offset: 200000" in reply
    assert patch(url, producer, body[200_000:], 200_000).status_code == 204
    [entry] = files_of(producer, rid)
    assert entry["checksum"]["sha256"] == hashlib.sha256(body).hexdigest()


def test_cookie_sessions_need_the_csrf_token(factory, producer, app, client) -> None:  # type: ignore[no-untyped-def]
    from tests.test_security_auth import page_token, sign_in

    rid = draft(producer)
    sign_in(client, "producer@example.org")
    hdrs = {**TUS, "Upload-Length": "10", "Upload-Metadata": meta(filename="c.bin")}
    r = client.post(f"/api/records/{rid}/draft/uploads", headers=hdrs)
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "/X-CSRFToken"
    csrf = page_token(client, "/me")
    r = client.post(f"/api/records/{rid}/draft/uploads", headers={**hdrs, "X-CSRFToken": csrf})
    assert r.status_code == 201, r.json

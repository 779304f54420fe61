"""Record files over HTTP: streamed upload, limits, interruption, dedupe, download features."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import socket
import time

import pytest

from schemas.examples import minimal_example
from tests._s3 import app_on_each_store, moto_endpoint, stored_names  # noqa: F401


@pytest.fixture
def producer(factory):  # type: ignore[no-untyped-def]
    factory.community("theia")
    return factory.user("producer@example.org")


def draft(api, **md):  # type: ignore[no-untyped-def]
    r = api.post("/api/records", json={"metadata": minimal_example() | md, "community": "theia"})
    assert r.status_code == 201, r.json
    return r.json["id"]


def stored_objects(app) -> list[str]:  # type: ignore[no-untyped-def]
    return stored_names(app)


def test_upload_lists_checksums_and_downloads_with_range_etag_digest(producer, app) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    body = bytes(range(256)) * 4096  # 1 MiB, several chunks
    r = producer.put(f"/api/records/{rid}/draft/files/raster/dem.tif", data=body)
    assert r.status_code == 201
    listing = producer.get(f"/api/records/{rid}/files").json
    entry = listing["entries"][0]
    assert entry["key"] == "raster/dem.tif" and entry["size"] == len(body)
    assert entry["checksum"]["sha256"] == hashlib.sha256(body).hexdigest()
    assert entry["checksum"]["md5"] == hashlib.md5(body).hexdigest()
    assert entry["mimetype"] == "image/tiff"
    assert listing["total_bytes"] == len(body)

    url = f"/api/records/{rid}/files/raster/dem.tif"
    full = producer.get(url)
    assert full.status_code == 200 and full.data == body
    assert full.headers["ETag"].strip('"') == hashlib.sha256(body).hexdigest()
    sha_b64 = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert f"sha-256={sha_b64}" in full.headers["Digest"]
    part = producer.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == body[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(body)}"
    cached = producer.get(url, headers={"If-None-Match": full.headers["ETag"]})
    assert cached.status_code == 304


def test_identical_content_is_stored_once(producer, app) -> None:  # type: ignore[no-untyped-def]
    a, b = draft(producer), draft(producer)
    body = b"same bytes\n" * 1000
    assert producer.put(f"/api/records/{a}/draft/files/one.csv", data=body).status_code == 201
    assert producer.put(f"/api/records/{b}/draft/files/two.csv", data=body).status_code == 201
    assert producer.put(f"/api/records/{a}/draft/files/one.csv", data=body).status_code == 200  # replace
    assert stored_objects(app) == [hashlib.sha256(body).hexdigest()]


def test_oversized_upload_gets_413_and_stores_nothing(producer, app) -> None:  # type: ignore[no-untyped-def]
    app.config["MAX_FILE_SIZE"] = 1000
    rid = draft(producer)
    r = producer.put(f"/api/records/{rid}/draft/files/big.bin", data=b"x" * 5000)
    assert r.status_code == 413 and "1000" in r.json["message"]
    assert stored_objects(app) == []
    assert producer.get(f"/api/records/{rid}/files").json["entries"] == []


def test_chunked_upload_without_length_is_cut_at_the_limit(producer, app, live_server) -> None:  # type: ignore[no-untyped-def]
    app.config["MAX_FILE_SIZE"] = 100_000
    rid = draft(producer)
    conn = http.client.HTTPConnection(live_server.removeprefix("http://"), timeout=30)
    body = (b"y" * 50_000 for _ in range(5))  # a generator: http.client sends it chunked
    conn.request(
        "PUT",
        f"/api/records/{rid}/draft/files/big.bin",
        body=body,
        headers={"Authorization": f"Bearer {producer.token}"},
        encode_chunked=True,
    )
    response = conn.getresponse()
    assert response.status == 413
    conn.close()
    assert stored_objects(app) == []
    ok = http.client.HTTPConnection(live_server.removeprefix("http://"), timeout=30)
    ok.request(
        "PUT",
        f"/api/records/{rid}/draft/files/small.bin",
        body=(b"z" * 1000 for _ in range(3)),
        headers={"Authorization": f"Bearer {producer.token}"},
        encode_chunked=True,
    )
    assert ok.getresponse().status == 201
    ok.close()
    sizes = [e["size"] for e in producer.get(f"/api/records/{rid}/files").json["entries"]]
    assert sizes == [3000]


def test_checksum_header_mismatch_stores_nothing(producer, app) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    r = producer.put(f"/api/records/{rid}/draft/files/a.txt", data=b"hello", headers={"Content-MD5": wrong})
    assert r.status_code == 400 and "md5" in r.json["message"].lower()
    assert stored_objects(app) == []
    right = base64.b64encode(hashlib.sha256(b"hello").digest()).decode()
    r = producer.put(
        f"/api/records/{rid}/draft/files/a.txt", data=b"hello", headers={"Digest": f"sha-256={right}"}
    )
    assert r.status_code == 201


@pytest.mark.parametrize("key", ["../etc/passwd", "a//b", "./x", "a/../b", "tab%09here", "nul%00byte"])
def test_bad_file_names_are_refused(producer, key) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    r = producer.put(f"/api/records/{rid}/draft/files/{key}", data=b"x")
    assert r.status_code in (400, 404)
    if r.status_code == 400:
        assert r.json["errors"][0]["field"] == "/key"


def test_delete_file_while_draft(producer) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    producer.put(f"/api/records/{rid}/draft/files/a.txt", data=b"a")
    assert producer.delete(f"/api/records/{rid}/draft/files/a.txt").status_code == 204
    assert producer.delete(f"/api/records/{rid}/draft/files/a.txt").status_code == 404
    assert producer.get(f"/api/records/{rid}/files").json["entries"] == []


def _publish(factory, producer, rid):  # type: ignore[no-untyped-def]
    mod = factory.user("mod@example.org", role="moderator", communities=["theia"])
    assert producer.post(f"/api/records/{rid}/draft/actions/submit", json={}).status_code == 202
    mod.post(f"/api/records/{rid}/review/actions/assign", json={})
    assert mod.post(f"/api/records/{rid}/review/actions/accept", json={}).json["state"] == "published"


@pytest.mark.parametrize(
    "rights,public",
    [
        ({"access_level": "open"}, True),
        ({"access_level": "restricted"}, False),
        ({"access_level": "metadata_only"}, False),
        ({"access_level": "embargoed", "embargo_until": "2999-01-01"}, False),
        ({"access_level": "embargoed", "embargo_until": "2001-01-01"}, True),
    ],
)
def test_access_levels_govern_downloads(factory, producer, rights, public) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer, rights=rights)
    producer.put(f"/api/records/{rid}/draft/files/data.csv", data=b"a,b\n")
    _publish(factory, producer, rid)
    anon = factory.anonymous()
    assert anon.get(f"/api/records/{rid}").status_code == 200  # metadata is always public
    r = anon.get(f"/api/records/{rid}/files/data.csv")
    assert r.status_code == (200 if public else 403)
    assert producer.get(f"/api/records/{rid}/files/data.csv").status_code == 200  # the owner always


def test_draft_files_are_private(factory, producer) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    producer.put(f"/api/records/{rid}/draft/files/a.txt", data=b"secret")
    other = factory.user("other@example.org")
    assert other.get(f"/api/records/{rid}/files").status_code == 403
    assert other.get(f"/api/records/{rid}/files/a.txt").status_code == 403
    assert factory.anonymous().get(f"/api/records/{rid}/files/a.txt").status_code == 401


def test_interrupted_upload_over_a_real_socket_leaves_nothing(producer, app, live_server) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    host, port = live_server.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    head = (
        f"PUT /api/records/{rid}/draft/files/cut.bin HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {producer.token}\r\nContent-Length: 10000000\r\n\r\n"
    )
    sock.sendall(head.encode() + b"z" * 300_000)
    sock.shutdown(socket.SHUT_WR)  # the client goes away mid-body
    sock.settimeout(10)
    reply = b""
    try:
        reply = sock.recv(1000)
    except OSError:
        pass
    sock.close()
    if reply:
        assert b" 400 " in reply.split(b"\r\n")[0]
    deadline = time.time() + 10
    while time.time() < deadline and stored_objects(app):
        time.sleep(0.05)
    assert stored_objects(app) == []
    assert producer.get(f"/api/records/{rid}/files").json["entries"] == []


# -- integrity headers, file names, media types, links ----------------------------------------


@pytest.mark.parametrize(
    "header,value",
    [
        ("Content-MD5", base64.b64encode(b"short").decode()),  # decodes to 5 bytes, not 16
        ("Content-MD5", "not base64!"),
        ("Content-MD5", "ÿÿÿÿ"),  # non-ASCII
        ("Content-MD5", ""),
        ("Digest", "sha-256=" + base64.b64encode(b"x" * 20).decode()),  # 20 bytes, not 32
        ("Digest", "md5=" + base64.b64encode(b"x" * 32).decode()),
        ("Digest", "sha-256=%%%"),
        ("Digest", "sha-256"),
    ],
)
def test_malformed_digest_headers_are_a_400_naming_the_header(producer, app, header, value) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    r = producer.put(f"/api/records/{rid}/draft/files/a.txt", data=b"hello", headers={header: value})
    assert r.status_code == 400, r.json
    assert r.json["errors"][0]["field"] == f"/{header}"
    assert stored_objects(app) == []


@pytest.mark.parametrize(
    "char", ["\u202e", "\u202a", "\u2066", "\u2069", "\u200b", "\u200f", "\ufeff", "\u00ad", "\u2028", "\x7f"]
)
def test_keys_with_invisible_or_direction_characters_are_refused(producer, app, char) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import quote

    rid = draft(producer)
    r = producer.put(f"/api/records/{rid}/draft/files/{quote('evil' + char + 'csv.exe')}", data=b"x")
    assert r.status_code == 400
    assert (
        r.json["errors"][0]["field"] == "/key" and f"U+{ord(char):04X}" in r.json["errors"][0]["messages"][0]
    )
    assert stored_objects(app) == []


def test_lone_surrogates_in_keys_are_refused() -> None:
    from app.services.errors import InvalidInput
    from app.services.files import check_key

    with pytest.raises(InvalidInput) as err:
        check_key("data\ud800.csv")
    assert err.value.errors[0].field == "/key"


def test_keys_are_normalised_to_nfc(producer) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import quote

    rid = draft(producer)
    decomposed, composed = "cafe\u0301.csv", "caf\u00e9.csv"
    assert producer.put(f"/api/records/{rid}/draft/files/{quote(decomposed)}", data=b"1").status_code == 201
    assert producer.put(f"/api/records/{rid}/draft/files/{quote(composed)}", data=b"2").status_code == 200
    assert [e["key"] for e in producer.get(f"/api/records/{rid}/files").json["entries"]] == [composed]
    assert producer.get(f"/api/records/{rid}/files/{quote(decomposed)}").data == b"2"


NETCDF3 = b"CDF\x01\x00\x00\x00\x00" + b"\x00" * 100
HDF5 = b"\x89HDF\r\n\x1a\n" + b"\x00" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


@pytest.mark.parametrize(
    "key,body,sent,expected",
    [
        ("sst.nc", NETCDF3, "application/x-www-form-urlencoded", "application/x-netcdf"),  # curl default
        ("sst.bin", NETCDF3, "application/octet-stream", "application/x-netcdf"),  # sniffed
        ("sst.nc", HDF5, "multipart/form-data", "application/x-netcdf"),  # netCDF-4
        ("grid.h5", HDF5, None, "application/x-hdf5"),
        ("figure.dat", PNG, "text/plain", "image/png"),
        ("dem.tif", b"II*\x00" + b"\x00" * 20, "application/x-www-form-urlencoded", "image/tiff"),
        ("a.zip", b"PK\x03\x04" + b"\x00" * 30, None, "application/zip"),
        ("a.csv.gz", b"\x1f\x8b\x08" + b"\x00" * 20, None, "application/gzip"),
        ("report.pdf", b"%PDF-1.7\n", "application/x-www-form-urlencoded", "application/pdf"),
        ("table.csv", b"a,b\n1,2\n", "application/x-www-form-urlencoded", "text/csv"),
        ("table.csv", b"a,b\n1,2\n", "text/plain", "text/csv"),
        ("area.geojson", b'{"type": "Feature"}', "application/octet-stream", "application/geo+json"),
        ("README", b"hello", "text/plain; charset=utf-8", "text/plain"),
        ("README", b"hello", "application/x-www-form-urlencoded", "application/octet-stream"),
        ("points.json", b"{}", "application/ld+json", "application/ld+json"),
    ],
)
def test_media_type_comes_from_content_and_name_not_generic_client_types(
    producer, key, body, sent, expected
) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    headers = {"Content-Type": sent} if sent else {}
    r = producer.put(f"/api/records/{rid}/draft/files/{key}", data=body, headers=headers)
    assert r.status_code == 201 and r.json["mimetype"] == expected


def test_landing_page_links_published_files_to_the_public_url(factory, producer, client) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    producer.put(f"/api/records/{rid}/draft/files/data.csv", data=b"a,b\n")
    owner_page = client.get(f"/records/{rid}/preview", headers={"Authorization": f"Bearer {producer.token}"})
    assert f"/api/records/{rid}/draft/files/data.csv" in owner_page.text  # the owner's draft
    _publish(factory, producer, rid)
    page = factory.anonymous().get(f"/records/{rid}")
    assert f'href="/api/records/{rid}/files/data.csv"' in page.text
    assert "/draft/files/" not in page.text
    doc = factory.anonymous().get(f"/records/{rid}", headers={"Accept": "application/json"}).json
    assert doc["links"]["files"] == f"http://alluvium.test/api/records/{rid}/files"


def test_downloads_answer_conditional_and_unsatisfiable_ranges_on_every_store(producer, app) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    body = os.urandom(3 * 1024 * 1024 + 17)  # several 1 MiB chunks and a short tail
    assert producer.put(f"/api/records/{rid}/draft/files/grid/t2m.nc", data=body).status_code == 201
    url = f"/api/records/{rid}/files/grid/t2m.nc"
    full = producer.get(url)
    assert full.status_code == 200 and full.data == body
    assert full.headers["Content-Length"] == str(len(body))
    assert (
        "t2m.nc" in full.headers["Content-Disposition"]
        and "attachment" in full.headers["Content-Disposition"]
    )
    tail = producer.get(url, headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.data == body[-100:]
    middle = producer.get(url, headers={"Range": f"bytes={2**20 - 5}-{2**20 + 4}"})
    assert middle.status_code == 206 and middle.data == body[2**20 - 5 : 2**20 + 5]
    beyond = producer.get(url, headers={"Range": f"bytes={len(body) + 10}-"})
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{len(body)}"
    stale = producer.get(url, headers={"Range": "bytes=0-9", "If-Range": '"not-the-etag"'})
    assert stale.status_code == 200 and stale.data == body
    assert producer.get(url, headers={"If-None-Match": full.headers["ETag"]}).status_code == 304


def test_s3_downloads_can_redirect_to_a_short_lived_presigned_url(producer, app) -> None:  # type: ignore[no-untyped-def]
    import requests

    if app.config["STORAGE_BACKEND"] != "s3":
        pytest.skip("presigned URLs exist on the S3 store only")
    app.config["S3_PRESIGNED_DOWNLOADS"] = True
    rid = draft(producer)
    body = os.urandom(100_000)
    assert producer.put(f"/api/records/{rid}/draft/files/obs/buoys.csv", data=body).status_code == 201
    r = producer.get(f"/api/records/{rid}/files/obs/buoys.csv")
    assert r.status_code == 302
    location = r.headers["Location"]
    assert "X-Amz-Expires=300" in location or "Expires=" in location
    fetched = requests.get(location, timeout=10)
    assert fetched.status_code == 200 and fetched.content == body
    assert "buoys.csv" in fetched.headers["Content-Disposition"]
    ranged = requests.get(location, headers={"Range": "bytes=10-19"}, timeout=10)
    assert ranged.status_code == 206 and ranged.content == body[10:20]
    # Access is checked before any URL is handed out.
    stranger = producer.__class__(producer.client, None)
    assert stranger.get(f"/api/records/{rid}/files/obs/buoys.csv").status_code in (401, 403, 404)


def test_presigned_s3_downloads_of_published_files_are_counted(factory, producer, app) -> None:  # type: ignore[no-untyped-def]
    """With S3 presigned downloads the app answers 302 and the object store sends the bytes:
    the hand-off is what COUNTER can count (once per double-click window)."""
    from sqlalchemy import func, select

    from app.db import new_session
    from app.models import UsageEvent

    if app.config["STORAGE_BACKEND"] != "s3":
        pytest.skip("presigned URLs exist on the S3 store only")
    app.config["S3_PRESIGNED_DOWNLOADS"] = True
    rid = draft(producer)
    assert producer.put(f"/api/records/{rid}/draft/files/a.csv", data=b"x,y\n1,2\n").status_code == 201
    assert producer.get(f"/api/records/{rid}/files/a.csv").status_code == 302  # draft: not counted
    _publish(factory, producer, rid)
    anyone = factory.anonymous()
    assert anyone.get(f"/api/records/{rid}/files/a.csv").status_code == 302
    assert anyone.get(f"/api/records/{rid}/files/a.csv", headers={"Range": "bytes=0-1"}).status_code == 302
    with new_session(app) as s:
        events = s.scalars(select(UsageEvent).where(UsageEvent.record_id == rid)).all()
        assert [e.metric for e in events] == ["request"]
        assert s.scalar(select(func.count()).select_from(UsageEvent)) == 1

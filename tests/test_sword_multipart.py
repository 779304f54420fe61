# ruff: noqa: F811 - test arguments named after the imported 'sword' fixture
"""SWORD 2.0 multipart deposits (§6.3.2 create, §6.5.3 replace, §6.7.3 add): the Atom entry and
the media part in one ``multipart/related`` request, all or nothing.

Driven over real HTTP on loopback (``live_server``) by the ``sword2`` client from PyPI and by
raw HTTP for hostile bodies. The sword2 0.3 multipart builder (``sword2.utils.
create_multipart_related``) cannot run on Python 3 (it hashes a ``str`` and joins ``bytes`` with
``str``: a TypeError before any request, checked below); the client test replaces only that
builder by a Python 3 port that emits the same bytes (boundary form, part headers, base64 of both
parts, as upstream), and uses the client's own ``create``/``update`` for everything else. Nothing
of ours is mocked.
"""

from __future__ import annotations

import base64
import hashlib
import io
import socket
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from app.db import new_session
from app.models import Record, RecordFile
from tests.test_sword import (
    BAGIT,
    BINARY,
    SIMPLEZIP,
    connection,
    entry,
    http,
    make_bag,
    nothing_stored,
    rest,
    sword,  # noqa: F401 - the live-server fixture, used by name
    sword_error,
    user_records,
    zip_bytes,
    zip_folder,
)

sword2 = pytest.importorskip("sword2", reason="install it with: pip install --no-deps sword2")

CSV = b"date,moisture\n2024-01-01,0.31\n"


def _py3_create_multipart_related(payloads: list[dict[str, Any]]) -> tuple[str, bytes]:
    """sword2 0.3's ``create_multipart_related`` with only its Python 2 string handling fixed."""
    bhash = hashlib.md5(datetime.now().isoformat().encode()).hexdigest()
    boundary = f"==========={bhash}_$"
    body: list[bytes] = []
    for payload in payloads:
        body.append(("--" + boundary).encode())
        body.append(("Content-Type: {}".format(payload["type"])).encode())
        if payload.get("filename"):
            body.append(('Content-Disposition: attachment; name="{key}"; filename="{filename}"'.format(**payload)).encode())
        else:
            body.append(('Content-Disposition: attachment; name="{key}"'.format(**payload)).encode())
        for f, v in payload.get("headers", {}).items():
            body.append(f"{f}: {v}".encode())
        body.append(b"MIME-Version: 1.0")
        if payload["key"] == "payload":
            body.append(b"Content-Transfer-Encoding: base64")
        body.append(b"")
        data = payload["data"].read() if hasattr(payload["data"], "read") else payload["data"]
        body.append(base64.b64encode(data if isinstance(data, bytes) else data.encode()))
    body.append(("--" + boundary + "--").encode())
    body.append(b"")
    return f'multipart/related; boundary="{boundary}"', b"\r\n".join(body)


def test_the_upstream_sword2_multipart_builder_fails_on_python_3() -> None:
    with pytest.raises(TypeError):
        sword2.utils.create_multipart_related(
            [{"key": "atom", "type": "application/atom+xml", "data": "<entry/>"}]
        )


@pytest.fixture
def fixed_client(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sword2.connection, "create_multipart_related", _py3_create_multipart_related)


def multipart_body(
    parts: list[tuple[dict[str, str], bytes]], boundary: str = "b0undary-42"
) -> tuple[str, bytes]:
    out = io.BytesIO()
    out.write(b"preamble ignored\r\n")
    for headers, data in parts:
        out.write(f"--{boundary}\r\n".encode())
        for k, v in headers.items():
            out.write(f"{k}: {v}\r\n".encode())
        out.write(b"\r\n" + data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return f'multipart/related; boundary="{boundary}"; type="application/atom+xml"', out.getvalue()


def atom_part(title: str = "Soil moisture at Lusignan") -> tuple[dict[str, str], bytes]:
    return (
        {"Content-Type": 'application/atom+xml; charset="utf-8"', "Content-Disposition": 'attachment; name="atom"'},
        str(entry(title)).encode(),
    )


def payload_part(
    data: bytes = CSV, filename: str = "moisture.csv", packaging: str = BINARY, **extra: str
) -> tuple[dict[str, str], bytes]:
    headers = {
        "Content-Type": "text/csv",
        "Content-Disposition": f"attachment; name=payload; filename={filename}",
        "Packaging": packaging,
        **extra,
    }
    return headers, data


def post(  # type: ignore[no-untyped-def]
    env: dict[str, Any], path: str, content_type: str, body: bytes, method: str = "POST", who: str = "producer",
    **headers: str,
):
    return http(
        env, method, path, who, data=body, headers={"Content-Type": content_type, "In-Progress": "true", **headers}
    )


def files_of(env: dict[str, Any], record_id: str) -> list[tuple[str, str]]:
    listing = rest(env, "GET", f"/api/records/{record_id}/files").json()
    return sorted((e["key"], e["checksum"]["sha256"]) for e in listing["entries"])


# -- the client -------------------------------------------------------------------------------


def test_service_document_advertises_multipart(sword) -> None:  # type: ignore[no-untyped-def]
    conn = connection(sword)
    conn.get_service_document()
    collections = [c for _, cs in conn.workspaces for c in cs]
    assert collections and all(c.accept_multipart == ["*/*"] for c in collections)


def test_sword2_creates_with_a_multipart_deposit_then_adds_and_replaces(sword, fixed_client) -> None:  # type: ignore[no-untyped-def]
    conn = connection(sword)
    conn.get_service_document()
    theia = next(c for _, cs in conn.workspaces for c in cs if c.href.endswith("/theia"))
    receipt = conn.create(
        col_iri=theia.href,
        metadata_entry=entry("Multipart title"),
        payload=CSV,
        mimetype="text/csv",
        filename="moisture.csv",
        packaging=BINARY,
        in_progress=True,
    )
    assert receipt.code == 201 and receipt.valid
    record_id = receipt.edit.rsplit("/", 1)[1]
    draft = rest(sword, "GET", f"/api/records/{record_id}/draft").json()
    assert draft["metadata"]["titles"] == [{"text": "Multipart title"}]
    assert draft["review"]["community"] == "theia"
    assert files_of(sword, record_id) == [("moisture.csv", hashlib.sha256(CSV).hexdigest())]

    # §6.5.3: PUT to the Edit-IRI replaces the metadata and the files (the client's update()).
    zipped = zip_bytes({"a.txt": b"alpha", "sub/b.txt": b"beta"})
    updated = conn.update(
        dr=receipt,
        metadata_entry=entry("Replaced title"),
        payload=zipped,
        mimetype="application/zip",
        filename="pkg.zip",
        packaging=SIMPLEZIP,
        in_progress=True,
    )
    assert updated.code == 200
    draft = rest(sword, "GET", f"/api/records/{record_id}/draft").json()
    assert draft["metadata"]["titles"] == [{"text": "Replaced title"}]
    assert [k for k, _ in files_of(sword, record_id)] == ["a.txt", "sub/b.txt"]

    completed = conn.complete_deposit(dr=receipt)
    assert completed.code == 200
    assert rest(sword, "GET", f"/api/records/{record_id}/draft").json()["state"] == "submitted"


# -- raw HTTP: well-formed variants -------------------------------------------------------------


def test_raw_multipart_create_with_a_bag_and_a_right_part_md5(sword, app) -> None:  # type: ignore[no-untyped-def]
    bag = zip_folder(make_bag(sword["tmp"], {"data.csv": CSV}))
    ctype, body = multipart_body(
        [atom_part("Bagged"), payload_part(bag, "bag.zip", BAGIT, **{"Content-MD5": hashlib.md5(bag).hexdigest()})]
    )
    r = post(sword, "/sword/collection/theia", ctype, body)
    assert r.status_code == 201, r.text
    (hit,) = user_records(sword)
    assert [f["key"] for f in hit["files"]] == ["data.csv"]
    with new_session(app) as s:
        assert s.query(Record).one().metadata_["titles"] == [{"text": "Bagged"}]


def test_post_multipart_to_the_edit_iri_adds_metadata_and_a_file(sword) -> None:  # type: ignore[no-untyped-def]
    r = connection(sword).create(
        col_iri=sword["base"] + "/sword/collection/theia", metadata_entry=entry(), in_progress=True
    )
    record_id = r.edit.rsplit("/", 1)[1]
    ctype, body = multipart_body([atom_part("Added title"), payload_part(b"x,y\n", "extra.csv")])
    added = post(sword, f"/sword/edit/{record_id}", ctype, body)
    assert added.status_code == 200, added.text
    draft = rest(sword, "GET", f"/api/records/{record_id}/draft").json()
    assert draft["metadata"]["titles"] == [{"text": "Added title"}]
    assert [k for k, _ in files_of(sword, record_id)] == ["extra.csv"]


def test_in_progress_false_with_a_multipart_create_submits(sword) -> None:  # type: ignore[no-untyped-def]
    ctype, body = multipart_body([atom_part(), payload_part()])
    r = http(sword, "POST", "/sword/collection/theia", data=body,
             headers={"Content-Type": ctype, "In-Progress": "false"})
    assert r.status_code == 201, r.text
    (hit,) = user_records(sword)
    assert hit["state"] == "submitted"


# -- raw HTTP: hostile and malformed ------------------------------------------------------------

GOOD_ATOM = atom_part()
GOOD_PAYLOAD = payload_part()


def _bad_bodies() -> dict[str, tuple[str, bytes, int, str]]:
    """name → (content type, body, status, field named in the error)."""
    ok_type, _ = multipart_body([GOOD_ATOM, GOOD_PAYLOAD])
    cases: dict[str, tuple[str, bytes, int, str]] = {}
    _, body = multipart_body([GOOD_ATOM, GOOD_PAYLOAD])
    cases["missing boundary"] = ('multipart/related; type="application/atom+xml"', body, 400, "/Content-Type")
    cases["wrong multipart type"] = ('multipart/related; boundary="b0undary-42"; type="text/plain"', body, 415, "/Content-Type")
    cases["boundary absent from the body"] = ('multipart/related; boundary="other"', body, 400, "/")
    cases["missing payload"] = (ok_type, multipart_body([GOOD_ATOM])[1], 400, "/payload")
    cases["missing atom"] = (ok_type, multipart_body([GOOD_PAYLOAD])[1], 400, "/atom")
    cases["two atom parts"] = (ok_type, multipart_body([GOOD_ATOM, GOOD_ATOM])[1], 400, "/payload")
    cases["wrong order"] = (ok_type, multipart_body([GOOD_PAYLOAD, GOOD_ATOM])[1], 400, "/atom")
    cases["three parts"] = (ok_type, multipart_body([GOOD_ATOM, GOOD_PAYLOAD, GOOD_PAYLOAD])[1], 400, "/")
    cases["truncated body"] = (ok_type, body[: len(body) - 40], 400, "/payload")
    cases["truncated headers"] = (ok_type, body.split(b"name=payload")[0], 400, "/payload")
    huge = ({**GOOD_PAYLOAD[0], "X-Padding": "p" * 20_000}, GOOD_PAYLOAD[1])
    cases["huge part headers"] = (ok_type, multipart_body([GOOD_ATOM, huge])[1], 400, "/payload")
    many = ({**GOOD_PAYLOAD[0], **{f"X-H{i}": "v" for i in range(60)}}, GOOD_PAYLOAD[1])
    cases["too many part headers"] = (ok_type, multipart_body([GOOD_ATOM, many])[1], 400, "/payload")
    bad_md5 = payload_part(**{"Content-MD5": hashlib.md5(b"other").hexdigest()})
    cases["part Content-MD5 mismatch"] = (ok_type, multipart_body([GOOD_ATOM, bad_md5])[1], 412, "/payload/Content-MD5")
    cases["malformed part Content-MD5"] = (ok_type, multipart_body([GOOD_ATOM, payload_part(**{"Content-MD5": "xyz"})])[1], 400, "/payload/Content-MD5")
    cases["bad entry XML"] = (ok_type, multipart_body([(GOOD_ATOM[0], b"<entry"), GOOD_PAYLOAD])[1], 400, "/atom")
    cases["unknown packaging"] = (ok_type, multipart_body([GOOD_ATOM, payload_part(packaging="urn:x")])[1], 415, "/payload/Packaging")
    cases["no filename"] = (ok_type, multipart_body([GOOD_ATOM, ({"Content-Disposition": "attachment; name=payload"}, CSV)])[1], 400, "/payload/Content-Disposition")
    cases["bad base64"] = (ok_type, multipart_body([GOOD_ATOM, payload_part(b"!!!", **{"Content-Transfer-Encoding": "base64"})])[1], 400, "/payload/Content-Transfer-Encoding")
    cases["zip slip in the package"] = (
        ok_type,
        multipart_body([GOOD_ATOM, payload_part(zip_bytes({"../evil.txt": b"x"}), "p.zip", SIMPLEZIP)])[1],
        400,
        "",
    )
    return cases


BAD = _bad_bodies()


@pytest.mark.parametrize("name", list(BAD))
def test_malformed_multipart_is_refused_clearly_and_nothing_is_stored(sword, app, name) -> None:  # type: ignore[no-untyped-def]
    ctype, body, status, field = BAD[name]
    r = post(sword, "/sword/collection/theia", ctype, body)
    assert r.status_code == status, (name, r.status_code, r.text)
    uri, detail = sword_error(r)
    assert uri.startswith("http://purl.org/net/sword/")
    if field:
        assert detail.startswith(field), (name, detail)
    assert nothing_stored(app)


def test_a_bad_multipart_on_the_edit_iri_changes_nothing(sword) -> None:  # type: ignore[no-untyped-def]
    conn = connection(sword)
    r = conn.create(col_iri=sword["base"] + "/sword/collection/theia", metadata_entry=entry("Kept"), in_progress=True)
    record_id = r.edit.rsplit("/", 1)[1]
    bad = payload_part(**{"Content-MD5": hashlib.md5(b"other").hexdigest()})
    ctype, body = multipart_body([atom_part("Should not be applied"), bad])
    for method in ("POST", "PUT"):
        refused = post(sword, f"/sword/edit/{record_id}", ctype, body, method=method)
        assert refused.status_code == 412
    draft = rest(sword, "GET", f"/api/records/{record_id}/draft").json()
    assert draft["metadata"]["titles"] == [{"text": "Kept"}]
    assert files_of(sword, record_id) == []


def test_a_payload_over_the_file_limit_is_413_and_nothing_is_stored(sword, app) -> None:  # type: ignore[no-untyped-def]
    app.config["MAX_FILE_SIZE"] = 1000
    ctype, body = multipart_body([atom_part(), payload_part(b"z" * 5000, "big.bin")])
    r = post(sword, "/sword/collection/theia", ctype, body)
    assert r.status_code == 413
    assert nothing_stored(app)
    with new_session(app) as s:
        assert s.query(RecordFile).count() == 0


def test_a_large_payload_streams_in_base64_and_matches(sword) -> None:  # type: ignore[no-untyped-def]
    data = bytes(range(256)) * 8000  # 2 MB, not a multiple of the parser's chunk
    encoded = base64.encodebytes(data)  # 76-column lines, as MIME does
    ctype, body = multipart_body(
        [atom_part(), payload_part(encoded, "blob.bin", **{"Content-Transfer-Encoding": "base64",
                                                           "Content-MD5": base64.b64encode(hashlib.md5(data).digest()).decode()})]
    )
    r = post(sword, "/sword/collection/theia", ctype, body)
    assert r.status_code == 201, r.text
    record_id = r.headers["Location"].rsplit("/", 1)[1]
    assert files_of(sword, record_id) == [("blob.bin", hashlib.sha256(data).hexdigest())]


def test_a_body_that_stops_half_way_is_refused(sword, app) -> None:  # type: ignore[no-untyped-def]
    """The client announces more bytes than it sends and closes its side: the server must not
    store anything (the parser reports a truncated body)."""
    ctype, body = multipart_body([atom_part(), payload_part(b"q" * 20_000, "q.bin")])
    url = urlsplit(sword["base"])
    auth = base64.b64encode(f"{sword['producer'].token}:".encode()).decode()
    head = (
        f"POST /sword/collection/theia HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Basic {auth}\r\n"
        f"Content-Type: {ctype}\r\nIn-Progress: true\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(head + body[: len(body) // 2])
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply == b"" or int(reply.split(b" ")[1]) >= 400
    assert nothing_stored(app)


def test_no_transaction_is_open_while_a_multipart_body_streams(sword, app) -> None:
    """Half a multipart body sent, then a pause: no transaction is held across it (checked on
    PostgreSQL in pg_stat_activity) and another depositor proceeds; the deposit then completes."""
    import os
    import time

    from tests.test_sword import SlowDeposit

    ctype, body = multipart_body([atom_part(), payload_part(b"s" * 32_000, "slow.bin")])
    slow = SlowDeposit(
        sword["base"], "/sword/collection/theia", sword["producer"].token, body,
        {"Content-Type": ctype, "In-Progress": "true"},
    )
    slow.send(len(body) // 2)
    time.sleep(1.2)
    if os.environ.get("ALLUVIUM_TEST_DATABASE_URL"):
        from tests._pg import transactions_held_across

        assert transactions_held_across(app, 0.6) == []
    t0 = time.monotonic()
    other = post(sword, "/sword/collection/aeris", *multipart_body([atom_part("Other"), payload_part()]), who="other")
    assert other.status_code == 201 and time.monotonic() - t0 < 2.0
    assert slow.finish() == 201
    assert [f["key"] for h in user_records(sword) for f in h["files"]] == ["slow.bin"]

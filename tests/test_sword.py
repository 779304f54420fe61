"""The SWORD v2 server (``/sword/``), driven by the ``sword2`` client from PyPI over real HTTP on
loopback (the ``live_server`` fixture), and by plain HTTP (``requests``) for what the client
cannot send: hostile packages, wrong checksums, multipart, mediation.

Nothing of ours is mocked. The sword2 client is installed without its dependencies (README).
"""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
import requests
from lxml import etree

from app.db import new_session
from app.models import FileObject, Record, RecordFile
from schemas.examples import minimal_example

sword2 = pytest.importorskip("sword2", reason="install it with: pip install --no-deps sword2")
bagit = pytest.importorskip("bagit")

SWORD_NS = "http://purl.org/net/sword/terms/"
SIMPLEZIP = "http://purl.org/net/sword/package/SimpleZip"
BAGIT = "http://purl.org/net/sword/package/BagIt"
BINARY = "http://purl.org/net/sword/package/Binary"

DATACITE_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<resource xmlns="http://datacite.org/schema/kernel-4">
  <identifier identifierType="DOI">10.5072/EXAMPLE-BAG</identifier>
  <creators><creator><creatorName nameType="Personal">Durand, Anne</creatorName>
    <givenName>Anne</givenName><familyName>Durand</familyName></creator></creators>
  <titles><title>River discharge of the Loire at Montjean, 2010-2020</title></titles>
  <publisher>THEIA</publisher>
  <publicationYear>2024</publicationYear>
  <resourceType resourceTypeGeneral="Dataset">Time series</resourceType>
  <descriptions><description descriptionType="Abstract">Daily discharge.</description></descriptions>
</resource>
"""


@pytest.fixture
def sword(app, factory, live_server, tmp_path):  # type: ignore[no-untyped-def]
    """A repository served on loopback with two communities, a producer, a moderator of THEIA,
    another producer and an admin; IRIs are built from BASE_URL, so it is the live server's."""
    app.config["BASE_URL"] = live_server
    factory.community("theia", "THEIA land surfaces")
    factory.community("aeris", "AERIS atmosphere")
    env: dict[str, Any] = {
        "base": live_server,
        "producer": factory.user("claire@example.org"),
        "other": factory.user("paul@example.org"),
        "moderator": factory.user("mod@example.org", role="moderator", communities=["theia"]),
        "admin": factory.user("admin@example.org", role="admin"),
        "reader": factory.user("reader@example.org", scopes=["read"]),
        "tmp": tmp_path,
    }
    return env


def connection(env: dict[str, Any], who: str = "producer", **kw: Any) -> Any:
    layer = sword2.http_layer.HttpLib2Layer(str(env["tmp"] / f"httpcache-{who}"), timeout=30.0)
    return sword2.Connection(
        f"{env['base']}/sword/service-document", user_name=env[who].token, user_pass="", http_impl=layer, **kw
    )


def entry(title: str = "Soil moisture at Lusignan", **extra: Any) -> Any:
    e = sword2.Entry(title=title, id="urn:uuid:1")
    e.add_fields(
        dcterms_title=title,
        dcterms_creator="Martin, Claire",
        dcterms_abstract="Daily soil moisture at 10 cm depth.",
        dcterms_publisher="THEIA",
        dcterms_subject="soil moisture",
        dcterms_license="CC-BY-4.0",
        **extra,
    )
    return e


def http(env: dict[str, Any], method: str, path: str, who: str = "producer", **kw: Any) -> requests.Response:
    headers = kw.pop("headers", {})
    url = path if path.startswith("http") else env["base"] + path
    return requests.request(method, url, auth=(env[who].token, ""), headers=headers, timeout=30, **kw)


def rest(env: dict[str, Any], method: str, path: str, who: str = "producer", **kw: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {env[who].token}"}
    return requests.request(method, env["base"] + path, headers=headers, timeout=30, **kw)


def zip_bytes(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def make_bag(tmp: Path, files: dict[str, bytes], metadata: dict[str, bytes] | None = None) -> Path:
    root = tmp / "bag-src"
    root.mkdir()
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    bagit.make_bag(str(root), {"Source-Organization": "Test"}, checksums=["sha256"])
    for name, data in (metadata or {}).items():
        (root / "metadata").mkdir(exist_ok=True)
        (root / "metadata" / name).write_bytes(data)
    return root


def zip_folder(root: Path, prefix: str = "") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.write(path, prefix + path.relative_to(root).as_posix())
    return buf.getvalue()


def user_records(env: dict[str, Any], who: str = "producer") -> list[dict[str, Any]]:
    r = rest(env, "GET", "/api/user/records", who)
    assert r.status_code == 200
    return r.json()["hits"]["hits"]


def nothing_stored(app) -> bool:  # type: ignore[no-untyped-def]
    with new_session(app) as s:
        return s.query(Record).count() == 0 and s.query(RecordFile).count() == 0


def sword_error(response: requests.Response) -> tuple[str, str]:
    """The error URI and verbose description of a SWORD error document."""
    assert response.headers["Content-Type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{SWORD_NS}}}error"
    return root.get("href"), root.findtext(f"{{{SWORD_NS}}}verboseDescription") or ""


# -- service document, authentication ---------------------------------------------------------


def test_service_document_has_one_collection_per_community_for_the_client(sword) -> None:  # type: ignore[no-untyped-def]
    conn = connection(sword)
    conn.get_service_document()
    assert conn.sd.valid and conn.sd.version == "2.0"
    ((title, collections),) = conn.workspaces
    assert title == "Alluvium"
    assert [c.title for c in collections] == ["AERIS atmosphere", "THEIA land surfaces"]
    for c in collections:
        assert c.href.startswith(sword["base"] + "/sword/collection/")
        assert c.mediation is False
        assert c.accept == ["*/*"]
        assert set(c.acceptPackaging) == {SIMPLEZIP, BAGIT, BINARY}
    admin = connection(sword, "admin")
    admin.get_service_document()
    assert all(c.mediation is True for _, cs in admin.workspaces for c in cs)


def test_a_read_only_token_sees_no_collection_and_cannot_deposit(sword) -> None:  # type: ignore[no-untyped-def]
    conn = connection(sword, "reader")
    conn.get_service_document()
    assert conn.workspaces == [("Alluvium", [])]
    r = http(
        sword,
        "POST",
        "/sword/collection/theia",
        "reader",
        data=str(entry()),
        headers={"Content-Type": "application/atom+xml;type=entry"},
    )
    assert r.status_code == 403
    assert "deposit" in sword_error(r)[1] or "deposit" in r.text


@pytest.mark.parametrize(
    "auth",
    [None, ("not-a-token", ""), "bearer"],
    ids=["no credentials", "unknown token", "bearer instead of basic"],
)
def test_sword_needs_a_token_as_basic_user_name(sword, auth) -> None:  # type: ignore[no-untyped-def]
    if auth == "bearer":
        r = requests.get(
            sword["base"] + "/sword/service-document",
            headers={"Authorization": f"Bearer {sword['producer'].token}"},
            timeout=10,
        )
    else:
        r = requests.get(sword["base"] + "/sword/service-document", auth=auth, timeout=10)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Basic ")
    sword_error(r)


# -- the whole deposit with the sword2 client ---------------------------------------------------


def test_sword2_creates_updates_adds_files_and_submits_then_a_moderator_accepts(sword) -> None:  # type: ignore[no-untyped-def]
    conn = connection(sword)
    conn.get_service_document()
    theia = next(c for _, cs in conn.workspaces for c in cs if c.href.endswith("/theia"))
    receipt = conn.create(col_iri=theia.href, metadata_entry=entry("First title"), in_progress=True)
    assert receipt.code == 201 and receipt.valid
    assert receipt.edit.startswith(sword["base"] + "/sword/edit/")
    record_id = receipt.edit.rsplit("/", 1)[1]
    draft = rest(sword, "GET", f"/api/records/{record_id}/draft").json()
    assert draft["state"] == "draft" and draft["review"]["community"] == "theia"
    assert draft["metadata"]["titles"] == [{"text": "First title"}]
    assert draft["metadata"]["creators"][0]["family_name"] == "Martin"
    assert draft["metadata"]["rights"]["license"]["id"] == "CC-BY-4.0"
    assert draft["metadata"]["contacts"][0]["email"] == "claire@example.org"

    updated = conn.update(
        dr=receipt, metadata_entry=entry("Soil moisture at the Lusignan observatory"), in_progress=True
    )
    assert updated.code == 200 and updated.valid
    draft = rest(sword, "GET", f"/api/records/{record_id}/draft").json()
    assert draft["metadata"]["titles"] == [{"text": "Soil moisture at the Lusignan observatory"}]

    body = b"date,moisture\n2024-01-01,0.31\n"
    added = conn.add_file_to_resource(
        receipt.edit_media, payload=body, mimetype="text/csv", filename="moisture.csv", packaging=BINARY
    )
    assert added.code == 201 and added.valid
    listing = rest(sword, "GET", f"/api/records/{record_id}/files").json()
    assert [(e["key"], e["checksum"]["sha256"]) for e in listing["entries"]] == [
        ("moisture.csv", hashlib.sha256(body).hexdigest())
    ]

    atom_statement = conn.get_atom_sword_statement(receipt.atom_statement_iri)
    assert atom_statement.valid and len(atom_statement.resources) == 1
    ore = conn.get_ore_sword_statement(receipt.ore_statement_iri)
    assert ore.valid and ore.states[0][0].endswith("#draft")

    completed = conn.complete_deposit(dr=receipt)
    assert completed.code == 200 and completed.valid
    assert conn.get_deposit_receipt(receipt.edit).valid
    assert rest(sword, "GET", f"/api/records/{record_id}/draft").json()["state"] == "submitted"

    m = "moderator"
    assert (
        rest(sword, "POST", f"/api/records/{record_id}/review/actions/assign", m, json={}).status_code == 200
    )
    accepted = rest(
        sword, "POST", f"/api/records/{record_id}/review/actions/accept", m, json={"comment": "ok"}
    )
    assert accepted.status_code == 200
    published = requests.get(f"{sword['base']}/api/records/{record_id}", timeout=10).json()
    assert published["state"] == "published"
    assert [f["key"] for f in published["files"]] == ["moisture.csv"]


def test_in_progress_false_on_create_submits_and_does_not_publish(sword) -> None:  # type: ignore[no-untyped-def]
    conn = connection(sword)
    receipt = conn.create(
        col_iri=f"{sword['base']}/sword/collection/theia", metadata_entry=entry(), in_progress=False
    )
    assert receipt.code == 201
    record_id = receipt.edit.rsplit("/", 1)[1]
    assert rest(sword, "GET", f"/api/records/{record_id}/draft").json()["state"] == "submitted"
    assert requests.get(f"{sword['base']}/api/records/{record_id}", timeout=10).status_code == 404


def test_in_progress_false_with_incomplete_metadata_creates_nothing(sword, app) -> None:  # type: ignore[no-untyped-def]
    bare = sword2.Entry(title="Only a title", id="urn:uuid:2")
    r = http(
        sword,
        "POST",
        "/sword/collection/theia",
        data=str(bare),
        headers={"Content-Type": "application/atom+xml;type=entry", "In-Progress": "false"},
    )
    assert r.status_code == 400
    _, detail = sword_error(r)
    assert "/metadata/creators" in detail and "/metadata/abstracts" in detail
    assert nothing_stored(app)


def test_sword2_creates_from_simplezip_binary_and_bagit(sword) -> None:  # type: ignore[no-untyped-def]
    conn = connection(sword)
    col = f"{sword['base']}/sword/collection/theia"
    files = {"data/a.csv": b"x,y\n1,2\n", "README.md": b"# readme\n"}
    r = conn.create(
        col_iri=col,
        payload=zip_bytes(files),
        mimetype="application/zip",
        filename="pkg.zip",
        packaging=SIMPLEZIP,
        in_progress=True,
    )
    rid = r.edit.rsplit("/", 1)[1]
    entries = rest(sword, "GET", f"/api/records/{rid}/files").json()["entries"]
    assert {e["key"]: e["checksum"]["sha256"] for e in entries} == {
        k: hashlib.sha256(v).hexdigest() for k, v in files.items()
    }

    r = conn.create(
        col_iri=col,
        payload=b"\x89HDF\r\n\x1a\nrest",
        mimetype="application/octet-stream",
        filename="grid.nc",
        packaging=BINARY,
        in_progress=True,
    )
    rid = r.edit.rsplit("/", 1)[1]
    (e,) = rest(sword, "GET", f"/api/records/{rid}/files").json()["entries"]
    assert (e["key"], e["mimetype"]) == ("grid.nc", "application/x-netcdf")

    bag = make_bag(
        sword["tmp"],
        {"discharge.csv": b"day,q\n1,230\n", "sub/notes.txt": b"notes"},
        {"datacite.xml": DATACITE_XML},
    )
    r = conn.create(
        col_iri=col,
        payload=zip_folder(bag, "mybag/"),
        mimetype="application/zip",
        filename="bag.zip",
        packaging=BAGIT,
        in_progress=True,
    )
    rid = r.edit.rsplit("/", 1)[1]
    draft = rest(sword, "GET", f"/api/records/{rid}/draft").json()
    assert draft["metadata"]["titles"][0]["text"] == "River discharge of the Loire at Montjean, 2010-2020"
    assert draft["metadata"]["creators"][0]["family_name"] == "Durand"
    assert sorted(f["key"] for f in draft["files"]) == ["discharge.csv", "sub/notes.txt"]


def test_edit_iri_delete_removes_the_draft_and_not_a_submitted_one(sword) -> None:  # type: ignore[no-untyped-def]
    conn = connection(sword)
    col = f"{sword['base']}/sword/collection/theia"
    r = conn.create(col_iri=col, metadata_entry=entry(), in_progress=True)
    assert conn.delete_container(dr=r).code == 204
    assert user_records(sword) == []
    r = conn.create(col_iri=col, metadata_entry=entry(), in_progress=False)
    gone = http(sword, "DELETE", r.edit)
    assert gone.status_code == 409
    assert [h["state"] for h in user_records(sword)] == ["submitted"]


def test_another_user_cannot_read_or_change_a_deposit(sword) -> None:  # type: ignore[no-untyped-def]
    r = connection(sword).create(
        col_iri=f"{sword['base']}/sword/collection/theia", metadata_entry=entry(), in_progress=True
    )
    assert http(sword, "GET", r.edit, "other").status_code in (403, 404)
    put = http(
        sword,
        "PUT",
        r.edit,
        "other",
        data=str(entry("Hijacked")),
        headers={"Content-Type": "application/atom+xml;type=entry"},
    )
    assert put.status_code in (403, 404)
    add = http(
        sword,
        "POST",
        r.edit_media,
        "other",
        data=b"x",
        headers={"Content-Disposition": "attachment; filename=x.txt"},
    )
    assert add.status_code in (403, 404)
    rid = r.edit.rsplit("/", 1)[1]
    draft = rest(sword, "GET", f"/api/records/{rid}/draft").json()
    assert draft["metadata"]["titles"][0]["text"] == "Soil moisture at Lusignan" and draft["files"] == []


# -- checksums, mediation -------------------------------------------------------------------------


def test_a_wrong_content_md5_is_412_and_stores_nothing(sword, app) -> None:  # type: ignore[no-untyped-def]
    r = http(
        sword,
        "POST",
        "/sword/collection/theia",
        data=b"some data",
        headers={
            "Content-Disposition": "attachment; filename=data.bin",
            "Packaging": BINARY,
            "Content-MD5": hashlib.md5(b"other data").hexdigest(),
        },
    )
    assert r.status_code == 412
    uri, detail = sword_error(r)
    assert uri.endswith("/ErrorChecksumMismatch") and "/Content-MD5" in detail
    assert nothing_stored(app)
    with new_session(app) as s:
        assert s.query(FileObject).count() == 0


def test_a_right_content_md5_is_accepted(sword) -> None:  # type: ignore[no-untyped-def]
    r = http(
        sword,
        "POST",
        "/sword/collection/theia",
        data=b"some data",
        headers={
            "Content-Disposition": "attachment; filename=data.bin",
            "Content-MD5": hashlib.md5(b"some data").hexdigest(),
            "In-Progress": "true",
        },
    )
    assert r.status_code == 201


def test_on_behalf_of_is_refused_for_a_producer_and_allowed_for_an_admin(sword, app) -> None:  # type: ignore[no-untyped-def]
    headers = {
        "Content-Type": "application/atom+xml;type=entry",
        "On-Behalf-Of": "paul@example.org",
        "In-Progress": "true",
    }
    r = http(sword, "POST", "/sword/collection/theia", data=str(entry()), headers=headers)
    assert r.status_code == 412
    assert sword_error(r)[0].endswith("/MediationNotAllowed")
    assert nothing_stored(app)
    r = http(sword, "POST", "/sword/collection/theia", "admin", data=str(entry()), headers=headers)
    assert r.status_code == 201
    assert len(user_records(sword, "other")) == 1
    unknown = http(
        sword,
        "POST",
        "/sword/collection/theia",
        "admin",
        data=str(entry()),
        headers=headers | {"On-Behalf-Of": "nobody@example.org"},
    )
    assert unknown.status_code == 403 and sword_error(unknown)[0].endswith("/TargetOwnerUnknown")


def test_unknown_community_and_packaging_are_refused(sword, app) -> None:  # type: ignore[no-untyped-def]
    r = http(
        sword,
        "POST",
        "/sword/collection/nowhere",
        data=str(entry()),
        headers={"Content-Type": "application/atom+xml"},
    )
    assert r.status_code == 404
    r = http(
        sword,
        "POST",
        "/sword/collection/theia",
        data=b"x",
        headers={"Packaging": "http://example.org/Mets", "Content-Disposition": "attachment; filename=a"},
    )
    assert r.status_code == 415 and "/Packaging" in sword_error(r)[1]
    assert nothing_stored(app)


# -- hostile packages -----------------------------------------------------------------------------


def _symlink_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ok.txt", b"fine")
        info = zipfile.ZipInfo("link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


def _bomb() -> bytes:
    return zip_bytes({"ok.txt": b"fine", "zeros.bin": b"\0" * (20 * 1024 * 1024)})


def _raw_names_zip(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in names:
            info = zipfile.ZipInfo("placeholder")
            info.filename = name  # bypass zipfile's own normalisation of the name
            zf.writestr(info, b"data")
    return buf.getvalue()


def _duplicate_zip() -> bytes:
    import warnings

    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate we are making
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("same.txt", b"one")
            zf.writestr("same.txt", b"two")
    return buf.getvalue()


HOSTILE_ZIPS = {
    "zip-slip": (_raw_names_zip("ok.txt", "../../evil.txt"), 400, "'..'"),
    "absolute path": (_raw_names_zip("ok.txt", "/etc/cron.d/evil"), 400, "absolute"),
    "backslash path": (_raw_names_zip("ok.txt", "..\\evil.txt"), 400, "backslash"),
    "symlink": (_symlink_zip(), 400, "symbolic link"),
    "duplicate names": (_duplicate_zip(), 400, "more than once"),
    "bidi override in a name": (zip_bytes({"ok.txt": b"1", "evil\u202etxt.exe": b"2"}), 400, "U+202E"),
    "zip bomb (ratio)": (_bomb(), 400, "inflates"),
    "not a zip": (b"this is not a zip", 400, "not a zip"),
}


@pytest.mark.parametrize("name", list(HOSTILE_ZIPS))
@pytest.mark.parametrize("packaging", [SIMPLEZIP, BAGIT])
def test_hostile_packages_are_refused_and_nothing_is_stored(sword, app, name, packaging) -> None:  # type: ignore[no-untyped-def]
    body, status, words = HOSTILE_ZIPS[name]
    r = http(
        sword,
        "POST",
        "/sword/collection/theia",
        data=body,
        headers={
            "Content-Type": "application/zip",
            "Packaging": packaging,
            "Content-Disposition": "attachment; filename=p.zip",
        },
    )
    assert r.status_code == status, r.text
    _, detail = sword_error(r)
    assert words in detail
    assert nothing_stored(app)
    with new_session(app) as s:
        assert s.query(FileObject).count() == 0


def test_a_package_larger_than_the_unpacked_limit_is_refused(sword, app) -> None:  # type: ignore[no-untyped-def]
    app.config["SWORD_MAX_UNPACKED_SIZE"] = 1000
    body = zip_bytes({"a.bin": b"a" * 600, "b.bin": b"b" * 600}, zipfile.ZIP_STORED)
    r = http(
        sword,
        "POST",
        "/sword/collection/theia",
        data=body,
        headers={"Packaging": SIMPLEZIP, "Content-Disposition": "attachment; filename=p.zip"},
    )
    assert r.status_code == 413 and sword_error(r)[0].endswith("/MaxUploadSizeExceeded")
    assert nothing_stored(app)


def test_a_package_body_over_the_package_limit_is_refused(sword, app) -> None:  # type: ignore[no-untyped-def]
    app.config["SWORD_MAX_PACKAGE_SIZE"] = 100
    body = zip_bytes({"a.bin": bytes(range(256)) * 4}, zipfile.ZIP_STORED)
    r = http(
        sword,
        "POST",
        "/sword/collection/theia",
        data=body,
        headers={"Packaging": SIMPLEZIP, "Content-Disposition": "attachment; filename=p.zip"},
    )
    assert r.status_code == 413
    assert nothing_stored(app)


def test_a_bag_with_a_wrong_manifest_or_a_fetch_file_is_refused(sword, app) -> None:  # type: ignore[no-untyped-def]
    bag = make_bag(sword["tmp"], {"a.csv": b"1,2\n"})
    (bag / "data" / "a.csv").write_bytes(b"1,3\n")  # same size: only the manifest can tell
    headers = {"Packaging": BAGIT, "Content-Disposition": "attachment; filename=bag.zip"}
    r = http(sword, "POST", "/sword/collection/theia", data=zip_folder(bag), headers=headers)
    assert r.status_code == 400
    assert "data/a.csv" in sword_error(r)[1]
    (bag / "data" / "a.csv").write_bytes(b"1,2\n")
    (bag / "fetch.txt").write_text("http://example.org/big.nc 100 data/big.nc\n")
    r = http(sword, "POST", "/sword/collection/theia", data=zip_folder(bag), headers=headers)
    assert r.status_code == 400 and "fetch" in sword_error(r)[1].lower() + r.text.lower()
    assert nothing_stored(app)


def test_a_bag_with_an_unreadable_metadata_record_is_refused(sword, app) -> None:  # type: ignore[no-untyped-def]
    bag = make_bag(sword["tmp"], {"a.csv": b"1,2\n"}, {"record.xml": b"<not-closed>"})
    r = http(
        sword,
        "POST",
        "/sword/collection/theia",
        data=zip_folder(bag),
        headers={"Packaging": BAGIT, "Content-Disposition": "attachment; filename=b.zip"},
    )
    assert r.status_code == 400 and "/package/metadata/record.xml" in sword_error(r)[1]
    assert nothing_stored(app)


def test_a_hostile_package_added_to_an_existing_draft_changes_nothing(sword) -> None:  # type: ignore[no-untyped-def]
    conn = connection(sword)
    r = conn.create(
        col_iri=f"{sword['base']}/sword/collection/theia", metadata_entry=entry(), in_progress=True
    )
    conn.add_file_to_resource(
        r.edit_media, payload=b"kept", mimetype="text/plain", filename="kept.txt", packaging=BINARY
    )
    bad = http(
        sword, "POST", r.edit_media, data=_raw_names_zip("fine.txt", "../x"), headers={"Packaging": SIMPLEZIP}
    )
    assert bad.status_code == 400
    rid = r.edit.rsplit("/", 1)[1]
    assert [f["key"] for f in rest(sword, "GET", f"/api/records/{rid}/draft").json()["files"]] == ["kept.txt"]


def test_em_iri_put_replaces_all_files(sword) -> None:  # type: ignore[no-untyped-def]
    conn = connection(sword)
    r = conn.create(
        col_iri=f"{sword['base']}/sword/collection/theia", metadata_entry=entry(), in_progress=True
    )
    conn.add_file_to_resource(
        r.edit_media, payload=b"old", mimetype="text/plain", filename="old.txt", packaging=BINARY
    )
    put = conn.update(
        dr=r,
        payload=zip_bytes({"new.txt": b"new"}),
        mimetype="application/zip",
        filename="p.zip",
        packaging=SIMPLEZIP,
    )
    assert put.code in (200, 204)
    rid = r.edit.rsplit("/", 1)[1]
    assert [f["key"] for f in rest(sword, "GET", f"/api/records/{rid}/draft").json()["files"]] == ["new.txt"]


def test_minimal_metadata_fixture_is_what_submission_needs(sword) -> None:  # type: ignore[no-untyped-def]
    """The entry mapping yields metadata complete enough to submit: the same mandatory fields
    as the smallest valid record of the profile."""
    conn = connection(sword)
    r = conn.create(
        col_iri=f"{sword['base']}/sword/collection/theia", metadata_entry=entry(), in_progress=True
    )
    rid = r.edit.rsplit("/", 1)[1]
    draft = rest(sword, "GET", f"/api/records/{rid}/draft").json()
    assert set(minimal_example()) <= set(draft["metadata"])


def _corrupt_second_entry() -> bytes:
    """A zip whose central directory is sound but whose second entry's data is damaged: only
    reading it (CRC check) can tell, after the first entry has been streamed to the store."""
    body = bytearray(
        zip_bytes({"first.txt": b"first file", "second.txt": b"second file " * 100}, zipfile.ZIP_STORED)
    )
    at = body.index(b"second file ")
    body[at : at + 6] = b"SECOND"
    return bytes(body)


def test_a_package_failing_half_way_leaves_no_draft_and_no_file(sword, app) -> None:  # type: ignore[no-untyped-def]
    r = http(
        sword,
        "POST",
        "/sword/collection/theia",
        data=_corrupt_second_entry(),
        headers={"Packaging": SIMPLEZIP, "Content-Disposition": "attachment; filename=p.zip"},
    )
    assert r.status_code == 400
    assert "second.txt" in sword_error(r)[1]
    assert nothing_stored(app)
    with new_session(app) as s:
        assert s.query(FileObject).count() == 0


@pytest.mark.parametrize(
    ("headers", "body", "field"),
    [
        ({"In-Progress": "maybe"}, None, "/In-Progress"),
        ({"Content-MD5": "not-a-digest"}, None, "/Content-MD5"),
        ({}, b"<entry xmlns='http://www.w3.org/2005/Atom'><title>x</title>", "/entry"),
        ({}, b"<feed xmlns='http://www.w3.org/2005/Atom'/>", "/entry"),
        (
            {},
            b"<entry xmlns='http://www.w3.org/2005/Atom' xmlns:d='http://purl.org/dc/terms/'>"
            b"<d:accessRights>whenever</d:accessRights></entry>",
            "/entry/dcterms:accessRights",
        ),
    ],
    ids=["bad In-Progress", "bad Content-MD5", "malformed XML", "not an entry", "unknown access level"],
)
def test_bad_entries_and_headers_name_what_is_wrong(sword, app, headers, body, field) -> None:  # type: ignore[no-untyped-def]
    r = http(
        sword,
        "POST",
        "/sword/collection/theia",
        data=body if body is not None else str(entry()),
        headers={"Content-Type": "application/atom+xml;type=entry"} | headers,
    )
    assert r.status_code == 400
    assert field in sword_error(r)[1]
    assert nothing_stored(app)


def test_files_added_while_the_deposit_is_completed_are_either_in_it_or_refused(sword) -> None:  # type: ignore[no-untyped-def]
    """Concurrent EM-IRI additions and the completing POST on a live server: a file is either
    attached before the submission (and is in the submitted record) or refused with 409; never
    attached to a submitted record."""
    import threading

    conn = connection(sword)
    r = conn.create(
        col_iri=f"{sword['base']}/sword/collection/theia", metadata_entry=entry(), in_progress=True
    )
    start = threading.Barrier(9)
    results: dict[str, int] = {}

    def add(i: int) -> None:
        start.wait()
        resp = http(
            sword,
            "POST",
            r.edit_media,
            data=f"file {i}".encode() * 1000,
            headers={"Content-Disposition": f"attachment; filename=f{i}.txt"},
        )
        results[f"f{i}.txt"] = resp.status_code

    def complete() -> None:
        start.wait()
        results["complete"] = http(sword, "POST", r.edit, headers={"In-Progress": "false"}).status_code

    threads = [threading.Thread(target=add, args=(i,)) for i in range(8)] + [
        threading.Thread(target=complete)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results["complete"] == 200
    assert set(results.values()) <= {200, 201, 409}
    rid = r.edit.rsplit("/", 1)[1]
    record = rest(sword, "GET", f"/api/records/{rid}/draft").json()
    assert record["state"] == "submitted"
    attached = {k for k, v in results.items() if v == 201}
    assert {f["key"] for f in record["files"]} == attached
    # The history records exactly the additions that were accepted (event ids follow insertion,
    # not commit, order on PostgreSQL, so they say nothing about which committed first).
    events = rest(sword, "GET", f"/api/records/{rid}/events").json()["hits"]["hits"]
    assert {e["data"]["key"] for e in events if e["action"] == "file_add"} == attached
    assert [e["action"] for e in events].count("submit") == 1


def test_the_client_reads_our_error_documents(sword) -> None:  # type: ignore[no-untyped-def]
    conn = connection(sword, error_response_raises_exceptions=False)
    bad = conn.create(
        col_iri=f"{sword['base']}/sword/collection/theia",
        payload=b"data",
        mimetype="application/octet-stream",
        filename="data.bin",
        packaging=BINARY,
        md5sum="0" * 32,
        in_progress=True,
    )
    assert bad.code == 412
    assert bad.error_href == "http://purl.org/net/sword/error/ErrorChecksumMismatch"
    assert "/Content-MD5" in bad.verbose_description[0]


class SlowDeposit:
    """A SWORD client that sends a Binary deposit's body in pieces, when told to."""

    def __init__(self, base: str, path: str, token: str, body: bytes, headers: dict[str, str]) -> None:
        import base64
        import socket

        host, port = base.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=60)
        self.body, self.sent = body, 0
        auth = base64.b64encode(f"{token}:".encode()).decode()
        lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Authorization: Basic {auth}"]
        lines += [f"{k}: {v}" for k, v in headers.items()] + [f"Content-Length: {len(body)}", "", ""]
        self.sock.sendall("\r\n".join(lines).encode())

    def send(self, n: int) -> None:
        self.sock.sendall(self.body[self.sent : self.sent + n])
        self.sent += n

    def finish(self) -> int:
        self.sock.sendall(self.body[self.sent :])
        reply = b""
        while b"\r\n" not in reply:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            reply += chunk
        self.sock.close()
        return int(reply.split(b" ")[1])


@pytest.mark.parametrize("target", ["collection", "edit-media"])
def test_no_transaction_is_open_while_a_deposit_body_streams(sword, app, target) -> None:  # type: ignore[no-untyped-def]
    """The body of a deposit streams with no database transaction open (checked on PostgreSQL in
    pg_stat_activity), so a slow depositor holds no snapshot or lock; other writers proceed."""
    import os
    import time


    path = "/sword/collection/theia"
    if target == "edit-media":
        r = connection(sword).create(col_iri=sword["base"] + path, metadata_entry=entry(), in_progress=True)
        path = r.edit_media.removeprefix(sword["base"])
    # An administrator depositing on behalf of the producer: the user look-up happens too.
    slow = SlowDeposit(
        sword["base"],
        path,
        sword["admin"].token,
        b"s" * 32_000,
        {
            "Content-Disposition": "attachment; filename=slow.bin",
            "On-Behalf-Of": "claire@example.org",
            "In-Progress": "true",
        },
    )
    slow.send(1600)
    time.sleep(1.2)
    if os.environ.get("ALLUVIUM_TEST_DATABASE_URL"):
        from tests._pg import transactions_held_across

        # A transaction opened before the body and held across it would be idle for over 1 s.
        assert transactions_held_across(app, 0.6) == []
    t0 = time.monotonic()
    other = http(
        sword,
        "POST",
        "/sword/collection/aeris",
        "other",
        data=str(entry()),
        headers={"Content-Type": "application/atom+xml;type=entry", "In-Progress": "true"},
    )
    assert other.status_code == 201 and time.monotonic() - t0 < 2.0
    assert slow.finish() == 201
    names = [f["key"] for h in user_records(sword) for f in h["files"]]
    assert names == ["slow.bin"]


def test_an_entry_posted_to_the_edit_iri_merges_without_resetting_defaults(sword) -> None:  # type: ignore[no-untyped-def]
    """POST to the Edit-IRI adds to the draft: an entry that says nothing of access rights or
    type leaves the draft's embargo and resource type as they were."""
    conn = connection(sword)
    first = entry(dcterms_accessRights="embargoed", dcterms_available="2030-01-01", dcterms_type="Software")
    r = conn.create(col_iri=f"{sword['base']}/sword/collection/theia", metadata_entry=first, in_progress=True)
    more = sword2.Entry(title="ignored", id="urn:uuid:3")
    more.add_fields(dcterms_subject="groundwater")
    posted = http(
        sword,
        "POST",
        r.edit,
        data=str(more),
        headers={"Content-Type": "application/atom+xml;type=entry", "In-Progress": "true"},
    )
    assert posted.status_code == 200
    md = rest(sword, "GET", f"/api/records/{r.edit.rsplit('/', 1)[1]}/draft").json()["metadata"]
    assert md["rights"]["access_level"] == "embargoed" and md["rights"]["embargo_until"] == "2030-01-01"
    assert md["resource_type"]["general"] == "Software"
    assert md["free_keywords"] == [{"term": "groundwater"}]
    assert md["titles"] == [{"text": "ignored"}]

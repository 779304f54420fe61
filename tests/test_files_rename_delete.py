"""Renaming and deleting a draft's files: REST API (``PATCH`` / ``DELETE``
``/api/records/{id}/draft/files/{key}``) and the deposit form's no-JavaScript routes."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from app.db import new_session
from app.models import Event, FileExtraction
from app.services.storage_maintenance import cleanup
from schemas.examples import minimal_example


@pytest.fixture
def producer(factory):  # type: ignore[no-untyped-def]
    factory.community("theia")
    return factory.user("producer@example.org")


def draft(api) -> str:  # type: ignore[no-untyped-def]
    r = api.post("/api/records", json={"metadata": minimal_example(), "community": "theia"})
    assert r.status_code == 201, r.json
    return r.json["id"]


def keys(api, rid: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(e["key"] for e in api.get(f"/api/records/{rid}/files").json["entries"])


def test_rename_keeps_the_same_object_and_content(producer, app) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    body = b"lat,lon\n42.1,3.0\n"
    assert producer.put(f"/api/records/{rid}/draft/files/old.csv", data=body).status_code == 201
    r = producer.patch(f"/api/records/{rid}/draft/files/old.csv", json={"key": "series/buoys 2019.csv"})
    assert r.status_code == 200, r.json
    assert r.json["key"] == "series/buoys 2019.csv"
    assert r.json["checksum"]["sha256"] == hashlib.sha256(body).hexdigest()
    assert keys(producer, rid) == ["series/buoys 2019.csv"]
    assert producer.get(f"/api/records/{rid}/files/series/buoys 2019.csv").data == body
    assert producer.get(f"/api/records/{rid}/files/old.csv").status_code == 404
    with new_session(app) as s:
        event = s.scalars(select(Event).where(Event.record_id == rid, Event.action == "file_rename")).one()
        assert event.data["key"] == "series/buoys 2019.csv" and event.data["previous_key"] == "old.csv"
        # The proposals read from the content follow the file to its new name.
        extracted = s.scalars(select(FileExtraction.key).where(FileExtraction.record_id == rid)).all()
        assert "old.csv" not in extracted


@pytest.mark.parametrize("bad", ["", "../x.csv", "/abs.csv", "a//b.csv", "x\u202e.csv", "a" * 256, 42])
def test_rename_to_a_bad_name_is_a_400_naming_key_and_changes_nothing(producer, bad) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    producer.put(f"/api/records/{rid}/draft/files/a.csv", data=b"a")
    r = producer.patch(f"/api/records/{rid}/draft/files/a.csv", json={"key": bad})
    assert r.status_code == 400
    assert r.json["errors"][0]["field"] == "/key"
    assert keys(producer, rid) == ["a.csv"]


def test_rename_without_a_key_is_a_400(producer) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    producer.put(f"/api/records/{rid}/draft/files/a.csv", data=b"a")
    r = producer.patch(f"/api/records/{rid}/draft/files/a.csv", json={"name": "b.csv"})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "/key"


def test_rename_onto_an_existing_key_is_refused_and_replaces_nothing(producer) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    producer.put(f"/api/records/{rid}/draft/files/a.csv", data=b"aaa")
    producer.put(f"/api/records/{rid}/draft/files/b.csv", data=b"bbb")
    r = producer.patch(f"/api/records/{rid}/draft/files/a.csv", json={"key": "b.csv"})
    assert r.status_code == 409
    assert r.json["errors"][0]["field"] == "/key" and "b.csv" in r.json["errors"][0]["messages"][0]
    assert producer.get(f"/api/records/{rid}/files/a.csv").data == b"aaa"
    assert producer.get(f"/api/records/{rid}/files/b.csv").data == b"bbb"


def test_rename_of_a_missing_file_is_a_404(producer) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    r = producer.patch(f"/api/records/{rid}/draft/files/none.csv", json={"key": "b.csv"})
    assert r.status_code == 404


def test_only_the_owner_renames_or_deletes(factory, producer) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    producer.put(f"/api/records/{rid}/draft/files/a.csv", data=b"a")
    other = factory.user("other@example.org")
    assert other.patch(f"/api/records/{rid}/draft/files/a.csv", json={"key": "b.csv"}).status_code == 403
    assert other.delete(f"/api/records/{rid}/draft/files/a.csv").status_code == 403
    anon = factory.anonymous()
    assert anon.patch(f"/api/records/{rid}/draft/files/a.csv", json={"key": "b.csv"}).status_code == 401
    assert keys(producer, rid) == ["a.csv"]


def test_no_rename_or_delete_once_submitted(factory, producer) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    producer.put(f"/api/records/{rid}/draft/files/a.csv", data=b"a")
    assert producer.post(f"/api/records/{rid}/draft/actions/submit", json={}).status_code == 202
    assert producer.patch(f"/api/records/{rid}/draft/files/a.csv", json={"key": "b.csv"}).status_code == 409
    assert producer.delete(f"/api/records/{rid}/draft/files/a.csv").status_code == 409
    assert keys(producer, rid) == ["a.csv"]


def test_the_object_is_kept_while_another_draft_references_it(producer, app) -> None:  # type: ignore[no-untyped-def]
    one, two = draft(producer), draft(producer)
    body = b"shared content\n"
    sha = hashlib.sha256(body).hexdigest()
    producer.put(f"/api/records/{one}/draft/files/a.csv", data=body)
    producer.put(f"/api/records/{two}/draft/files/b.csv", data=body)
    store = app.extensions["alluvium.store"]
    assert producer.patch(f"/api/records/{one}/draft/files/a.csv", json={"key": "c.csv"}).status_code == 200
    assert producer.delete(f"/api/records/{one}/draft/files/c.csv").status_code == 204
    report = cleanup(lambda: new_session(app), store, delete_unreferenced=True, grace_seconds=0)
    assert sha not in report.deleted and store.exists(sha)
    assert producer.get(f"/api/records/{two}/files/b.csv").data == body
    # Once no file references it, cleanup may remove it.
    assert producer.delete(f"/api/records/{two}/draft/files/b.csv").status_code == 204
    report = cleanup(lambda: new_session(app), store, delete_unreferenced=True, grace_seconds=0)
    assert sha in report.deleted


def test_openapi_documents_the_rename(client) -> None:  # type: ignore[no-untyped-def]
    doc = client.get("/api/openapi.json").json
    op = doc["paths"]["/records/{id}/draft/files/{key}"]["patch"]
    assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/FileRename")
    assert doc["components"]["schemas"]["FileRename"]["required"] == ["key"]


# --- the deposit form without JavaScript -----------------------------------------------------

PASSWORD = "correct horse battery"
FR = {"Accept-Language": "fr-FR,fr;q=0.9"}


def sign_in(client, email: str) -> str:  # type: ignore[no-untyped-def]
    import re

    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"email": email, "password": PASSWORD, "_csrf": token.group(1)})
    assert r.status_code == 302
    page = client.get("/me").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_the_form_renames_and_deletes_a_file_without_javascript(producer, client) -> None:  # type: ignore[no-untyped-def]
    from lxml import html as lhtml

    rid = draft(producer)
    producer.put(f"/api/records/{rid}/draft/files/a.csv", data=b"aaa")
    producer.put(f"/api/records/{rid}/draft/files/b.csv", data=b"bbb")
    token = sign_in(client, "producer@example.org")
    doc = lhtml.fromstring(client.get(f"/records/{rid}/edit").get_data(as_text=True))
    item = doc.xpath("//*[@id='file-list']/li[@data-key='a.csv']")[0]
    assert item.xpath(".//form[contains(@class, 'rename-form')]//input[@name='new_key']/@value") == ["a.csv"]
    assert item.xpath(".//form[contains(@class, 'delete-form')]//button")[0].text_content() == "Delete a.csv"

    r = client.post(
        f"/records/{rid}/edit/files/rename", data={"_csrf": token, "key": "a.csv", "new_key": "data/a.csv"}
    )
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/records/{rid}/edit#files")
    assert keys(producer, rid) == ["b.csv", "data/a.csv"]

    # Onto a name the draft has: refused, the message in French beside that file's field.
    taken = client.post(
        f"/records/{rid}/edit/files/rename",
        data={"_csrf": token, "key": "data/a.csv", "new_key": "b.csv"},
        headers=FR,
    )
    assert taken.status_code == 409
    doc = lhtml.fromstring(taken.get_data(as_text=True))
    item = doc.xpath("//*[@id='file-list']/li[@data-key='data/a.csv']")[0]
    error = item.xpath(".//p[contains(@class, 'error-message')]")[0]
    assert "a déjà un fichier nommé 'b.csv'" in error.text_content()
    assert item.xpath(".//input[@name='new_key']/@aria-invalid") == ["true"]
    assert keys(producer, rid) == ["b.csv", "data/a.csv"]

    r = client.post(f"/records/{rid}/edit/files/delete", data={"_csrf": token, "key": "b.csv"})
    assert r.status_code == 303
    assert keys(producer, rid) == ["data/a.csv"]
    missing = client.post(f"/records/{rid}/edit/files/delete", data={"_csrf": token, "key": "b.csv"})
    assert missing.status_code == 404


def test_the_form_routes_need_the_csrf_token_and_the_owner(factory, producer, app, client) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    producer.put(f"/api/records/{rid}/draft/files/a.csv", data=b"aaa")
    sign_in(client, "producer@example.org")
    assert client.post(f"/records/{rid}/edit/files/delete", data={"key": "a.csv"}).status_code == 400
    factory.user("other@example.org")
    other = app.test_client()
    other_token = sign_in(other, "other@example.org")
    for action, data in (("delete", {}), ("rename", {"new_key": "b.csv"})):
        r = other.post(
            f"/records/{rid}/edit/files/{action}", data={"_csrf": other_token, "key": "a.csv", **data}
        )
        assert r.status_code == 404
    assert keys(producer, rid) == ["a.csv"]

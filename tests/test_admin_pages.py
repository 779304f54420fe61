"""The administration pages (/admin): every administrator action of the CLI and the admin API,
through the browser's forms (Flask's test client posting the same forms, CSRF token included).
The effects are checked through the REST API, the sign-in form and the database, never through
the page that made them."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.db import new_session
from app.models import Community, Event, Job, OaiSet, User, VocabularyScheme
from app.services import jobs

PASSWORD = "a long enough password"
EX = "http://example.org/vocab/ocean"
TTL = f"""
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
<{EX}> a skos:ConceptScheme ; dct:title "Océan"@fr, "Ocean"@en .
<{EX}/water> a skos:Concept ; skos:prefLabel "Eau"@fr, "Water"@en ; skos:inScheme <{EX}> .
<{EX}/sst> a skos:Concept ; skos:prefLabel "Température de surface"@fr, "Sea surface temperature"@en ;
    skos:broader <{EX}/water> ; skos:inScheme <{EX}> .
"""


@jobs.handler("test-admin-flaky")
def _flaky(session: Any, payload: dict[str, Any]) -> None:
    """Fails for good until the file it names exists (the "cause" an admin fixes before retrying)."""
    if not Path(payload["fixed"]).exists():
        raise jobs.PermanentJobError(f"DataCite answered 403: prefix not ours ({payload['n']})")


def csrf(client) -> str:  # type: ignore[no-untyped-def]
    page = client.get("/login")
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


def sign_in(client, email: str, password: str = PASSWORD) -> Any:  # type: ignore[no-untyped-def]
    return client.post("/login", data={"email": email, "password": password, "_csrf": csrf(client)})


def post(client, url: str, data: dict | None = None, **kw: Any) -> Any:  # type: ignore[no-untyped-def]
    return client.post(url, data={"_csrf": csrf(client), **(data or {})}, **kw)


@pytest.fixture
def admin(factory, client):  # type: ignore[no-untyped-def]
    api = factory.user("admin@example.org", role="admin", password=PASSWORD)
    assert sign_in(client, "admin@example.org").status_code == 302
    return api


def test_only_administrators_open_the_pages(factory, client) -> None:  # type: ignore[no-untyped-def]
    anonymous = client.get("/admin/users")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith(
        "/login?next=/admin/users"
    )
    factory.user("prod@example.org", password=PASSWORD)
    sign_in(client, "prod@example.org")
    assert client.get("/admin/users").status_code == 403
    assert post(client, "/admin/communities", {"slug": "evil", "title": "Evil"}).status_code == 403
    with new_session(factory.app) as s:
        assert s.scalar(select(Community).where(Community.slug == "evil")) is None


def test_forms_need_the_csrf_token(admin, client, app) -> None:  # type: ignore[no-untyped-def]
    refused = client.post("/admin/communities", data={"slug": "aeris", "title": "AERIS"})
    assert refused.status_code == 400 and "CSRF" in refused.text
    with new_session(app) as s:
        assert s.scalar(select(Community).where(Community.slug == "aeris")) is None


def test_communities_create_describe_and_moderators(admin, factory, client, app) -> None:  # type: ignore[no-untyped-def]
    prod = factory.user("claire@example.org", password=PASSWORD)
    created = post(
        client, "/admin/communities", {"slug": "odatis", "title": "ODATIS", "description": "Océan"}
    )
    assert created.status_code == 302 and created.headers["Location"] == "/admin/communities/odatis"
    assert "Community odatis created." in client.get("/admin/communities/odatis").text

    bad = post(client, "/admin/communities", {"slug": "Not A Slug!", "title": "x"})
    assert bad.status_code == 400 and "/slug" in bad.text and "lowercase" in bad.text
    dup = post(client, "/admin/communities", {"slug": "odatis", "title": "again"})
    assert dup.status_code == 409 and "already exists" in dup.text

    saved = post(client, "/admin/communities/odatis", {"title": "ODATIS océan", "description": "Pôle océan"})
    assert saved.status_code == 302
    listed = {c["id"]: c for c in factory.anonymous().get("/api/communities").json["hits"]["hits"]}
    assert listed["odatis"] == {"id": "odatis", "title": "ODATIS océan", "description": "Pôle océan"}
    empty = post(client, "/admin/communities/odatis", {"title": " ", "description": ""})
    assert empty.status_code == 400 and "/title" in empty.text

    assert (
        post(client, "/admin/communities/odatis/moderators", {"email": "claire@example.org"}).status_code
        == 302
    )
    me = prod.get("/api/me").json
    assert me["role"] == "moderator" and me["communities"] == ["odatis"]
    unknown = post(client, "/admin/communities/odatis/moderators", {"email": "nobody@example.org"})
    assert unknown.status_code == 404 and "nobody@example.org" in unknown.text

    removed = post(client, "/admin/communities/odatis/moderators/remove", {"email": "claire@example.org"})
    assert removed.status_code == 302
    assert prod.get("/api/me").json["communities"] == []
    with new_session(app) as s:
        actions = [e.action for e in s.scalars(select(Event).order_by(Event.id))]
    assert {"community-create", "community-update", "moderator-add", "moderator-remove"} <= set(actions)


def test_users_create_role_disable_and_reset_password(admin, factory, client, app) -> None:  # type: ignore[no-untyped-def]
    factory.community("theia")
    created = post(
        client,
        "/admin/users",
        {"email": "New@Example.org", "name": "Nouvelle", "role": "moderator", "communities": "theia"},
    )
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    password = re.search(r'id="new-password">([^<]+)<', created.text).group(1)
    with new_session(app) as s:
        user = s.scalar(select(User).where(User.email == "new@example.org"))
        assert user.role == "moderator" and [c.slug for c in user.moderated] == ["theia"]
        user_id = user.id

    other = app.test_client()
    assert sign_in(other, "new@example.org", password).status_code == 302
    assert other.get("/me").status_code == 200

    # Changing the role ends the user's sessions; leaving moderation leaves the communities.
    assert post(client, f"/admin/users/{user_id}/role", {"role": "producer"}).status_code == 302
    assert other.get("/me").status_code == 302  # signed out
    with new_session(app) as s:
        user = s.get(User, user_id)
        assert user.role == "producer" and user.moderated == []
    bad_role = post(client, f"/admin/users/{user_id}/role", {"role": "king"})
    assert bad_role.status_code == 400 and "/role" in bad_role.text

    # Disabling stops sign-in and the user's API tokens.
    token_user = factory.user("tok@example.org", password=PASSWORD)
    with new_session(app) as s:
        tok_id = s.scalar(select(User.id).where(User.email == "tok@example.org"))
    assert token_user.get("/api/me").status_code == 200
    assert post(client, f"/admin/users/{tok_id}/active", {"active": "false"}).status_code == 302
    assert token_user.get("/api/me").status_code == 401
    assert sign_in(app.test_client(), "tok@example.org").status_code == 401
    assert post(client, f"/admin/users/{tok_id}/active", {"active": "true"}).status_code == 302
    assert token_user.get("/api/me").status_code == 200

    # Reset: a new password shown once; the old one no longer works.
    reset = post(client, f"/admin/users/{tok_id}/password")
    assert reset.status_code == 200
    new_password = re.search(r'id="new-password">([^<]+)<', reset.text).group(1)
    assert sign_in(app.test_client(), "tok@example.org", PASSWORD).status_code == 401
    assert sign_in(app.test_client(), "tok@example.org", new_password).status_code == 302

    # An admin cannot lock themself out.
    with new_session(app) as s:
        admin_id = s.scalar(select(User.id).where(User.email == "admin@example.org"))
    assert post(client, f"/admin/users/{admin_id}/active", {"active": "false"}).status_code == 400
    assert post(client, f"/admin/users/{admin_id}/role", {"role": "producer"}).status_code == 400
    dup = post(client, "/admin/users", {"email": "tok@example.org", "role": "producer"})
    assert dup.status_code == 409
    short = post(client, "/admin/users", {"email": "x@example.org", "role": "producer", "password": "short"})
    assert short.status_code == 400 and "/password" in short.text
    with new_session(app) as s:
        assert s.scalar(select(User).where(User.email == "x@example.org")) is None


def test_oai_sets_defined_and_deleted(admin, factory, client, app) -> None:  # type: ignore[no-untyped-def]
    factory.community("aeris")
    saved = post(
        client,
        "/admin/oai-sets",
        {
            "spec": "rdg",
            "name": "Recherche Data Gouv",
            "description": "",
            "communities": "aeris",
            "access_levels": "open",
            "resource_types": "Dataset",
            "require_doi": "true",
        },
    )
    assert saved.status_code == 302
    listed = factory.anonymous().get("/api/oai/sets").json["hits"]["hits"]
    assert [(s["spec"], s["criteria"]) for s in listed] == [
        (
            "rdg",
            {
                "communities": ["aeris"],
                "resource_types": ["Dataset"],
                "access_levels": ["open"],
                "require_doi": True,
            },
        )
    ]
    edit = client.get("/admin/oai-sets?edit=rdg")
    assert 'value="rdg"' in edit.text and re.search(r'value="aeris" checked', edit.text)
    bad = post(client, "/admin/oai-sets", {"spec": "community-aeris", "name": "x"})
    assert bad.status_code == 400 and "/spec" in bad.text and "reserved" in bad.text
    bad_type = post(client, "/admin/oai-sets", {"spec": "x", "name": "x", "resource_types": "Poem"})
    assert bad_type.status_code == 400 and "/criteria/resource_types" in bad_type.text
    assert post(client, "/admin/oai-sets/rdg/delete").status_code == 302
    with new_session(app) as s:
        assert s.scalars(select(OaiSet)).all() == []


def test_vocabulary_import_from_a_skos_file(admin, client, app) -> None:  # type: ignore[no-untyped-def]
    import io

    sent = post(
        client,
        "/admin/vocabularies",
        {"file": (io.BytesIO(TTL.encode()), "ocean.ttl"), "scheme_uri": EX, "name": "ocean"},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    page = client.get("/admin/vocabularies").text
    assert "Vocabulary ocean imported: 2 new" in page
    terms = client.get("/api/vocabularies/ocean/terms?q=sea&lang=en").json
    assert [t["label"] for t in terms["hits"]["hits"]] == ["Sea surface temperature"]

    hostile = post(
        client,
        "/admin/vocabularies",
        {
            "file": (io.BytesIO(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'), "bad.rdf"),
            "scheme_uri": "http://example.org/bad",
        },
        content_type="multipart/form-data",
    )
    assert hostile.status_code == 400 and "/file" in hostile.text
    missing = post(client, "/admin/vocabularies", {"scheme_uri": EX}, content_type="multipart/form-data")
    assert missing.status_code == 400 and "/file" in missing.text
    with new_session(app) as s:
        assert [v.name for v in s.scalars(select(VocabularyScheme))] == ["ocean"]


def test_failed_jobs_show_their_error_and_are_retried(admin, client, app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    n = uuid.uuid4().hex
    fixed = tmp_path / "fixed"
    with new_session(app) as s:
        job_id = jobs.enqueue(s, "test-admin-flaky", {"n": n, "fixed": str(fixed)}).id
        s.commit()
    assert jobs.run_job(app.extensions["alluvium.sessionmaker"], job_id) is False
    listing = client.get("/admin/jobs")
    assert listing.status_code == 200 and f"DataCite answered 403: prefix not ours ({n})" in listing.text
    detail = client.get(f"/admin/jobs/{job_id}")
    assert "test-admin-flaky" in detail.text and "prefix not ours" in detail.text

    fixed.write_text("the prefix was corrected")
    retried = post(client, f"/admin/jobs/{job_id}/retry")
    assert retried.status_code == 302
    with new_session(app) as s:
        job = s.get(Job, job_id)
        assert job.state == "done"  # eager mode ran it after the commit
    again = post(client, f"/admin/jobs/{job_id}/retry")
    assert again.status_code == 409 and "not failed" in again.text
    assert client.get("/admin/jobs?state=bogus").status_code == 400


def test_preservation_page_shows_packages_copies_and_fixity_checks(database_url, instance) -> None:  # type: ignore[no-untyped-def]
    """A published version archived in two locations; an injected bit flip in the replica found
    and repaired by the audit: the page shows the package, both copies and the repair."""
    from app import create_app
    from app.services import archive
    from tests._oai import Repo
    from tests.conftest import Factory, make_test_config

    app = create_app(make_test_config(database_url, instance, ARCHIVE_REPLICA_PATH=str(instance / "replica")))
    web = app.test_client()
    repo = Repo(app)
    Factory(app, web).user("keeper@example.org", role="admin", password=PASSWORD)
    with app.app_context():
        rid = repo.publish(1)
        jobs.run_pending(app.extensions["alluvium.sessionmaker"])
    with new_session(app) as s:
        name = s.scalar(select(archive.ArchivePackage.name).where(archive.ArchivePackage.record_id == rid))
    assert name
    bag_info = instance / "replica" / name / "bag-info.txt"
    bag_info.write_bytes(bag_info.read_bytes().replace(b"Bag", b"Bog", 1))
    with app.app_context(), new_session(app) as s:
        report = archive.audit(s, app.config)
    assert report.checked == 2 and len(report.repaired) == 1
    sign_in(web, "keeper@example.org")
    page = web.get("/admin/preservation")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert name in text and "replica" in text and "primary" in text
    assert re.search(r"<strong>repaired</strong>.*repaired: bag-info.txt", text, re.S)
    assert re.search(r"Preserved</dt><dd>1<", text)
    app.extensions["alluvium.engine"].dispose()

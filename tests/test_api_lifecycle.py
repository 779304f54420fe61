"""The moderated record lifecycle through the REST API, on a real database."""

from __future__ import annotations

import pytest

from schemas.examples import minimal_example, rich_example


@pytest.fixture
def people(factory):  # type: ignore[no-untyped-def]
    factory.community("aeris", "AERIS")
    factory.community("theia", "THEIA")
    return {
        "producer": factory.user("producer@example.org"),
        "other": factory.user("other@example.org"),
        "mod": factory.user("mod@example.org", role="moderator", communities=["aeris"]),
        "mod2": factory.user("mod2@example.org", role="moderator", communities=["aeris"]),
        "theia_mod": factory.user("theia@example.org", role="moderator", communities=["theia"]),
        "admin": factory.user("admin@example.org", role="admin"),
        "anon": factory.anonymous(),
    }


def new_draft(api, metadata=None, community=None):  # type: ignore[no-untyped-def]
    body = {"metadata": metadata if metadata is not None else minimal_example()}
    if community:
        body["community"] = community
    r = api.post("/api/records", json=body)
    assert r.status_code == 201, r.json
    return r.json


def published(people, metadata=None):  # type: ignore[no-untyped-def]
    """A record taken through the whole workflow by the real endpoints."""
    p, m = people["producer"], people["mod"]
    rec = new_draft(p, metadata)
    rid = rec["id"]
    assert p.post(f"/api/records/{rid}/draft/actions/submit", json={"community": "aeris"}).status_code == 202
    assert m.post(f"/api/records/{rid}/review/actions/assign", json={}).status_code == 200
    r = m.post(f"/api/records/{rid}/review/actions/accept", json={"comment": "fine"})
    assert r.status_code == 200, r.json
    return r.json


def test_full_workflow_from_draft_to_new_version(people) -> None:  # type: ignore[no-untyped-def]
    p, m = people["producer"], people["mod"]
    # A draft filled in several partial updates.
    rec = new_draft(p, {})
    rid = rec["id"]
    assert rec["state"] == "draft" and rec["revision_id"] == 1
    parts = minimal_example()
    etag = f'"{rec["revision_id"]}"'
    for key in ("titles", "abstracts", "creators", "contacts", "publisher", "resource_type", "rights"):
        r = p.patch(
            f"/api/records/{rid}/draft", json={"metadata": {key: parts[key]}}, headers={"If-Match": etag}
        )
        assert r.status_code == 200, r.json
        etag = r.headers["ETag"]
    assert r.json["metadata"]["titles"][0]["text"] == parts["titles"][0]["text"]
    assert r.json["revision_id"] == 8

    # Files.
    up = p.put(
        f"/api/records/{rid}/draft/files/data/soil.csv",
        data=b"date,sm\n2024-01-01,0.31\n",
        headers={"Content-Type": "text/csv"},
    )
    assert up.status_code == 201, up.json
    assert up.json["mimetype"] == "text/csv"

    # Submit, then the moderator's queue.
    r = p.post(f"/api/records/{rid}/draft/actions/submit", json={"community": "aeris", "comment": "please"})
    assert r.status_code == 202 and r.json["state"] == "submitted"
    queue = m.get("/api/reviews").json["hits"]
    assert [h["id"] for h in queue["hits"]] == [rid] and queue["total"] == 1
    assert people["theia_mod"].get("/api/reviews").json["hits"]["total"] == 0

    # Review: assign, comment, request changes.
    assert m.post(f"/api/records/{rid}/review/actions/assign", json={}).json["state"] == "under_review"
    assert (
        m.post(
            f"/api/records/{rid}/review/actions/comment", json={"comment": "Is the depth 10 cm?"}
        ).status_code
        == 201
    )
    assert p.post(f"/api/records/{rid}/review/actions/comment", json={"comment": "Yes."}).status_code == 201
    r = m.post(f"/api/records/{rid}/review/actions/request-changes", json={"comment": "Add the version"})
    assert r.json["state"] == "changes_requested"

    # The producer edits and resubmits.
    draft = p.get(f"/api/records/{rid}/draft")
    r = p.patch(
        f"/api/records/{rid}/draft",
        json={"metadata": {"version": "1.0"}},
        headers={"If-Match": draft.headers["ETag"]},
    )
    assert r.status_code == 200, r.json
    assert p.post(f"/api/records/{rid}/draft/actions/submit", json={}).json["state"] == "resubmitted"
    assert m.post(f"/api/records/{rid}/review/actions/assign", json={}).json["state"] == "under_review"

    # Accept: published with a PID, a frozen version, a landing URL.
    r = m.post(f"/api/records/{rid}/review/actions/accept", json={"comment": "Thanks"})
    assert r.status_code == 200
    rec = r.json
    assert rec["state"] == "published"
    assert rec["pids"]["local"]["identifier"] == rid
    assert rec["links"]["self_html"] == f"http://alluvium.test/records/{rid}"
    assert rec["publication_date"] is not None
    assert rec["versions"] == {"index": 1, "is_latest": True, "parent_id": rec["parent"]["id"]}
    pub = people["anon"].get(f"/api/records/{rid}")
    assert pub.status_code == 200 and pub.json["metadata"]["version"] == "1.0"

    # Frozen: no edits, no uploads, no deletions.
    assert (
        p.patch(
            f"/api/records/{rid}/draft",
            json={"metadata": {"version": "2"}},
            headers={"If-Match": r.headers["ETag"]},
        ).status_code
        == 409
    )
    assert p.put(f"/api/records/{rid}/draft/files/x.txt", data=b"x").status_code == 409
    assert p.delete(f"/api/records/{rid}/draft/files/data/soil.csv").status_code == 409

    # Every state change recorded: who, when, from, to, comment.
    # The moderators see who by e-mail; the producer sees staff by role only.
    events = m.get(f"/api/records/{rid}/events").json["hits"]["hits"]
    changes = [(e["action"], e["from"], e["to"], e["actor"]) for e in events if e["from"] != e["to"]]
    assert changes == [
        ("create", None, "draft", "producer@example.org"),
        ("submit", "draft", "submitted", "producer@example.org"),
        ("assign", "submitted", "under_review", "mod@example.org"),
        ("request-changes", "under_review", "changes_requested", "mod@example.org"),
        ("submit", "changes_requested", "resubmitted", "producer@example.org"),
        ("assign", "resubmitted", "under_review", "mod@example.org"),
        ("accept", "under_review", "accepted", "mod@example.org"),
        ("publish", "accepted", "published", "system"),
    ]
    events = p.get(f"/api/records/{rid}/events").json["hits"]["hits"]
    assert [e["actor"] for e in events if e["from"] != e["to"]] == [
        "producer@example.org",
        "producer@example.org",
        "moderator",
        "moderator",
        "producer@example.org",
        "moderator",
        "moderator",
        "system",
    ]
    comments = [e["comment"] for e in events if e["action"] == "comment"]
    assert comments == ["Is the depth 10 cm?", "Yes."]
    assert all(e["created"] for e in events)

    # New version: a new draft carrying metadata and files; the old version stays resolvable.
    r = p.post(f"/api/records/{rid}/versions")
    assert r.status_code == 201
    v2 = r.json
    assert v2["id"] != rid and v2["state"] == "draft" and v2["versions"]["index"] == 2
    assert v2["parent"]["id"] == rec["parent"]["id"]
    assert [f["key"] for f in v2["files"]] == ["data/soil.csv"]
    assert p.post(f"/api/records/{rid}/versions").status_code == 409  # one version in progress at a time
    r = p.patch(
        f"/api/records/{v2['id']}/draft", json={"metadata": {"version": "2.0"}}, headers={"If-Match": '"1"'}
    )
    assert r.status_code == 200
    assert p.post(f"/api/records/{v2['id']}/draft/actions/submit", json={}).status_code == 202
    assert m.post(f"/api/records/{v2['id']}/review/actions/assign", json={}).status_code == 200
    assert m.post(f"/api/records/{v2['id']}/review/actions/accept", json={}).json["state"] == "published"
    old = people["anon"].get(f"/api/records/{rid}")
    assert old.status_code == 200 and old.json["versions"]["is_latest"] is False
    assert old.json["metadata"]["version"] == "1.0"
    latest = people["anon"].get(f"/api/records/{rid}/versions/latest")
    assert latest.status_code == 302 and latest.headers["Location"].endswith(f"/api/records/{v2['id']}")
    versions = people["anon"].get(f"/api/records/{rid}/versions").json["hits"]
    assert [v["versions"]["index"] for v in versions["hits"]] == [2, 1]


def test_withdrawal_leaves_a_tombstone_and_the_identifier_resolves(people, client) -> None:  # type: ignore[no-untyped-def]
    rec = published(people)
    rid = rec["id"]
    assert people["mod"].post(f"/api/records/{rid}/actions/withdraw", json={"reason": "x"}).status_code == 403
    assert (
        people["producer"].post(f"/api/records/{rid}/actions/withdraw", json={"reason": "x"}).status_code
        == 403
    )
    r = people["admin"].post(f"/api/records/{rid}/actions/withdraw", json={})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "/reason"
    r = people["admin"].post(
        f"/api/records/{rid}/actions/withdraw", json={"reason": "Duplicate of another record"}
    )
    assert r.status_code == 200 and r.json["state"] == "withdrawn"
    gone = people["anon"].get(f"/api/records/{rid}")
    assert gone.status_code == 410
    tomb = gone.json["tombstone"]
    assert tomb["reason"] == "Duplicate of another record"
    assert tomb["removed_by"] == "the repository administrators"
    assert "admin@example.org" not in gone.get_data(as_text=True)
    assert tomb["removal_date"]
    assert "metadata" not in gone.json
    page = client.get(f"/records/{rid}")
    assert page.status_code == 410 and b"Duplicate of another record" in page.data
    assert people["anon"].get(f"/api/records/{rid}/files/anything").status_code in (403, 404, 410)
    events = people["admin"].get(f"/api/records/{rid}/events").json["hits"]["hits"]
    assert events[-1]["action"] == "withdraw" and events[-1]["as_admin"] is True


def test_rejection_is_final_and_needs_a_reason(people) -> None:  # type: ignore[no-untyped-def]
    p, m = people["producer"], people["mod"]
    rid = new_draft(p, community="aeris")["id"]
    p.post(f"/api/records/{rid}/draft/actions/submit", json={})
    m.post(f"/api/records/{rid}/review/actions/assign", json={})
    r = m.post(f"/api/records/{rid}/review/actions/reject", json={})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "/comment"
    assert (
        m.post(f"/api/records/{rid}/review/actions/reject", json={"comment": "Out of scope"}).json["state"]
        == "rejected"
    )
    r = p.post(f"/api/records/{rid}/draft/actions/submit", json={})
    assert r.status_code == 409 and "rejected" in r.json["message"]


def test_invalid_transitions_get_409(people) -> None:  # type: ignore[no-untyped-def]
    p, m = people["producer"], people["mod"]
    rid = new_draft(p, community="aeris")["id"]
    r = m.post(f"/api/records/{rid}/review/actions/accept", json={})
    assert r.status_code == 403  # a moderator cannot even see a draft
    assert p.post(f"/api/records/{rid}/draft/actions/submit", json={}).status_code == 202
    r = p.post(f"/api/records/{rid}/draft/actions/submit", json={})
    assert r.status_code == 409 and r.json["status"] == 409 and "submitted" in r.json["message"]
    r = m.post(f"/api/records/{rid}/review/actions/accept", json={})
    assert r.status_code == 409  # must be assigned (under review) first
    assert p.post(f"/api/records/{rid}/versions").status_code == 409
    assert p.post(f"/api/records/{rid}/draft/actions/cancel", json={}).json["state"] == "draft"


def test_submission_requires_mandatory_fields_and_a_community(people) -> None:  # type: ignore[no-untyped-def]
    p = people["producer"]
    rid = new_draft(p, {"titles": [{"text": "Only a title"}]})["id"]
    r = p.post(f"/api/records/{rid}/draft/actions/submit", json={})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "/community"
    r = p.post(f"/api/records/{rid}/draft/actions/submit", json={"community": "nope"})
    assert r.status_code == 400 and "nope" in r.json["errors"][0]["messages"][0]
    r = p.post(f"/api/records/{rid}/draft/actions/submit", json={"community": "aeris"})
    assert r.status_code == 400
    fields = {e["field"] for e in r.json["errors"]}
    assert {"/metadata/creators", "/metadata/abstracts", "/metadata/publisher/name"} <= fields
    assert p.get(f"/api/records/{rid}/draft").json["state"] == "draft"


def test_validate_reports_every_problem_and_completeness(people) -> None:  # type: ignore[no-untyped-def]
    p = people["producer"]
    rid = new_draft(p, {"titles": [{"text": "Only a title"}]})["id"]
    r = p.post(f"/api/records/{rid}/draft/actions/validate")
    assert r.status_code == 200 and r.json["valid"] is False
    assert "/metadata/creators" in r.json["missing_mandatory"]
    low = r.json["completeness"]
    etag = p.get(f"/api/records/{rid}/draft").headers["ETag"]
    p.put(f"/api/records/{rid}/draft", json={"metadata": rich_example()}, headers={"If-Match": etag})
    r = p.post(f"/api/records/{rid}/draft/actions/validate").json
    assert r["valid"] is True and r["errors"] == [] and r["completeness"] > low


def test_bad_values_are_rejected_with_json_pointers_and_nothing_is_written(people) -> None:  # type: ignore[no-untyped-def]
    p = people["producer"]
    rid = new_draft(p)["id"]
    before = p.get(f"/api/records/{rid}/draft").json
    bad = {
        "creators": [
            {
                "type": "Personal",
                "family_name": "X",
                "identifiers": [{"identifier": "0000-0002-1825-0098", "scheme": "ORCID"}],
            }
        ],
        "spatial_extents": [{"bbox": {"west": 0, "east": 10, "south": 50, "north": 40}}],
        "contacts": [{"type": "Personal", "name": "Y", "email": "not-an-email"}],
    }
    r = p.patch(f"/api/records/{rid}/draft", json={"metadata": bad}, headers={"If-Match": '"1"'})
    assert r.status_code == 400
    fields = {e["field"] for e in r.json["errors"]}
    assert "/metadata/creators/0/identifiers/0/identifier" in fields
    assert any(f.startswith("/metadata/spatial_extents/0/bbox") for f in fields)
    assert "/metadata/contacts/0/email" in fields
    after = p.get(f"/api/records/{rid}/draft")
    assert after.json["revision_id"] == 1
    assert after.json["metadata"] == before["metadata"]


def test_stale_if_match_gets_412_and_missing_gets_428(people) -> None:  # type: ignore[no-untyped-def]
    p = people["producer"]
    rid = new_draft(p)["id"]
    first = p.patch(
        f"/api/records/{rid}/draft", json={"metadata": {"version": "a"}}, headers={"If-Match": '"1"'}
    )
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    stale = p.patch(
        f"/api/records/{rid}/draft", json={"metadata": {"version": "b"}}, headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 412 and "reload" in stale.json["message"]
    assert p.get(f"/api/records/{rid}/draft").json["metadata"]["version"] == "a"
    missing = p.put(f"/api/records/{rid}/draft", json={"metadata": {}})
    assert missing.status_code == 428
    garbage = p.put(f"/api/records/{rid}/draft", json={"metadata": {}}, headers={"If-Match": "abc"})
    assert garbage.status_code == 400 and garbage.json["errors"][0]["field"] == "/If-Match"


@pytest.mark.parametrize("who", ["other", "mod", "theia_mod"])
def test_nobody_else_touches_a_producers_draft(people, who) -> None:  # type: ignore[no-untyped-def]
    rid = new_draft(people["producer"], community="aeris")["id"]
    api = people[who]
    assert api.get(f"/api/records/{rid}/draft").status_code == 403
    assert (
        api.patch(f"/api/records/{rid}/draft", json={"metadata": {}}, headers={"If-Match": '"1"'}).status_code
        == 403
    )
    assert api.put(f"/api/records/{rid}/draft/files/a.txt", data=b"a").status_code == 403
    assert api.post(f"/api/records/{rid}/draft/actions/submit", json={}).status_code == 403
    assert api.delete(f"/api/records/{rid}/draft").status_code == 403
    assert api.get(f"/api/records/{rid}/events").status_code == 403


def test_anonymous_gets_401_and_reads_only_published(people) -> None:  # type: ignore[no-untyped-def]
    anon = people["anon"]
    rid = new_draft(people["producer"])["id"]
    r = anon.post("/api/records", json={"metadata": {}})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    assert anon.get(f"/api/records/{rid}/draft").status_code == 401
    assert anon.get(f"/api/records/{rid}").status_code in (401, 404)
    bad = people["anon"].client.get("/api/me", headers={"Authorization": "Bearer alv_nope"})
    assert bad.status_code == 401 and "unknown or revoked" in bad.json["message"]


def test_moderators_act_only_in_their_communities(people) -> None:  # type: ignore[no-untyped-def]
    p = people["producer"]
    rid = new_draft(p, community="aeris")["id"]
    p.post(f"/api/records/{rid}/draft/actions/submit", json={})
    t = people["theia_mod"]
    for action in ("assign", "accept", "reject", "request-changes"):
        r = t.post(f"/api/records/{rid}/review/actions/{action}", json={"comment": "x"})
        assert r.status_code == 403, action
    assert people["producer"].post(f"/api/records/{rid}/review/actions/assign", json={}).status_code == 403
    r = people["mod"].post(
        f"/api/records/{rid}/review/actions/assign", json={"assignee": "theia@example.org"}
    )
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "/assignee"
    r = people["mod"].post(f"/api/records/{rid}/review/actions/assign", json={"assignee": "mod2@example.org"})
    assert r.status_code == 200 and r.json["review"]["assigned_to"] == "mod2@example.org"
    mine = people["mod2"].get("/api/reviews?assigned=me&state=under_review").json["hits"]
    assert [h["id"] for h in mine["hits"]] == [rid]


def test_admin_actions_are_recorded_as_such(people) -> None:  # type: ignore[no-untyped-def]
    rid = new_draft(people["producer"], community="theia")["id"]
    people["producer"].post(f"/api/records/{rid}/draft/actions/submit", json={})
    a = people["admin"]
    assert a.post(f"/api/records/{rid}/review/actions/assign", json={}).status_code == 200
    assert a.post(f"/api/records/{rid}/review/actions/accept", json={}).json["state"] == "published"
    events = a.get(f"/api/records/{rid}/events").json["hits"]["hits"]
    by_admin = [e["action"] for e in events if e["as_admin"]]
    assert by_admin == ["assign", "accept"]


def test_token_scopes_are_enforced(factory) -> None:  # type: ignore[no-untyped-def]
    reader = factory.user("reader@example.org", scopes=["read"])
    r = reader.post("/api/records", json={"metadata": {}})
    assert r.status_code == 403 and "deposit" in r.json["message"]
    assert reader.get("/api/me").json["scopes"] == ["read"]
    producer = factory.user("p@example.org", scopes=["read", "deposit", "moderate"])
    assert producer.get("/api/me").json["scopes"] == ["deposit", "read"]  # producers never get moderate


def test_tokens_are_shown_once_stored_hashed_and_revocable(factory, app) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from app.db import new_session
    from app.models import ApiToken

    api = factory.user("t@example.org")
    r = api.post("/api/me/tokens", json={"name": "laptop", "scopes": ["read"]})
    assert r.status_code == 201
    secret, token_id = r.json["token"], r.json["id"]
    listed = api.get("/api/me/tokens").json["hits"]["hits"]
    assert all("token" not in t for t in listed) and any(t["id"] == token_id for t in listed)
    with new_session(app) as s:
        stored = s.scalars(select(ApiToken.token_hash)).all()
    assert secret not in stored and all(len(h) == 64 for h in stored)
    laptop = type(api)(api.client, secret)
    assert laptop.get("/api/me").status_code == 200
    assert api.delete(f"/api/me/tokens/{token_id}").status_code == 204
    assert laptop.get("/api/me").status_code == 401


def test_errors_are_json_never_html(people, client) -> None:  # type: ignore[no-untyped-def]
    p = people["producer"]
    for r in (
        client.get("/api/nowhere"),
        client.delete("/api/openapi.json"),
        p.get("/api/records/zzzzz-zzzzz/draft"),
        p.client.post(
            "/api/records",
            data="{not json",
            headers={"Authorization": f"Bearer {p.token}", "Content-Type": "application/json"},
        ),
        p.client.post(
            "/api/records",
            data="[1]",
            headers={"Authorization": f"Bearer {p.token}", "Content-Type": "application/json"},
        ),
        p.post("/api/records", json={"metadata": {}, "colour": "red"}),
    ):
        assert r.mimetype == "application/json", r.data[:200]
        assert set(r.json) >= {"status", "message", "errors"} and r.json["status"] == r.status_code
        assert r.status_code in (400, 404, 405)
    r = p.post("/api/records", json={"metadata": {}, "colour": "red"})
    assert r.json["errors"][0]["field"] == "/colour"


def test_oversized_json_body_is_refused(people, app) -> None:  # type: ignore[no-untyped-def]
    app.config["MAX_JSON_SIZE"] = 1000
    r = people["producer"].post("/api/records", json={"metadata": {"version": "x" * 2000}})
    assert r.status_code == 413


@pytest.mark.parametrize("depth", [100_000, 500])
def test_deeply_nested_json_body_is_refused(people, depth) -> None:  # type: ignore[no-untyped-def]
    # 100,000 levels ended json.loads with a RecursionError (a 500 and a traceback); 500 levels
    # parse but would reach the recursive merge patch and schema load.
    p = people["producer"]
    body = '{"metadata": {"titles": ' + "[" * depth + "]" * depth + "}}"
    r = p.post("/api/records", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.data[:200]
    assert "levels deep; the limit is 64" in r.json["message"]
    assert p.get("/api/user/records").json["hits"]["total"] == 0


def test_deleting_a_draft(people) -> None:  # type: ignore[no-untyped-def]
    p = people["producer"]
    rid = new_draft(p)["id"]
    assert p.delete(f"/api/records/{rid}/draft", headers={"If-Match": '"7"'}).status_code == 412
    assert p.delete(f"/api/records/{rid}/draft").status_code == 204
    assert p.get(f"/api/records/{rid}/draft").status_code == 404
    assert p.get("/api/user/records").json["hits"]["total"] == 0


def test_landing_page_negotiates_html_and_json(people, client) -> None:  # type: ignore[no-untyped-def]
    rec = published(people, rich_example())
    rid = rec["id"]
    html = client.get(f"/records/{rid}", headers={"Accept": "text/html"})
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert rich_example()["titles"][0]["text"].encode() in html.data
    js = client.get(f"/records/{rid}", headers={"Accept": "application/json"})
    assert js.status_code == 200 and js.mimetype == "application/json"
    assert js.json["id"] == rid and js.json["metadata"]["titles"] == rec["metadata"]["titles"]
    draft = new_draft(people["producer"])["id"]
    # An unpublished version is not there for the public (its owner is sent to the preview).
    assert client.get(f"/records/{draft}").status_code == 404

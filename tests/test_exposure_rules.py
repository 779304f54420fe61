"""What the public sees, lifecycle rules and API semantics ("Trust first"), through the real
endpoints on a real database (SQLite, or PostgreSQL with ALLUVIUM_TEST_DATABASE_URL)."""

from __future__ import annotations

import pytest

from schemas.examples import minimal_example

CONTACT = minimal_example()["contacts"][0]["email"]
STAFF_EMAILS = ("mod@example.org", "admin@example.org")


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
        "admin2": factory.user("admin2@example.org", role="admin"),
        "anon": factory.anonymous(),
    }


def draft(api, community="aeris"):  # type: ignore[no-untyped-def]
    r = api.post("/api/records", json={"metadata": minimal_example(), "community": community})
    assert r.status_code == 201, r.json
    return r.json["id"]


def submitted(people, owner="producer"):  # type: ignore[no-untyped-def]
    rid = draft(people[owner])
    assert people[owner].post(f"/api/records/{rid}/draft/actions/submit", json={}).status_code == 202
    return rid


def under_review(people):  # type: ignore[no-untyped-def]
    rid = submitted(people)
    assert people["mod"].post(f"/api/records/{rid}/review/actions/assign", json={}).status_code == 200
    return rid


def changes_requested(people):  # type: ignore[no-untyped-def]
    rid = under_review(people)
    r = people["mod"].post(f"/api/records/{rid}/review/actions/request-changes", json={"comment": "fix"})
    assert r.json["state"] == "changes_requested"
    return rid


def published(people):  # type: ignore[no-untyped-def]
    rid = under_review(people)
    r = people["mod"].post(f"/api/records/{rid}/review/actions/accept", json={})
    assert r.json["state"] == "published", r.json
    return rid


def publish_new_version(people, rid):  # type: ignore[no-untyped-def]
    v2 = people["producer"].post(f"/api/records/{rid}/versions").json["id"]
    assert people["producer"].post(f"/api/records/{v2}/draft/actions/submit", json={}).status_code == 202
    assert people["mod"].post(f"/api/records/{v2}/review/actions/assign", json={}).status_code == 200
    assert (
        people["mod"].post(f"/api/records/{v2}/review/actions/accept", json={}).json["state"] == "published"
    )
    return v2


def withdraw(people, rid):  # type: ignore[no-untyped-def]
    r = people["admin"].post(f"/api/records/{rid}/actions/withdraw", json={"reason": "Duplicate"})
    assert r.status_code == 200, r.json
    return r


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


# -- 1. a withdrawn version is public only as its tombstone --------------------------------


def test_withdrawn_version_is_only_a_tombstone_in_versions_exports_files_and_negotiation(people) -> None:  # type: ignore[no-untyped-def]
    anon = people["anon"]
    v1 = published(people)
    v2 = publish_new_version(people, v1)
    withdraw(people, v1)

    for base in (v1, v2):
        listing = anon.get(f"/api/records/{base}/versions")
        assert listing.status_code == 200, listing.json
        hits = {h["id"]: h for h in listing.json["hits"]["hits"]}
        assert set(hits) == {v1, v2}
        assert "metadata" in hits[v2]
        assert set(hits[v1]) == {"id", "state", "versions", "tombstone", "links"}
        assert hits[v1]["tombstone"]["reason"] == "Duplicate"
        assert CONTACT not in str(hits[v1]) and "Duplicate" in str(hits[v1])

    for fmt in ("datacite", "bibtex", "schemaorg"):
        for query in ("?draft=1", "?draft=true", ""):
            r = anon.get(f"/api/records/{v1}/export/{fmt}{query}")
            assert r.status_code == 410, (fmt, query, r.status_code)
            assert r.json["tombstone"]["reason"] == "Duplicate"
            assert CONTACT not in text(r)
    for url in (f"/api/records/{v1}/files", f"/api/records/{v1}/draft"):
        r = anon.get(url)
        assert r.status_code in (401, 410), (url, r.status_code)
        assert CONTACT not in text(r)
    assert anon.get(f"/api/records/{v1}/files").status_code == 410
    # Signed in but not its owner nor staff: the same.
    assert people["other"].get(f"/api/records/{v1}/export/datacite?draft=1").status_code == 410
    assert people["other"].get(f"/api/records/{v1}/draft").status_code == 410

    latest = anon.get(f"/api/records/{v1}/versions/latest")
    assert latest.status_code == 302 and latest.headers["Location"].endswith(f"/api/records/{v2}")

    for accept in (
        "application/json",
        "application/vnd.datacite.datacite+xml",
        "application/x-bibtex",
        "text/html",
    ):
        r = anon.get(f"/records/{v1}", headers={"Accept": accept})
        assert r.status_code == 410, accept
        assert CONTACT not in text(r) and "<creators" not in text(r)

    # Its owner still reads the withdrawn version's metadata.
    mine = {h["id"]: h for h in people["producer"].get(f"/api/records/{v1}/versions").json["hits"]["hits"]}
    assert mine[v1]["metadata"]["contacts"][0]["email"] == CONTACT


def test_latest_redirect_skips_withdrawn_versions_and_404s_when_none_is_published(people) -> None:  # type: ignore[no-untyped-def]
    v1 = published(people)
    v2 = publish_new_version(people, v1)
    withdraw(people, v2)
    r = people["anon"].get(f"/api/records/{v2}/versions/latest")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/api/records/{v1}")
    rid = draft(people["producer"])
    r = people["producer"].get(f"/api/records/{rid}/versions/latest")
    assert r.status_code == 404 and "published" in r.json["message"]


# -- 2. staff e-mail addresses are not public ---------------------------------------------


def test_assignee_email_is_shown_to_staff_only(people) -> None:  # type: ignore[no-untyped-def]
    rid = published(people)
    for who in ("anon", "producer", "other", "theia_mod"):
        r = people[who].get("/api/records")
        assert r.status_code == 200
        (hit,) = [h for h in r.json["hits"]["hits"] if h["id"] == rid]
        assert hit["review"]["assigned_to"] is None, who
        assert "mod@example.org" not in text(r), who
        assert "mod@example.org" not in text(people[who].get(f"/api/records/{rid}")), who
        assert "mod@example.org" not in text(people[who].get(f"/api/records/{rid}/versions")), who
    for who in ("mod", "mod2", "admin"):
        r = people[who].get(f"/api/records/{rid}")
        assert r.json["review"]["assigned_to"] == "mod@example.org", who

    # The producer following their submission: no assignee e-mail in the draft, nor in the events.
    pending = under_review(people)
    r = people["producer"].get(f"/api/records/{pending}/draft")
    assert r.json["state"] == "under_review" and r.json["review"]["assigned_to"] is None
    events = people["producer"].get(f"/api/records/{pending}/events")
    assert "mod@example.org" not in text(events)
    assign = [e for e in events.json["hits"]["hits"] if e["action"] == "assign"][0]
    assert assign["actor"] == "moderator" and assign["data"]["assignee"] == "moderator"
    staff_view = people["mod2"].get(f"/api/records/{pending}/events").json["hits"]["hits"]
    assert [e["data"]["assignee"] for e in staff_view if e["action"] == "assign"] == ["mod@example.org"]


def test_tombstone_names_a_role_never_the_admin_everywhere(people, client) -> None:  # type: ignore[no-untyped-def]
    rid = published(people)
    r = withdraw(people, rid)
    assert r.json["tombstone"]["removed_by"] == "the repository administrators"
    anon = people["anon"]
    responses = [
        r,
        anon.get(f"/api/records/{rid}"),
        anon.get(f"/api/records/{rid}/versions"),
        anon.get(f"/records/{rid}", headers={"Accept": "application/json"}),
        anon.get(f"/records/{rid}", headers={"Accept": "text/html"}),
        anon.get("/oai?verb=ListRecords&metadataPrefix=oai_dc"),
        anon.get("/oai?verb=ListRecords&metadataPrefix=oai_datacite"),
        people["producer"].get(f"/api/records/{rid}/events"),
    ]
    for resp in responses:
        body = text(resp)
        assert "admin@example.org" not in body, resp.request.path
    html = text(responses[4])
    assert "the repository administrators" in html and "Duplicate" in html
    assert responses[1].json["tombstone"]["statement"] == "Withdrawn by the repository administrators."
    # Staff keep the audit trail: who withdrew it is in the events, for admins.
    events = people["admin2"].get(f"/api/records/{rid}/events").json["hits"]["hits"]
    assert events[-1]["action"] == "withdraw" and events[-1]["actor"] == "admin@example.org"


# -- 3. rules -----------------------------------------------------------------------------


def test_an_admin_does_not_moderate_their_own_submission(people) -> None:  # type: ignore[no-untyped-def]
    a = people["admin"]
    rid = submitted(people, owner="admin")
    r = a.post(f"/api/records/{rid}/review/actions/assign", json={})
    assert r.status_code == 403 and "your own submission" in r.json["message"]
    assert people["mod"].post(f"/api/records/{rid}/review/actions/assign", json={}).status_code == 200
    for action, body in (
        ("accept", {}),
        ("reject", {"comment": "no"}),
        ("request-changes", {"comment": "x"}),
    ):
        r = a.post(f"/api/records/{rid}/review/actions/{action}", json=body)
        assert r.status_code == 403 and "your own submission" in r.json["message"], action
    assert a.get(f"/api/records/{rid}/draft").json["state"] == "under_review"
    # Another admin may.
    assert (
        people["admin2"].post(f"/api/records/{rid}/review/actions/accept", json={}).json["state"]
        == "published"
    )


def test_the_community_cannot_change_once_submitted(people) -> None:  # type: ignore[no-untyped-def]
    p = people["producer"]
    rid = changes_requested(people)
    before = p.get(f"/api/records/{rid}/draft")
    etag = before.headers["ETag"]
    for body in (
        {"community": "theia"},
        {"community": None},
        {"community": "theia", "metadata": {"version": "2.0"}},
    ):
        r = p.patch(f"/api/records/{rid}/draft", json=body, headers={"If-Match": etag})
        assert r.status_code == 409, (body, r.json)
        assert r.json["errors"][0]["field"] == "/community"
    after = p.get(f"/api/records/{rid}/draft")
    assert after.json["community"] == "aeris" and after.headers["ETag"] == etag
    assert after.json["metadata"] == before.json["metadata"]  # nothing half-written
    # The same community is no change; the edit goes through.
    r = p.patch(
        f"/api/records/{rid}/draft",
        json={"community": "aeris", "metadata": {"version": "2.0"}},
        headers={"If-Match": etag},
    )
    assert r.status_code == 200 and r.json["metadata"]["version"] == "2.0"
    # Before any submission the producer may still choose another community.
    fresh = draft(p)
    r = p.patch(f"/api/records/{fresh}/draft", json={"community": "theia"}, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json["community"] == "theia"


# -- 4. unpublished records: a marked preview for their owner and staff, 404 for others ----


def test_unpublished_landing_redirects_owner_and_staff_to_a_marked_preview(people) -> None:  # type: ignore[no-untyped-def]
    p = people["producer"]
    rid = draft(p)
    r = p.get(f"/records/{rid}", headers={"Accept": "text/html"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/records/{rid}/preview")
    page = p.get(f"/records/{rid}/preview")
    html = text(page)
    assert page.status_code == 200
    assert "Preview — not published (state: draft)" in html
    assert '<meta name="robots" content="noindex' in html and "noindex" in page.headers["X-Robots-Tag"]
    assert "published None" not in html and "· published" not in html
    assert "a newer version exists" not in html
    assert "Identifier (" not in html

    for who in ("anon", "other", "mod", "theia_mod"):  # a draft is its owner's only
        assert people[who].get(f"/records/{rid}").status_code == 404, who
        assert people[who].get(f"/records/{rid}/preview").status_code == 404, who

    sub = submitted(people)
    for who in ("mod", "admin", "producer"):
        r = people[who].get(f"/records/{sub}", headers={"Accept": "text/html"})
        assert r.status_code == 302 and r.headers["Location"].endswith(f"/records/{sub}/preview"), who
        page = people[who].get(f"/records/{sub}/preview")
        assert page.status_code == 200 and "(state: submitted)" in text(page), who
    for who in ("anon", "other", "theia_mod"):
        assert people[who].get(f"/records/{sub}").status_code == 404, who
        assert people[who].get(f"/records/{sub}/preview").status_code == 404, who
    # Machine representations of an unpublished version are not served at the public address.
    for accept in ("application/json", "application/x-bibtex"):
        assert p.get(f"/records/{sub}", headers={"Accept": accept}).status_code == 404


def test_version_statement_of_a_new_version_and_of_its_published_predecessor(people) -> None:  # type: ignore[no-untyped-def]
    p = people["producer"]
    v1 = published(people)
    v2 = p.post(f"/api/records/{v1}/versions").json["id"]
    preview = text(p.get(f"/records/{v2}/preview"))
    assert "Version 2 (not published)" in preview and "a newer version exists" not in preview
    assert p.get(f"/api/records/{v2}/draft").json["versions"]["is_latest"] is True
    # v2 is not published yet: v1 is still the latest for the public.
    landing = text(people["anon"].get(f"/records/{v1}"))
    assert "a newer version exists" not in landing and "· published" in landing
    assert p.get(f"/records/{v1}/preview").status_code == 302  # a published version has no preview


# -- 5. If-Match (RFC 9110 §13.1.1) -------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    ['"stale-revision-0"', '"1"', 'W/"2"', '"0", "7"', '"99999999999999999999999"', '""'],
)
def test_a_well_formed_if_match_that_does_not_match_is_412(people, header) -> None:  # type: ignore[no-untyped-def]
    p = people["producer"]
    rid = draft(p)
    current = p.patch(
        f"/api/records/{rid}/draft", json={"metadata": {"version": "a"}}, headers={"If-Match": '"1"'}
    )
    assert current.headers["ETag"] == '"2"'
    for method in (p.patch, p.put):
        r = method(
            f"/api/records/{rid}/draft", json={"metadata": {"version": "b"}}, headers={"If-Match": header}
        )
        assert r.status_code == 412, (header, r.json)
    assert p.delete(f"/api/records/{rid}/draft", headers={"If-Match": header}).status_code == 412
    assert p.get(f"/api/records/{rid}/draft").json["metadata"]["version"] == "a"


@pytest.mark.parametrize("header", ["abc", '"2', "2", 'W/"2" "3"', '"2",,x', "**"])
def test_a_broken_if_match_header_is_400(people, header) -> None:  # type: ignore[no-untyped-def]
    p = people["producer"]
    rid = draft(p)
    r = p.patch(
        f"/api/records/{rid}/draft", json={"metadata": {"version": "b"}}, headers={"If-Match": header}
    )
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "/If-Match", header


@pytest.mark.parametrize("header", ["*", '"1"', '"7", "1"', ' "1" '])
def test_if_match_star_or_a_list_holding_the_current_tag_matches(people, header) -> None:  # type: ignore[no-untyped-def]
    p = people["producer"]
    rid = draft(p)
    r = p.patch(
        f"/api/records/{rid}/draft", json={"metadata": {"version": "b"}}, headers={"If-Match": header}
    )
    assert r.status_code == 200, (header, r.json)
    assert r.json["metadata"]["version"] == "b"


# -- 6. a resubmission goes back to its reviewer -------------------------------------------


def test_resubmission_is_decided_by_its_assignee_without_a_new_assignment(people) -> None:  # type: ignore[no-untyped-def]
    p, m = people["producer"], people["mod"]
    rid = changes_requested(people)
    etag = p.get(f"/api/records/{rid}/draft").headers["ETag"]
    p.patch(f"/api/records/{rid}/draft", json={"metadata": {"version": "1.1"}}, headers={"If-Match": etag})
    r = p.post(f"/api/records/{rid}/draft/actions/submit", json={})
    assert r.json["state"] == "resubmitted"
    # It is still the assignee's, and in their queue.
    mine = m.get("/api/reviews?assigned=me").json["hits"]["hits"]
    assert [(h["id"], h["state"], h["review"]["assigned_to"]) for h in mine] == [
        (rid, "resubmitted", "mod@example.org")
    ]
    # Another moderator of the community takes it over by assigning it first.
    r = people["mod2"].post(f"/api/records/{rid}/review/actions/accept", json={})
    assert r.status_code == 403 and "assign it to yourself" in r.json["message"]
    # The assignee asks again, then accepts the next resubmission directly.
    r = m.post(f"/api/records/{rid}/review/actions/request-changes", json={"comment": "one more"})
    assert r.status_code == 200 and r.json["state"] == "changes_requested"
    assert p.post(f"/api/records/{rid}/draft/actions/submit", json={}).json["state"] == "resubmitted"
    r = m.post(f"/api/records/{rid}/review/actions/accept", json={"comment": "thanks"})
    assert r.status_code == 200 and r.json["state"] == "published"


def test_a_resubmission_can_be_rejected_by_its_assignee(people) -> None:  # type: ignore[no-untyped-def]
    p = people["producer"]
    rid = changes_requested(people)
    p.post(f"/api/records/{rid}/draft/actions/submit", json={})
    r = people["mod"].post(f"/api/records/{rid}/review/actions/reject", json={"comment": "no"})
    assert r.status_code == 200 and r.json["state"] == "rejected"


# -- 7. pagination bounds -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/api/records", "/api/user/records", "/api/reviews", "/api/user/records?state=draft"]
)
@pytest.mark.parametrize(
    "page", [str(10**30), str(2**63), "1000000001", "-1", "0", "abc", "1_0", "%2B1", "1.5"]
)
def test_an_out_of_range_page_is_a_400_naming_page(people, url, page) -> None:  # type: ignore[no-untyped-def]
    sep = "&" if "?" in url else "?"
    r = people["admin"].get(f"{url}{sep}page={page}")
    assert r.status_code == 400, (url, page, r.status_code)
    assert r.json["errors"][0]["field"] == "/page"


def test_the_highest_page_is_served_and_size_is_bounded(people) -> None:  # type: ignore[no-untyped-def]
    published(people)
    r = people["anon"].get("/api/records?page=1000000000&size=200")
    assert r.status_code == 200 and r.json["hits"]["hits"] == [] and r.json["hits"]["total"] == 1
    for size in ("0", "201", str(10**30), "x"):
        r = people["anon"].get(f"/api/records?size={size}")
        assert r.status_code == 400 and r.json["errors"][0]["field"] == "/size", size


def test_tombstones_written_before_the_rule_lose_the_admin_email() -> None:
    from app.services.records import public_tombstone

    legacy = {
        "removed_by": {"user": 7, "email": "admin@example.org"},
        "removal_date": "2024-05-01T10:00:00+00:00",
        "reason": "Duplicate",
        "title": "Soil moisture",
        "pids": {"local": "abcde-fghjk"},
    }
    public = public_tombstone(legacy)
    assert "admin@example.org" not in str(public)
    assert public["removed_by"] == "the repository administrators"
    assert {k: public[k] for k in ("removal_date", "reason", "title", "pids")} == {
        k: legacy[k] for k in ("removal_date", "reason", "title", "pids")
    }

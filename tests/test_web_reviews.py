"""The moderation desk (/reviews) over Flask's test client, on a real database.

Data are built through the real use cases (API calls and the account factory)."""

from __future__ import annotations

import re
from datetime import timedelta

from lxml import html as lhtml

from app.db import new_session
from app.models import Event, Record
from schemas.examples import minimal_example

PASSWORD = "correct horse battery"


def csrf(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def sign_in(client, email: str) -> str:  # type: ignore[no-untyped-def]
    client.post("/logout", data={"_csrf": csrf(client.get("/login").get_data(as_text=True))})
    token = csrf(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"email": email, "password": PASSWORD, "_csrf": token})
    assert r.status_code == 302, r.get_data(as_text=True)
    return csrf(client.get("/me").get_data(as_text=True))


def submitted(producer, community: str, title: str = "Soil moisture at Lusignan") -> str:  # type: ignore[no-untyped-def]
    md = minimal_example()
    md["titles"] = [{"text": title}]
    md["spatial_extents"] = [{"bbox": {"west": -1.0, "east": 0.5, "south": 46.0, "north": 47.0}}]
    r = producer.post("/api/records", json={"metadata": md})
    assert r.status_code == 201, r.json
    rid = r.json["id"]
    r = producer.post(f"/api/records/{rid}/draft/actions/submit", json={"community": community})
    assert r.status_code == 202, r.json
    return rid


def doc(response):  # type: ignore[no-untyped-def]
    return lhtml.fromstring(response.get_data(as_text=True))


def backdate(app, rid: str, days: int) -> None:  # type: ignore[no-untyped-def]
    """Make a submission older (waiting time is what the desk sorts by)."""
    with new_session(app) as s:
        record = s.get(Record, rid)
        record.submitted_at = record.submitted_at - timedelta(days=days)
        s.commit()


def setup_desk(factory):  # type: ignore[no-untyped-def]
    factory.community("theia", "Theia")
    factory.community("aeris", "Aeris")
    producer = factory.user("p@example.org", scopes=["read", "deposit"])
    factory.user("mod@example.org", role="moderator", communities=["theia"])
    factory.user("colleague@example.org", role="moderator", communities=["theia"])
    factory.user("other@example.org", role="moderator", communities=["aeris"])
    return producer


def test_queue_lists_my_communities_oldest_first_with_counts_and_filters(app, factory, client) -> None:  # type: ignore[no-untyped-def]
    producer = setup_desk(factory)
    recent = submitted(producer, "theia", "Recent one")
    old = submitted(producer, "theia", "Old one")
    elsewhere = submitted(producer, "aeris", "Aeris one")
    backdate(app, old, 10)
    sign_in(client, "mod@example.org")
    page = client.get("/reviews")
    assert page.status_code == 200
    rows = doc(page).find_class("queue")[0].findall(".//tr")[1:]
    titles = [r.find(".//a").text for r in rows]
    assert titles == ["Old one", "Recent one"]  # oldest waiting first, the aeris one not shown
    counts = {
        li.find("a").get("href").split("state=")[1].split("&")[0]: int(li.find_class("count")[0].text)
        for li in doc(page).find_class("state-counts")[0].findall("li")
    }
    assert counts["submitted"] == 2 and counts["under_review"] == 0
    newest = doc(client.get("/reviews?sort=newest")).find_class("queue")[0].findall(".//tr")[1:]
    assert [r.find(".//a").text for r in newest] == ["Recent one", "Old one"]
    waiting = doc(client.get("/reviews?waiting=7")).find_class("queue")[0].findall(".//tr")[1:]
    assert [r.find(".//a").text for r in waiting] == ["Old one"]
    # Another community's submission is not reachable by this moderator.
    assert client.get(f"/reviews/{elsewhere}").status_code == 404
    assert client.get("/reviews?community=aeris").status_code == 200
    assert "Aeris one" not in client.get("/reviews?community=aeris").get_data(as_text=True)
    bad = client.get("/reviews?sort=sideways")
    assert bad.status_code == 400 and "/sort" in bad.get_data(as_text=True)
    # An admin sees every community.
    factory.user("admin@example.org", role="admin")
    sign_in(client, "admin@example.org")
    assert "Aeris one" in client.get("/reviews").get_data(as_text=True)
    # A producer has no desk.
    sign_in(client, "p@example.org")
    assert client.get("/reviews").status_code == 403
    assert recent


def test_claim_and_assign_to_a_colleague_then_filter_by_assignee(app, factory, client) -> None:  # type: ignore[no-untyped-def]
    producer = setup_desk(factory)
    first = submitted(producer, "theia", "First")
    second = submitted(producer, "theia", "Second")
    token = sign_in(client, "mod@example.org")
    r = client.post(f"/reviews/{first}/assign", data={"_csrf": token, "next": "/reviews"})
    assert r.status_code == 303 and r.headers["Location"] == "/reviews"
    r = client.post(f"/reviews/{second}/assign", data={"_csrf": token, "assignee": "colleague@example.org"})
    assert r.status_code == 303
    assert producer.get(f"/api/records/{first}/draft").json["state"] == "under_review"
    mine = doc(client.get("/reviews?assignee=me")).find_class("queue")[0].findall(".//tr")[1:]
    assert [r.find(".//a").text for r in mine] == ["First"]
    theirs = client.get("/reviews?assignee=colleague@example.org").get_data(as_text=True)
    assert "Second" in theirs and "First" not in theirs
    # A moderator of another community cannot be assigned: the error names the field.
    wrong = client.post(f"/reviews/{second}/assign", data={"_csrf": token, "assignee": "other@example.org"})
    assert wrong.status_code == 400 and "/assignee" in wrong.get_data(as_text=True)
    # Without the CSRF token nothing happens.
    assert client.post(f"/reviews/{first}/assign", data={}).status_code in (400, 403)


def test_review_page_shows_the_submission_findings_and_acceptance_panel(app, factory, client) -> None:  # type: ignore[no-untyped-def]
    producer = setup_desk(factory)
    rid = submitted(producer, "theia")
    sign_in(client, "mod@example.org")
    page = client.get(f"/reviews/{rid}")
    assert page.status_code == 200
    d = doc(page)
    # The producer's values, in the deposit form's fields, read-only.
    title = d.get_element_by_id("/titles/0/text")
    assert title.get("value") == "Soil moisture at Lusignan"
    assert title.getparent().getparent().tag == "fieldset" or any(
        a.tag == "fieldset" and a.get("disabled") is not None for a in title.iterancestors()
    )
    assert d.get_element_by_id("/spatial_extents/0/bbox/west").get("value") == "-1.0"
    # The acceptance panel of the form (same code as the publish gate) and the vocabulary findings.
    assert d.get_element_by_id("acceptance").find_class("target")
    assert d.get_element_by_id("findings-h") is not None
    # The producer cannot open the review page.
    sign_in(client, "p@example.org")
    assert client.get(f"/reviews/{rid}").status_code == 404


def test_checklist_edited_by_its_administrators_and_saved_with_the_decision(app, factory, client) -> None:  # type: ignore[no-untyped-def]
    producer = setup_desk(factory)
    rid = submitted(producer, "theia")
    token = sign_in(client, "other@example.org")
    assert client.get("/reviews/communities/theia/checklist").status_code == 404  # not theirs
    token = sign_in(client, "mod@example.org")
    r = client.post(
        "/reviews/communities/theia/checklist",
        data={
            "_csrf": token,
            "items": "The abstract says how the data were produced\n\n  The files are in open formats \n",
        },
    )
    assert r.status_code == 200 and "Checklist saved" in r.get_data(as_text=True)
    client.post(f"/reviews/{rid}/assign", data={"_csrf": token})
    d = doc(client.get(f"/reviews/{rid}"))
    assert d.get_element_by_id("check-1").getnext().text_content() == "The files are in open formats"
    # Request changes without a reason: refused, naming the field, nothing written.
    r = client.post(
        f"/reviews/{rid}/decision", data={"_csrf": token, "decision": "request-changes", "check": ["0"]}
    )
    assert r.status_code == 400 and 'href="#/comment"' in r.get_data(as_text=True)
    assert producer.get(f"/api/records/{rid}/draft").json["state"] == "under_review"
    r = client.post(
        f"/reviews/{rid}/decision",
        data={"_csrf": token, "decision": "request-changes", "check": ["0"], "comment": "Say the depth."},
    )
    assert r.status_code == 303
    assert producer.get(f"/api/records/{rid}/draft").json["state"] == "changes_requested"
    with new_session(app) as s:
        event = s.query(Event).filter_by(record_id=rid, action="request-changes").one()
        assert event.data["checklist"] == [
            {"item": "The abstract says how the data were produced", "checked": True},
            {"item": "The files are in open formats", "checked": False},
        ]
    history = doc(client.get(f"/reviews/{rid}")).get_element_by_id("history").text_content()
    assert "Changes requested" in history and "Say the depth." in history and "Assigned" in history


def test_accept_and_reject_follow_the_existing_rules(app, factory, client, shared_standards) -> None:  # type: ignore[no-untyped-def]
    producer = setup_desk(factory)
    good = submitted(producer, "theia", "Good")
    bad = submitted(producer, "theia", "Bad")
    token = sign_in(client, "mod@example.org")
    # Not claimed yet: no decision possible (409 from the lifecycle), and no decision buttons.
    d = doc(client.get(f"/reviews/{good}"))
    assert not d.xpath("//button[@name='decision']")
    r = client.post(f"/reviews/{good}/decision", data={"_csrf": token, "decision": "accept"})
    assert r.status_code == 409
    for rid in (good, bad):
        client.post(f"/reviews/{rid}/assign", data={"_csrf": token})
    assert (
        client.post(f"/reviews/{good}/decision", data={"_csrf": token, "decision": "accept"}).status_code
        == 303
    )
    assert producer.get(f"/api/records/{good}/draft").json["state"] == "published"
    r = client.post(f"/reviews/{bad}/decision", data={"_csrf": token, "decision": "reject", "comment": " "})
    assert r.status_code == 400 and "give the reason for the rejection" in r.get_data(as_text=True)
    r = client.post(
        f"/reviews/{bad}/decision", data={"_csrf": token, "decision": "reject", "comment": "Out of scope."}
    )
    assert r.status_code == 303
    assert producer.get(f"/api/records/{bad}/draft").json["state"] == "rejected"
    r = client.post(f"/reviews/{bad}/decision", data={"_csrf": token, "decision": "shrug", "comment": "x"})
    assert r.status_code == 400 and "/decision" in r.get_data(as_text=True)


def test_field_comments_reach_the_producers_form_who_replies_fixes_and_the_diff_shows_it(
    app, factory, client
) -> None:  # type: ignore[no-untyped-def]
    producer = setup_desk(factory)
    rid = submitted(producer, "theia")
    token = sign_in(client, "mod@example.org")
    client.post(f"/reviews/{rid}/assign", data={"_csrf": token})
    r = client.post(
        f"/reviews/{rid}/comments",
        data={
            "_csrf": token,
            "anchor_kind": "field",
            "anchor": "/abstracts",
            "anchor_detail": "/abstracts/0/text",
            "comment": "Say how the moisture was measured.",
        },
    )
    assert r.status_code == 303 and "#thread-" in r.headers["Location"]
    r = client.post(
        f"/reviews/{rid}/comments",
        data={
            "_csrf": token,
            "anchor_kind": "field",
            "anchor": "/spatial_extents",
            "anchor_detail": "/spatial_extents/0/bbox",
            "comment": "The box is too wide.",
        },
    )
    assert r.status_code == 303
    bad = client.post(
        f"/reviews/{rid}/comments",
        data={"_csrf": token, "anchor_kind": "field", "anchor": "/nonsense", "comment": "?"},
    )
    assert bad.status_code == 400 and "/anchor" in bad.get_data(as_text=True)
    empty = client.post(f"/reviews/{rid}/comments", data={"_csrf": token, "comment": "  "})
    assert empty.status_code == 400 and "/comment" in empty.get_data(as_text=True)
    client.post(
        f"/reviews/{rid}/decision",
        data={"_csrf": token, "decision": "request-changes", "comment": "See my two comments."},
    )
    # The producer sees each comment next to its field in the deposit form, and replies.
    ptoken = sign_in(client, "p@example.org")
    form = doc(client.get(f"/records/{rid}/edit"))
    abstracts = form.get_element_by_id("/abstracts")
    thread = abstracts.getnext().find_class("thread")[0]
    assert "Say how the moisture was measured." in thread.text_content()
    assert "a moderator" in thread.text_content() and "mod@example.org" not in thread.text_content()
    extents = form.get_element_by_id("/spatial_extents").getnext()
    assert "The box is too wide." in extents.text_content()
    thread_id = int(thread.get("id").removeprefix("thread-"))
    reply_box = form.get_element_by_id(f"reply-{thread_id}")
    reply_form = form.get_element_by_id(reply_box.get("form"))
    # The reply form is outside the deposit form (forms do not nest).
    assert not any(a.get("id") == "deposit-form" for a in reply_form.iterancestors())
    r = client.post(
        reply_form.get("action"),
        data={"_csrf": ptoken, "comment": "By TDR probes; added.", "next": f"/records/{rid}/edit"},
    )
    assert r.status_code == 303 and r.headers["Location"].startswith(f"/records/{rid}/edit#thread-")
    # The producer fixes the two fields and resubmits.
    draft = producer.get(f"/api/records/{rid}/draft")
    r = producer.patch(
        f"/api/records/{rid}/draft",
        json={
            "metadata": {
                "abstracts": [{"text": "Daily soil moisture at 10 cm depth, measured by TDR probes."}],
                "spatial_extents": [{"bbox": {"west": -0.2, "east": 0.5, "south": 46.0, "north": 47.0}}],
            }
        },
        headers={"If-Match": draft.headers["ETag"]},
    )
    assert r.status_code == 200, r.json
    assert producer.post(f"/api/records/{rid}/draft/actions/submit", json={}).status_code == 202
    # The moderator sees exactly those two fields changed, the reply in the thread, the history.
    token = sign_in(client, "mod@example.org")
    d = doc(client.get(f"/reviews/{rid}"))
    changed = [tr.get("data-pointer") for tr in d.get_element_by_id("changes").find_class("change")]
    assert changed == ["/abstracts/0/text", "/spatial_extents/0/bbox/west"]
    assert "No file changed." in d.get_element_by_id("changes").text_content()
    thread_html = d.get_element_by_id(f"thread-{thread_id}").text_content()
    assert "By TDR probes; added." in thread_html and "p@example.org" in thread_html
    history = d.get_element_by_id("history").text_content()
    assert history.count("Comment") >= 3 and "/spatial_extents/0/bbox" in history
    # Resolving keeps the thread, marked resolved, and lists it in the history.
    r = client.post(f"/reviews/{rid}/comments/{thread_id}/resolve", data={"_csrf": token})
    assert r.status_code == 303
    d = doc(client.get(f"/reviews/{rid}"))
    assert "resolved" in d.get_element_by_id(f"thread-{thread_id}").get("class")
    assert "Thread resolved" in d.get_element_by_id("history").text_content()
    # Another community's moderator cannot comment.
    other = sign_in(client, "other@example.org")
    r = client.post(f"/reviews/{rid}/comments", data={"_csrf": other, "comment": "hello"})
    assert r.status_code in (403, 404)


def test_a_new_version_is_compared_with_the_published_version(app, factory, client, shared_standards) -> None:  # type: ignore[no-untyped-def]
    import io

    producer = setup_desk(factory)
    rid = submitted(producer, "theia")
    token = sign_in(client, "mod@example.org")
    client.post(f"/reviews/{rid}/assign", data={"_csrf": token})
    assert (
        client.post(f"/reviews/{rid}/decision", data={"_csrf": token, "decision": "accept"}).status_code
        == 303
    )
    r = producer.post(f"/api/records/{rid}/versions")
    assert r.status_code == 201, r.json
    v2 = r.json["id"]
    draft = producer.get(f"/api/records/{v2}/draft")
    producer.patch(
        f"/api/records/{v2}/draft",
        json={"metadata": {"version": "2"}},
        headers={"If-Match": draft.headers["ETag"]},
    )
    r = producer.client.put(
        f"/api/records/{v2}/draft/files/new.csv",
        data=io.BytesIO(b"a,b\n1,2\n"),
        headers={"Authorization": f"Bearer {producer.token}", "Content-Type": "text/csv"},
    )
    assert r.status_code in (200, 201), r.get_data(as_text=True)
    assert producer.post(f"/api/records/{v2}/draft/actions/submit", json={}).status_code == 202
    d = doc(client.get(f"/reviews/{v2}"))
    changes = d.get_element_by_id("changes")
    assert "What changed since the published version" in changes.text_content()
    assert [tr.get("data-pointer") for tr in changes.find_class("change")] == ["/version"]
    assert "File added: new.csv" in changes.text_content()

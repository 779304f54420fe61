"""Threaded review comments through the REST API (app/api/reviews.py), on a real database."""

from __future__ import annotations

from schemas.examples import minimal_example


def _submitted(factory):  # type: ignore[no-untyped-def]
    factory.community("theia")
    producer = factory.user("p@example.org")
    moderator = factory.user("m@example.org", role="moderator", communities=["theia"])
    outsider = factory.user("o@example.org")
    rid = producer.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    assert (
        producer.post(f"/api/records/{rid}/draft/actions/submit", json={"community": "theia"}).status_code
        == 202
    )
    assert moderator.post(f"/api/records/{rid}/review/actions/assign", json={}).status_code == 200
    return producer, moderator, outsider, rid


def test_threads_anchored_to_fields_replies_and_resolution(factory) -> None:  # type: ignore[no-untyped-def]
    producer, moderator, outsider, rid = _submitted(factory)
    url = f"/api/records/{rid}/review/comments"
    r = moderator.post(
        url, json={"comment": "Which probes?", "anchor_kind": "field", "anchor": "/abstracts/0/text"}
    )
    assert r.status_code == 201, r.json
    thread = r.json
    assert thread["anchor"] == {"kind": "field", "value": "/abstracts/0/text"} and thread["resolved"] is None
    general = moderator.post(url, json={"comment": "Nice dataset overall."})
    assert general.status_code == 201 and general.json["anchor"] == {"kind": "general", "value": ""}
    # Bad input names the field and writes nothing.
    for body, field in (
        ({"comment": "x", "anchor_kind": "field", "anchor": "abstracts"}, "/anchor"),
        ({"comment": "x", "anchor_kind": "file", "anchor": "missing.nc"}, "/anchor"),
        ({"comment": "x", "anchor_kind": "margin"}, "/anchor_kind"),
        ({"comment": ""}, "/comment"),
        ({"comment": "x", "colour": "red"}, ""),
    ):
        bad = moderator.post(url, json=body)
        assert bad.status_code == 400, (body, bad.json)
        if field:
            assert bad.json["errors"][0]["field"] == field, bad.json
    assert len(moderator.get(url).json["threads"]) == 2
    # Staff of another community, or a stranger, cannot comment or read.
    assert outsider.post(url, json={"comment": "hi"}).status_code in (403, 404)
    assert outsider.get(url).status_code in (403, 404)
    # The producer replies; the moderator's e-mail is not shown to them.
    r = producer.post(f"{url}/{thread['id']}/replies", json={"comment": "TDR probes."})
    assert r.status_code == 201 and r.json["author"] == "p@example.org"
    seen = producer.get(url).json["threads"][0]
    assert [c["author"] for c in seen["comments"]] == ["moderator", "p@example.org"]
    assert [c["comment"] for c in seen["comments"]] == ["Which probes?", "TDR probes."]
    # Resolved: kept, and in the history.
    r = moderator.post(f"{url}/{thread['id']}/resolve")
    assert r.status_code == 200 and r.json["resolved"]
    assert moderator.post(f"{url}/{thread['id']}/resolve").status_code == 400
    assert moderator.get(url).json["threads"][0]["resolved"]
    actions = [e["action"] for e in moderator.get(f"/api/records/{rid}/events").json["hits"]["hits"]]
    assert actions.count("comment") == 3 and "resolve-comment" in actions
    assert moderator.post(f"{url}/999999/replies", json={"comment": "x"}).status_code == 404

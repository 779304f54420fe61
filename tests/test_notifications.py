"""E-mail notifications of the moderation desk, delivered to a real SMTP server on loopback
(tests/smtp_standin.py, aiosmtpd) standing in for the site's mail relay."""

from __future__ import annotations

import logging

import pytest

from app import create_app
from schemas.examples import minimal_example
from tests.conftest import Factory, make_test_config
from tests.smtp_standin import SmtpStandIn


@pytest.fixture
def smtp():  # type: ignore[no-untyped-def]
    with SmtpStandIn() as server:
        yield server


@pytest.fixture
def mail_app(database_url, instance, smtp):  # type: ignore[no-untyped-def]
    application = create_app(
        make_test_config(
            database_url,
            instance,
            MAIL_BACKEND="smtp",
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=smtp.port,
            MAIL_FROM="desk@alluvium.test",
        )
    )
    yield application
    application.extensions["alluvium.engine"].dispose()


def _people(app):  # type: ignore[no-untyped-def]
    f = Factory(app, app.test_client())
    f.community("theia", "Theia")
    producer = f.user("p@example.org")
    mod = f.user("mod@example.org", role="moderator", communities=["theia"])
    colleague = f.user("col@example.org", role="moderator", communities=["theia"])
    return f, producer, mod, colleague


def _submit(producer) -> str:  # type: ignore[no-untyped-def]
    rid = producer.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    assert (
        producer.post(f"/api/records/{rid}/draft/actions/submit", json={"community": "theia"}).status_code
        == 202
    )
    return rid


def subjects(smtp, address: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [m["Subject"] for m in smtp.to(address)]


def test_each_step_mails_the_right_people_with_a_link(mail_app, smtp, shared_standards) -> None:  # type: ignore[no-untyped-def]
    _, producer, mod, colleague = _people(mail_app)
    rid = _submit(producer)
    title = minimal_example()["titles"][0]["text"]
    # Submitted: every moderator of the community; never the producer.
    assert subjects(smtp, "mod@example.org") == [f"New submission to Theia: {title}"]
    assert subjects(smtp, "col@example.org") == [f"New submission to Theia: {title}"]
    assert subjects(smtp, "p@example.org") == []
    body = smtp.to("mod@example.org")[0].get_content()
    assert f"http://alluvium.test/reviews/{rid}" in body
    assert smtp.to("mod@example.org")[0]["From"] == "desk@alluvium.test"
    # Assigned by a colleague: the assignee is told; claiming for oneself tells nobody.
    assert (
        colleague.post(
            f"/api/records/{rid}/review/actions/assign", json={"assignee": "mod@example.org"}
        ).status_code
        == 200
    )
    assert subjects(smtp, "mod@example.org")[-1] == f"Assigned to you for review: {title}"
    before = len(smtp.messages)
    assert mod.post(f"/api/records/{rid}/review/actions/assign", json={}).status_code == 200
    assert len(smtp.messages) == before
    # A comment by the moderator: the producer; the reply: the assignee.
    r = mod.post(
        f"/api/records/{rid}/review/comments",
        json={"comment": "Depth?", "anchor_kind": "field", "anchor": "/abstracts/0/text"},
    )
    assert r.status_code == 201
    assert subjects(smtp, "p@example.org") == [f"New comment on {title}"]
    assert "Depth?" in smtp.to("p@example.org")[0].get_content()
    assert f"http://alluvium.test/records/{rid}/edit" in smtp.to("p@example.org")[0].get_content()
    producer.post(f"/api/records/{rid}/review/comments/{r.json['id']}/replies", json={"comment": "10 cm."})
    assert subjects(smtp, "mod@example.org")[-1] == f"New comment on {title}"
    # Changes requested, then accepted and published: the producer.
    mod.post(f"/api/records/{rid}/review/actions/request-changes", json={"comment": "Say the depth."})
    assert subjects(smtp, "p@example.org")[-1] == f"Changes requested on {title}"
    assert "Say the depth." in smtp.to("p@example.org")[-1].get_content()
    producer.post(f"/api/records/{rid}/draft/actions/submit", json={})
    # A resubmission goes to the assignee only.
    assert subjects(smtp, "mod@example.org")[-1] == f"New submission to Theia: {title}"
    assert subjects(smtp, "col@example.org") == [f"New submission to Theia: {title}"]
    assert mod.post(f"/api/records/{rid}/review/actions/accept", json={}).status_code == 200
    assert subjects(smtp, "p@example.org")[-1] == f"Accepted: {title}"
    # "Published" is queued by the publish job itself: a worker sends it (the outbox).
    from app.services import jobs

    with mail_app.app_context():
        jobs.run_pending(mail_app.extensions["alluvium.sessionmaker"])
    assert subjects(smtp, "p@example.org")[-2:] == [f"Accepted: {title}", f"Published: {title}"]
    assert (
        f"Open the page: http://alluvium.test/records/{rid}\r\n" in smtp.to("p@example.org")[-1].get_content()
    )


def test_rejection_and_opt_out(mail_app, smtp) -> None:  # type: ignore[no-untyped-def]
    _, producer, mod, colleague = _people(mail_app)
    client = mail_app.test_client()
    import re

    def token(html: str) -> str:
        return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)

    t = token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": "col@example.org", "password": "correct horse battery", "_csrf": t})
    t = token(client.get("/me/notifications").get_data(as_text=True))
    r = client.post("/me/notifications", data={"_csrf": t})  # unchecked box: opt out
    assert r.status_code == 200 and 'id="notify_email" name="notify_email" aria' in r.get_data(as_text=True)
    rid = _submit(producer)
    assert subjects(smtp, "col@example.org") == []  # opted out
    assert len(subjects(smtp, "mod@example.org")) == 1
    mod.post(f"/api/records/{rid}/review/actions/assign", json={})
    mod.post(f"/api/records/{rid}/review/actions/reject", json={"comment": "Out of scope."})
    mail = smtp.to("p@example.org")[-1]
    assert mail["Subject"].startswith("Not accepted:") and "Out of scope." in mail.get_content()


def test_console_backend_logs_instead_of_sending(app, factory, caplog) -> None:  # type: ignore[no-untyped-def]
    factory.community("theia", "Theia")
    producer = factory.user("p@example.org")
    factory.user("mod@example.org", role="moderator", communities=["theia"])
    assert app.config["MAIL_BACKEND"] == "console"
    with caplog.at_level(logging.INFO, logger="alluvium.mail"):
        _submit(producer)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "alluvium.mail")
    assert "To: mod@example.org" in logged and "New submission to Theia" in logged


def test_french_mail_when_mail_locale_is_fr(database_url, instance, smtp) -> None:  # type: ignore[no-untyped-def]
    application = create_app(
        make_test_config(
            database_url,
            instance,
            MAIL_BACKEND="smtp",
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=smtp.port,
            MAIL_LOCALE="fr",
        )
    )
    try:
        _, producer, _, _ = _people(application)
        _submit(producer)
        assert smtp.to("mod@example.org")[0]["Subject"].startswith("Nouveau dépôt pour Theia")
    finally:
        application.extensions["alluvium.engine"].dispose()

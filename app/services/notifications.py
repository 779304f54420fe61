"""E-mail notifications of the moderation desk.

Who is told what:

* ``submit`` — the moderators of the record's community (a resubmission: its assignee, if any);
* ``assign`` — the moderator it was assigned to;
* ``request-changes``, ``accept``, ``reject``, ``publish`` — the record's owner;
* ``comment`` — from the owner: the assignee (or the community's moderators); from a moderator:
  the owner.

Nobody is told about their own action; a deactivated person, or one who opted out
(``users.notify_email``), is not told at all. Each message is a ``send-email`` job queued in
the same transaction as the action (the outbox, ``app/services/jobs.py``): sent after commit,
retried on failure, never sent for an action that rolled back. The message is composed when
the job runs, in ``MAIL_LOCALE``; it links to the page where the person acts.

Backends (``MAIL_BACKEND``): ``console`` (default; the message is logged on
``alluvium.mail``) and ``smtp`` (``MAIL_SERVER``, ``MAIL_PORT``, ``MAIL_SECURITY``,
``MAIL_USERNAME``, ``MAIL_PASSWORD``, ``MAIL_FROM``, ``MAIL_TIMEOUT``).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.models import Record, User
from app.services import jobs
from curation import Actor, State

log = logging.getLogger("alluvium.mail")

KINDS = ("submit", "assign", "request-changes", "comment", "accept", "publish", "reject")


def _moderators(record: Record) -> list[User]:
    return list(record.community.moderators) if record.community else []


def recipients(session: Session, actor: Actor, record: Record, kind: str) -> list[User]:
    """Who is told about ``kind`` on ``record`` (see the module doc), before opt-outs."""
    owner = record.owner
    if kind == "submit":
        if record.state == State.RESUBMITTED and record.assigned_to is not None:
            return [record.assigned_to]
        return _moderators(record)
    if kind == "assign":
        return [record.assigned_to] if record.assigned_to is not None else []
    if kind in ("request-changes", "accept", "reject", "publish"):
        return [owner]
    if kind == "comment":
        if actor.user_id == record.owner_id:
            return [record.assigned_to] if record.assigned_to is not None else _moderators(record)
        return [owner]
    return []


def notify(session: Session, actor: Actor, record: Record, kind: str, comment: str = "") -> int:
    """Queue the e-mails for an action on a record; returns how many were queued."""
    if kind not in KINDS:
        return 0
    queued = 0
    seen: set[int] = set()
    for user in recipients(session, actor, record, kind):
        if user is None or user.id in seen or user.id == actor.user_id:
            continue
        seen.add(user.id)
        if not user.active or not user.notify_email:
            continue
        staff = user.id != record.owner_id
        jobs.enqueue(
            session,
            "send-email",
            {
                "to": user.email,
                "kind": kind,
                "record_id": record.id,
                "title": _title(record),
                "community": record.community.title if record.community else "",
                "comment": (comment or "")[:4000],
                "staff": staff,
            },
        )
        queued += 1
    return queued


def _title(record: Record) -> str:
    from schemas import display_title

    return display_title(record.metadata_ or {})


def _link(payload: dict[str, Any], base_url: str) -> str:
    rid = payload["record_id"]
    if payload.get("staff"):
        return f"{base_url}/reviews/{rid}"
    if payload["kind"] == "publish":
        return f"{base_url}/records/{rid}"
    return f"{base_url}/records/{rid}/edit"


def compose(payload: dict[str, Any], config: Any) -> EmailMessage:
    """The message of a ``send-email`` job, in ``MAIL_LOCALE`` (or the default locale)."""
    base_url = config["BASE_URL"]
    locale = config.get("MAIL_LOCALE") or config.get("BABEL_DEFAULT_LOCALE", "en")
    title = payload["title"]
    with force_locale(locale):
        subjects = {
            "submit": _("New submission to %(community)s: %(title)s"),
            "assign": _("Assigned to you for review: %(title)s"),
            "request-changes": _("Changes requested on %(title)s"),
            "comment": _("New comment on %(title)s"),
            "accept": _("Accepted: %(title)s"),
            "publish": _("Published: %(title)s"),
            "reject": _("Not accepted: %(title)s"),
        }
        subject = subjects[payload["kind"]] % {"title": title, "community": payload.get("community", "")}
        lines = [subject, ""]
        if payload.get("comment"):
            lines += [payload["comment"], ""]
        lines += [_("Open the page: %(link)s", link=_link(payload, base_url)), "", "—"]
        lines.append(
            _(
                "You receive this e-mail because of your role in %(repository)s. To stop these e-mails: %(link)s",
                repository=config.get("REPOSITORY_NAME", "Alluvium"),
                link=f"{base_url}/me/notifications",
            )
        )
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_FROM"]
    message["To"] = payload["to"]
    message["Message-ID"] = make_msgid(domain=(config["MAIL_FROM"].rpartition("@")[2] or "localhost"))
    message.set_content("\n".join(lines))
    return message


def send(message: EmailMessage, config: Any) -> None:
    """Deliver through the configured backend."""
    backend = config.get("MAIL_BACKEND", "console")
    if backend == "console":
        log.info("e-mail (console backend, not sent)\n%s", message.as_string())
        return
    if backend != "smtp":
        raise jobs.PermanentJobError(f"unknown MAIL_BACKEND {backend!r} (console or smtp)")
    host, port = config["MAIL_SERVER"], int(config["MAIL_PORT"])
    timeout = float(config.get("MAIL_TIMEOUT", 30))
    security = config.get("MAIL_SECURITY", "none")
    if security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
        smtp.send_message(message)


@jobs.handler("send-email")
def _send_email_job(session: Session, payload: dict[str, Any]) -> None:
    config = current_app.config
    send(compose(payload, config), config)


__all__ = ["KINDS", "compose", "notify", "recipients", "send"]

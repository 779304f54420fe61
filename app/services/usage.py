"""Usage statistics in the COUNTER Code of Practice for Research Data form (Make Data Count).

What is logged (CoP §3.3 "Processing"): *investigations* (a landing page or metadata view of a
dataset) and *requests* (a file download), for published versions, answered with 200 or 304
only. Every request is also an investigation (CoP: "Requests ... are also counted as
Investigations"), so investigation totals include downloads.

* Double-click filter (CoP §3.3.3): the same user on the same dataset and metric within 30
  seconds counts once (the last click is kept).
* Robots and machines: user agents matched by the COUNTER machine list (scripts, download
  tools) are counted with access method ``machine``; any other matched by the robots list is
  flagged as a robot and never counted (vendored lists: ``app/data/counter_robots``).
* Sessions (CoP §3.3.4): no raw IP address or user agent is stored. The user is a hash of IP +
  user agent salted with the day and the app secret; the session adds the hour to it (the CoP's
  "IP + user agent + hour slice" when there is no session cookie). Unique counts are distinct
  sessions per dataset.
* :func:`aggregate` folds a month of events into :class:`UsageCount` rows and deletes the
  events, hashes included.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.models import Record, UsageCount, UsageEvent

INVESTIGATION, REQUEST = "investigation", "request"
COUNTED_STATUSES = (200, 304)
DOUBLE_CLICK = timedelta(seconds=30)
METRICS = (
    "total-dataset-investigations",
    "unique-dataset-investigations",
    "total-dataset-requests",
    "unique-dataset-requests",
)
_LISTS = Path(__file__).resolve().parent.parent / "data" / "counter_robots"


@cache
def _pattern(name: str) -> re.Pattern[str]:
    lines = [ln for ln in (_LISTS / name).read_text(encoding="utf-8").splitlines() if ln.strip()]
    return re.compile("|".join(lines))


def is_robot(user_agent: str) -> bool:
    """COUNTER robots list (``robot.txt``); an empty user agent is a robot (the list's ``^.?$``)."""
    return bool(_pattern("robot.txt").search(user_agent or ""))


def is_machine(user_agent: str) -> bool:
    """COUNTER machine list (``machine.txt``: scripts and download tools)."""
    return bool(_pattern("machine.txt").search(user_agent or ""))


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def keys(ip: str, user_agent: str, at: datetime, secret: str) -> tuple[str, str]:
    """``(user_key, session_key)``: IP + user agent hashed with a per-day salt, and with the hour."""
    day = at.strftime("%Y-%m-%d")
    user = _hash(secret, day, ip, user_agent)
    return user, _hash(user, at.strftime("%H"))


def log(
    session: Session,
    record: Record,
    metric: str,
    status: int,
    *,
    ip: str,
    user_agent: str,
    secret: str,
    at: datetime | None = None,
) -> UsageEvent | None:
    """Log one investigation or request of a published version; nothing for other statuses,
    unpublished versions or unknown metrics. The caller commits."""
    if (
        status not in COUNTED_STATUSES
        or record.state != "published"
        or metric not in (INVESTIGATION, REQUEST)
    ):
        return None
    at = at or datetime.now(UTC)
    user, sess = keys(ip, user_agent, at, secret)
    # The robots list also matches the scripts of the machine list (wget, curl, python…): those
    # are machine access (counted as such), not robots.
    machine = is_machine(user_agent)
    event = UsageEvent(
        record_id=record.id,
        metric=metric,
        at=at,
        user_key=user,
        session_key=sess,
        access_method="machine" if machine else "regular",
        robot=is_robot(user_agent) and not machine,
    )
    session.add(event)
    return event


def _filtered(events: list[UsageEvent]) -> list[UsageEvent]:
    """Robots dropped, then double clicks: of clicks by one user on one dataset and metric less
    than 30 s apart, only the last is kept."""
    kept = []
    by_key: dict[tuple[str, str, str], list[UsageEvent]] = defaultdict(list)
    for e in events:
        if not e.robot:
            by_key[(e.user_key, e.record_id, e.metric)].append(e)
    for group in by_key.values():
        group.sort(key=lambda e: e.at)
        for i, e in enumerate(group):
            if i + 1 < len(group) and group[i + 1].at - e.at < DOUBLE_CLICK:
                continue
            kept.append(e)
    return kept


def count(events: list[UsageEvent]) -> dict[tuple[str, str, str], int]:
    """``{(record_id, access_method, metric): n}`` for the four DSR metrics."""
    out: dict[tuple[str, str, str], int] = defaultdict(int)
    sessions: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for e in _filtered(events):
        kinds = ("investigations", "requests") if e.metric == REQUEST else ("investigations",)
        for kind in kinds:
            out[(e.record_id, e.access_method, f"total-dataset-{kind}")] += 1
            sessions[(e.record_id, e.access_method, f"unique-dataset-{kind}")].add(e.session_key)
    for k, s in sessions.items():
        out[k] = len(s)
    return dict(out)


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """``[start, end)`` of ``YYYY-MM`` in UTC; ``ValueError`` naming the expected form."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month or ""):
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    year, mon = int(month[:4]), int(month[5:])
    start = datetime(year, mon, 1, tzinfo=UTC)
    end = start + timedelta(days=calendar.monthrange(year, mon)[1])
    return start, end


def aggregate(session: Session, month: str) -> int:
    """Fold the month's events into :class:`UsageCount` rows (added to the month's counts
    already there, so events logged after a first run are kept) and delete the events, hashes
    included. Returns how many events were folded. The caller commits."""
    start, end = month_bounds(month)
    events = list(session.scalars(select(UsageEvent).where(UsageEvent.at >= start, UsageEvent.at < end)))
    for (record_id, method, metric), n in count(events).items():
        row = session.get(UsageCount, (record_id, month, method, metric))
        if row is None:
            session.add(
                UsageCount(record_id=record_id, month=month, access_method=method, metric=metric, count=n)
            )
        else:
            row.count += n
    session.execute(delete(UsageEvent).where(UsageEvent.at >= start, UsageEvent.at < end))
    return len(events)


def record_counts(session: Session, record_id: str) -> dict[str, int]:
    """Views and downloads of a version, all months, regular and machine access together:
    ``{"views", "unique_views", "downloads", "unique_downloads"}`` (views = investigations)."""
    totals: dict[str, int] = defaultdict(int)
    rows = session.execute(
        select(UsageCount.metric, func.sum(UsageCount.count))
        .where(UsageCount.record_id == record_id)
        .group_by(UsageCount.metric)
    ).all()
    for metric, n in rows:
        totals[metric] += int(n or 0)
    live = list(session.scalars(select(UsageEvent).where(UsageEvent.record_id == record_id)))
    for (_, _, metric), n in count(live).items():
        totals[metric] += n
    return {
        "views": totals["total-dataset-investigations"],
        "unique_views": totals["unique-dataset-investigations"],
        "downloads": totals["total-dataset-requests"],
        "unique_downloads": totals["unique-dataset-requests"],
    }


def month_counts(session: Session, month: str) -> dict[str, dict[str, dict[str, int]]]:
    """``{record_id: {access_method: {metric: n}}}`` of an aggregated month."""
    out: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in session.scalars(select(UsageCount).where(UsageCount.month == month)):
        out[row.record_id][row.access_method][row.metric] = row.count
    return {k: dict(v) for k, v in out.items()}


def dataset_report(
    session: Session,
    month: str,
    *,
    base_url: str,
    platform: str,
    publisher: str,
    client_id: str,
    created_by: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The Dataset Master Report (DSR, release ``rd1``) of ``month``, the JSON DataCite's usage
    reports API takes (COUNTER CoP for Research Data §6; SUSHI ``report-header`` +
    ``report-datasets``). Aggregates the month first."""
    from schemas import display_title

    start, end = month_bounds(month)
    aggregate(session, month)
    session.flush()
    begin, last = start.date().isoformat(), (end - timedelta(days=1)).date().isoformat()
    datasets = []
    for record_id, methods in sorted(month_counts(session, month).items()):
        record = session.get(Record, record_id)
        if record is None:
            continue
        md = record.metadata_ or {}
        doi = next((p.value for p in record.pids if p.scheme == "doi"), None)
        ids = [{"type": "doi", "value": doi}] if doi else [{"type": "other-id", "value": record.id}]
        instances = [
            {"access-method": method, "metric-type": metric, "count": n}
            for method in sorted(methods)
            for metric in METRICS
            if (n := methods[method].get(metric))
        ]
        entry: dict[str, Any] = {
            "dataset-title": display_title(md),
            "dataset-id": ids,
            "platform": platform,
            "publisher": publisher,
            "publisher-id": [{"type": "client-id", "value": client_id}],
            "data-type": "dataset",
            "uri": f"{base_url.rstrip('/')}/records/{record.id}",
            "performance": [{"period": {"begin-date": begin, "end-date": last}, "instance": instances}],
        }
        if record.publication_date:
            entry["yop"] = str(record.publication_date.year)
            entry["dataset-dates"] = [{"type": "pub-date", "value": record.publication_date.isoformat()}]
        if md.get("version"):
            entry["dataset-version"] = str(md["version"])
        datasets.append(entry)
    created = (now or datetime.now(UTC)).date().isoformat()
    return {
        "report-header": {
            "report-name": "dataset report",
            "report-id": "DSR",
            "release": "rd1",
            "created": created,
            "created-by": created_by,
            "reporting-period": {"begin-date": begin, "end-date": last},
            "report-filters": [],
            "report-attributes": [],
            "exceptions": [],
        },
        "report-datasets": datasets,
    }

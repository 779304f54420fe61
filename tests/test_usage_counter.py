"""COUNTER Code of Practice for Research Data usage statistics: a scripted sequence of visits
(double clicks, a robot, a script, two sessions, a failed download) over the real app, the
counts the Code of Practice prescribes for it, and the Dataset Master Report (DSR) checked
against the report schema's shape (written from the CoP §8 / SUSHI research-data JSON schema)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jsonschema
import pytest
from lxml import html as lhtml
from sqlalchemy import func, inspect, select

from app.cli import main as cli
from app.db import new_session
from app.models import UsageCount, UsageEvent
from app.services import usage
from tests.test_records_landing import FILES, make_people, open_rich, published

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
WGET = "Wget/1.21.3"


@pytest.fixture
def people(factory):  # type: ignore[no-untyped-def]
    return make_people(factory)


# The DSR shape (COUNTER CoP for Research Data §8 "SUSHI", DataCite usage reports API body):
# what every report must carry, and the closed vocabularies of its enumerations.
_PERIOD = {
    "type": "object",
    "required": ["begin-date", "end-date"],
    "properties": {"begin-date": {"type": "string", "format": "date"}, "end-date": {"type": "string", "format": "date"}},
}
_ID = {
    "type": "object",
    "required": ["type", "value"],
    "properties": {"type": {"type": "string"}, "value": {"type": "string", "minLength": 1}},
}
DSR_SCHEMA = {
    "type": "object",
    "required": ["report-header", "report-datasets"],
    "properties": {
        "report-header": {
            "type": "object",
            "required": ["report-name", "report-id", "release", "created", "created-by", "reporting-period"],
            "properties": {
                "report-name": {"const": "dataset report"},
                "report-id": {"const": "DSR"},
                "release": {"const": "rd1"},
                "created": {"type": "string", "format": "date"},
                "created-by": {"type": "string", "minLength": 1},
                "reporting-period": _PERIOD,
                "report-filters": {"type": "array"},
                "report-attributes": {"type": "array"},
                "exceptions": {"type": "array"},
            },
        },
        "report-datasets": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["dataset-id", "data-type", "platform", "publisher", "publisher-id", "performance"],
                "properties": {
                    "dataset-title": {"type": "string"},
                    "dataset-id": {
                        "type": "array",
                        "minItems": 1,
                        "items": {**_ID, "properties": {**_ID["properties"], "type": {"enum": ["doi", "other-id"]}}},
                    },
                    "data-type": {"const": "dataset"},
                    "yop": {"type": "string", "pattern": "^[0-9]{4}$"},
                    "uri": {"type": "string", "format": "uri"},
                    "platform": {"type": "string", "minLength": 1},
                    "publisher": {"type": "string", "minLength": 1},
                    "publisher-id": {"type": "array", "minItems": 1, "items": _ID},
                    "dataset-dates": {"type": "array", "items": _ID},
                    "performance": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["period", "instance"],
                            "properties": {
                                "period": _PERIOD,
                                "instance": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {
                                        "type": "object",
                                        "required": ["access-method", "metric-type", "count"],
                                        "additionalProperties": False,
                                        "properties": {
                                            "access-method": {"enum": ["regular", "machine"]},
                                            "metric-type": {
                                                "enum": [
                                                    "total-dataset-investigations",
                                                    "unique-dataset-investigations",
                                                    "total-dataset-requests",
                                                    "unique-dataset-requests",
                                                ]
                                            },
                                            "count": {"type": "integer", "minimum": 1},
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_robot_and_machine_lists_are_the_counter_ones() -> None:
    assert usage.is_robot(GOOGLEBOT) and usage.is_robot("") and not usage.is_robot(FIREFOX)
    assert usage.is_machine(WGET) and usage.is_machine("python-requests/2.32") and not usage.is_machine(CHROME)


def _visit(client, url: str, ua: str, ip: str, **headers: str):  # type: ignore[no-untyped-def]
    r = client.get(url, headers={"User-Agent": ua, "Accept": "text/html", **headers}, environ_base={"REMOTE_ADDR": ip})
    r.get_data()
    r.close()  # a file download's body is an open file until closed
    return r


def _counts(app, rid: str) -> dict:  # type: ignore[no-untyped-def]
    with new_session(app) as s:
        return usage.record_counts(s, rid)


def _shift(app, seconds: float) -> None:  # type: ignore[no-untyped-def]
    """Move every logged event back in time (a scripted clock: the app stamps events "now")."""
    with new_session(app) as s:
        for e in s.scalars(select(UsageEvent)):
            e.at = e.at - timedelta(seconds=seconds)
        s.commit()


def test_scripted_sequence_gives_the_prescribed_counts(people, client, app) -> None:  # type: ignore[no-untyped-def]
    rid = published(people, open_rich(), FILES)
    landing, csv = f"/records/{rid}", f"/api/records/{rid}/files/sst.csv"

    # Session A (Firefox from 192.0.2.1): a double click on the page (1 view), then 40 s later
    # the page again (a second view), a download and its double click (1 download).
    assert _visit(client, landing, FIREFOX, "192.0.2.1").status_code == 200
    assert _visit(client, landing, FIREFOX, "192.0.2.1").status_code == 200
    _shift(app, 40)
    assert _visit(client, landing, FIREFOX, "192.0.2.1").status_code == 200
    assert _visit(client, csv, FIREFOX, "192.0.2.1").status_code == 200
    assert _visit(client, csv, FIREFOX, "192.0.2.1").status_code == 200
    # Session B (Chrome from 198.51.100.7): a view and a download.
    assert _visit(client, landing, CHROME, "198.51.100.7").status_code == 200
    assert _visit(client, csv, CHROME, "198.51.100.7").status_code == 200
    # A robot: never counted. A failed request (a range answered 206, a missing file 404): not counted.
    assert _visit(client, landing, GOOGLEBOT, "203.0.113.9").status_code == 200
    assert _visit(client, csv, GOOGLEBOT, "203.0.113.9").status_code == 200
    partial = _visit(client, csv, CHROME, "198.51.100.8", Range="bytes=0-3")
    assert partial.status_code == 206
    assert _visit(client, f"/api/records/{rid}/files/nope.csv", CHROME, "198.51.100.7").status_code == 404
    # A script (wget): counted, as machine access.
    assert _visit(client, csv, WGET, "192.0.2.50").status_code == 200

    # Regular: views = page views (A: 2, B: 1) + downloads (A: 1, B: 1) = 5, in 2 sessions;
    # downloads 2 in 2 sessions. Machine: 1 download, also 1 investigation, 1 session.
    expected_regular = {
        "total-dataset-investigations": 5,
        "unique-dataset-investigations": 2,
        "total-dataset-requests": 2,
        "unique-dataset-requests": 2,
    }
    expected_machine = {k: 1 for k in expected_regular}
    counts = _counts(app, rid)
    assert counts == {"views": 6, "unique_views": 3, "downloads": 3, "unique_downloads": 3}

    # No raw IP address or user agent is stored anywhere in the event table.
    with new_session(app) as s:
        columns = {c["name"] for c in inspect(s.get_bind()).get_columns("usage_events")}
        assert not {"ip", "user_agent", "remote_addr"} & columns
        stored = json.dumps([[e.user_key, e.session_key] for e in s.scalars(select(UsageEvent))])
        assert "192.0.2.1" not in stored and "Firefox" not in stored

    # The landing page shows the counts (this visit is logged after the page is rendered).
    doc = lhtml.fromstring(_visit(client, landing, FIREFOX, "192.0.2.77").get_data(as_text=True))
    assert doc.xpath("string(//span[@class='count-views'])") == "6"
    assert doc.xpath("string(//span[@class='count-downloads'])") == "3"

    # The monthly report: aggregated, the events (hashes included) deleted.
    month = datetime.now(UTC).strftime("%Y-%m")
    runner = app.test_cli_runner()
    env = {"ALLUVIUM_DATABASE_URL": app.config["DATABASE_URL"], "ALLUVIUM_BASE_URL": "http://alluvium.test"}
    r = runner.invoke(cli, ["stats", "report", "--month", month], env=env)
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    jsonschema.validate(report, DSR_SCHEMA, format_checker=jsonschema.FormatChecker())
    assert report["report-header"]["reporting-period"]["begin-date"] == f"{month}-01"
    (dataset,) = report["report-datasets"]
    assert dataset["dataset-id"] == [{"type": "other-id", "value": rid}]
    instances = dataset["performance"][0]["instance"]
    got = {(i["access-method"], i["metric-type"]): i["count"] for i in instances}
    # The last Firefox visit (192.0.2.77, a third regular session) is in this month too.
    expected_regular["total-dataset-investigations"] += 1
    expected_regular["unique-dataset-investigations"] += 1
    assert got == {**{("regular", k): v for k, v in expected_regular.items()}, **{("machine", k): v for k, v in expected_machine.items()}}
    with new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(UsageEvent)) == 0
        assert s.scalar(select(func.count()).select_from(UsageCount)) == 8
    # Counts survive aggregation.
    assert _counts(app, rid)["views"] == 7


def test_report_refuses_a_malformed_month(app) -> None:  # type: ignore[no-untyped-def]
    r = app.test_cli_runner().invoke(cli, ["stats", "report", "--month", "2026-13"], env={"ALLUVIUM_DATABASE_URL": app.config["DATABASE_URL"]})
    assert r.exit_code != 0 and "--month" in r.output and "YYYY-MM" in r.output


def test_unpublished_and_failed_requests_are_not_logged(people, client, app) -> None:  # type: ignore[no-untyped-def]
    from tests.test_records_landing import submitted

    rid = submitted(people, open_rich())
    assert people["mod"].get(f"/records/{rid}/preview").status_code == 200
    assert client.get(f"/records/{rid}").status_code == 404
    with new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(UsageEvent)) == 0

"""Independent harvesters (Sickle and pyoai) against the OAI-PMH provider on a loopback server,
and a harvest racing with publications and withdrawals.

Nothing here is mocked: the app runs in werkzeug's threaded server, the clients speak HTTP.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import oaipmh.client
import oaipmh.metadata
import pytest
from _oai import Repo
from conftest import make_test_config
from lxml import etree
from oaipmh.client import Client
from oaipmh.error import NoRecordsMatchError
from oaipmh.metadata import MetadataReader, MetadataRegistry, oai_dc_reader
from sickle import Sickle
from sickle.oaiexceptions import NoRecordsMatch
from sqlalchemy import select

from app import create_app
from app.db import new_session
from app.models import OaiItem, OaiItemSet

DOMAIN = "alluvium.test"
PREFIXES = ["oai_dc", "oai_datacite", "datacite", "iso19139", "iso19115-3", "dcat"]


class _EvaluatorWithEvaluate:
    """pyoai 2.5 (the latest release) calls ``XPathEvaluator(...).evaluate(path)``, an alias
    that lxml 6 removed; calling the evaluator is the same operation. This shim adapts the
    third-party client to current lxml only; our server is untouched."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._evaluator = etree.XPathEvaluator(*args, **kwargs)

    def evaluate(self, path, **variables):  # type: ignore[no-untyped-def]
        return self._evaluator(path, **variables)

    __call__ = evaluate


class _EtreeForPyoai:
    def __getattr__(self, name):  # type: ignore[no-untyped-def]
        return _EvaluatorWithEvaluate if name == "XPathEvaluator" else getattr(etree, name)


oaipmh.client.etree = _EtreeForPyoai()  # type: ignore[assignment]
oaipmh.metadata.etree = _EtreeForPyoai()  # type: ignore[assignment]

# Every format's title, found by local name so one reader serves each schema's namespaces.
TITLE = MetadataReader(fields={"title": ("textList", "//*[local-name()='title']//text()")})


@pytest.fixture
def app(database_url, instance, shared_standards):  # type: ignore[no-untyped-def]
    application = create_app(
        make_test_config(
            database_url,
            instance,
            OAI_REPOSITORY_IDENTIFIER=DOMAIN,
            OAI_RECORDS_PER_PAGE=4,
            OAI_IDENTIFIERS_PER_PAGE=3,
        )
    )
    yield application
    application.extensions["alluvium.engine"].dispose()


@pytest.fixture
def repo(app):  # type: ignore[no-untyped-def]
    return Repo(app)


@pytest.fixture
def corpus(repo):  # type: ignore[no-untyped-def]
    """9 published records over two communities, two with funding (openaire_data), one withdrawn."""
    rids = {}
    for n in range(9):
        changes = {"funding": [{"funder_name": "ANR"}]} if n in (2, 5) else {}
        rids[n] = repo.publish(
            n, community="aeris" if n % 2 else "odatis", metadata=repo.metadata(n, **changes)
        )
    repo.withdraw(rids[4])
    return rids


def oai_id(rid: str) -> str:
    return f"oai:{DOMAIN}:{rid}"


def db_counts(app) -> tuple[Counter, int, int]:  # type: ignore[no-untyped-def]
    """(records per set, live records, deleted records) as the database has them now."""
    with new_session(app) as s:
        items = s.scalars(select(OaiItem).where(OaiItem.superseded_at.is_(None))).all()
        current = [i.id for i in items]
        per_set = Counter(s.scalars(select(OaiItemSet.set_spec).where(OaiItemSet.item_id.in_(current))).all())
        return per_set, sum(not i.deleted for i in items), sum(i.deleted for i in items)


def test_sickle_harvests_every_format_and_set_in_full_and_incrementally(
    live_server, app, repo, corpus
) -> None:  # type: ignore[no-untyped-def]
    sickle = Sickle(f"{live_server}/oai")
    identify = sickle.Identify()
    assert identify.deletedRecord == "persistent"
    assert identify.granularity == "YYYY-MM-DDThh:mm:ssZ"
    formats = [f.metadataPrefix for f in sickle.ListMetadataFormats()]
    assert formats == PREFIXES
    per_set, live, deleted = db_counts(app)
    assert (live, deleted) == (8, 1)

    for prefix in PREFIXES:
        records = list(sickle.ListRecords(metadataPrefix=prefix, ignore_deleted=False))
        ids = [r.header.identifier for r in records]
        assert len(ids) == len(set(ids)) == live + deleted, prefix
        assert sum(r.header.deleted for r in records) == deleted
        assert {r.header.identifier for r in records if r.header.deleted} == {oai_id(corpus[4])}
        for r in records:
            if not r.header.deleted:
                assert r.metadata, (prefix, r.header.identifier)
        headers = list(sickle.ListIdentifiers(metadataPrefix=prefix, ignore_deleted=False))
        assert sorted(h.identifier for h in headers) == sorted(ids)

    sets = {s.setSpec for s in sickle.ListSets()}
    assert {"community-aeris", "community-odatis", "openaire_data", "type-dataset"} <= sets
    for spec in sorted(sets):
        try:
            got = [
                h.identifier
                for h in sickle.ListIdentifiers(metadataPrefix="oai_dc", set=spec, ignore_deleted=False)
            ]
        except NoRecordsMatch:
            got = []
        assert len(got) == len(set(got)) == per_set.get(spec, 0), spec
    assert per_set["openaire_data"] == 2 and per_set["community-aeris"] == 4

    # Incremental: from a time after everything above, nothing; then a change shows up alone.
    time.sleep(1.1)
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    time.sleep(1.1)
    with pytest.raises(NoRecordsMatch):
        list(sickle.ListIdentifiers(metadataPrefix="oai_dc", **{"from": since}))
    fresh = repo.publish(42)
    got = [h.identifier for h in sickle.ListIdentifiers(metadataPrefix="oai_dc", **{"from": since})]
    assert got == [oai_id(fresh)]
    until = [h.identifier for h in sickle.ListIdentifiers(metadataPrefix="oai_dc", until=since)]
    assert len(until) == live + deleted and oai_id(fresh) not in until


def test_pyoai_harvests_every_format_and_set_in_full_and_incrementally(live_server, app, corpus) -> None:  # type: ignore[no-untyped-def]
    registry = MetadataRegistry()
    registry.registerReader("oai_dc", oai_dc_reader)
    for prefix in PREFIXES[1:]:
        registry.registerReader(prefix, TITLE)
    client = Client(f"{live_server}/oai", registry)
    identify = client.identify()
    assert identify.deletedRecord() == "persistent"
    client.updateGranularity()
    per_set, live, deleted = db_counts(app)
    titles = {f"Test dataset {n}" for n in range(9) if n != 4}

    for prefix in PREFIXES:
        records = list(client.listRecords(metadataPrefix=prefix))
        ids = [h.identifier() for h, _, _ in records]
        assert len(ids) == len(set(ids)) == live + deleted, prefix
        assert [h.identifier() for h, _, _ in records if h.isDeleted()] == [oai_id(corpus[4])]
        field = "title"
        got = set()
        for header, metadata, _ in records:
            if not header.isDeleted():
                got.update(t.strip() for t in metadata.getField(field))
        assert titles <= got, (prefix, titles - got)

    for spec, _, _ in client.listSets():
        try:
            got = [h.identifier() for h in client.listIdentifiers(metadataPrefix="oai_dc", set=spec)]
        except NoRecordsMatchError:
            got = []
        assert len(got) == len(set(got)) == per_set.get(spec, 0), spec

    # Incremental with datetimes, as pyoai sends them (second granularity after Identify).
    latest = max(h.datestamp() for h in client.listIdentifiers(metadataPrefix="oai_dc"))
    assert len(list(client.listIdentifiers(metadataPrefix="oai_dc", from_=latest))) >= 1
    with pytest.raises(NoRecordsMatchError):
        list(client.listIdentifiers(metadataPrefix="oai_dc", from_=latest + timedelta(seconds=2)))
    assert len(list(client.listIdentifiers(metadataPrefix="oai_dc", until=latest))) == live + deleted
    header, metadata, _ = client.getRecord(identifier=oai_id(corpus[0]), metadataPrefix="oai_dc")
    assert metadata.getField("title") == ["Test dataset 0"]


def test_a_harvest_racing_with_publications_and_withdrawals_has_no_gaps_or_duplicates(
    live_server, app, repo
) -> None:  # type: ignore[no-untyped-def]
    """One thread harvests page by page (ListRecords, 4 per page, and ListIdentifiers, 3 per page)
    while this thread publishes, withdraws and versions records. Each harvest must return exactly
    the records that existed when it started, once each; the changes appear in the next
    incremental harvest."""
    initial = [repo.publish(n) for n in range(14)]
    sickle = Sickle(f"{live_server}/oai")
    time.sleep(1.05)  # the harvest starts in a later second than the initial publications
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    results: dict[str, list[str]] = {}
    errors: list[BaseException] = []
    gate = threading.Event()

    def harvest(verb: str) -> None:
        try:
            items = getattr(sickle, verb)(metadataPrefix="oai_dc", ignore_deleted=False)
            out = []
            for n, item in enumerate(items):
                header = item.header if verb == "ListRecords" else item
                out.append((header.identifier, header.deleted))
                if n == 1:
                    gate.set()  # the first page is in: let the writer start
                time.sleep(0.08)
            results[verb] = out
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=harvest, args=(verb,)) for verb in ("ListRecords", "ListIdentifiers")]
    for t in threads:
        t.start()
    assert gate.wait(30)
    changed = []
    for n in range(3):
        changed.append(repo.publish(100 + n))
        repo.withdraw(initial[n * 4])
        changed.append(initial[n * 4])
    v2 = repo.new_version(initial[13], 200)
    changed += [v2, initial[13]]
    for t in threads:
        t.join(60)
    assert not errors, errors
    expected = sorted(oai_id(r) for r in initial)
    for verb, out in results.items():
        ids = [i for i, _ in out]
        assert len(ids) == len(set(ids)), f"{verb}: duplicates {Counter(ids).most_common(3)}"
        assert sorted(ids) == expected, f"{verb}: gaps or extras"
    # The next incremental harvest picks every change up.
    later = {
        h.identifier: h.deleted
        for h in sickle.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=False, **{"from": started})
    }
    assert {oai_id(r) for r in changed} <= set(later)
    assert all(later[oai_id(initial[n * 4])] for n in range(3))

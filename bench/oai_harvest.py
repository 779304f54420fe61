#!/usr/bin/env python3
"""Benchmark an OAI-PMH harvest of many records: records/s, page latency and server memory.

1. Creates a throw-away instance (or uses ``--instance``/``--reuse``), SQLite in it by default or
   ``--database-url``, and migrates it with ``app.migrate.upgrade``.
2. Generates N published record versions quickly. **Generation bypasses the deposit/moderation
   workflow**: one owner, a few communities (created with ``accounts.create_community``), then
   ``record_parents``, ``records`` (state ``published``) and one ``local`` PID per version are
   bulk-inserted with SQLAlchemy Core in batches, streamed (memory does not grow with N). The
   metadata is varied from ``schemas.examples`` (titles, creators, years, communities, resource
   types, funding or a cited article on some, so every kind of set is populated); every tenth
   version is a second version of the previous dataset. The first few hundred generated documents
   are checked with ``schemas.load_metadata(..., require_mandatory=True)``: valid and already in
   the normal form the loader stores.
3. Builds the OAI items with the real code, ``app.oai.items.sync_all`` (timed). On PostgreSQL,
   runs ``ANALYZE`` afterwards, as autovacuum would after such a load.
4. Starts ``alluvium serve`` (werkzeug, threaded) as a separate process on a free loopback port
   and samples its RSS from ``/proc`` in a thread.
5. Harvests ``ListRecords`` with Sickle: once cold (payloads rendered and cached) and
   ``--repeats`` times warm (from the cache), asserting that every harvest returns N distinct
   records. Then times single pages with plain HTTP: the first page (no token: the harvest's
   start, the list count and the first keyset page), the second and the last page (their
   resumption tokens replayed), interleaved, median of ``--samples``.

    python3 bench/oai_harvest.py                       # 100,000 records, SQLite
    python3 bench/oai_harvest.py -n 2000               # smoke run
    python3 bench/oai_harvest.py -n 1000000 --keep     # 1M (see bench/README.md for times)
    python3 bench/oai_harvest.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/alluvium_bench

Linux only (reads /proc).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from sickle import Sickle

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

BATCH = 5000
VALIDATE_FIRST = 300  # generated documents checked with schemas.load_metadata
EPOCH = datetime(2019, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=7 * 365)  # published_at spread over seven years
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, as app.services.records.new_id
_MASK = (1 << 50) - 1


def fmt_mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def hwm() -> str:
    """This process's peak RSS."""
    return fmt_mib(proc_status_kib(os.getpid(), "VmHWM"))


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f} rec/s" if seconds > 0 else "n/a"


# --- identifiers and metadata ----------------------------------------------------------------------


def record_id(i: int, salt: int) -> str:
    """A unique id shaped like ``new_id()`` (``7k2pq-xm4rd``): an odd multiplier permutes 50 bits."""
    n = (i * 0x9E3779B97F4A7 + salt) & _MASK
    chars = "".join(_ALPHABET[(n >> (5 * k)) & 31] for k in range(10))
    return f"{chars[:5]}-{chars[5:]}"


FAMILY = (
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre "
    "Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard Andre Mercier Dupont Lambert "
    "Bonnet Francois Martinez Legrand Nguyen Tanaka Okafor Schmidt Rossi Kowalski"
).split()
GIVEN = (
    "Claire Marie Jean Pierre Sophie Luc Camille Nicolas Julie Thomas Anne Paul Emma Hugo Lea "
    "Louis Chloe Antoine Ines Mathieu Sarah Yann Aiko Chidi Greta Paolo Zofia"
).split()
VARIABLES = (
    "Soil moisture|Sea surface temperature|Sea surface salinity|Chlorophyll-a concentration|"
    "Aerosol optical depth|River discharge|Snow depth|Surface albedo|Leaf area index|"
    "Precipitation|Wind speed|Dissolved oxygen|Groundwater level|Ozone column|Nitrate concentration"
).split("|")
METHODS = "in situ measurements|satellite retrievals|model outputs|mooring time series|survey data".split("|")
PLACES = (
    "the Lusignan observatory|the Bay of Biscay|the South-West Pacific|the Alps|the Rhone basin|"
    "the Sahel|French Guiana|the Kerguelen Islands|the Mediterranean Sea|the Loire estuary"
).split("|")
ORGS = (
    ("Centre national de la recherche scientifique", "https://ror.org/02feahw73"),
    ("Institut de recherche pour le développement", "https://ror.org/05q3vnk25"),
    ("Ifremer", "https://ror.org/044jxhp58"),
)
PUBLISHERS = ("THEIA", "ODATIS / Data Terra", "AERIS", "FORM@TER", "Data Terra")
TYPES = ("Dataset",) * 12 + ("Collection", "Model", "Image", "Software", "PhysicalObject", "Text")
LICENSES = ("CC-BY-4.0", "CC0-1.0", "etalab-2.0", "CC-BY-SA-4.0")
COMMUNITIES = (
    ("theia", "THEIA land surfaces"),
    ("odatis", "ODATIS ocean"),
    ("aeris", "AERIS atmosphere"),
    ("formater", "FORM@TER solid earth"),
    ("datalake", "Data lake (miscellaneous)"),
)


class MetadataFactory:
    """Varied, valid canonical metadata built around the normalised ``schemas.examples`` dicts.

    Records share the unchanged sub-objects of a template (they are serialised to JSON right
    away), so building one costs a few dict copies, not a deep copy.
    """

    def __init__(self, seed: int) -> None:
        import schemas
        from schemas.examples import minimal_example, rich_example

        self.rng = random.Random(seed)
        self.minimal = schemas.load_metadata(minimal_example(), require_mandatory=True)
        self.rich = schemas.load_metadata(rich_example(), require_mandatory=True)
        self.keywords = self.rich["keywords"][:1]
        self.funding = self.rich["funding"]
        self.article = [r for r in self.rich["related_identifiers"] if r["resource_type"] == "JournalArticle"]
        # Licences as the loader completes them (name and URI from the SPDX list).
        self.licenses = [
            schemas.load_metadata(
                {**minimal_example(), "rights": {"access_level": "open", "license": {"id": lic}}}
            )["rights"]["license"]
            for lic in LICENSES
        ]

    def make(self, i: int) -> dict[str, Any]:
        rng = self.rng
        kind = i % 10  # 1 in 10 rich, 4 medium, 5 minimal-sized
        md = dict(self.rich if kind == 0 else self.minimal)
        year = 2000 + rng.randrange(26)
        variable, method, place = rng.choice(VARIABLES), rng.choice(METHODS), rng.choice(PLACES)
        title = f"{variable} from {method} in {place}, {year}-{year + rng.randrange(1, 6)} (#{i})"
        md["titles"] = [{"text": title, "lang": "en"}] + (self.rich["titles"][1:3] if kind == 0 else [])
        md["abstracts"] = [{"text": f"{variable} ({method}) in {place}; release {i % 97}.", "lang": "en"}]
        creators = []
        for _ in range(1 + rng.randrange(4)):
            family, given = rng.choice(FAMILY), rng.choice(GIVEN)
            creator = {
                "type": "Personal",
                "name": f"{family}, {given}",
                "given_name": given,
                "family_name": family,
            }
            if rng.random() < 0.5:
                org, ror = rng.choice(ORGS)
                creator["affiliations"] = [{"name": org, "ror": ror}]
            creators.append(creator)
        if kind == 0:
            creators = self.rich["creators"][:1] + creators
        md["creators"] = creators
        md["publisher"] = {"name": rng.choice(PUBLISHERS)}
        md["publication_year"] = year
        md["resource_type"] = {**md["resource_type"], "general": rng.choice(TYPES)}
        if kind != 0:
            md["dates"] = [
                {"date": f"{year}-{1 + rng.randrange(12):02d}-{1 + rng.randrange(28):02d}", "type": "Created"}
            ]
            md["rights"] = {"access_level": "open", "license": rng.choice(self.licenses)}
        if 1 <= kind <= 4:  # medium: keywords, a box, a period, a language
            md["keywords"] = self.keywords
            md["languages"] = ["en"]
            west = -180 + rng.randrange(300)
            south = -80 + rng.randrange(120)
            md["spatial_extents"] = [
                {
                    "place": place,
                    "bbox": {
                        "west": float(west),
                        "east": float(west + 20),
                        "south": float(south),
                        "north": float(south + 20),
                    },
                }
            ]
            md["temporal_extents"] = [{"start": f"{year}-01-01", "end": f"{year}-12-31"}]
        roll = rng.random()
        if kind == 0 or roll < 0.3:  # funded: in openaire_data
            award = f"ANR-{year % 100:02d}-CE{rng.randrange(1, 60):02d}-{rng.randrange(10000):04d}"
            md["funding"] = [{**self.funding[0], "award_number": award, "award_title": f"Project {i}"}]
        elif roll < 0.4:  # cited by an article: in openaire_data too
            md["related_identifiers"] = self.article
        return md


def canonical(metadata: dict[str, Any]) -> dict[str, Any]:
    """The metadata as stored (what a JSON column gives back)."""
    return json.loads(json.dumps(metadata))


# --- generation ----------------------------------------------------------------------------------


def database_counts(app: Any) -> tuple[int, int]:
    """(published or withdrawn record versions, current OAI items)."""
    from sqlalchemy import func, select

    from app.db import get_engine
    from app.models import OaiItem, Record

    with get_engine(app).connect() as conn:
        records = conn.scalar(
            select(func.count()).select_from(Record).where(Record.state.in_(("published", "withdrawn")))
        )
        items = conn.scalar(select(func.count()).select_from(OaiItem).where(OaiItem.superseded_at.is_(None)))
    return int(records or 0), int(items or 0)


def generate(app: Any, n: int, seed: int) -> float:
    """Insert ``n`` published record versions; return the seconds taken."""
    from sqlalchemy import insert

    import schemas
    from app.db import get_engine, new_session
    from app.models import Community, PersistentIdentifier, Record, RecordParent, User
    from app.services import accounts
    from curation import Actor

    start = time.perf_counter()
    with new_session(app) as session:
        owner = User(email="bench@example.org", name="Bench Owner", role="producer")
        session.add(owner)
        for slug, title in COMMUNITIES:
            accounts.create_community(session, Actor.system_actor(), slug, title, f"{title} (benchmark)")
        session.commit()
        owner_id = owner.id
        community_ids = [c.id for c in session.query(Community).order_by(Community.id)]

    factory = MetadataFactory(seed)
    for i in range(min(VALIDATE_FIRST, n)):
        md = canonical(factory.make(i))
        loaded = schemas.load_metadata(md, require_mandatory=True)  # raises on any error
        if canonical(loaded) != md:
            raise SystemExit(f"generated metadata #{i} is not in normal form:\n{md}\n{loaded}")
    factory = MetadataFactory(seed)  # same sequence again

    engine = get_engine(app)
    parents_t, records_t, pids_t = RecordParent.__table__, Record.__table__, PersistentIdentifier.__table__
    step = SPAN / max(n, 1)
    parent = ""
    done = 0
    report_every = max(n // 10, BATCH)
    while done < n:
        parents, rows, pids = [], [], []
        for i in range(done, min(done + BATCH, n)):
            rid = record_id(i, 0x2F1)
            published = EPOCH + step * i
            version = 2 if i % 10 == 9 and parent else 1
            if version == 1:
                parent = record_id(i, 0x1B3F)
                parents.append(
                    {"id": parent, "owner_id": owner_id, "created_at": published - timedelta(days=3)}
                )
            community = community_ids[i % len(community_ids)] if i % 6 else None
            rows.append(
                {
                    "id": rid,
                    "parent_id": parent,
                    "version_index": version,
                    "owner_id": owner_id,
                    "community_id": community,
                    "state": "published",
                    "metadata": factory.make(i),
                    "revision": 1,
                    "assigned_to_id": None,
                    "created_at": published - timedelta(days=2),
                    "updated_at": published,
                    "submitted_at": published - timedelta(days=1),
                    "published_at": published,
                    "publication_date": published.date(),
                    "tombstone": None,
                }
            )
            pids.append(
                {
                    "record_id": rid,
                    "scheme": "local",
                    "value": rid,
                    "provider": "local",
                    "status": "registered",
                    "created_at": published,
                }
            )
        with engine.begin() as conn:
            if parents:
                conn.execute(insert(parents_t), parents)
            conn.execute(insert(records_t), rows)
            conn.execute(insert(pids_t), pids)
        before, done = done, done + len(rows)
        if done // report_every != before // report_every or done == n:
            elapsed = time.perf_counter() - start
            print(f"  generated {done:,}/{n:,} ({rate(done, elapsed)})", flush=True)
    return time.perf_counter() - start


def sync_items(app: Any) -> tuple[int, float]:
    """Build the OAI items with app.oai.items.sync_all; (records checked, seconds)."""
    from app.db import new_session
    from app.oai.items import sync_all

    start = time.perf_counter()
    done = 0
    with new_session(app) as session:
        total, _ = database_counts(app)
        report_every = max(total // 10, 1)
        last = 0
        for done in sync_all(session, app.config["BASE_URL"], commit_every=1):
            if done // report_every != last // report_every or done == total:
                elapsed = time.perf_counter() - start
                print(f"  synced {done:,}/{total:,} ({rate(done, elapsed)})", flush=True)
            last = done
        session.commit()
    return done, time.perf_counter() - start


def analyze_postgresql(app: Any) -> None:
    """ANALYZE a PostgreSQL database after the bulk load, as autovacuum would within a minute.

    Without statistics the planner guesses, e.g. a sequential scan of ``pids`` for every page
    (autovacuum is off on some development servers). Alluvium never analyses SQLite databases,
    so neither does the benchmark."""
    from sqlalchemy import text

    from app.db import get_engine

    engine = get_engine(app)
    if engine.dialect.name != "postgresql":
        return
    start = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    print(f"  ANALYZE (PostgreSQL statistics, as autovacuum would): {time.perf_counter() - start:.1f} s")


def clear_payloads(app: Any) -> int:
    """Empty the payload cache (every prefix) so that the next harvest is cold again.

    PostgreSQL: TRUNCATE, not DELETE. After a DELETE the table keeps its pages, and the ANALYZE
    that follows records "0 rows in N pages": the planner then expects no payload whatever the
    table holds, and the page query's join to ``oai_payloads`` turns quadratic (bench/README.md).
    """
    from sqlalchemy import delete, func, select, text

    from app.db import get_engine
    from app.models import OaiPayload

    with get_engine(app).begin() as conn:
        count = int(conn.scalar(select(func.count()).select_from(OaiPayload)) or 0)
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE oai_payloads"))
        else:
            conn.execute(delete(OaiPayload))
    return count


def cached_payloads(app: Any, prefix: str) -> int:
    from sqlalchemy import func, select

    from app.db import get_engine
    from app.models import OaiPayload

    with get_engine(app).connect() as conn:
        return int(
            conn.scalar(select(func.count()).select_from(OaiPayload).where(OaiPayload.prefix == prefix)) or 0
        )


# --- server and its memory -------------------------------------------------------------------------


def alluvium_command() -> list[str]:
    installed = shutil.which("alluvium")
    if installed:
        return [installed]
    return [sys.executable, "-c", "import sys; from app.cli import main; sys.exit(main())"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {key} for process {pid}")


class RssSampler(threading.Thread):
    """Samples the server's VmRSS every ``interval`` seconds (VmHWM gives the true peak)."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, int]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self.samples.append((time.monotonic(), proc_status_kib(self.pid, "VmRSS")))
            except (OSError, RuntimeError):
                return
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def now(self) -> int:
        return proc_status_kib(self.pid, "VmRSS")

    def peak(self) -> int:
        return proc_status_kib(self.pid, "VmHWM")


def start_server(env: dict[str, str], port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [*alluvium_command(), "serve", "--port", str(port)],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # werkzeug logs one line per request
    )
    url = f"http://127.0.0.1:{port}/oai"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited with status {server.returncode} before answering")
        try:
            if requests.get(url, params={"verb": "Identify"}, timeout=5).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    server.kill()
    raise SystemExit(f"{url}?verb=Identify did not answer within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- harvesting ------------------------------------------------------------------------------------


@dataclass
class Page:
    seconds: float  # HTTP request until the body has arrived (server + transfer)
    size: int
    token: str | None  # the resumptionToken that asked for this page (None: the first page)


class TimedSickle(Sickle):
    """Sickle, recording every page request it makes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pages: list[Page] = []

    def harvest(self, **kwargs: Any) -> Any:
        start = time.perf_counter()
        response = super().harvest(**kwargs)
        self.pages.append(
            Page(
                time.perf_counter() - start,
                len(response.http_response.content),
                kwargs.get("resumptionToken"),
            )
        )
        return response


@dataclass
class Harvest:
    label: str
    records: int
    seconds: float
    pages: list[Page]
    rss_after: int
    started: float  # time.monotonic() at start and end, to place RSS samples
    ended: float
    deleted: int = 0
    identifiers: int = 0

    @property
    def http_seconds(self) -> float:
        return sum(p.seconds for p in self.pages)


def harvest(
    url: str, prefix: str, expected: int, label: str, sampler: RssSampler, progress: bool = False
) -> Harvest:
    """One full ListRecords harvest with Sickle; ``progress`` prints a line every tenth."""
    client = TimedSickle(url, timeout=600)
    seen: set[str] = set()
    deleted = count = 0
    every = max(expected // 10, 1)
    started = time.monotonic()
    start = time.perf_counter()
    for record in client.ListRecords(metadataPrefix=prefix, ignore_deleted=False):
        count += 1
        deleted += record.deleted
        seen.add(record.header.identifier)
        if progress and count % every == 0 and count < expected:
            recent = sorted(p.seconds for p in client.pages[-50:])
            print(
                f"    {label}: {count:,}/{expected:,} ({rate(count, time.perf_counter() - start)}; "
                f"recent pages median {1000 * recent[len(recent) // 2]:.0f} ms; server RSS {fmt_mib(sampler.now())})",
                flush=True,
            )
    seconds = time.perf_counter() - start
    result = Harvest(
        label, count, seconds, client.pages, sampler.now(), started, time.monotonic(), deleted, len(seen)
    )
    http = result.http_seconds
    print(
        f"  {label}: {count:,} records in {seconds:.1f} s = {rate(count, seconds)}; "
        f"{len(client.pages)} pages, {http:.1f} s waiting for the server ({100 * http / seconds:.0f} %), "
        f"{sum(p.size for p in client.pages) / 1e6:,.0f} MB; server RSS {fmt_mib(result.rss_after)}",
        flush=True,
    )
    if count != expected or len(seen) != expected or deleted:
        raise SystemExit(
            f"{label}: expected {expected} distinct live records, got {count} ({len(seen)} distinct, {deleted} deleted)"
        )
    return result


def time_page(url: str, params: dict[str, str]) -> float:
    start = time.perf_counter()
    response = requests.get(url, params=params, timeout=600)
    response.content  # noqa: B018  (the whole body)
    elapsed = time.perf_counter() - start
    if response.status_code != 200 or b"<error" in response.content[:2000]:
        raise SystemExit(f"GET {response.url}: {response.status_code} {response.content[:500]!r}")
    return elapsed


@dataclass
class Latency:
    first: list[float] = field(default_factory=list)
    second: list[float] = field(default_factory=list)
    last: list[float] = field(default_factory=list)


def page_latencies(url: str, prefix: str, pages: list[Page], samples: int) -> Latency:
    """First, second and last page, interleaved so that they share the machine's noise."""
    out = Latency()
    second = pages[1].token if len(pages) > 1 else None
    last = pages[-1].token
    for _ in range(samples):
        out.first.append(time_page(url, {"verb": "ListRecords", "metadataPrefix": prefix}))
        if second:
            out.second.append(time_page(url, {"verb": "ListRecords", "resumptionToken": second}))
        if last:
            out.last.append(time_page(url, {"verb": "ListRecords", "resumptionToken": last}))
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def ms(values: list[float]) -> str:
    return f"{1000 * statistics.median(values):.1f} ms" if values else "n/a"


# --- main ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "-n", "--records", type=int, default=100_000, help="record versions to generate (default 100000)"
    )
    parser.add_argument("--prefix", default="oai_dc", help="metadataPrefix to harvest (default oai_dc)")
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL of an EMPTY scratch database (default: SQLite in the instance)"
    )
    parser.add_argument("--instance", help="instance folder to create and use (default: a temporary one)")
    parser.add_argument(
        "--reuse", metavar="DIR", help="instance folder of an earlier --keep run: skip generation"
    )
    parser.add_argument("--keep", action="store_true", help="do not delete the instance folder at the end")
    parser.add_argument(
        "--repeats", type=int, default=3, help="warm harvests; the median is reported (default 3)"
    )
    parser.add_argument(
        "--samples", type=int, default=9, help="requests per page for first/last page latency (default 9)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the metadata generator")
    parser.add_argument("--workdir", help="where to create the temporary instance (default: system temp)")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.samples < 1 or args.records < 1:
        parser.error("--records, --repeats and --samples must be at least 1")
    if args.reuse and args.instance:
        parser.error("--reuse and --instance are exclusive")

    if args.reuse:
        instance, temporary = Path(args.reuse).resolve(), False
        if not instance.is_dir():
            parser.error(f"--reuse {instance}: no such folder")
    elif args.instance:
        instance, temporary = Path(args.instance).resolve(), False
        instance.mkdir(parents=True, exist_ok=True)
    else:
        instance, temporary = Path(tempfile.mkdtemp(prefix="alluvium-oai-bench-", dir=args.workdir)), True
    # The benchmark and the server it starts read the same configuration (same BASE_URL, so the
    # payloads the server renders match the items' fingerprints and get cached).
    os.environ["ALLUVIUM_INSTANCE_PATH"] = str(instance)
    if args.database_url:
        os.environ["ALLUVIUM_DATABASE_URL"] = args.database_url
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        run(args, instance)
    finally:
        if temporary and not args.keep:
            shutil.rmtree(instance, ignore_errors=True)
        elif not args.reuse:
            print(f"instance kept: {instance} (rerun with --reuse {instance})")


def run(args: argparse.Namespace, instance: Path) -> None:
    from app import create_app
    from app.migrate import upgrade

    app = create_app({"CHECK_MIGRATIONS": False})
    url = app.config["DATABASE_URL"]
    where = app.config["DATABASE_URL"].split("@")[-1] if "@" in url else url
    print(f"instance {instance}; database {where}; metadataPrefix {args.prefix}")
    upgrade(url)
    records, items = database_counts(app)
    n = args.records
    gen_s = sync_s = None
    if args.reuse:
        if not records:
            raise SystemExit(f"--reuse {instance}: the database has no published records")
        n = records
        print(f"reusing {records:,} published record versions, {items:,} current OAI items")
        if items != records:
            print("syncing OAI items (app.oai.items.sync_all) ...", flush=True)
            _, sync_s = sync_items(app)
        cleared = clear_payloads(app)
        print(f"  emptied the payload cache ({cleared:,} rows) so that the first harvest is cold")
    else:
        if records:
            raise SystemExit(
                f"the database already holds {records:,} published records: give an empty database, "
                "or --reuse the instance that made them"
            )
        print(
            f"generating {n:,} published record versions (bulk insert, batches of {BATCH:,}) ...", flush=True
        )
        gen_s = generate(app, n, args.seed)
        print(f"  generation: {gen_s:.1f} s, {rate(n, gen_s)}; this process peak RSS (VmHWM) {hwm()}")
        print("building OAI items (app.oai.items.sync_all, commit_every=1) ...", flush=True)
        synced, sync_s = sync_items(app)
        print(f"  item sync: {synced:,} in {sync_s:.1f} s, {rate(synced, sync_s)}")
        print(f"  this process peak RSS (VmHWM) after the item sync: {hwm()}")
    analyze_postgresql(app)
    records, items = database_counts(app)
    if items != records or records != n:
        raise SystemExit(f"{records} published record versions but {items} current OAI items (expected {n})")
    app.extensions["alluvium.engine"].dispose()

    port = free_port()
    oai = f"http://127.0.0.1:{port}/oai"
    server = start_server(dict(os.environ), port)
    try:
        sampler = RssSampler(server.pid)
        sampler.start()
        rss_start = sampler.now()
        print(f"server: pid {server.pid}, {oai}, RSS after start-up and Identify {fmt_mib(rss_start)}")
        print(f"harvesting ListRecords metadataPrefix={args.prefix} with Sickle ...", flush=True)
        cold = harvest(oai, args.prefix, n, "cold", sampler, progress=True)
        payloads = cached_payloads(app, args.prefix)
        if payloads != n:
            print(
                f"  WARNING: {payloads:,} cached {args.prefix} payloads after the cold harvest, expected {n:,}"
            )
        warm = [harvest(oai, args.prefix, n, f"warm {i + 1}", sampler) for i in range(args.repeats)]
        print(f"timing single pages (median of {args.samples}) ...", flush=True)
        lat = page_latencies(oai, args.prefix, warm[-1].pages, args.samples)
        rss_end, peak = sampler.now(), sampler.peak()
        sampler.stop()
    finally:
        stop_server(server)

    warm_rates = [h.records / h.seconds for h in warm]
    warm_http = [h.records / h.http_seconds for h in warm]
    first, last = statistics.median(lat.first), statistics.median(lat.last) if lat.last else None
    cold_pages = [p.seconds for p in cold.pages]
    # RSS 10 % into the cold harvest vs at its end: memory growing with the harvest shows here.
    at_tenth = cold.started + 0.1 * (cold.ended - cold.started)
    tenth = next((kib for t, kib in sampler.samples if t >= at_tenth), 0)

    print()
    print(
        f"summary ({datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} CPUs, {app.config['DATABASE_URL'].split(':')[0]}, "
        f"{args.prefix}, {app.config['OAI_RECORDS_PER_PAGE']} records/page)"
    )
    print(f"  records                       {n:,} ({len(cold.pages)} pages)")
    if gen_s is not None:
        print(f"  generation                    {gen_s:.1f} s, {rate(n, gen_s)}")
    if sync_s is not None:
        print(f"  item sync (sync_all)          {sync_s:.1f} s, {rate(n, sync_s)}")
    print(
        f"  cold harvest (Sickle)         {cold.seconds:.1f} s, {rate(n, cold.seconds)}"
        f"  (server side {rate(n, cold.http_seconds)})"
    )
    print(
        f"  warm harvest (Sickle) median  {statistics.median([h.seconds for h in warm]):.1f} s, "
        f"{statistics.median(warm_rates):,.0f} rec/s  (server side {statistics.median(warm_http):,.0f} rec/s; "
        f"runs {', '.join(f'{r:,.0f}' for r in warm_rates)})"
    )
    print(
        f"  cold pages                    first {1000 * cold_pages[0]:.0f} ms, median {1000 * statistics.median(cold_pages):.0f} ms, "
        f"p95 {1000 * p95(cold_pages):.0f} ms, last {1000 * cold_pages[-1]:.0f} ms"
    )
    print(
        f"  warm page latency (median)    first {ms(lat.first)}, second {ms(lat.second)}, last {ms(lat.last)}"
    )
    if last is not None:
        print(f"  last/first page               {last / first:.2f}")
        if lat.second:
            print(f"  last/second page              {last / statistics.median(lat.second):.2f}")
    print(
        f"  server RSS                    start {fmt_mib(rss_start)}, early in cold harvest {fmt_mib(tenth)}, "
        f"after cold {fmt_mib(cold.rss_after)}, end {fmt_mib(rss_end)}, peak (VmHWM) {fmt_mib(peak)}"
    )


if __name__ == "__main__":
    main()

"""The OAI-PMH 2.0 protocol: requests in, XML bytes out.

Responses are assembled as text around the cached payload bytes: each payload is the standalone
document a crosswalk wrote (its XML declaration removed), so its root declares every namespace it
uses. Dataverse's importer copies the payload as text and would lose declarations inherited from
the envelope; this way it loses none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy import func, literal, null, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import Community, OaiItem, OaiItemSet, OaiPayload, OaiSet, Record
from app.oai import items as oai_items
from app.oai import sets as oai_sets
from app.oai import tokens
from exports.registry import get_format

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_ID_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"

GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>\s*")
DOMAIN_PATTERN = re.compile(r"^[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+$")


@dataclass(frozen=True)
class MetadataFormat:
    prefix: str
    export: str  # name in the exports registry
    schema: str
    namespace: str


def _registry_format(prefix: str, export: str, schema: str | None = None) -> MetadataFormat:
    fmt = get_format(export)
    assert fmt.namespace, export
    return MetadataFormat(prefix, export, schema or fmt.schema_location or "", fmt.namespace)


def metadata_formats() -> dict[str, MetadataFormat]:
    """The formats every record is disseminated in, in ListMetadataFormats order."""
    return {
        f.prefix: f
        for f in (
            _registry_format("oai_dc", "oai_dc"),
            _registry_format("oai_datacite", "oai_datacite"),
            _registry_format("datacite", "datacite"),
            _registry_format("iso19139", "iso19139"),
            _registry_format("iso19115-3", "iso19115-3"),
            # RDF/XML has no XML Schema; the DCAT-AP release that the payload follows stands in.
            _registry_format("dcat", "dcat-rdfxml", "https://semiceu.github.io/DCAT-AP/releases/3.0.1/"),
        )
    }


VERBS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # verb: (required, optional); resumptionToken is exclusive where allowed
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset({"resumptionToken"})),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
    "ListIdentifiers": (
        frozenset({"metadataPrefix"}),
        frozenset({"from", "until", "set", "resumptionToken"}),
    ),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set", "resumptionToken"})),
}


class OaiError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Settings:
    base_url: str  # the /oai endpoint URL
    landing_base: str  # BASE_URL, for record documents
    repository_name: str
    admin_emails: tuple[str, ...]
    domain: str
    secret: str
    records_page: int = 100
    identifiers_page: int = 500
    token_ttl: timedelta = timedelta(hours=48)
    snapshot_retention: timedelta = timedelta(days=7)

    @classmethod
    def from_config(cls, cfg: Any) -> Settings:
        emails = cfg["ADMIN_EMAIL"]
        return cls(
            base_url=cfg["BASE_URL"] + "/oai",
            landing_base=cfg["BASE_URL"],
            repository_name=cfg["REPOSITORY_NAME"],
            admin_emails=tuple(emails) if isinstance(emails, list | tuple) else (emails,),
            domain=cfg["OAI_REPOSITORY_IDENTIFIER"],
            secret=cfg["SECRET_KEY"],
            records_page=int(cfg["OAI_RECORDS_PER_PAGE"]),
            identifiers_page=int(cfg["OAI_IDENTIFIERS_PER_PAGE"]),
            token_ttl=timedelta(seconds=int(cfg["OAI_TOKEN_TTL"])),
            snapshot_retention=timedelta(seconds=int(cfg["OAI_SNAPSHOT_RETENTION"])),
        )


def stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _from_iso(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


@dataclass
class Response:
    body: bytes
    verb: str | None
    error: str | None = None


class Provider:
    def __init__(self, settings: Settings):
        self.s = settings
        self.formats = metadata_formats()

    # -- entry point ----------------------------------------------------------------------

    def handle(self, session: Session, params: dict[str, list[str]], now: datetime | None = None) -> Response:
        now = now or datetime.now(UTC)
        verbs = params.get("verb", [])
        if len(verbs) != 1 or verbs[0] not in VERBS:
            what = (
                "no verb"
                if not verbs
                else "repeated verb"
                if len(verbs) > 1
                else f"unknown verb {verbs[0]!r}"
            )
            return self._error(now, None, None, OaiError("badVerb", f"{what}; known: {', '.join(VERBS)}"))
        verb = verbs[0]
        try:
            args = self._check_args(verb, params)
        except OaiError as exc:
            return self._error(now, None, None, exc)
        try:
            body = getattr(self, "_" + verb)(session, args, now)
        except OaiError as exc:
            return self._error(now, verb, args, exc)
        return Response(self._envelope(now, verb, args, body), verb)

    def _check_args(self, verb: str, params: dict[str, list[str]]) -> dict[str, str]:
        required, optional = VERBS[verb]
        args: dict[str, str] = {}
        for key, values in params.items():
            if key == "verb":
                continue
            if key not in required | optional:
                raise OaiError("badArgument", f"{key!r} is not an argument of {verb}")
            if len(values) != 1:
                raise OaiError("badArgument", f"{key!r} is given {len(values)} times")
            args[key] = values[0]
        if "resumptionToken" in args:
            if len(args) > 1:
                others = ", ".join(sorted(k for k in args if k != "resumptionToken"))
                raise OaiError("badArgument", f"resumptionToken is exclusive; remove {others}")
            return args
        missing = sorted(required - args.keys())
        if missing:
            raise OaiError("badArgument", f"{verb} needs {', '.join(missing)}")
        return args

    # -- envelope -------------------------------------------------------------------------

    def _envelope(
        self, now: datetime, verb: str | None, args: dict[str, str] | None, body: str | bytes
    ) -> bytes:
        if verb is None:
            request = f"<request>{escape(self.s.base_url)}</request>"
        else:
            attrs = "".join(f" {k}={quoteattr(v)}" for k, v in sorted({"verb": verb, **(args or {})}.items()))
            request = f"<request{attrs}>{escape(self.s.base_url)}</request>"
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<OAI-PMH xmlns="{OAI_NS}" xmlns:xsi="{XSI_NS}" xsi:schemaLocation="{OAI_NS} {OAI_SCHEMA}">'
            f"<responseDate>{stamp(now)}</responseDate>{request}"
        ).encode()
        tail = b"</OAI-PMH>\n"
        return head + (body.encode() if isinstance(body, str) else body) + tail

    def _error(self, now: datetime, verb: str | None, args: dict[str, str] | None, exc: OaiError) -> Response:
        # badVerb/badArgument: the request element carries no attributes (spec §3.6).
        keep = verb if exc.code not in ("badVerb", "badArgument") else None
        body = f"<error code={quoteattr(exc.code)}>{escape(exc.message)}</error>"
        return Response(self._envelope(now, keep, args if keep else None, body), verb, exc.code)

    # -- helpers --------------------------------------------------------------------------

    def identifier(self, record_id: str) -> str:
        return f"oai:{self.s.domain}:{record_id}"

    def _record_id(self, identifier: str) -> str:
        prefix = f"oai:{self.s.domain}:"
        if not identifier.startswith(prefix) or len(identifier) == len(prefix):
            raise OaiError(
                "idDoesNotExist", f"{identifier!r} is not an identifier of this repository ({prefix}…)"
            )
        return identifier[len(prefix) :]

    def _format(self, prefix: str) -> MetadataFormat:
        fmt = self.formats.get(prefix)
        if fmt is None:
            raise OaiError(
                "cannotDisseminateFormat",
                f"metadataPrefix {prefix!r} is not supported; supported: {', '.join(self.formats)}",
            )
        return fmt

    def _current_item(self, session: Session, identifier: str) -> OaiItem:
        record_id = self._record_id(identifier)
        item = session.scalar(
            select(OaiItem).where(OaiItem.record_id == record_id, OaiItem.superseded_at.is_(None))
        )
        if item is None:
            raise OaiError("idDoesNotExist", f"no record {identifier!r}")
        return item

    def _header(self, record_id: str, datestamp: datetime, deleted: bool, specs: list[str]) -> str:
        status = ' status="deleted"' if deleted else ""
        sets = "".join(f"<setSpec>{escape(s)}</setSpec>" for s in specs)
        return (
            f"<header{status}><identifier>{escape(self.identifier(record_id))}</identifier>"
            f"<datestamp>{stamp(datestamp)}</datestamp>{sets}</header>"
        )

    def earliest_datestamp(self, session: Session, now: datetime) -> datetime:
        first = session.scalar(select(func.min(OaiItem.datestamp)))
        return first or now

    # -- verbs ----------------------------------------------------------------------------

    def _Identify(self, session: Session, args: dict[str, str], now: datetime) -> str:
        emails = "".join(f"<adminEmail>{escape(e)}</adminEmail>" for e in self.s.admin_emails)
        sample = self.identifier("7k2pq-xm4rd")
        description = (
            f'<description><oai-identifier xmlns="{OAI_ID_NS}" xmlns:xsi="{XSI_NS}" '
            f'xsi:schemaLocation="{OAI_ID_NS} http://www.openarchives.org/OAI/2.0/oai-identifier.xsd">'
            f"<scheme>oai</scheme><repositoryIdentifier>{escape(self.s.domain)}</repositoryIdentifier>"
            f"<delimiter>:</delimiter><sampleIdentifier>{escape(sample)}</sampleIdentifier>"
            "</oai-identifier></description>"
        )
        return (
            f"<Identify><repositoryName>{escape(self.s.repository_name)}</repositoryName>"
            f"<baseURL>{escape(self.s.base_url)}</baseURL><protocolVersion>2.0</protocolVersion>{emails}"
            f"<earliestDatestamp>{stamp(self.earliest_datestamp(session, now))}</earliestDatestamp>"
            f"<deletedRecord>persistent</deletedRecord><granularity>{GRANULARITY}</granularity>"
            f"{description}</Identify>"
        )

    def _ListMetadataFormats(self, session: Session, args: dict[str, str], now: datetime) -> str:
        if "identifier" in args:
            self._current_item(session, args["identifier"])  # idDoesNotExist
        rows = "".join(
            f"<metadataFormat><metadataPrefix>{escape(f.prefix)}</metadataPrefix>"
            f"<schema>{escape(f.schema)}</schema><metadataNamespace>{escape(f.namespace)}</metadataNamespace>"
            "</metadataFormat>"
            for f in self.formats.values()
        )
        return f"<ListMetadataFormats>{rows}</ListMetadataFormats>"

    def list_sets(self, session: Session) -> list[tuple[str, str, str]]:
        """(setSpec, setName, description) of every set, in a stable order."""
        out = [
            (oai_sets.community_spec(c.slug), f"Community: {c.title}", c.description or "")
            for c in session.scalars(select(Community).order_by(Community.slug))
        ]
        out += [(spec, name, "") for spec, name in oai_sets.resource_type_sets()]
        out.append(
            (
                oai_sets.OPENAIRE_SET,
                "OpenAIRE data",
                "Research data with funding information or a link to a publication (OpenAIRE guidelines)",
            )
        )
        out += [
            (s.spec, s.name, s.description or "")
            for s in session.scalars(select(OaiSet).order_by(OaiSet.spec))
        ]
        return out

    def _ListSets(self, session: Session, args: dict[str, str], now: datetime) -> str:
        if "resumptionToken" in args:
            raise OaiError("badResumptionToken", "ListSets is answered in one response; no token was issued")
        parts = []
        for spec, name, description in self.list_sets(session):
            desc = ""
            if description:
                desc = (
                    f'<setDescription><oai_dc:dc xmlns:oai_dc="{OAI_DC_NS}" xmlns:dc="{DC_NS}" '
                    f'xmlns:xsi="{XSI_NS}" xsi:schemaLocation="{OAI_DC_NS} '
                    f'http://www.openarchives.org/OAI/2.0/oai_dc.xsd"><dc:description>{escape(description)}'
                    "</dc:description></oai_dc:dc></setDescription>"
                )
            parts.append(
                f"<set><setSpec>{escape(spec)}</setSpec><setName>{escape(name)}</setName>{desc}</set>"
            )
        return "<ListSets>" + "".join(parts) + "</ListSets>"

    def _GetRecord(self, session: Session, args: dict[str, str], now: datetime) -> bytes:
        fmt = self._format(args["metadataPrefix"])
        item = self._current_item(session, args["identifier"])
        row = _Row(
            item.id,
            item.record_id,
            item.datestamp,
            item.deleted,
            list(item.sets),
            item.fingerprint,
            None,
            None,
        )
        if not row.deleted:
            cached = session.get(OaiPayload, (row.record_id, fmt.prefix))
            if cached is not None:
                row = replace(row, body=cached.body, body_fingerprint=cached.fingerprint)
        return b"<GetRecord>" + self._records(session, [row], fmt) + b"</GetRecord>"

    def _ListIdentifiers(self, session: Session, args: dict[str, str], now: datetime) -> bytes:
        return self._list(session, args, now, "ListIdentifiers")

    def _ListRecords(self, session: Session, args: dict[str, str], now: datetime) -> bytes:
        return self._list(session, args, now, "ListRecords")

    # -- lists ----------------------------------------------------------------------------

    def _list(self, session: Session, args: dict[str, str], now: datetime, verb: str) -> bytes:
        if "resumptionToken" in args:
            try:
                cur = tokens.decode(args["resumptionToken"], self.s.secret, verb=verb, now=now)
            except tokens.BadToken as exc:
                raise OaiError("badResumptionToken", str(exc)) from None
            snapshot = _from_iso(cur.snapshot)
            if now - snapshot > self.s.snapshot_retention:
                raise OaiError("badResumptionToken", "this harvest started too long ago; start a new one")
            fmt = self._format(cur.prefix)
            lower, upper = _bounds(cur.from_, cur.until)
        else:
            fmt = self._format(args["metadataPrefix"])
            lower, upper = _bounds(args.get("from"), args.get("until"))
            snapshot = oai_items.harvest_start(session)
            total = session.scalar(
                select(func.count()).select_from(
                    _items_query(args.get("set"), lower, upper, snapshot, None, None, count=True).subquery()
                )
            )
            if not total:
                raise OaiError("noRecordsMatch", "no record matches the arguments")
            cur = tokens.Cursor(
                verb=verb,
                prefix=fmt.prefix,
                set=args.get("set"),
                from_=args.get("from"),
                until=args.get("until"),
                snapshot=_iso(snapshot),
                after_stamp="",
                after_id=0,
                cursor=0,
                total=int(total),
                expires=0,
            )
        size = self.s.records_page if verb == "ListRecords" else self.s.identifiers_page
        after = (_from_iso(cur.after_stamp), cur.after_id) if cur.after_stamp else None
        query = _items_query(
            cur.set, lower, upper, snapshot, after, fmt.prefix if verb == "ListRecords" else None
        )
        rows = [_Row(*r) for r in session.execute(query.limit(size + 1)).all()]
        more = len(rows) > size
        rows = rows[:size]
        if not rows and cur.cursor == 0:
            raise OaiError("noRecordsMatch", "no record matches the arguments")
        if verb == "ListRecords":
            body = self._records(session, rows, fmt)
        else:
            body = "".join(self._header(r.record_id, r.datestamp, r.deleted, r.sets) for r in rows).encode()
        sent = cur.cursor + len(rows)
        total = max(cur.total, sent + (1 if more else 0))
        if more:
            expires = now + self.s.token_ttl
            nxt = replace(
                cur,
                after_stamp=_iso(rows[-1].datestamp),
                after_id=rows[-1].item_id,
                cursor=sent,
                total=total,
                expires=int(expires.timestamp()),
            )
            token = (
                f'<resumptionToken expirationDate="{stamp(expires)}" completeListSize="{total}" '
                f'cursor="{cur.cursor}">{tokens.encode(nxt, self.s.secret)}</resumptionToken>'
            )
        elif cur.cursor > 0:
            token = f'<resumptionToken completeListSize="{total}" cursor="{cur.cursor}"/>'
        else:
            token = ""
        return f"<{verb}>".encode() + body + token.encode() + f"</{verb}>".encode()

    def _records(self, session: Session, rows: list[_Row], fmt: MetadataFormat) -> bytes:
        missing = [
            r
            for r in rows
            if not r.deleted
            and (r.body is None or r.body_fingerprint != oai_items.payload_key(r.fingerprint, fmt.export))
        ]
        rendered = self._render(session, missing, fmt) if missing else {}
        out: list[bytes] = []
        for r in rows:
            head = self._header(r.record_id, r.datestamp, r.deleted, r.sets).encode()
            if r.deleted:
                out.append(b"<record>" + head + b"</record>")
                continue
            body = rendered.get(r.record_id, r.body)
            out.append(b"<record>" + head + b"<metadata>" + body + b"</metadata></record>")
        return b"".join(out)

    def _render(self, session: Session, rows: list[_Row], fmt: MetadataFormat) -> dict[str, bytes]:
        """Serialise the records ``rows`` lack a valid cached payload for, caching what is current."""
        writer = get_format(fmt.export).writer
        records = list(session.scalars(select(Record).where(Record.id.in_([r.record_id for r in rows]))))
        docs = oai_items.documents(session, records, self.s.landing_base)
        wanted = {r.record_id: r.fingerprint for r in rows}
        out: dict[str, bytes] = {}
        cache: list[dict[str, Any]] = []
        for record_id, doc in docs.items():
            body = _XML_DECL.sub(b"", writer(doc)).rstrip()
            out[record_id] = body
            current = oai_items.fingerprint(doc)
            if current == wanted[record_id]:
                key = oai_items.payload_key(current, fmt.export)
                cache.append({"record_id": record_id, "prefix": fmt.prefix, "fingerprint": key, "body": body})
        if cache:
            _upsert_payloads(session, cache)
            session.commit()
        return out


@dataclass(frozen=True)
class _Row:
    item_id: int
    record_id: str
    datestamp: datetime
    deleted: bool
    sets: list[str]
    fingerprint: str
    body: bytes | None
    body_fingerprint: str | None


def _parse_date(value: str, name: str, *, end: bool) -> tuple[datetime, str]:
    try:
        if _DAY.match(value):
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            return (day + timedelta(days=1) - timedelta(microseconds=1) if end else day), "day"
        if _SECOND.match(value):
            second = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            return (second + timedelta(microseconds=999999) if end else second), "second"
    except ValueError:
        raise OaiError("badArgument", f"{name}={value!r} is not a valid date") from None
    raise OaiError("badArgument", f"{name}={value!r} must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")


def _bounds(from_: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    lower = upper = None
    grains = set()
    if from_ is not None:
        lower, grain = _parse_date(from_, "from", end=False)
        grains.add(grain)
    if until is not None:
        upper, grain = _parse_date(until, "until", end=True)
        grains.add(grain)
    if len(grains) > 1:
        raise OaiError("badArgument", "from and until must have the same granularity")
    if lower is not None and upper is not None and lower > upper:
        raise OaiError("badArgument", "from is later than until")
    return lower, upper


def _items_query(
    set_spec: str | None,
    lower: datetime | None,
    upper: datetime | None,
    snapshot: datetime,
    after: tuple[datetime, int] | None,
    prefix: str | None,
    *,
    count: bool = False,
) -> Any:
    """The keyset query of one page: items as they were at ``snapshot``, ordered by (datestamp, id)."""
    if set_spec is not None:
        ds, ident = OaiItemSet.datestamp, OaiItemSet.item_id
    else:
        ds, ident = OaiItem.datestamp, OaiItem.id
    if count:
        query = select(ident)
    else:
        body = OaiPayload.body if prefix else None
        body_fp = OaiPayload.fingerprint if prefix else None
        query = select(
            OaiItem.id,
            OaiItem.record_id,
            OaiItem.datestamp,
            OaiItem.deleted,
            OaiItem.sets,
            OaiItem.fingerprint,
            body if body is not None else null(),
            body_fp if body_fp is not None else literal(None),
        )
    if set_spec is not None:
        query = query.select_from(OaiItemSet).join(OaiItem, OaiItem.id == OaiItemSet.item_id)
        query = query.where(OaiItemSet.set_spec == set_spec)
    else:
        query = query.select_from(OaiItem)
    if prefix and not count:
        query = query.outerjoin(
            OaiPayload, (OaiPayload.record_id == OaiItem.record_id) & (OaiPayload.prefix == prefix)
        )
    top = snapshot if upper is None else min(snapshot, upper)
    query = query.where(ds <= top, or_(OaiItem.superseded_at.is_(None), OaiItem.superseded_at > snapshot))
    if lower is not None:
        query = query.where(ds >= lower)
    if after is not None:
        query = query.where(tuple_(ds, ident) > after)
    return query if count else query.order_by(ds, ident)


def _upsert_payloads(session: Session, rows: list[dict[str, Any]]) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(OaiPayload).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["record_id", "prefix"],
        set_={"fingerprint": stmt.excluded.fingerprint, "body": stmt.excluded.body},
    )
    session.execute(stmt)

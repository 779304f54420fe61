"""The search interface shared by every backend: the query model, the result shape, what is
indexed from a record document, and the opaque cursors.

Plain Python: no Flask, no database. A backend (``sql.py`` for the embedded SQLite and
PostgreSQL indexes, ``elastic.py`` for Elasticsearch/OpenSearch) turns a :class:`SearchQuery`
into its own query language, with the access filter always part of it, and answers a
:class:`SearchResult`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

#: Facets, in the order the API and the search page show them. Several values of one facet
#: combine with OR, different facets with AND.
FACETS = (
    "community",
    "resource_type",
    "year",
    "license",
    "access",
    "inspire_theme",
    "gcmd",
    "gemet",
    "keyword",
    "platform",
    "instrument",
    "variable",
    "creator",
    "funder",
    "source",
)
#: Indexed like a facet (exact match) but never aggregated.
EXACT_FIELDS = ("doi",)
#: Fielded terms understood in ``q``.
TEXT_FIELDS = ("title", "creator", "keyword")
SORTS = ("relevance", "newest", "oldest", "title")
BBOX_RELATIONS = ("intersects", "within")
MAX_FACET_VALUES = 10
BUCKETS = 20
MAX_VALUE = 300

INSPIRE_THEME = "http://inspire.ec.europa.eu/theme"
GCMD_SCIENCE = "https://gcmd.earthdata.nasa.gov/kms/concepts/concept_scheme/sciencekeywords"
GEMET = "http://www.eionet.europa.eu/gemet"


class QueryError(ValueError):
    """Bad search input; ``field`` is the JSON pointer of the parameter (``/bbox``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --- the query -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One part of ``q``: a word or phrase (``phrase`` when quoted), in any text or one field."""

    text: str
    field: str | None = None  # None: every text field; or title / creator / keyword / doi
    phrase: bool = False


@dataclass(frozen=True)
class Box:
    west: float
    south: float
    east: float
    north: float

    def pieces(self) -> list[Box]:
        """Split at the antimeridian: a box with west > east crosses it."""
        if self.west <= self.east:
            return [self]
        return [Box(self.west, self.south, 180.0, self.north), Box(-180.0, self.south, self.east, self.north)]


@dataclass(frozen=True)
class SearchQuery:
    terms: tuple[Term, ...] = ()
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    bbox: Box | None = None
    bbox_relation: str = "intersects"
    # ISO dates (YYYY-MM-DD); None is open.
    time_start: str | None = None
    time_end: str | None = None
    time_given: bool = False
    sort: str = "newest"
    size: int = 25
    cursor: tuple[Any, ...] | None = None
    # Legacy page-number paging (``page``): an offset, refused with a cursor.
    offset: int = 0
    all_versions: bool = False
    aggregations: bool = True

    @property
    def text_terms(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.field != "doi")

    @property
    def doi_terms(self) -> tuple[str, ...]:
        return tuple(t.text.lower() for t in self.terms if t.field == "doi")


@dataclass
class SearchResult:
    record_ids: list[str]
    total: int
    aggregations: dict[str, list[tuple[str, int]]]
    next_cursor: tuple[Any, ...] | None
    # record id -> snippet with the matched words marked (« »), when the backend has one
    snippets: dict[str, str] = field(default_factory=dict)


_TOKEN = re.compile(r'(?:(\w+):)?(?:"([^"]*)"?|(\S+))')
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


def parse_q(q: str) -> tuple[Term, ...]:
    """``q`` into terms: words, ``"phrases"``, ``title:`` / ``creator:`` / ``keyword:`` /
    ``doi:`` followed by a word or a phrase. An unknown ``prefix:`` is plain text. Only
    letters and digits reach a backend: punctuation never becomes query syntax."""
    if len(q) > 500:
        raise QueryError("/q", "is longer than 500 characters")
    terms: list[Term] = []
    for m in _TOKEN.finditer(q):
        prefix, phrase, bare = m.group(1), m.group(2), m.group(3)
        raw = phrase if phrase is not None else bare
        fld = prefix.lower() if prefix and prefix.lower() in TEXT_FIELDS + EXACT_FIELDS else None
        if prefix and fld is None:
            raw = f"{prefix} {raw}"
        if fld == "doi":
            value = raw.strip().lower().removeprefix("https://doi.org/").removeprefix("doi:")
            if value:
                terms.append(Term(value, "doi"))
            continue
        words = _WORD.findall(raw or "")
        if not words:
            continue
        if phrase is not None and len(words) > 1:
            terms.append(Term(" ".join(words), fld, phrase=True))
        else:
            terms.extend(Term(w, fld) for w in words)
    if len(terms) > 32:
        raise QueryError("/q", "has more than 32 terms")
    return tuple(terms)


def parse_bbox(raw: str) -> Box:
    parts = raw.split(",")
    if len(parts) != 4:
        raise QueryError("/bbox", "must be W,S,E,N (four numbers in degrees)")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise QueryError("/bbox", "must be W,S,E,N (four numbers in degrees)") from None
    if not all(-180 <= v <= 180 for v in (west, east)) or not all(-90 <= v <= 90 for v in (south, north)):
        raise QueryError("/bbox", "longitudes must lie in [-180, 180] and latitudes in [-90, 90]")
    if south > north:
        raise QueryError("/bbox", "south must not be greater than north")
    return Box(west, south, east, north)


_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def normalise_date(raw: str, *, end: bool, field_name: str = "/time") -> str:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (a datetime keeps its date) to ``YYYY-MM-DD``:
    the first day of the period for a start, its last for an end (day 31 is enough to compare)."""
    value = raw.strip()[:10]
    m = _DATE.match(value)
    if not m:
        raise QueryError(field_name, f"{raw!r} is not an ISO 8601 date (YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = m.group(1), m.group(2), m.group(3)
    if month and not 1 <= int(month) <= 12 or day and not 1 <= int(day) <= 31:
        raise QueryError(field_name, f"{raw!r} is not a valid date")
    return f"{year}-{month or ('12' if end else '01')}-{day or ('31' if end else '01')}"


# The period as a third R*Tree dimension (SQLite): a YYYY-MM-DD date as an integer that keeps
# the dates' order (not a day count: every month is 31 days), at most 3,719,999, exact in the
# R*Tree's 32-bit floats. NO_PERIOD is below every date: a record without a temporal extent
# fails any period test, as ``time_start IS NOT NULL`` does. The same formula in SQL is in
# migration 0017_rtree_period.
NO_PERIOD = -1
LAST_DAY = 9999 * 372 + 11 * 31 + 30


def day_key(date: str | None) -> int:
    """``YYYY-MM-DD`` (as :func:`normalise_date` writes it) to its R*Tree key; None is NO_PERIOD."""
    if date is None:
        return NO_PERIOD
    return int(date[0:4]) * 372 + (int(date[5:7]) - 1) * 31 + int(date[8:10]) - 1


def parse_time(raw: str) -> tuple[str | None, str | None]:
    """``START/END``, either side empty or ``..`` for open; a single date is that period."""
    if "/" in raw:
        start_raw, _, end_raw = raw.partition("/")
    else:
        start_raw = end_raw = raw
    start = None if start_raw.strip() in ("", "..") else normalise_date(start_raw, end=False)
    end = None if end_raw.strip() in ("", "..") else normalise_date(end_raw, end=True)
    if start and end and start > end:
        raise QueryError("/time", "the start is after the end")
    return start, end


def encode_cursor(sort: str, key: Iterable[Any]) -> str:
    data = json.dumps([sort, *key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode_cursor(raw: str, sort: str) -> tuple[Any, ...]:
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise QueryError("/cursor", "is not a cursor this service gave") from None
    if not isinstance(data, list) or len(data) < 2 or data[0] != sort:
        raise QueryError("/cursor", "belongs to another sort order or is not a cursor this service gave")
    key = tuple(data[1:])
    # (sort value, tie-breaker): a number for relevance, a string otherwise; the tie-breaker is
    # an entry id (embedded backends) or a record id (Elasticsearch).
    first_ok = isinstance(key[0], (int, float)) if sort == "relevance" else isinstance(key[0], str)
    if len(key) != 2 or not first_ok or isinstance(key[0], bool) or not isinstance(key[1], (int, str)):
        raise QueryError("/cursor", "is not a cursor this service gave")
    return key


# --- what is indexed -------------------------------------------------------------------------


@dataclass
class Entry:
    """One published record version as every backend indexes it."""

    record_id: str
    parent_id: str
    latest: bool
    published: str | None  # YYYY-MM-DD
    year: int | None
    title: str
    title_sort: str
    keywords: str
    creators: str
    body: str
    facets: list[tuple[str, str]]
    boxes: list[Box]
    time_start: str | None
    time_end: str | None
    display: dict[str, Any]


def fold(text: str) -> str:
    """Lower case without accents (sort keys, facet-insensitive comparisons)."""
    if text.isascii():  # most titles: no decomposition needed
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _texts(items: Any, key: str = "text") -> list[str]:
    return [str(i.get(key)) for i in items or [] if isinstance(i, dict) and i.get(key)]


def _person(p: dict[str, Any]) -> str:
    if p.get("name"):
        return str(p["name"])
    return ", ".join(x for x in (p.get("family_name"), p.get("given_name")) if x)


def entry_from_document(
    document: dict[str, Any], *, latest: bool, labels: Callable[[str], list[str]] = lambda uri: []
) -> Entry:
    """The index entry of a record document; ``labels(uri)`` gives a controlled keyword's labels
    in every language (from the loaded vocabularies), so a French query finds an English term."""
    md = document.get("metadata") or {}
    titles = _texts(md.get("titles"))
    main_title = titles[0] if titles else ""
    facets: set[tuple[str, str]] = set()

    put = facets.add

    def add(facet: str, value: Any) -> None:
        if value is None:
            return
        value = (value if type(value) is str else str(value)).strip()
        if value:
            put((facet, value[:MAX_VALUE]))

    add("community", document.get("community"))
    add("resource_type", (md.get("resource_type") or {}).get("general"))
    year = md.get("publication_year")
    published = document.get("publication_date")
    if not isinstance(year, int):
        year = int(published[:4]) if published else None
    add("year", year)
    rights = md.get("rights") or {}
    add("license", (rights.get("license") or {}).get("id"))
    add("access", rights.get("access_level") or "open")
    keyword_words: list[str] = []
    for group in md.get("keywords") or []:
        scheme = str(group.get("scheme_uri") or "").rstrip("/")
        scheme_name = str(group.get("scheme_name") or "").lower()
        for term in group.get("terms") or []:
            text = str(term.get("term") or "").strip()
            if not text:
                continue
            keyword_words.append(text)
            uri = term.get("value_uri")
            if uri:
                keyword_words.extend(labels(str(uri)))
            add("keyword", text)
            if scheme == INSPIRE_THEME or "inspire" in scheme_name:
                add("inspire_theme", text)
            elif scheme == GCMD_SCIENCE or "gcmd" in scheme_name:
                parts = [p.strip() for p in text.split(">") if p.strip()]
                for i in range(1, len(parts) + 1):  # every level: the facet is a hierarchy
                    add("gcmd", " > ".join(parts[:i]))
            elif "gemet" in scheme or "gemet" in scheme_name:
                add("gemet", text)
    for kw in md.get("free_keywords") or []:
        if kw.get("term"):
            keyword_words.append(str(kw["term"]))
            add("keyword", kw["term"])
    extra: list[str] = []
    for facet, key in (("platform", "platforms"), ("instrument", "instruments"), ("variable", "variables")):
        for item in md.get(key) or []:
            if item.get("term"):
                add(facet, item["term"])
                extra.append(str(item["term"]))
                if item.get("value_uri"):
                    extra.extend(labels(str(item["value_uri"])))
    creators = [_person(p) for p in md.get("creators") or [] if isinstance(p, dict)]
    for name in creators:
        add("creator", name)
    for f in md.get("funding") or []:
        add("funder", f.get("funder_name"))
    add("source", (md.get("publisher") or {}).get("name"))
    for scheme, pid in (document.get("pids") or {}).items():
        if scheme == "doi" and pid.get("identifier"):
            add("doi", str(pid["identifier"]).lower())
    places: list[str] = []
    boxes: list[Box] = []
    for ext in md.get("spatial_extents") or []:
        if ext.get("place"):
            places.append(str(ext["place"]))
        boxes.extend(_extent_boxes(ext))
    start, end = _time_hull(md.get("temporal_extents") or [])
    body = [*_texts(md.get("abstracts")), *_texts(md.get("descriptions")), *places, *extra]
    body.extend(_texts(md.get("titles"))[1:])
    abstract = (_texts(md.get("abstracts")) or [""])[0]
    return Entry(
        record_id=document["id"],
        parent_id=(document.get("versions") or {}).get("parent_id") or document["id"],
        latest=latest,
        published=published,
        year=year,
        title=" ".join(titles[:1]),
        title_sort=fold(main_title)[:200],
        keywords=" ".join(keyword_words),
        creators=" ".join(creators),
        body="\n".join(body),
        facets=sorted(facets),
        boxes=boxes,
        time_start=start,
        time_end=end,
        display={
            "title": main_title,
            "creators": creators[:10],
            "year": year,
            "community": document.get("community"),
            "access": rights.get("access_level") or "open",
            "abstract": abstract[:500],
        },
    )


def _extent_boxes(ext: dict[str, Any]) -> list[Box]:
    b = ext.get("bbox")
    if isinstance(b, dict) and all(
        isinstance(b.get(k), (int, float)) for k in ("west", "south", "east", "north")
    ):
        return Box(float(b["west"]), float(b["south"]), float(b["east"]), float(b["north"])).pieces()
    p = ext.get("point")
    if (
        isinstance(p, dict)
        and isinstance(p.get("lon"), (int, float))
        and isinstance(p.get("lat"), (int, float))
    ):
        return [Box(float(p["lon"]), float(p["lat"]), float(p["lon"]), float(p["lat"]))]
    poly = ext.get("polygon")
    if isinstance(poly, dict):
        points = [pt for ring in poly.get("coordinates") or [] for pt in ring if len(pt) >= 2]
        if points:
            lons, lats = [float(pt[0]) for pt in points], [float(pt[1]) for pt in points]
            return [Box(min(lons), min(lats), max(lons), max(lats))]
    return []


OPEN_START = "0000-01-01"
OPEN_END = "9999-12-31"


def _time_hull(extents: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    """The smallest period holding every temporal extent; an open side stays open."""
    starts: list[str] = []
    ends: list[str] = []
    for ext in extents:
        if not isinstance(ext, dict):
            continue
        try:
            s = normalise_date(str(ext["start"]), end=False) if ext.get("start") else OPEN_START
            e = normalise_date(str(ext["end"]), end=True) if ext.get("end") else OPEN_END
        except QueryError:
            continue
        starts.append(s)
        ends.append(e)
    if not starts:
        return None, None
    return min(starts), max(ends)

"""ISO 8601 / EDTF date parsing for the metadata schema.

Accepted (EDTF level 0, ISO 8601-2 section 4 profile, plus EDTF level 1 open interval ends):

* ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``
* ``YYYY-MM-DDThh:mm[:ss[.fff]][Z|+hh:mm|-hh:mm]``
* intervals ``a/b``, ``a/..`` (open end) and ``../b`` (open start), each side one of the above.

Every value is turned into the earliest and latest instant it can mean (``2019`` covers
2019-01-01T00:00 to 2019-12-31T23:59:59.999999, UTC when no offset is given), which is what
ordering checks compare. Negative and uncertain EDTF dates (``-10000``, ``2019?``) are not
accepted: DataCite, ISO 19139 and DCAT cannot carry them.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

_DATE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?P<f>\.\d{1,6})?)?(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
OPEN = ".."
EXPECTED = "YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ"


@dataclass(frozen=True)
class DateRange:
    """A parsed date or interval: normalised text and its earliest/latest instants (None = open)."""

    text: str
    lower: datetime | None
    upper: datetime | None
    is_interval: bool = False


def parse_date(value: str) -> DateRange:
    """Parse one ISO 8601 date or date-time (no interval). Raises ``ValueError``."""
    text = value.strip()
    match = _DATE.match(text.upper())
    if not match:
        raise ValueError(f"{text!r} is not a date (expected {EXPECTED})")
    text = text.upper()
    g = match.groupdict()
    year = int(g["y"])
    if year == 0:
        raise ValueError(f"{text!r} is not a date: year 0000 does not exist in the calendar used here")
    try:
        if g["m"] is None:
            lower = datetime(year, 1, 1, tzinfo=UTC)
            upper = datetime(year, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
        elif g["d"] is None:
            month = int(g["m"])
            if not 1 <= month <= 12:
                raise ValueError(f"month {month} does not exist")
            last = calendar.monthrange(year, month)[1]
            lower = datetime(year, month, 1, tzinfo=UTC)
            upper = datetime(year, month, last, 23, 59, 59, 999999, tzinfo=UTC)
        elif g["H"] is None:
            lower = datetime(year, int(g["m"]), int(g["d"]), tzinfo=UTC)
            upper = lower + timedelta(days=1, microseconds=-1)
        else:
            tz = UTC
            if g["tz"] and g["tz"] != "Z":
                sign = 1 if g["tz"][0] == "+" else -1
                hours, minutes = int(g["tz"][1:3]), int(g["tz"][4:6])
                if hours > 14 or minutes > 59:
                    raise ValueError(f"time zone offset {g['tz']} does not exist")
                tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
            micro = int((g["f"] or ".0")[1:].ljust(6, "0"))
            lower = datetime(
                year, int(g["m"]), int(g["d"]), int(g["H"]), int(g["M"]), int(g["S"] or 0), micro, tzinfo=tz
            )
            upper = lower
    except ValueError as exc:
        if str(exc).startswith(repr(text)):
            raise
        raise ValueError(f"{text!r} is not a real date: {exc}") from None
    return DateRange(text, lower, upper)


def parse_date_or_interval(value: str, *, allow_interval: bool = True) -> DateRange:
    """Parse a date, or an EDTF interval ``start/end`` whose ends may be ``..`` (open).

    Raises ``ValueError`` when a side is not a date, both sides are open, or the interval
    starts after it ends.
    """
    text = value.strip()
    if "/" not in text:
        return parse_date(text)
    if not allow_interval:
        raise ValueError(f"{text!r} is an interval; a single date is expected here ({EXPECTED})")
    parts = text.split("/")
    if len(parts) != 2:
        raise ValueError(f"{text!r} is not an interval (expected start/end, start/.. or ../end)")
    start_text, end_text = (p.strip() for p in parts)
    if start_text == OPEN and end_text == OPEN:
        raise ValueError(f"{text!r} is open at both ends; give at least a start or an end")
    try:
        start = None if start_text == OPEN else parse_date(start_text)
        end = None if end_text == OPEN else parse_date(end_text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an interval of dates: {exc}") from None
    check_order(start, end, text)
    return DateRange(
        f"{start.text if start else OPEN}/{end.text if end else OPEN}",
        start.lower if start else None,
        end.upper if end else None,
        is_interval=True,
    )


def check_order(start: DateRange | None, end: DateRange | None, label: str) -> None:
    """Raise ``ValueError`` when ``start`` begins after ``end`` can end (open ends never fail)."""
    if start is None or end is None:
        return
    if start.lower > end.upper:
        raise ValueError(f"{label!r} starts after it ends ({start.text} is later than {end.text})")

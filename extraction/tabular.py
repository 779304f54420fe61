"""CSV / TSV with latitude, longitude and time columns: bounding box and time span.

Read as a stream, one row at a time (memory is bounded by MAX_LINE), with the stdlib ``csv``
module. Columns are recognised by their header names only; ``x``/``y`` are not taken for
longitude/latitude (they are projected coordinates as often as not).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime

from .geo import NothingToRead
from .proposal import Proposal

LAT_NAMES = {"lat", "latitude", "lat_deg", "latitude_deg", "decimallatitude", "lat_dd", "y_lat", "ylat"}
LON_NAMES = {
    "lon",
    "lng",
    "long",
    "longitude",
    "lon_deg",
    "longitude_deg",
    "decimallongitude",
    "lon_dd",
    "x_lon",
    "xlon",
}
TIME_NAMES = {
    "time",
    "date",
    "datetime",
    "date_time",
    "timestamp",
    "time_utc",
    "datetime_utc",
    "date_utc",
    "eventdate",
    "obs_time",
    "observation_time",
    "sampling_date",
    "sample_date",
}
#: A line longer than this stops the reading (a CSV is not a place for a 100 MB cell).
MAX_LINE = 1024 * 1024
SNIFF_BYTES = 64 * 1024


def _canonical(header: str) -> str:
    """``Latitude (deg)`` -> ``latitude``; ``LAT`` -> ``lat``; ``Date/Time`` -> ``date_time``."""
    name = re.sub(r"\s*[\[(].*?[\])]\s*$", "", header.strip().lower())
    return re.sub(r"[^a-z0-9]+", "_", name).strip("_")


def _lines(stream: io.TextIOBase) -> Iterator[str]:
    number = 0
    while True:
        line = stream.readline(MAX_LINE + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE:
            raise NothingToRead(f"line {number} is longer than {MAX_LINE} characters")
        yield line


def _parse_time(value: str) -> datetime | None:
    value = value.strip()
    if not value or not value[:4].isdigit():
        return None
    try:
        moment = datetime.fromisoformat(value.replace(" ", "T", 1) if "T" not in value else value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def read(path: str, p: Proposal, *, tab: bool = False) -> None:
    """Fill ``p`` with the extent of the latitude/longitude (and time) columns."""
    with open(path, encoding="utf-8", errors="replace", newline="") as stream:
        sample = stream.read(SNIFF_BYTES)
        stream.seek(0)
        if "\x00" in sample:
            raise NothingToRead("the file is binary, not delimited text")
        delimiter = "\t" if tab else ","
        if not tab:
            try:
                delimiter = csv.Sniffer().sniff(sample.split("\n", 20)[0], delimiters=",;\t|").delimiter
            except csv.Error:
                pass
        rows = csv.reader(_lines(stream), delimiter=delimiter)
        try:
            header = next(rows)
        except StopIteration:
            raise NothingToRead("the file is empty") from None
        names = [_canonical(h) for h in header]
        lat = next((i for i, n in enumerate(names) if n in LAT_NAMES), None)
        lon = next((i for i, n in enumerate(names) if n in LON_NAMES), None)
        when = next((i for i, n in enumerate(names) if n in TIME_NAMES), None)
        p.facts["columns"] = header[:200]
        if (lat is None or lon is None) and when is None:
            raise NothingToRead(
                "no latitude/longitude or time column recognised by its header "
                f"(headers: {', '.join(h for h in header[:20])})"
            )
        box = [181.0, -181.0, 91.0, -91.0]  # west, east, south, north
        first: datetime | None = None
        last: datetime | None = None
        counted = skipped = 0
        for row in rows:
            counted += 1
            if lat is not None and lon is not None and max(lat, lon) < len(row):
                try:
                    y, x = float(row[lat]), float(row[lon])
                except ValueError:
                    skipped += 1
                else:
                    if -90 <= y <= 90 and -180 <= x <= 180:
                        box = [min(box[0], x), max(box[1], x), min(box[2], y), max(box[3], y)]
                    else:
                        skipped += 1
            if when is not None and when < len(row):
                moment = _parse_time(row[when])
                if moment is not None:
                    first = moment if first is None or moment < first else first
                    last = moment if last is None or moment > last else last
        p.facts.update(rows=counted, rows_without_valid_position=skipped)
        if box[0] <= box[1]:
            p.add(
                "spatial_extents",
                {"bbox": {"west": box[0], "east": box[1], "south": box[2], "north": box[3]}},
                f"minimum and maximum of columns {header[lat]!r} and {header[lon]!r} over {counted} rows",  # type: ignore[index]
            )
            p.add("reference_systems", "EPSG:4326", "latitude/longitude columns are taken as WGS84 degrees")
        if first is not None and last is not None:
            p.add(
                "temporal_extents",
                {"start": _iso(first), "end": _iso(last)},
                f"earliest and latest value of column {header[when]!r}",  # type: ignore[index]
            )
        if p.empty():
            raise NothingToRead("the latitude/longitude and time columns hold no usable value")

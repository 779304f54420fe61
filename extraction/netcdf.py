"""netCDF (classic and netCDF-4/HDF5): CF and ACDD global attributes, variables, coordinates.

Attribute names follow the Attribute Convention for Data Discovery 1.3 (ACDD,
https://wiki.esipfed.org/Attribute_Convention_for_Data_Discovery_1-3) and the CF Conventions
1.11 (standard_name, units, the ``<unit> since <epoch>`` time coordinate of section 4.4).
"""

from __future__ import annotations

import re
from typing import Any

from .proposal import Proposal, text

CF_SCHEME = "CF Standard Name Table"
CF_SCHEME_URI = "https://cfconventions.org/Data/cf-standard-names/current/build/cf-standard-name-table.html"
#: 1-D latitude/longitude coordinates longer than this are not scanned for a bounding box.
MAX_COORD_SCAN = 10_000_000


def read(path: str, proposal: Proposal) -> None:
    """Fill ``proposal`` from the netCDF file at ``path``."""
    import netCDF4  # lazy: the package imports without it

    with netCDF4.Dataset(path, "r") as ds:
        attrs = {name: ds.getncattr(name) for name in ds.ncattrs()}
        _global_attributes(attrs, proposal)
        variables = list(_walk_variables(ds))
        _variables(variables, proposal)
        if not proposal.has("temporal_extents"):
            _time_from_coordinate(variables, proposal)
        if not proposal.has("spatial_extents"):
            _bbox_from_coordinates(variables, proposal)
        proposal.facts["dimensions"] = {name: len(dim) for name, dim in ds.dimensions.items()}
        proposal.facts["data_model"] = ds.data_model


def _walk_variables(group: Any, prefix: str = ""):  # type: ignore[no-untyped-def]
    for name, var in group.variables.items():
        yield prefix + name, var, name in group.dimensions
    for gname, sub in group.groups.items():
        yield from _walk_variables(sub, f"{prefix}{gname}/")


def _attr(attrs: dict[str, Any], *names: str) -> tuple[str, str] | None:
    """The first present, non-empty attribute among ``names`` (case-insensitive): (name, text)."""
    lower = {k.lower(): k for k in attrs}
    for name in names:
        key = lower.get(name.lower())
        if key is not None:
            value = text(attrs[key])
            if value:
                return key, value
    return None


def _number(attrs: dict[str, Any], name: str) -> tuple[str, float] | None:
    found = _attr(attrs, name)
    if found is None:
        return None
    try:
        value = float(re.match(r"\s*([-+0-9.eE]+)", found[1]).group(1))  # type: ignore[union-attr]
    except (AttributeError, ValueError):
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return found[0], value


def _split(value: str) -> list[str]:
    parts = re.split(r"[;,]" if ";" not in value else r";", value)
    return [p.strip() for p in parts if p.strip()]


def _global_attributes(attrs: dict[str, Any], p: Proposal) -> None:
    if found := _attr(attrs, "title"):
        p.add("titles", {"text": found[1]}, f"global attribute {found[0]}")
    if found := _attr(attrs, "summary", "abstract", "description", "comment"):
        p.add("abstracts", {"text": found[1]}, f"global attribute {found[0]}")
    if found := _attr(attrs, "history"):
        p.add("lineage", {"text": found[1]}, f"global attribute {found[0]}")
    if found := _attr(attrs, "product_version"):
        p.set("version", found[1], f"global attribute {found[0]}")
    if found := _attr(attrs, "date_created"):
        p.add("dates", {"date": found[1], "type": "Created"}, f"global attribute {found[0]}")
    if found := _attr(attrs, "date_modified"):
        p.add("dates", {"date": found[1], "type": "Updated"}, f"global attribute {found[0]}")
    _keywords(attrs, p)
    _creators(attrs, p)
    _publisher(attrs, p)
    _license(attrs, p)
    _space(attrs, p)
    _time(attrs, p)
    for attr, field in (("platform", "platforms"), ("instrument", "instruments")):
        if found := _attr(attrs, attr):
            vocab = _attr(attrs, f"{attr}_vocabulary")
            for term in _split(found[1]):
                item = {"term": term}
                if vocab:
                    item["scheme_name"] = vocab[1]
                p.add(field, item, f"global attribute {found[0]}")


def _keywords(attrs: dict[str, Any], p: Proposal) -> None:
    found = _attr(attrs, "keywords")
    if not found:
        return
    terms = _split(found[1])
    vocab = _attr(attrs, "keywords_vocabulary")
    if vocab:
        p.add(
            "keywords",
            {"scheme_name": vocab[1], "terms": [{"term": t} for t in terms]},
            f"global attributes {found[0]} and {vocab[0]}",
        )
    else:
        for term in terms:
            p.add("free_keywords", {"term": term}, f"global attribute {found[0]} (no keywords_vocabulary)")


def _agent_type(kind: str | None, default: str = "Personal") -> str:
    if kind is None:
        return default
    return "Personal" if kind.strip().lower() == "person" else "Organizational"


def _creators(attrs: dict[str, Any], p: Proposal) -> None:
    names = _attr(attrs, "creator_name")
    institution = _attr(attrs, "creator_institution", "institution")
    if not names:
        if institution:
            p.add(
                "creators",
                {"type": "Organizational", "name": institution[1]},
                f"global attribute {institution[0]} (no creator_name)",
            )
        return
    emails = _attr(attrs, "creator_email")
    urls = _attr(attrs, "creator_url")
    kind = _attr(attrs, "creator_type")
    # ACDD separates several creators by commas, but "Family, Given" has one too: split the
    # names only when the e-mail list splits into as many entries.
    name_list = [names[1]]
    email_list = [emails[1]] if emails else []
    if emails and len(_split(emails[1])) > 1 and len(_split(names[1])) == len(_split(emails[1])):
        name_list, email_list = _split(names[1]), _split(emails[1])
    url_list = _split(urls[1]) if urls else []
    if len(url_list) != len(name_list):
        url_list = []
    for index, name in enumerate(name_list):
        agent: dict[str, Any] = {"type": _agent_type(kind[1] if kind else None), "name": name}
        used = [names[0]]
        if index < len(email_list):
            agent["email"] = email_list[index]
            used.append(emails[0])  # type: ignore[index]
        if index < len(url_list) and "orcid.org/" in url_list[index]:
            agent["identifiers"] = [{"identifier": url_list[index]}]
            used.append(urls[0])  # type: ignore[index]
        if institution and agent["type"] == "Personal":
            agent["affiliations"] = [{"name": institution[1]}]
            used.append(institution[0])
        p.add("creators", agent, "global attribute" + ("s " if len(used) > 1 else " ") + ", ".join(used))


def _publisher(attrs: dict[str, Any], p: Proposal) -> None:
    name = _attr(attrs, "publisher_name", "publisher_institution")
    if not name:
        return
    p.set("publisher", {"name": name[1]}, f"global attribute {name[0]}")
    email = _attr(attrs, "publisher_email")
    if email:
        kind = _attr(attrs, "publisher_type")
        p.add(
            "contacts",
            {
                "type": _agent_type(kind[1] if kind else None, "Organizational"),
                "name": name[1],
                "email": email[1],
            },
            f"global attributes {name[0]}, {email[0]}",
        )


_CC_URL = re.compile(r"creativecommons\.org/(licenses|publicdomain)/([a-z-]+)/(\d\.\d)", re.I)


def _license(attrs: dict[str, Any], p: Proposal) -> None:
    from vocabularies import controlled

    found = _attr(attrs, "license", "licence")
    if not found:
        return
    value = found[1]
    candidates = [value, value.replace(" ", "-")]
    if match := _CC_URL.search(value):
        kind, name, version = match.groups()
        candidates.append("CC0-1.0" if kind.lower() == "publicdomain" else f"CC-{name.upper()}-{version}")
    for candidate in candidates:
        if len(candidate) < 64 and controlled.spdx_license(candidate):
            p.set("rights", {"license": {"id": candidate}}, f"global attribute {found[0]} ({value!r})")
            return
    licence: dict[str, Any] = {"name": value}
    if re.fullmatch(r"https?://\S+", value):
        licence["uri"] = value
    p.set("rights", {"license": licence}, f"global attribute {found[0]} (not an SPDX id)")


def _longitude(value: float) -> float:
    # ACDD allows 0..360 longitudes; the canonical record uses -180..180.
    return value - 360 if value > 180 else value


def lon_pair(west: float, east: float) -> tuple[float, float]:
    """West and east longitudes in -180..180 (a whole 0..360 span becomes -180..180)."""
    if east - west >= 359.999:
        return -180.0, 180.0
    return _longitude(west), _longitude(east)


def _space(attrs: dict[str, Any], p: Proposal) -> None:
    bounds = {
        key: _number(attrs, f"geospatial_{key}")
        for key in ("lat_min", "lat_max", "lon_min", "lon_max", "vertical_min", "vertical_max")
    }
    if all(bounds[k] for k in ("lat_min", "lat_max", "lon_min", "lon_max")):
        west, east = lon_pair(bounds["lon_min"][1], bounds["lon_max"][1])  # type: ignore[index]
        bbox = {
            "west": west,
            "east": east,
            "south": bounds["lat_min"][1],  # type: ignore[index]
            "north": bounds["lat_max"][1],  # type: ignore[index]
        }
        p.add(
            "spatial_extents",
            {"bbox": bbox},
            "global attributes geospatial_lat_min, geospatial_lat_max, geospatial_lon_min, geospatial_lon_max",
        )
        p.add("reference_systems", "EPSG:4326", "ACDD geospatial_lat/lon bounds are WGS84 degrees")
    if bounds["vertical_min"] and bounds["vertical_max"]:
        low, high = bounds["vertical_min"][1], bounds["vertical_max"][1]
        vertical: dict[str, Any] = {"minimum": min(low, high), "maximum": max(low, high)}
        note = "global attributes geospatial_vertical_min, geospatial_vertical_max"
        if unit := _attr(attrs, "geospatial_vertical_units"):
            vertical["unit"] = unit[1]
            note += f", {unit[0]}"
        if positive := _attr(attrs, "geospatial_vertical_positive"):
            note += f" (positive {positive[1]})"
        p.set("vertical_extent", vertical, note)
    for axis in ("lat", "lon"):
        found = _attr(attrs, f"geospatial_{axis}_resolution")
        number = _number(attrs, f"geospatial_{axis}_resolution")
        if found and number:
            unit = found[1][len(re.match(r"\s*[-+0-9.eE]+", found[1]).group(0)) :].strip()  # type: ignore[union-attr]
            if not unit:
                unit_attr = _attr(attrs, f"geospatial_{axis}_units")
                unit = unit_attr[1] if unit_attr else ""
            if "degree" in unit.lower():
                unit = "degree"
            item: dict[str, Any] = {"distance": number[1]}
            if unit:
                item["unit"] = unit
            p.add("spatial_resolutions", item, f"global attribute {found[0]}")


def _time(attrs: dict[str, Any], p: Proposal) -> None:
    start = _attr(attrs, "time_coverage_start")
    if not start:
        return
    extent = {"start": start[1]}
    note = f"global attribute {start[0]}"
    if end := _attr(attrs, "time_coverage_end"):
        extent["end"] = end[1]
        note = f"global attributes {start[0]}, {end[0]}"
    p.add("temporal_extents", extent, note)


def _variables(variables: list[tuple[str, Any, bool]], p: Proposal) -> None:
    standard_names: list[str] = []
    for name, var, is_coordinate in variables:
        if is_coordinate or var.ndim == 0:
            continue  # coordinates and containers (grid mappings) are not measured variables
        attrs = {a: var.getncattr(a) for a in var.ncattrs()}
        standard = _attr(attrs, "standard_name")
        long_name = _attr(attrs, "long_name")
        units = _attr(attrs, "units")
        item: dict[str, Any]
        if standard:
            item = {"term": standard[1], "scheme_name": CF_SCHEME, "scheme_uri": CF_SCHEME_URI}
            standard_names.append(standard[1])
            note = f"variable {name}: standard_name"
        else:
            item = {"term": long_name[1] if long_name else name}
            note = f"variable {name}: " + ("long_name" if long_name else "its name")
        if long_name and standard:
            note += f" (long_name {long_name[1]!r})"
        if units:
            item["unit"] = units[1]
            note += ", units"
        p.add("variables", item, note)
    if standard_names:
        p.add(
            "keywords",
            {
                "scheme_name": CF_SCHEME,
                "scheme_uri": CF_SCHEME_URI,
                "terms": [{"term": t} for t in dict.fromkeys(standard_names)],
            },
            "standard_name attributes of the variables",
        )


def _is_time(name: str, var: Any) -> bool:
    attrs = {a.lower(): text(var.getncattr(a)) or "" for a in var.ncattrs()}
    return " since " in attrs.get("units", "") and (
        name.rsplit("/", 1)[-1].lower() == "time"
        or attrs.get("standard_name") == "time"
        or attrs.get("axis") == "T"
    )


def _iso(moment: Any) -> str:
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def _time_from_coordinate(variables: list[tuple[str, Any, bool]], p: Proposal) -> None:
    import netCDF4

    for name, var, _ in variables:
        if var.ndim != 1 or var.size == 0 or not _is_time(name, var):
            continue
        # A CF coordinate variable is monotonic (CF 1.11 section 1.3): its first and last
        # values bound it, so the extent costs two reads whatever the length.
        first, last = var[0], var[-1]
        if getattr(first, "mask", False) is True or getattr(last, "mask", False) is True:
            continue
        calendar = text(getattr(var, "calendar", None)) or "standard"
        try:
            moments = netCDF4.num2date([float(first), float(last)], var.units, calendar=calendar)
        except (ValueError, TypeError, OverflowError):
            continue
        start, end = sorted(moments)
        p.add(
            "temporal_extents",
            {"start": _iso(start), "end": _iso(end)},
            f"first and last values of the time coordinate {name} ({var.units!s}, calendar {calendar})",
        )
        return


def _bbox_from_coordinates(variables: list[tuple[str, Any, bool]], p: Proposal) -> None:
    import numpy

    found: dict[str, tuple[str, float, float]] = {}
    for name, var, _ in variables:
        if var.ndim != 1 or var.size == 0 or var.size > MAX_COORD_SCAN:
            continue
        attrs = {a.lower(): (text(var.getncattr(a)) or "").lower() for a in var.ncattrs()}
        kind = None
        if attrs.get("standard_name") == "latitude" or attrs.get("units") in (
            "degrees_north",
            "degree_north",
        ):
            kind = "lat"
        elif attrs.get("standard_name") == "longitude" or attrs.get("units") in (
            "degrees_east",
            "degree_east",
        ):
            kind = "lon"
        if kind is None or kind in found:
            continue
        values = numpy.ma.masked_invalid(numpy.ma.asarray(var[:], dtype="float64"))
        if values.count() == 0:
            continue
        found[kind] = (name, float(values.min()), float(values.max()))
    if "lat" in found and "lon" in found:
        (lat_name, south, north), (lon_name, west, east) = found["lat"], found["lon"]
        west, east = lon_pair(west, east)
        p.add(
            "spatial_extents",
            {"bbox": {"west": west, "east": east, "south": south, "north": north}},
            f"minimum and maximum of the coordinate variables {lat_name} and {lon_name}",
        )

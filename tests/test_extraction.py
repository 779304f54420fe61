"""extraction: metadata proposed from data files the tests write with the readers' own libraries.

Expected values are written by hand (the attributes the test put in the file) or computed with
pyproj directly from known coordinates, never by the code under test.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from extraction import detect_format, extract

netCDF4 = pytest.importorskip("netCDF4")
rasterio = pytest.importorskip("rasterio")
pyogrio = pytest.importorskip("pyogrio")
pyproj = pytest.importorskip("pyproj")

ACDD = {
    "Conventions": "CF-1.11, ACDD-1.3",
    "title": "Surface temperature at the Iroise buoys, 2019",
    "summary": "Hourly sea surface temperature measured by three moored buoys.",
    "keywords": "EARTH SCIENCE > OCEANS > OCEAN TEMPERATURE, buoys",
    "keywords_vocabulary": "GCMD Science Keywords",
    "creator_name": "Jeanne Martin",
    "creator_email": "jeanne.martin@example.org",
    "creator_type": "person",
    "institution": "Ifremer",
    "publisher_name": "SEANOE",
    "publisher_email": "contact@seanoe.example.org",
    "license": "https://creativecommons.org/licenses/by/4.0/",
    "geospatial_lat_min": 47.9,
    "geospatial_lat_max": 48.6,
    "geospatial_lon_min": -5.3,
    "geospatial_lon_max": -4.4,
    "geospatial_vertical_min": 0.0,
    "geospatial_vertical_max": 12.5,
    "geospatial_vertical_units": "m",
    "geospatial_vertical_positive": "down",
    "geospatial_lat_resolution": "0.1 degree",
}


def write_netcdf(path: Path, fmt: str, *, acdd: dict | None = None, time_coverage: bool = True) -> Path:
    with netCDF4.Dataset(path, "w", format=fmt) as ds:
        for key, value in (acdd if acdd is not None else ACDD).items():
            ds.setncattr(key, value)
        if time_coverage:
            ds.time_coverage_start = "2019-01-01T00:00:00Z"
            ds.time_coverage_end = "2019-12-31T23:00:00Z"
        ds.createDimension("time", 4)
        time = ds.createVariable("time", "f8", ("time",))
        time.standard_name = "time"
        time.units = "days since 2019-03-01 00:00:00"
        time.calendar = "standard"
        time[:] = [0.0, 1.0, 2.0, 30.5]
        sst = ds.createVariable("sst", "f4", ("time",))
        sst.standard_name = "sea_surface_temperature"
        sst.long_name = "Sea surface temperature"
        sst.units = "degree_Celsius"
        sst[:] = [11.0, 11.5, 12.0, 12.2]
        flag = ds.createVariable("quality", "i1", ("time",))
        flag.long_name = "quality flag"
        flag[:] = [1, 1, 1, 2]
    return path


@pytest.mark.parametrize("fmt", ["NETCDF3_CLASSIC", "NETCDF4"])
def test_netcdf_acdd_and_cf_attributes_become_a_valid_fragment(tmp_path: Path, fmt: str) -> None:
    path = write_netcdf(tmp_path / "buoys_2019.nc", fmt)
    result = extract(path, "buoys_2019.nc", "application/x-netcdf")
    assert result["state"] == "done", result
    assert result["format"] == "netcdf"
    f = result["fragment"]
    assert f["titles"] == [{"text": ACDD["title"]}]
    assert f["abstracts"] == [{"text": ACDD["summary"]}]
    assert f["keywords"][0] == {
        "scheme_name": "GCMD Science Keywords",
        "terms": [{"term": "EARTH SCIENCE > OCEANS > OCEAN TEMPERATURE"}, {"term": "buoys"}],
    }
    assert f["keywords"][1]["scheme_name"] == "CF Standard Name Table"
    assert f["keywords"][1]["terms"] == [{"term": "sea_surface_temperature"}]
    assert f["creators"] == [
        {
            "type": "Personal",
            "name": "Jeanne Martin",
            "email": "jeanne.martin@example.org",
            "affiliations": [{"name": "Ifremer"}],
        }
    ]
    assert f["publisher"] == {"name": "SEANOE"}
    assert f["contacts"] == [
        {"type": "Organizational", "name": "SEANOE", "email": "contact@seanoe.example.org"}
    ]
    # The Creative Commons URL is recognised as the SPDX licence, whose name the schema fills in.
    assert f["rights"]["license"]["id"] == "CC-BY-4.0"
    assert f["spatial_extents"] == [{"bbox": {"west": -5.3, "east": -4.4, "south": 47.9, "north": 48.6}}]
    assert f["vertical_extent"] == {"minimum": 0.0, "maximum": 12.5, "unit": "m"}
    assert f["spatial_resolutions"] == [{"distance": 0.1, "unit": "degree"}]
    assert f["temporal_extents"] == [{"start": "2019-01-01T00:00:00Z", "end": "2019-12-31T23:00:00Z"}]
    assert {"term": "sea_surface_temperature", "unit": "degree_Celsius"}.items() <= f["variables"][0].items()
    assert f["variables"][1] == {"term": "quality flag"}
    # Coordinates are not measured variables.
    assert all(v["term"] != "time" for v in f["variables"])
    sources = result["sources"]
    assert sources["/spatial_extents/0"].startswith(
        "from buoys_2019.nc: global attributes geospatial_lat_min"
    )
    assert sources["/titles/0"] == "from buoys_2019.nc: global attribute title"
    assert "long_name 'Sea surface temperature'" in sources["/variables/0"]
    assert set(sources) == {
        f"/{field}" if not isinstance(value, list) else f"/{field}/{i}"
        for field, value in f.items()
        for i in (range(len(value)) if isinstance(value, list) else [0])
    }


def test_netcdf_time_span_from_the_cf_time_coordinate(tmp_path: Path) -> None:
    path = write_netcdf(tmp_path / "buoys.nc", "NETCDF4", time_coverage=False)
    result = extract(path, "buoys.nc", None)
    # days since 2019-03-01: first value 0 -> 1 March, last value 30.5 -> 31 March 12:00.
    assert result["fragment"]["temporal_extents"] == [{"start": "2019-03-01", "end": "2019-03-31T12:00:00Z"}]
    assert "time coordinate time" in result["sources"]["/temporal_extents/0"]


def test_invalid_attribute_values_are_dropped_and_reported(tmp_path: Path) -> None:
    bad = {
        "title": "Bad bounds",
        "geospatial_lat_min": 95.0,  # not a latitude
        "geospatial_lat_max": 96.0,
        "geospatial_lon_min": 0.0,
        "geospatial_lon_max": 1.0,
        "creator_name": "Someone",
        "creator_email": "not an e-mail",
    }
    path = write_netcdf(tmp_path / "bad.nc", "NETCDF4", acdd=bad, time_coverage=False)
    result = extract(path, "bad.nc", None)
    assert result["state"] == "done"
    assert "spatial_extents" not in result["fragment"]
    assert "creators" not in result["fragment"]
    dropped = {d["pointer"]: d for d in result["dropped"]}
    assert dropped["/spatial_extents/-"]["value"]["bbox"]["south"] == 95.0
    assert any("latitude" in m for e in dropped["/spatial_extents/-"]["errors"] for m in e["messages"])
    assert "/creators/-" in dropped
    assert result["fragment"]["titles"] == [{"text": "Bad bounds"}]
    assert "dropped" in result["reason"]


def test_truncated_and_garbage_netcdf_extract_nothing(tmp_path: Path) -> None:
    good = write_netcdf(tmp_path / "good.nc", "NETCDF4").read_bytes()
    truncated = tmp_path / "truncated.nc"
    truncated.write_bytes(good[:700])
    garbage = tmp_path / "garbage.nc"
    garbage.write_bytes(b"CDF\x01" + bytes(range(256)) * 8)
    for path in (truncated, garbage):
        result = extract(path, path.name, "application/x-netcdf")
        assert result["state"] == "nothing", result
        assert result["reason"].startswith(f"nothing extracted from {path.name}, because")
        assert result["fragment"] == {}


def test_unknown_files_are_not_read(tmp_path: Path) -> None:
    path = tmp_path / "notes.bin"
    path.write_bytes(b"\x00\x01binary")
    assert detect_format(str(path), "notes.bin", "application/octet-stream") is None
    result = extract(path, "notes.bin", "application/octet-stream")
    assert result["state"] == "nothing"
    assert "no reader for notes.bin" in result["reason"]


# --- rasters ---------------------------------------------------------------------------------


def test_geotiff_in_lambert93_bounds_reprojected_to_wgs84(tmp_path: Path) -> None:
    from affine import Affine

    path = tmp_path / "dem.tif"
    # 40 x 30 pixels of 500 m around (700000, 6600000), Lambert-93's projection centre, which
    # is 3°E 46.5°N by the definition of EPSG:2154 (false easting/northing at the origin).
    left, top, size = 690000.0, 6607500.0, 500.0
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=40,
        height=30,
        count=1,
        dtype="int16",
        crs="EPSG:2154",
        transform=Affine(size, 0.0, left, 0.0, -size, top),  # north-up, 500 m pixels
    ) as dst:
        dst.write(np.zeros((1, 30, 40), dtype="int16"))
        dst.set_band_description(1, "altitude")
        dst.units = ("m",)
    result = extract(path, "dem.tif", "image/tiff")
    assert result["state"] == "done", result
    bbox = result["fragment"]["spatial_extents"][0]["bbox"]
    right, bottom = left + 40 * size, top - 30 * size
    to_wgs84 = pyproj.Transformer.from_crs(2154, 4326, always_xy=True)
    centre = to_wgs84.transform(700000.0, 6600000.0)
    assert centre == pytest.approx((3.0, 46.5), abs=1e-9)
    corners = [to_wgs84.transform(x, y) for x in (left, right) for y in (bottom, top)]
    lons, lats = [c[0] for c in corners], [c[1] for c in corners]
    # The box holds every corner and the centre, and is no looser than a few metres.
    assert bbox["west"] <= min(lons) and bbox["east"] >= max(lons)
    assert bbox["south"] <= min(lats) and bbox["north"] >= max(lats)
    assert bbox["west"] < 3.0 < bbox["east"] and bbox["south"] < 46.5 < bbox["north"]
    for got, want in (
        (bbox["west"], min(lons)),
        (bbox["east"], max(lons)),
        (bbox["south"], min(lats)),
        (bbox["north"], max(lats)),
    ):
        assert got == pytest.approx(want, abs=1e-3)
    assert result["fragment"]["reference_systems"] == ["EPSG:2154"]
    assert result["fragment"]["spatial_resolutions"] == [{"distance": 500.0, "unit": "m"}]
    assert result["fragment"]["variables"] == [{"term": "altitude", "unit": "m"}]
    assert "reprojected from EPSG:2154" in result["sources"]["/spatial_extents/0"]


# --- vector data -----------------------------------------------------------------------------


def _wkb_point(x: float, y: float) -> bytes:
    # OGC Simple Features WKB, little endian, type 1 = Point.
    return struct.pack("<BIdd", 1, 1, x, y)


POINTS = [(2.35, 48.85), (5.37, 43.30), (-1.55, 47.22)]  # Paris, Marseille, Nantes


def write_vector(path: Path, driver: str, crs: str = "EPSG:4326", points=POINTS, **kw) -> Path:  # type: ignore[no-untyped-def]
    from pyogrio.raw import write

    geometry = np.array([_wkb_point(x, y) for x, y in points], dtype=object)
    names = np.array(["a", "b", "c"][: len(points)], dtype=object)
    depth = np.array([1.0, 2.0, 3.0][: len(points)])
    write(
        str(path),
        geometry,
        [names, depth],
        ["station", "depth"],
        driver=driver,
        geometry_type="Point",
        crs=crs,
        **kw,
    )
    return path


@pytest.mark.parametrize(
    ("name", "driver", "mimetype"),
    [("sites.gpkg", "GPKG", None), ("sites.geojson", "GeoJSON", "application/geo+json")],
)
def test_vector_bounds_crs_and_attributes(
    tmp_path: Path, name: str, driver: str, mimetype: str | None
) -> None:
    path = write_vector(tmp_path / name, driver)
    result = extract(path, name, mimetype)
    assert result["state"] == "done", result
    assert result["fragment"]["spatial_extents"] == [
        {"bbox": {"west": -1.55, "east": 5.37, "south": 43.30, "north": 48.85}}
    ]
    assert result["fragment"]["reference_systems"] == ["EPSG:4326"]
    assert [v["term"] for v in result["fragment"]["variables"]] == ["station", "depth"]
    (layer,) = result["facts"]["layers"].values()
    assert layer["features"] == 3
    assert layer["attributes"] == ["station", "depth"]


def test_zipped_shapefile_in_a_projected_crs(tmp_path: Path) -> None:
    to_l93 = pyproj.Transformer.from_crs(4326, 2154, always_xy=True)
    projected = [to_l93.transform(x, y) for x, y in POINTS]
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    write_vector(shp_dir / "sites.shp", "ESRI Shapefile", crs="EPSG:2154", points=projected)
    archive = tmp_path / "sites.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for part in sorted(shp_dir.iterdir()):
            z.write(part, f"sites/{part.name}")
    result = extract(archive, "sites.zip", "application/zip")
    assert result["state"] == "done", result
    bbox = result["fragment"]["spatial_extents"][0]["bbox"]
    # The layer's extent is the Lambert-93 rectangle around the points; in degrees it holds
    # every point and every corner of that rectangle, and is not much larger than the corners.
    xs, ys = [x for x, _ in projected], [y for _, y in projected]
    to_wgs84 = pyproj.Transformer.from_crs(2154, 4326, always_xy=True)
    corners = [to_wgs84.transform(x, y) for x in (min(xs), max(xs)) for y in (min(ys), max(ys))]
    for lon, lat in [*POINTS, *corners]:
        assert bbox["west"] - 1e-9 <= lon <= bbox["east"] + 1e-9
        assert bbox["south"] - 1e-9 <= lat <= bbox["north"] + 1e-9
    assert bbox["west"] == pytest.approx(min(c[0] for c in corners), abs=0.05)
    assert bbox["east"] == pytest.approx(max(c[0] for c in corners), abs=0.05)
    assert bbox["south"] == pytest.approx(min(c[1] for c in corners), abs=0.05)
    assert bbox["north"] == pytest.approx(max(c[1] for c in corners), abs=0.05)
    assert result["fragment"]["reference_systems"] == ["EPSG:2154"]
    assert result["facts"]["layers"]["sites"]["features"] == 3


def test_zip_bomb_shapefile_is_refused_without_expanding_it(tmp_path: Path) -> None:
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    write_vector(shp_dir / "sites.shp", "ESRI Shapefile")
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for part in sorted(shp_dir.iterdir()):
            z.write(part, part.name)
        with z.open("padding.dbf", "w", force_zip64=True) as padding:
            zeros = bytes(1024 * 1024)
            for _ in range(64):
                padding.write(zeros)
    assert archive.stat().st_size < 1024 * 1024
    result = extract(archive, "bomb.zip", "application/zip")
    assert result["state"] == "nothing"
    assert "padding.dbf expands" in result["reason"] and "zip bomb" in result["reason"]


def test_zip_without_a_shapefile(tmp_path: Path) -> None:
    archive = tmp_path / "docs.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "hello")
    result = extract(archive, "docs.zip", "application/zip")
    assert result["state"] == "nothing"
    assert "no Shapefile" in result["reason"]


# --- CSV / TSV -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "delimiter", "name"),
    [
        (["station", "lat", "lon", "time"], ",", "obs.csv"),
        (["Station", "Latitude (deg)", "Longitude (deg)", "Date"], ";", "obs.csv"),
        (["STATION", "LAT", "LNG", "TIMESTAMP"], "\t", "obs.tsv"),
        (["id", "decimalLatitude", "decimalLongitude", "eventDate"], ",", "occurrences.csv"),
    ],
)
def test_csv_positions_and_times_by_header_name(
    tmp_path: Path, header: list[str], delimiter: str, name: str
) -> None:
    rows = [
        ["A", "48.85", "2.35", "2020-05-01T10:00:00Z"],
        ["B", "43.30", "5.37", "2020-04-30"],
        ["C", "not a number", "x", "unknown"],
        ["D", "47.22", "-1.55", "2020-06-15 08:30:00"],
    ]
    path = tmp_path / name
    path.write_text("\n".join(delimiter.join(r) for r in [header, *rows]) + "\n")
    result = extract(path, name, None)
    assert result["state"] == "done", result
    assert result["fragment"]["spatial_extents"] == [
        {"bbox": {"west": -1.55, "east": 5.37, "south": 43.30, "north": 48.85}}
    ]
    assert result["fragment"]["temporal_extents"] == [{"start": "2020-04-30", "end": "2020-06-15T08:30:00Z"}]
    assert result["facts"]["rows"] == 4
    assert result["facts"]["rows_without_valid_position"] == 1
    assert header[1] in result["sources"]["/spatial_extents/0"]


def test_csv_with_x_y_columns_is_not_taken_for_lon_lat(tmp_path: Path) -> None:
    path = tmp_path / "grid.csv"
    path.write_text("x,y,value\n700000,6600000,1\n")
    result = extract(path, "grid.csv", "text/csv")
    assert result["state"] == "nothing"
    assert "no latitude/longitude or time column" in result["reason"]
    assert "x, y, value" in result["reason"]


def test_csv_streams_a_large_file(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w") as f:
        f.write("lat,lon\n")
        for i in range(200_000):
            f.write(f"{-60 + (i % 120)},{-170 + (i % 340)}\n")
    # 64 MB of address space is far below what holding the rows would take in Python
    # objects, but enough for a streaming reader.
    result = extract(path, "big.csv", "text/csv", memory_mb=256)
    assert result["state"] == "done", result
    assert result["fragment"]["spatial_extents"] == [
        {"bbox": {"west": -170.0, "east": 169.0, "south": -60.0, "north": 59.0}}
    ]


def test_csv_with_an_endless_line_stops(tmp_path: Path) -> None:
    path = tmp_path / "hostile.csv"
    with path.open("w") as f:
        f.write("lat,lon,comment\n1,2,")
        f.write("a" * (3 * 1024 * 1024))
    result = extract(path, "hostile.csv", "text/csv")
    assert result["state"] == "nothing"
    assert "line 2 is longer than" in result["reason"]


# --- limits ----------------------------------------------------------------------------------


def test_a_reader_that_takes_too_long_is_stopped(tmp_path: Path) -> None:
    path = write_netcdf(tmp_path / "slow.nc", "NETCDF4")
    # Starting Python and importing netCDF4 alone takes longer than 10 ms: the child is
    # killed by the wall-clock limit like a reader stuck on a hostile file would be.
    result = extract(path, "slow.nc", None, timeout=0.01)
    assert result["state"] == "failed"
    assert result["reason"] == "reading slow.nc took longer than the limit of 0.01 s"
    assert result["fragment"] == {}


def test_a_file_that_makes_the_reader_allocate_hits_the_memory_limit(tmp_path: Path) -> None:
    path = tmp_path / "track.nc"
    n = 10_000_000
    # 2 x 80 MB of float64 coordinates that compress to under 1 MB: scanning them for the
    # bounding box needs several hundred MB, far more than the file's size suggests.
    with netCDF4.Dataset(path, "w") as ds:
        ds.createDimension("obs", n)
        for name, axis in (("lat", "latitude"), ("lon", "longitude")):
            var = ds.createVariable(name, "f8", ("obs",), zlib=True, complevel=1)
            var.standard_name = axis
            var[:] = np.zeros(n)
    assert path.stat().st_size < 2 * 1024 * 1024
    limited = extract(path, "track.nc", None, memory_mb=200)
    assert limited["state"] == "failed", limited
    assert limited["reason"].endswith("exceeded the memory limit of 200 MB")
    assert limited["fragment"] == {}
    # The same file within a generous limit is read: the limit, not the file, stopped it.
    roomy = extract(path, "track.nc", None, memory_mb=2048)
    assert roomy["state"] == "done", roomy
    assert roomy["fragment"]["spatial_extents"] == [
        {"bbox": {"west": 0.0, "east": 0.0, "south": 0.0, "north": 0.0}}
    ]


def test_a_missing_reader_library_answers_reader_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from extraction import extract_here

    path = write_netcdf(tmp_path / "buoys.nc", "NETCDF4")
    # Simulates an installation without netCDF4 (a None entry makes the import fail).
    monkeypatch.setitem(sys.modules, "netCDF4", None)
    result = extract_here(str(path), "buoys.nc", None)
    assert result["state"] == "nothing"
    assert result["reason"] == "the netCDF reader is unavailable (netCDF4 is not installed)"

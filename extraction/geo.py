"""Rasters (GeoTIFF, JPEG 2000, ASCII grid, Erdas Imagine) and vector data (GeoPackage,
zipped Shapefile, GeoJSON): extent in WGS84, CRS as an EPSG code, resolution, attributes.

GDAL (through rasterio and pyogrio) is only handed files whose format was recognised by the
caller, and each raster only to the one driver its signature names (RASTER_DRIVERS), so an uploaded VRT or other
"pointer" format can never make the reader open another file or a URL.
"""

from __future__ import annotations

import zipfile
from typing import Any

from .proposal import Proposal

#: The GDAL driver for each raster signature (rasterio takes one driver name, not a list).
RASTER_DRIVERS = [
    (b"II*\x00", "GTiff"),
    (b"MM\x00*", "GTiff"),
    (b"II+\x00", "GTiff"),
    (b"MM\x00+", "GTiff"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JP2OpenJPEG"),
    (b"EHFA_HEADER_TAG", "HFA"),
    (b"ncols", "AAIGrid"),
    (b"NCOLS", "AAIGrid"),
]
#: Zip archives are inspected before GDAL reads them (see check_zip).
MAX_ZIP_MEMBERS = 1000
MAX_ZIP_UNCOMPRESSED = 4 * 1024**3
MAX_ZIP_RATIO = 100
WGS84 = "EPSG:4326"


class NothingToRead(Exception):
    """The file holds nothing this reader can propose; the message says why."""


def _wgs84_bounds(crs: Any, bounds: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """(west, south, east, north) in WGS84 degrees, densified so curved edges are covered."""
    from pyproj import CRS, Transformer

    source = CRS.from_user_input(crs)
    if source.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return bounds
    transformer = Transformer.from_crs(source, CRS.from_epsg(4326), always_xy=True)
    west, south, east, north = transformer.transform_bounds(*bounds, densify_pts=21)
    return west, south, east, north


def _epsg(crs: Any) -> str | None:
    from pyproj import CRS

    code = CRS.from_user_input(crs).to_epsg(min_confidence=70)
    return f"EPSG:{code}" if code else None


def _add_bbox(p: Proposal, crs: Any, bounds: tuple[float, float, float, float], what: str) -> None:
    west, south, east, north = _wgs84_bounds(crs, bounds)
    epsg = _epsg(crs)
    crs_text = epsg or "its CRS"
    p.add(
        "spatial_extents",
        {"bbox": {"west": west, "east": east, "south": south, "north": north}},
        f"{what}, reprojected from {crs_text} to WGS84 (EPSG:4326)",
    )
    if epsg:
        p.add("reference_systems", epsg, f"CRS of {what.split(' of ', 1)[-1]}")


def read_raster(path: str, p: Proposal) -> None:
    """Fill ``p`` from a raster: bounds, CRS, resolution, band descriptions and units."""
    import rasterio

    with open(path, "rb") as f:
        head = f.read(16)
    driver = next((name for magic, name in RASTER_DRIVERS if head.startswith(magic)), None)
    if driver is None:
        raise NothingToRead("its first bytes are not those of a supported raster format")
    with rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR"), rasterio.open(path, driver=driver) as src:
        p.facts.update(driver=src.driver, width=src.width, height=src.height, bands=src.count)
        if src.crs is None:
            p.facts["crs"] = None
            if p.empty():
                raise NothingToRead("the raster has no coordinate reference system")
            return
        _add_bbox(p, src.crs.to_wkt(), tuple(src.bounds), "the corner coordinates of the raster")
        xres, yres = src.res
        unit = "degree" if src.crs.is_geographic else (src.crs.linear_units or "m")
        if unit in ("metre", "meter"):
            unit = "m"
        p.add(
            "spatial_resolutions",
            {"distance": float(max(abs(xres), abs(yres))), "unit": unit},
            f"pixel size of the raster ({abs(xres):g} x {abs(yres):g} {unit})",
        )
        for index, (description, unit_name) in enumerate(zip(src.descriptions, src.units, strict=False), 1):
            if description:
                item: dict[str, Any] = {"term": description}
                if unit_name:
                    item["unit"] = unit_name
                p.add("variables", item, f"band {index} description" + (" and units" if unit_name else ""))


def check_zip(path: str) -> str:
    """The path inside the zip of its one Shapefile; raise NothingToRead for a hostile zip.

    Refused: more than MAX_ZIP_MEMBERS entries, more than MAX_ZIP_UNCOMPRESSED bytes in all,
    or a member over 1 MiB that compresses more than MAX_ZIP_RATIO times (the zip bomb
    pattern); encrypted members; no or several ``.shp`` files.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise NothingToRead(f"not a readable zip archive ({exc})") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise NothingToRead(f"the zip holds {len(members)} entries (more than {MAX_ZIP_MEMBERS})")
    total = sum(m.file_size for m in members)
    if total > MAX_ZIP_UNCOMPRESSED:
        raise NothingToRead(f"the zip would expand to {total} bytes (more than {MAX_ZIP_UNCOMPRESSED})")
    for m in members:
        if m.flag_bits & 0x1:
            raise NothingToRead(f"the zip entry {m.filename} is encrypted")
        if m.file_size > 1024**2 and m.file_size > MAX_ZIP_RATIO * max(m.compress_size, 1):
            raise NothingToRead(
                f"the zip entry {m.filename} expands {m.file_size // max(m.compress_size, 1)} times "
                f"(more than {MAX_ZIP_RATIO}: a zip bomb?)"
            )
    shapefiles = [m.filename for m in members if m.filename.lower().endswith(".shp") and not m.is_dir()]
    if not shapefiles:
        raise NothingToRead("the zip holds no Shapefile (.shp)")
    if len(shapefiles) > 1:
        raise NothingToRead(f"the zip holds {len(shapefiles)} Shapefiles; only one per zip is read")
    return shapefiles[0]


def read_vector(path: str, p: Proposal, *, zipped: bool = False) -> None:
    """Fill ``p`` from vector data: per layer bounds (WGS84), CRS, feature count, attributes."""
    import pyogrio

    source = path
    if zipped:
        source = f"/vsizip/{path}/{check_zip(path)}"
    layers = [str(row[0]) for row in pyogrio.list_layers(source)]
    if not layers:
        raise NothingToRead("the file holds no vector layer")
    counts: dict[str, int] = {}
    for layer in layers[:50]:
        info = pyogrio.read_info(source, layer=layer, force_feature_count=True, force_total_bounds=True)
        counts[layer] = int(info["features"])
        fields = [str(f) for f in info["fields"]]
        p.facts.setdefault("layers", {})[layer] = {
            "features": counts[layer],
            "geometry_type": info.get("geometry_type"),
            "attributes": fields,
        }
        bounds = info.get("total_bounds")
        crs = info.get("crs")
        if counts[layer] and bounds is not None and crs and all(b == b for b in bounds):
            _add_bbox(p, crs, tuple(float(b) for b in bounds), f"the extent of layer {layer}")
        for name in fields:
            p.add("variables", {"term": name}, f"attribute (field) {name} of layer {layer}")
    if not p.has("spatial_extents") and sum(counts.values()) == 0:
        raise NothingToRead("the vector layers hold no features")

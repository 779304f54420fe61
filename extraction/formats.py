"""Which reader a file goes to, judged by its first bytes, then its name and media type."""

from __future__ import annotations

from pathlib import PurePosixPath

NETCDF = "netcdf"
RASTER = "raster"
VECTOR = "vector"
SHAPEFILE_ZIP = "shapefile-zip"
CSV = "csv"
TSV = "tsv"

_MAGIC = [
    (b"CDF\x01", NETCDF),
    (b"CDF\x02", NETCDF),
    (b"CDF\x05", NETCDF),
    (b"\x89HDF\r\n\x1a\n", NETCDF),
    (b"II*\x00", RASTER),
    (b"MM\x00*", RASTER),
    (b"II+\x00", RASTER),  # BigTIFF
    (b"MM\x00+", RASTER),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", RASTER),  # JPEG 2000
    (b"EHFA_HEADER_TAG", RASTER),
    (b"PK\x03\x04", SHAPEFILE_ZIP),
]
_SUFFIX = {
    ".nc": NETCDF,
    ".nc4": NETCDF,
    ".netcdf": NETCDF,
    ".cdf": NETCDF,
    ".tif": RASTER,
    ".tiff": RASTER,
    ".gpkg": VECTOR,
    ".geojson": VECTOR,
    ".csv": CSV,
    ".tsv": TSV,
    ".tab": TSV,
}
_MEDIA = {
    "application/x-netcdf": NETCDF,
    "application/netcdf": NETCDF,
    "image/tiff": RASTER,
    "application/geopackage+sqlite3": VECTOR,
    "application/geo+json": VECTOR,
    "text/csv": CSV,
    "text/tab-separated-values": TSV,
}


def detect_format(path: str, name: str, mimetype: str | None = None) -> str | None:
    """The reader for this file, or None. Binary formats need their magic number."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return None
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    suffix = PurePosixPath(name.lower()).suffix
    media = (mimetype or "").split(";")[0].strip().lower()
    by_name = _SUFFIX.get(suffix) or _MEDIA.get(media)
    if head.startswith(b"SQLite format 3\x00"):
        return VECTOR if by_name == VECTOR or suffix == ".gpkg" else None
    if head.lstrip()[:1] == b"{" and (
        by_name == VECTOR or (suffix == ".json" and (b'"FeatureCollection"' in head or b'"Feature"' in head))
    ):
        return VECTOR
    if head[:5].lower() == b"ncols" and suffix == ".asc":
        return RASTER
    if by_name in (CSV, TSV) and b"\x00" not in head:
        return by_name
    return None

"""Metadata proposed from data files: netCDF, rasters, vector data, CSV/TSV.

``extract(path, name, mimetype)`` recognises the file by its first bytes and its name, reads
it in a child process bounded in time and memory, and returns a *fragment* of the canonical
``metadata`` object (the field names of ``schemas``), a note per value saying where it was
read, and the values dropped because they did not validate::

    {"state": "done" | "nothing" | "failed", "reason": str, "format": str | None,
     "fragment": {...}, "sources": {json_pointer: note}, "dropped": [...], "facts": {...}}

``nothing``: the file was not recognised, could not be read, or held nothing to propose
(``reason`` says which). ``failed``: the reader hit the time or memory limit or crashed.
Nothing here raises on a bad file. The readers' libraries (netCDF4, rasterio, pyogrio,
pyproj) are imported lazily: without one, its formats answer "reader unavailable".

Plain Python: no Flask, no database (layer ``curation → extraction → exports``).
"""

from __future__ import annotations

from ._sandbox import extract, extract_here
from .formats import detect_format

__all__ = ["detect_format", "extract", "extract_here"]

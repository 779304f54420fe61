"""Running a reader: in this process (:func:`extract_here`) or bounded in a child (:func:`extract`)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from . import formats
from .geo import NothingToRead
from .proposal import Proposal

DEFAULT_TIMEOUT = 30.0
DEFAULT_MEMORY_MB = 1024
#: Largest JSON answer read back from the child (the proposal is capped well below).
MAX_OUTPUT = 8 * 1024 * 1024

_LIBRARIES = {
    formats.NETCDF: ("netCDF4", "the netCDF reader"),
    formats.RASTER: ("rasterio", "the raster reader"),
    formats.VECTOR: ("pyogrio", "the vector reader"),
    formats.SHAPEFILE_ZIP: ("pyogrio", "the Shapefile reader"),
}


def _result(state: str, reason: str, kind: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "state": state,
        "reason": reason,
        "format": kind,
        "fragment": {},
        "sources": {},
        "dropped": [],
        "facts": {},
        **extra,
    }


def extract_here(path: str, name: str, mimetype: str | None = None) -> dict[str, Any]:
    """Read ``path`` in this process, without limits; never raises on a bad file.

    :func:`extract` is what callers want; this is its child's body, and handy in a debugger.
    """
    display = Path(name).name or "the file"
    kind = formats.detect_format(path, name, mimetype)
    if kind is None:
        return _result("nothing", f"no reader for {display} ({mimetype or 'unknown media type'})")
    proposal = Proposal(display)
    try:
        _read(kind, path, proposal)
    except NothingToRead as exc:
        return _result("nothing", f"nothing extracted from {display}, because {exc}", kind)
    except ImportError as exc:
        library, reader = _LIBRARIES.get(kind, (str(exc.name), "the reader"))
        if importlib.util.find_spec(library) is None:
            return _result("nothing", f"{reader} is unavailable ({library} is not installed)", kind)
        chain = " ".join(str(e) for e in (exc, exc.__cause__, exc.__context__) if e is not None)
        if "failed to map segment" in chain or "annot allocate memory" in chain:
            # Loading a shared library ran out of address space: the memory limit, not a bug.
            raise MemoryError(chain) from exc
        return _result(
            "failed", f"{reader} could not be loaded ({chain.strip().splitlines()[-1][:300]})", kind
        )
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - a hostile file may break a reader in any way
        message = str(exc).splitlines()[0][:500] if str(exc) else type(exc).__name__
        return _result(
            "nothing",
            f"nothing extracted from {display}, because it is not a readable {kind} file ({message})",
            kind,
        )
    fragment, sources, dropped = proposal.finish()
    facts = json.loads(json.dumps(proposal.facts, default=str))
    if not fragment:
        reason = f"nothing extracted from {display}, because "
        reason += "no proposed value was valid" if dropped else "the file carries no descriptive metadata"
        return _result("nothing", reason, kind, dropped=dropped, facts=facts)
    return _result(
        "done",
        f"{len(sources)} value(s) proposed from {display}" + (f", {len(dropped)} dropped" if dropped else ""),
        kind,
        fragment=fragment,
        sources=sources,
        dropped=dropped,
        facts=facts,
    )


def _read(kind: str, path: str, proposal: Proposal) -> None:
    if kind == formats.NETCDF:
        from . import netcdf

        netcdf.read(path, proposal)
    elif kind == formats.RASTER:
        from . import geo

        geo.read_raster(path, proposal)
    elif kind in (formats.VECTOR, formats.SHAPEFILE_ZIP):
        from . import geo

        geo.read_vector(path, proposal, zipped=kind == formats.SHAPEFILE_ZIP)
    else:
        from . import tabular

        tabular.read(path, proposal, tab=kind == formats.TSV)


def _child_env() -> dict[str, str]:
    # A minimal environment: the child needs none of the app's settings or secrets.
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "PYTHONDONTWRITEBYTECODE": "1",
        # One thread each: thread stacks and per-thread arenas count against RLIMIT_AS.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "GDAL_NUM_THREADS": "1",
        # GDAL: no sidecar files (.aux.xml), no directory listing, no network.
        "GDAL_PAM_ENABLED": "NO",
        "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
        "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".invalid-extension",
        "GDAL_HTTP_TIMEOUT": "1",
        "PROJ_NETWORK": "OFF",
        "HDF5_USE_FILE_LOCKING": "FALSE",
    }
    return env


def extract(
    path: str | os.PathLike[str],
    name: str,
    mimetype: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: int = DEFAULT_MEMORY_MB,
) -> dict[str, Any]:
    """Propose metadata for the file at ``path`` (shown as ``name``), bounded in time and memory.

    The reader runs in a child Python process whose address space is capped at ``memory_mb``
    (``RLIMIT_AS``) and which is killed after ``timeout`` seconds of wall-clock time. The file
    type is recognised here first (a few bytes read), so unrecognised files cost no process.
    Never raises for a bad file; see the module docstring for the result.
    """
    path = os.fspath(path)
    display = Path(name).name or "the file"
    kind = formats.detect_format(path, name, mimetype)
    if kind is None:
        return _result("nothing", f"no reader for {display} ({mimetype or 'unknown media type'})")
    job = {
        "path": os.path.abspath(path),
        "name": name,
        "mimetype": mimetype,
        "memory_mb": int(memory_mb),
        "cpu_seconds": max(1, int(timeout) + 1),
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "extraction._child"],
            input=json.dumps(job).encode(),
            capture_output=True,
            timeout=timeout,
            env=_child_env(),
            cwd="/",
            start_new_session=True,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return _result("failed", f"reading {display} took longer than the limit of {timeout:g} s", kind)
    except OSError as exc:
        return _result("failed", f"the reader process could not start ({exc})", kind)
    stdout = done.stdout[:MAX_OUTPUT]
    if done.returncode == 0 and stdout.strip():
        try:
            result = json.loads(stdout)
        except ValueError:
            result = None
        if isinstance(result, dict) and result.get("state") in ("done", "nothing", "failed"):
            return {**_result(result["state"], str(result.get("reason", "")), kind), **result}
    stderr = done.stderr.decode("utf-8", "replace")
    if any(
        sign in stderr
        for sign in ("MemoryError", "std::bad_alloc", "annot allocate memory", "Memory allocation")
    ):
        return _result("failed", f"reading {display} exceeded the memory limit of {memory_mb} MB", kind)
    if done.returncode < 0:
        return _result(
            "failed",
            f"the reader of {display} was killed by signal {-done.returncode} (time or memory limit?)",
            kind,
        )
    last = stderr.strip().splitlines()[-1][:300] if stderr.strip() else "no output"
    return _result("failed", f"the reader of {display} crashed (exit status {done.returncode}: {last})", kind)

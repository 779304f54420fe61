"""Import cost against input size (issue 10: "keep import time linear in the input").

    python bench/import_scaling.py [--sizes 100 400 1600] [--repeat 5]

For each reader (ISO 19139, ISO 19115-3, DataCite) builds a record with N creators (ORCID and
two affiliations each), N keywords, N online resources and N related identifiers, writes it with
our own writer, then breaks every second ORCID (so that the drop-and-report path and the source
XPath locator run for N/2 values). Times ``exports.importing.import_record`` on it: median CPU
seconds (``time.process_time``, garbage collector off) of ``--repeat`` runs. Prints, per size,
the input bytes, the median and the ratio to the previous size. A linear import grows by the
size ratio (4 by default), a quadratic one by its square (16).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from exports.importing import import_record  # noqa: E402
from exports.registry import get_format  # noqa: E402
from schemas import load_metadata, load_record_document  # noqa: E402
from schemas.examples import minimal_example  # noqa: E402

GOOD_ORCID = "0000-0002-1825-0097"
BAD_ORCID = "0000-0002-1825-0098"  # wrong check digit: dropped and reported on import


def record(n: int) -> dict:
    md = minimal_example()
    md["creators"] = [
        {
            "type": "Personal",
            "name": f"Family{i}, Given",
            "family_name": f"Family{i}",
            "given_name": "Given",
            "identifiers": [{"identifier": GOOD_ORCID, "scheme": "ORCID"}],
            "affiliations": [{"name": f"Institute {i}"}, {"name": f"University {i}"}],
        }
        for i in range(n)
    ]
    md["free_keywords"] = [{"term": f"keyword {i}"} for i in range(n)]
    md["online_resources"] = [
        {"url": f"https://data.example.org/files/{i}.nc", "protocol": "WWW:DOWNLOAD-1.0-http--download"}
        for i in range(n)
    ]
    md["related_identifiers"] = [
        {"identifier": f"10.5281/zenodo.{i + 1}", "relation_type": "References"} for i in range(n)
    ]
    return load_record_document({"id": f"scale-{n}", "metadata": load_metadata(md)})


def sample(fmt: str, n: int) -> bytes:
    data = get_format(fmt).writer(record(n))
    # break the ORCID of every second creator (a writer may write it twice: link and text)
    parts = data.split(GOOD_ORCID.encode())
    per_creator = (len(parts) - 1) // n
    out = parts[0]
    for i, part in enumerate(parts[1:]):
        out += (BAD_ORCID if (i // per_creator) % 2 else GOOD_ORCID).encode() + part
    return out


def cpu_seconds(data: bytes, repeat: int) -> float:
    times = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            start = time.process_time()
            import_record(data)
            times.append(time.process_time() - start)
    finally:
        gc.enable()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 400, 1600])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'reader':<12} {'N':>6} {'bytes':>10} {'median CPU s':>13} {'x prev':>7}")
    for fmt in ("iso19139", "iso19115-3", "datacite"):
        previous = None
        for n in args.sizes:
            data = sample(fmt, n)
            _, result = import_record(data)
            assert len(result.metadata["creators"]) == n, (fmt, n)
            assert sum("ORCID" in line for line in result.unmapped) == n // 2, (fmt, n)
            seconds = cpu_seconds(data, args.repeat)
            ratio = f"{seconds / previous:7.2f}" if previous else "       "
            print(f"{fmt:<12} {n:>6} {len(data):>10} {seconds:>13.4f} {ratio}")
            previous = seconds


if __name__ == "__main__":
    main()

"""The DataCite provider: DOIs under the repository's prefix, registered by outbox jobs.

Naming is deterministic and decided before any call to DataCite: a version's DOI is
``<prefix>/<record id>``, a dataset's concept DOI ``<prefix>/<parent id>`` (both ids are
random, short and unique). Storing the DOI first and creating it with ``PUT /dois/{doi}`` means
a retry after a crash updates the same DOI instead of minting a second one.

``register`` returns the DOI at once and contacts nobody: publication never waits for
DataCite; :mod:`app.services.dois` queues the registration (docs/dois.md).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from app.pid import MintedPid
from app.pid.datacite_client import DataCiteClient

PREFIX_RE = re.compile(r"^10\.\d{4,9}$")


@dataclass
class DataCiteSettings:
    api_url: str
    username: str
    password: str
    prefix: str
    timeout: float
    rate: float
    burst: float
    window: float
    guard: float
    retry_base: float
    retry_max: float
    lease_seconds: float

    @property
    def bucket_rate(self) -> float:
        """Tokens per second of the shared bucket (``app.services.dois.take_token``).

        Not ``rate`` itself: a bucket refilled at ``rate`` with ``burst`` tokens admits
        ``burst + rate·W`` requests in a window of W seconds (97 in 60 s at 1.6/s), and requests
        reach DataCite a little after their reserved slots (processing, sleep overshoot, network),
        so a late first request and an early last one squeeze one more into a window. With slots
        at least ``(window + guard) / (n - burst + 1)`` apart, ``n = ⌊rate·window⌋``, any
        ``window`` seconds hold at most ``n`` arrivals as long as each arrives within ``guard``
        seconds of its slot (docs/dois.md). At 1.6/s, 60 s and 1 s: 96/61 ≈ 1.574 tokens/s."""
        allowed = math.floor(self.rate * self.window + 1e-9)
        return (allowed - self.burst + 1) / (self.window + self.guard)


def settings_from_config(config: dict[str, Any]) -> DataCiteSettings:
    """The DATACITE_* settings, checked (ValueError naming the setting)."""
    prefix = str(config.get("DATACITE_PREFIX") or "").strip().lower()
    if not PREFIX_RE.match(prefix):
        raise ValueError(f"DATACITE_PREFIX={prefix!r} is not a DOI prefix such as 10.12345")
    for key in ("DATACITE_USERNAME", "DATACITE_PASSWORD", "DATACITE_API_URL"):
        if not str(config.get(key) or "").strip():
            raise ValueError(f"PID_PROVIDER=datacite needs {key} (see docs/dois.md)")
    timeout = float(config.get("DATACITE_TIMEOUT", 30))
    rate = float(config.get("DATACITE_RATE_LIMIT", 1.6))
    if rate <= 0:
        raise ValueError("DATACITE_RATE_LIMIT must be a positive number of requests per second")
    burst = max(float(config.get("DATACITE_RATE_BURST", 1)), 1.0)
    window = float(config.get("DATACITE_RATE_WINDOW", 60))
    guard = float(config.get("DATACITE_RATE_GUARD", 1.0))
    if guard < 0:
        raise ValueError("DATACITE_RATE_GUARD must be 0 or more seconds")
    if window <= 0 or math.floor(rate * window + 1e-9) < burst:
        raise ValueError(
            "DATACITE_RATE_WINDOW × DATACITE_RATE_LIMIT must allow at least DATACITE_RATE_BURST requests"
        )
    return DataCiteSettings(
        api_url=str(config["DATACITE_API_URL"]).rstrip("/"),
        username=str(config["DATACITE_USERNAME"]),
        password=str(config["DATACITE_PASSWORD"]),
        prefix=prefix,
        timeout=timeout,
        rate=rate,
        burst=burst,
        window=window,
        guard=guard,
        retry_base=float(config.get("DOI_RETRY_BASE_SECONDS", 5)),
        retry_max=float(config.get("DOI_RETRY_MAX_SECONDS", 600)),
        lease_seconds=float(config.get("DOI_LEASE_SECONDS") or 2 * timeout + 30),
    )


class DataCiteProvider:
    name = "datacite"
    scheme = "doi"
    #: Registration happens after commit, in ``doi-sync`` jobs (app.services.dois).
    deferred = True

    def __init__(self, settings: DataCiteSettings):
        self.settings = settings
        self.prefix = settings.prefix

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DataCiteProvider:
        return cls(settings_from_config(config))

    def client(self) -> DataCiteClient:
        s = self.settings
        return DataCiteClient(s.api_url, s.username, s.password, timeout=s.timeout)

    def manages(self, doi: str) -> bool:
        """Whether ``doi`` is under this repository's prefix (we may register and update it)."""
        return doi.lower().startswith(self.prefix + "/")

    def version_doi(self, record_id: str) -> str:
        return f"{self.prefix}/{record_id}".lower()

    def concept_doi(self, parent_id: str) -> str:
        return f"{self.prefix}/{parent_id}".lower()

    def register(self, record_id: str, landing_url: str, document: dict[str, Any]) -> MintedPid:
        existing = ((document.get("pids") or {}).get("doi") or {}).get("identifier")
        value = existing or self.version_doi(record_id)
        return MintedPid(self.scheme, value, self.name, landing_url)

    def hide(self, pid: MintedPid, tombstone: dict[str, Any]) -> None:
        # The withdrawal queues a doi-sync job (state registered); nothing to do synchronously.
        return None

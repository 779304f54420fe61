"""The DataCite provider: DOIs under the repository's prefix, registered by outbox jobs.

Naming is deterministic and decided before any call to DataCite: a version's DOI is
``<prefix>/<record id>``, a dataset's concept DOI ``<prefix>/<parent id>`` (both ids are
random, short and unique). Storing the DOI first and creating it with ``PUT /dois/{doi}`` means
a retry after a crash updates the same DOI instead of minting a second one.

``register`` returns the DOI at once and contacts nobody: publication never waits for
DataCite; :mod:`app.services.dois` queues the registration (docs/dois.md).
"""

from __future__ import annotations

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
    retry_base: float
    retry_max: float
    lease_seconds: float


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
    return DataCiteSettings(
        api_url=str(config["DATACITE_API_URL"]).rstrip("/"),
        username=str(config["DATACITE_USERNAME"]),
        password=str(config["DATACITE_PASSWORD"]),
        prefix=prefix,
        timeout=timeout,
        rate=rate,
        burst=max(float(config.get("DATACITE_RATE_BURST", 1)), 1.0),
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

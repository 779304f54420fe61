"""Persistent identifier providers.

A provider gives a published record version its identifier. The default local provider needs
no credentials: it mints an identifier from the record id, resolvable at the landing page.
The DataCite provider (:mod:`app.pid.datacite`) mints DOIs under the repository's prefix; their
registration at DataCite runs later, as outbox jobs (:mod:`app.services.dois`), so publication
never waits for DataCite. See docs/dois.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class MintedPid:
    scheme: str
    value: str
    provider: str
    url: str


class PidProvider(Protocol):
    name: str

    def register(self, record_id: str, landing_url: str, document: dict[str, Any]) -> MintedPid:
        """Register (or re-register) the identifier of a published record; idempotent."""
        ...

    def hide(self, pid: MintedPid, tombstone: dict[str, Any]) -> None:
        """The record was withdrawn: keep the identifier resolving, to the tombstone."""
        ...


from app.pid.local import LocalPidProvider  # noqa: E402


def provider_from_config(config: dict[str, Any]) -> PidProvider:
    name = config.get("PID_PROVIDER", "local")
    if name == "local":
        return LocalPidProvider(config.get("PID_LOCAL_PREFIX", ""))
    if name == "datacite":
        from app.pid.datacite import DataCiteProvider

        return DataCiteProvider.from_config(config)
    raise ValueError(f"unknown PID_PROVIDER {name!r} (known: local, datacite)")


__all__ = ["LocalPidProvider", "MintedPid", "PidProvider", "provider_from_config"]

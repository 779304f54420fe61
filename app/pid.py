"""Persistent identifier providers.

A provider registers an identifier for a published record version. The default local
provider needs no credentials: it mints an identifier from the record id, resolvable at the
landing page. The DataCite provider (a later issue) implements the same interface.
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


class LocalPidProvider:
    """Mints ``<prefix><record id>`` identifiers; the landing page resolves them."""

    name = "local"
    scheme = "local"

    def __init__(self, prefix: str = ""):
        self.prefix = prefix

    def register(self, record_id: str, landing_url: str, document: dict[str, Any]) -> MintedPid:
        return MintedPid(self.scheme, f"{self.prefix}{record_id}", self.name, landing_url)

    def hide(self, pid: MintedPid, tombstone: dict[str, Any]) -> None:
        # Nothing to tell: the landing page itself answers with the tombstone.
        return None


def provider_from_config(config: dict[str, Any]) -> PidProvider:
    name = config.get("PID_PROVIDER", "local")
    if name == "local":
        return LocalPidProvider(config.get("PID_LOCAL_PREFIX", ""))
    raise ValueError(f"unknown PID_PROVIDER {name!r} (known: local)")

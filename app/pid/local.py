"""The local provider: identifiers resolved by the repository's own landing pages."""

from __future__ import annotations

from typing import Any

from app.pid import MintedPid


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

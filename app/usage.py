"""The HTTP side of usage logging: who is asking, taken from the request, handed to
:mod:`app.services.usage` (which never sees the raw values outside this call)."""

from __future__ import annotations

from flask import current_app, request

from app.models import Record
from app.services import usage


def log_from_request(db, record: Record, metric: str, status: int) -> None:  # type: ignore[no-untyped-def]
    """Log an investigation or request of ``record`` by the current client (caller commits).
    The client address is the one ``ProxyFix`` (when configured) resolved."""
    usage.log(
        db,
        record,
        metric,
        status,
        ip=request.remote_addr or "",
        user_agent=request.headers.get("User-Agent", ""),
        secret=str(current_app.config["SECRET_KEY"]),
    )

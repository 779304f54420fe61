"""Stateless, signed OAI-PMH resumption tokens.

A token is ``base64url(JSON) "." base64url(HMAC-SHA256)``. The JSON carries everything the next
page needs: the verb, the request's arguments, the harvest's start time (its snapshot), the keyset
cursor (datestamp, item id) of the last item sent, how many items were sent and the list size,
and the expiry. Nothing is kept on the server, so a token survives restarts and works on any
worker; the key is derived from the instance's secret key, so a changed or forged token is
refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime


class BadToken(ValueError):
    """The token is malformed, forged, tampered with, expired or not for this verb."""


@dataclass(frozen=True)
class Cursor:
    verb: str
    prefix: str
    set: str | None
    from_: str | None  # the request's own values, echoed as they were sent
    until: str | None
    snapshot: str  # ISO datetime, microseconds: the harvest's T0
    after_stamp: str  # keyset: datestamp (ISO, microseconds) and id of the last item sent
    after_id: int
    cursor: int  # items sent before the next page
    total: int  # completeListSize
    expires: int  # POSIX seconds


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"alluvium oai-pmh resumption token v1", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(cursor: Cursor, secret: str) -> str:
    body = _b64(json.dumps(asdict(cursor), separators=(",", ":"), sort_keys=True).encode())
    signature = _b64(hmac.new(_key(secret), body.encode(), hashlib.sha256).digest())
    return f"{body}.{signature}"


def decode(token: str, secret: str, *, verb: str, now: datetime | None = None) -> Cursor:
    """The cursor in ``token``; :class:`BadToken` saying why it cannot be used."""
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 4096:
        raise BadToken("the resumption token is malformed")
    body, signature = token.split(".")
    expected = _b64(hmac.new(_key(secret), body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(signature, expected):
        raise BadToken("the resumption token was not issued by this repository or was altered")
    try:
        cursor = Cursor(**json.loads(_unb64(body)))
    except (ValueError, TypeError) as exc:
        raise BadToken(f"the resumption token is malformed ({type(exc).__name__})") from None
    if cursor.verb != verb:
        raise BadToken(f"the resumption token belongs to a {cursor.verb} request, not {verb}")
    now = now or datetime.now(UTC)
    if now.timestamp() > cursor.expires:
        expired = datetime.fromtimestamp(cursor.expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        raise BadToken(f"the resumption token expired at {expired}; restart the harvest")
    return cursor

"""Request hardening: CSRF for cookie-authenticated writes, same-origin checks, safe redirect
targets and the security headers every response carries."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, current_app, request
from flask.wrappers import Response
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import SecurityError
from werkzeug.routing import IntegerConverter

from app.services.accounts import MAX_ID
from app.services.errors import Forbidden, field_error

csrf = CSRFProtect()

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
#: Pages load nothing but this site's own files; no inline script or style, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# ASCII control characters, space and backslash: browsers drop or reinterpret them in URLs
# ("/\t/evil.example" becomes "//evil.example", "/\\evil.example" becomes "//evil.example").
_UNSAFE_IN_PATH = re.compile(r"[\x00-\x20\x7f\\]")


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.before_request(_protect)
    app.after_request(_harden)


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` limited to the range of an Integer primary key: larger values do not route."""

    def __init__(self, map, *args, **kwargs):  # type: ignore[no-untyped-def]  # noqa: A002
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it is a path on this site, else ``default``: no scheme, no host, a path
    that starts with exactly one ``/``, no control characters, whitespace or backslashes."""
    if not target or len(target) > 2000 or _UNSAFE_IN_PATH.search(target) or any(c.isspace() for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return default
    return urlunsplit(("", "", parts.path, parts.query, ""))


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _protect() -> None:
    """Cookie-authenticated writes need the CSRF token and, when the browser names one, this
    site as origin. Bearer-token calls carry no ambient credential and OAI-PMH changes nothing."""
    if request.method in SAFE_METHODS or request.url_rule is None:  # unrouted: let 404/405 answer
        return
    if request.blueprint == "oai":
        return
    if request.blueprint == "sword":
        # SWORD authenticates every request with an API token in Basic auth and never reads the
        # session cookie (app/sword): nothing ambient to abuse, but a browser naming another
        # site as origin is still refused.
        _check_origin()
        return
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        return
    if request.blueprint == "api" and not current_user.is_authenticated:
        return  # nothing ambient to abuse; the endpoint answers 401 itself
    _check_origin()
    try:
        csrf.protect()
    except CSRFError as exc:
        raise field_error(
            "/X-CSRFToken",
            f'{exc.description} Send the token of the page\'s <meta name="csrf-token"> in the '
            "X-CSRFToken header (or the _csrf form field), or use an API token.",
        ) from None


def _check_origin() -> None:
    sent = request.headers.get("Origin") or request.headers.get("Referer")
    if not sent:
        return
    allowed = {origin_of(current_app.config["BASE_URL"]), origin_of(request.host_url)}
    if origin_of(sent) not in allowed:
        raise Forbidden(
            f"cross-site request refused: {origin_of(sent)} is not {origin_of(current_app.config['BASE_URL'])}"
        )


def _harden(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    location = headers.get("Location")
    # SWORD's Location is the absolute Edit-IRI clients must use (SWORD 2.0 §6.3), built from
    # BASE_URL, never from the Host header.
    if location and request.blueprint != "sword":
        # Werkzeug's own redirects (e.g. merging "//" in paths) are absolute URLs built from the
        # request's Host; keep them relative so no Host header can steer them.
        parts = urlsplit(location)
        try:
            own = parts.netloc.lower() == request.host.lower()
        except SecurityError:
            own = False
        if parts.scheme and own and not parts.path.startswith("//"):
            headers["Location"] = urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
    return response

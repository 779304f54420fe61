"""The catalogue's search page (``/search``) and the OpenSearch description document.

A feature blueprint with its templates beside it; it answers from the same search interface
as ``GET /api/records`` (app/search, docs/search.md)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("search", __name__, template_folder="templates")

from app.web.search import views  # noqa: E402,F401  (registers the routes)

"""The REST API under /api, shaped like InvenioRDM's."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from app.api import communities, exports, files, openapi, records, reviews, users, vocabularies  # noqa: E402,F401

"""The REST API under /api, shaped like InvenioRDM's."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from app.api import (  # noqa: E402,F401
    communities,
    dmps,
    dois,
    exports,
    file_metadata,
    files,
    oai_sets,
    openapi,
    records,
    reviews,
    uploads,
    users,
    vocabularies,
)

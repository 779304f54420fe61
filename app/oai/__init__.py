"""OAI-PMH 2.0 provider at ``/oai`` (GET and POST), for Recherche Data Gouv, OpenAIRE and GeoNetwork.

``protocol`` answers requests, ``items`` keeps the harvestable item states, ``sets`` says which
sets a record is in and ``tokens`` signs the stateless resumption tokens.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from app.db import get_session
from app.oai.protocol import Provider, Settings

bp = Blueprint("oai", __name__)


def provider() -> Provider:
    ext = current_app.extensions
    if "alluvium.oai" not in ext:
        ext["alluvium.oai"] = Provider(Settings.from_config(current_app.config))
    return ext["alluvium.oai"]


@bp.route("/oai", methods=["GET", "POST"])
def endpoint() -> Response:
    source = request.form if request.method == "POST" else request.args
    params = {key: source.getlist(key) for key in source.keys()}
    result = provider().handle(get_session(), params)
    return Response(result.body, status=200, content_type="text/xml; charset=utf-8")

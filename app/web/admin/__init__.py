"""Administration pages (``/admin``): communities and their moderators, user accounts, OAI-PMH
sets, vocabularies, failed jobs, preservation. Administrators only.

Every page is a thin adapter over the use cases the CLI (``app/cli``) and the REST API
(``app/api``) call: ``app.services.accounts``, ``app.oai.admin``, ``app.services.vocabularies``,
``app.services.jobs``. Forms post back (CSRF checked by ``app.security``); a success redirects
with a message, a refusal re-renders the form with the service's error, naming the field.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")

from app.web.admin import views  # noqa: E402,F401  (registers the routes)

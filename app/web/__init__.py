"""The web interface: one blueprint per feature, each with its templates beside it.

* ``pages`` — sign-in, the home page, landing pages (previews, tombstones), the dashboard;
* ``deposit`` — the Metadata-Engine: starting a dataset (``/deposit``) and its form
  (``/records/<id>/edit``);
* ``admin`` — administration pages (``/admin``): communities, users, OAI-PMH sets, vocabularies,
  jobs, preservation.

The shared layout (``base.html``, ``error.html``) and the shared macros (``_form.html``) live
in ``app/templates``; static files in ``app/static``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.web.admin import bp as admin_bp
    from app.web.deposit import bp as deposit_bp
    from app.web.pages import bp as pages_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(deposit_bp)
    app.register_blueprint(admin_bp)

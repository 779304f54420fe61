"""The web interface: one blueprint per feature, each with its templates beside it.

* ``pages`` — sign-in, the home page, the dashboard;
* ``records`` — landing pages (previews, tombstones, negotiation, Signposting, zip of all files);
* ``deposit`` — the Metadata-Engine: starting a dataset (``/deposit``) and its form
  (``/records/<id>/edit``);
* ``dmps`` — data management plans (``/dmps``): import, edit, share, history, export, and the
  deposit of a planned dataset (docs/dmp.md);
* ``reviews`` — the moderation desk (``/reviews``): queue, review page, decisions, comments;
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
    from app.web.dmps import bp as dmps_bp
    from app.web.pages import bp as pages_bp
    from app.web.records import bp as records_bp
    from app.web.reviews import bp as reviews_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(records_bp)
    app.register_blueprint(deposit_bp)
    app.register_blueprint(dmps_bp)
    app.register_blueprint(reviews_bp)
    app.register_blueprint(admin_bp)

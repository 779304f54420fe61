"""Alluvium's Flask application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.config import instance_path_from_env, load_config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, database, auth, storage, blueprints.

    Refuses to start (``app.migrate.DatabaseNotMigrated``) when the database schema is not
    at the latest migration, unless ``CHECK_MIGRATIONS`` is False (the CLI's ``db`` commands).
    """
    app = Flask(__name__, instance_path=instance_path_from_env(), instance_relative_config=True)
    load_config(app, test_config)
    # Compiled templates are kept (Jinja's per-user temporary folder, keyed by the template and
    # checked against its source): a restarted or new worker does not compile the deposit form's
    # templates again on its first page (about a third of that first render's CPU time).
    from jinja2 import FileSystemBytecodeCache

    app.jinja_env.bytecode_cache = FileSystemBytecodeCache()

    from app import auth, db, errors, i18n, jobs_runtime, security, storage, web
    from app.api import bp as api_bp
    from app.oai import bp as oai_bp
    from app.sword import bp as sword_bp

    db.init_app(app)
    if app.config["CHECK_MIGRATIONS"]:
        from app.migrate import check_migrated

        check_migrated(db.get_engine(app))
    app.extensions["alluvium.store"] = storage.open_store(app.config)
    from app.services.uploads import HashStates, uploads_dir

    app.extensions["alluvium.upload_states"] = HashStates()

    app.extensions["alluvium.uploads_dir"] = uploads_dir(
        app.config, app.extensions["alluvium.store"], app.instance_path
    )
    auth.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    # Integer path parameters beyond the database's id range are "not found", not an overflow.
    app.url_map.converters["int"] = security.BoundedIntegerConverter
    errors.init_app(app)
    jobs_runtime.init_app(app)
    from app.services import (
        archive,  # noqa: F401  (registers the archive-version job handler)
        dmps,  # noqa: F401  (registers the dmp-write-back job handler)
    )

    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
    app.register_blueprint(api_bp, url_prefix="/api")
    web.init_app(app)
    app.register_blueprint(oai_bp)
    app.register_blueprint(sword_bp, url_prefix="/sword")
    from app.search.indexer import KIND  # noqa: F401  (registers the search-index job handler)
    from app.web.search import bp as search_bp

    app.register_blueprint(search_bp)
    return app

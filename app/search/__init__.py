"""Search and discovery: one interface (``interface.py``), the embedded backends on the
application database (``sql.py``: SQLite FTS5 + R*Tree, PostgreSQL tsvector + GiST), an
Elasticsearch/OpenSearch backend (``elastic.py``), the index kept in step through the outbox
(``indexer.py``). See docs/search.md.

Kept free of imports at module level: the migrations import ``app.search.schema``.
"""

from __future__ import annotations

from typing import Any


def external_backend(app: Any) -> Any:
    """The Elasticsearch backend when ``SEARCH_BACKEND = "elasticsearch"``, else None."""
    if app.config.get("SEARCH_BACKEND", "embedded") != "elasticsearch":
        return None
    backend = app.extensions.get("alluvium.search")
    if backend is None:
        from app.search.elastic import ElasticBackend

        backend = ElasticBackend.from_config(app.config)
        app.extensions["alluvium.search"] = backend
    return backend


def search(app: Any, session: Any, query: Any) -> Any:
    """Run a :class:`~app.search.interface.SearchQuery` on the configured backend."""
    backend = external_backend(app)
    if backend is not None:
        return backend.search(query)
    from app.search import sql

    return sql.search(session, query)

"""The Elasticsearch backend against a live server: runs only when ALLUVIUM_ELASTICSEARCH_URL
points at one (docs/search.md, "Testing the Elasticsearch backend"); skipped otherwise.

    pip install -c constraints.txt -e '.[test]'   # the test extra includes the elasticsearch client
    docker run -p 9200:9200 -e discovery.type=single-node -e xpack.security.enabled=false \\
        docker.elastic.co/elasticsearch/elasticsearch:8.15.0
    ALLUVIUM_ELASTICSEARCH_URL=http://127.0.0.1:9200 pytest tests/test_search_elastic_live.py
"""

from __future__ import annotations

import os

import pytest

URL = os.environ.get("ALLUVIUM_ELASTICSEARCH_URL", "")
pytestmark = pytest.mark.skipif(not URL, reason="ALLUVIUM_ELASTICSEARCH_URL is not set")


def test_publish_search_withdraw_and_reindex_on_a_live_server(database_url, instance) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("elasticsearch")
    import copy
    import uuid

    from app import create_app
    from app.db import new_session
    from app.search.elastic import ElasticBackend
    from app.services import jobs
    from schemas.examples import minimal_example
    from tests._oai import Repo
    from tests.conftest import make_test_config

    prefix = f"alluvium-test-{uuid.uuid4().hex[:8]}"
    app = create_app(
        make_test_config(
            database_url,
            instance,
            SEARCH_BACKEND="elasticsearch",
            ELASTICSEARCH_URL=URL,
            ELASTICSEARCH_INDEX_PREFIX=prefix,
        )
    )
    backend = ElasticBackend.from_config(app.config)
    backend.ensure_index()
    try:
        repo = Repo(app)
        md = copy.deepcopy(minimal_example())
        md["titles"] = [{"text": "Température de surface"}]
        md["spatial_extents"] = [
            {"place": "SWP", "bbox": {"west": 160, "south": -35, "east": -150, "north": -10}}
        ]
        rid = repo.publish(metadata=md)
        with app.app_context():
            jobs.run_pending(app.extensions["alluvium.sessionmaker"])
        client = app.test_client()
        backend.client.indices.refresh(index=backend.alias)
        assert [h["id"] for h in client.get("/api/records?q=temperature").json["hits"]["hits"]] == [rid]
        assert client.get("/api/records?bbox=-170,-30,-160,-20").json["hits"]["total"] == 1
        repo.withdraw(rid)
        with app.app_context():
            jobs.run_pending(app.extensions["alluvium.sessionmaker"])
        backend.client.indices.refresh(index=backend.alias)
        assert client.get("/api/records").json["hits"]["total"] == 0
        with app.app_context(), new_session(app) as s:
            name = backend.begin_reindex()
            backend.finish_reindex(name)
            assert s is not None
    finally:
        backend.client.indices.delete(index=f"{prefix}-records-*")
        backend.client.indices.delete_index_template(name=backend.alias)

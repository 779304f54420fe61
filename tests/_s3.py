"""A real S3-compatible server on loopback for the tests: moto in server mode (no network).

Import the fixtures into a test module: ``from tests._s3 import moto_endpoint, s3_store  # noqa: F401``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The base URL of a moto S3 server on 127.0.0.1 (a free port), for the whole session."""
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_config(endpoint: str, bucket: str, **extra: Any) -> dict[str, Any]:
    """App settings selecting the S3 store on the moto server."""
    return {
        "STORAGE_BACKEND": "s3",
        "S3_ENDPOINT_URL": endpoint,
        "S3_BUCKET": bucket,
        "S3_REGION": CREDENTIALS["region_name"],
        "S3_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "S3_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        **extra,
    }


def new_bucket(endpoint: str) -> str:
    name = f"alluvium-{uuid.uuid4().hex[:16]}"
    boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS).create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_store(moto_endpoint: str):  # type: ignore[no-untyped-def]
    """An S3ObjectStore on a fresh bucket, with a key prefix to show it is honoured."""
    from app.storage import open_store

    return open_store(s3_config(moto_endpoint, new_bucket(moto_endpoint), S3_PREFIX="repo/"))


@pytest.fixture(params=["local", "s3"], name="app")
def app_on_each_store(request: pytest.FixtureRequest, database_url: str, instance: Any) -> Iterator[Any]:
    """The ``app`` fixture, once on the local store and once on S3 (moto on loopback): import it
    into a test module (``from tests._s3 import app_on_each_store``) to run its tests on both."""
    from app import create_app
    from tests.conftest import make_test_config

    extra: dict[str, Any] = {}
    if request.param == "s3":
        endpoint = request.getfixturevalue("moto_endpoint")
        extra = s3_config(endpoint, new_bucket(endpoint))
    application = create_app(make_test_config(database_url, instance, **extra))
    yield application
    application.extensions["alluvium.engine"].dispose()


def stored_names(app: Any) -> list[str]:
    """Every object and temporary upload in the app's store, local or S3."""
    store = app.extensions["alluvium.store"]
    names = list(store.iter_objects())
    if hasattr(store, "temporary_keys"):
        names += store.temporary_keys()
    else:
        names += [p.name for p in store.temp_dir.iterdir() if p.is_file()]
    return names


def local_only(app: Any, reason: str) -> None:
    if app.config.get("STORAGE_BACKEND") == "s3":
        pytest.skip(f"local store only: {reason}")

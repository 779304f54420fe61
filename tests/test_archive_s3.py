"""Archival packages in an S3-compatible bucket (``ARCHIVE_BACKEND = "s3"``), against moto in
server mode on loopback (a real S3 HTTP API, no network): the store's contract, then the real
publish → archive job → audit path with the primary copy in S3 and the replica in a folder, a
bit flip injected into the S3 copy found and repaired from the replica."""

from __future__ import annotations

from pathlib import Path

import bagit
import pytest
from sqlalchemy import select

from app import create_app
from app.archive_store import ArchiveError, S3ArchiveStore, open_archive_stores
from app.db import new_session
from app.models import ArchivePackage, FixityCheck
from app.services import archive, jobs
from tests._oai import Repo
from tests._s3 import CREDENTIALS, moto_endpoint, new_bucket  # noqa: F401
from tests.conftest import make_test_config

boto3 = pytest.importorskip("boto3")


def s3_archive_config(endpoint: str, bucket: str, **extra) -> dict:  # type: ignore[no-untyped-def]
    return {
        "ARCHIVE_BACKEND": "s3",
        "ARCHIVE_S3_BUCKET": bucket,
        "ARCHIVE_S3_PREFIX": "aip/",
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": CREDENTIALS["region_name"],
        "S3_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "S3_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        **extra,
    }


def write_folder(root: Path, files: dict[str, bytes]) -> Path:
    for rel, body in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(body)
    return root


def test_s3_archive_store_contract(moto_endpoint, tmp_path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    bucket = new_bucket(moto_endpoint)
    [store] = open_archive_stores(s3_archive_config(moto_endpoint, bucket))
    assert isinstance(store, S3ArchiveStore) and store.describe() == f"primary: s3://{bucket}/aip/"
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, **CREDENTIALS)

    first = write_folder(
        tmp_path / "a", {"bagit.txt": b"BagIt-Version: 1.0\n", "data/x.csv": b"1,2\n", "data/old.txt": b"old"}
    )
    store.put_package("rec1-v1", first)
    assert store.has_package("rec1-v1") and not store.has_package("rec2-v1")
    assert store.list_packages() == ["rec1-v1"]
    assert store.list_files("rec1-v1") == ["bagit.txt", "data/old.txt", "data/x.csv"]
    with store.open("rec1-v1", "data/x.csv") as f:
        assert f.read() == b"1,2\n"
    assert s3.get_object(Bucket=bucket, Key="aip/rec1-v1/data/x.csv")["Body"].read() == b"1,2\n"
    with pytest.raises(FileNotFoundError):
        store.open("rec1-v1", "data/none.csv")

    # A rewrite replaces the package whole: files the new copy lacks are gone.
    second = write_folder(tmp_path / "b", {"bagit.txt": b"BagIt-Version: 1.0\n", "data/x.csv": b"1,3\n"})
    store.put_package("rec1-v1", second)
    assert store.list_files("rec1-v1") == ["bagit.txt", "data/x.csv"]

    # A package without its bagit.txt (an interrupted write) does not count as present.
    partial = write_folder(tmp_path / "c", {"data/y.csv": b"y"})
    store.put_package("rec3-v1", partial)
    assert not store.has_package("rec3-v1")

    import io

    store.replace_file("rec1-v1", "data/x.csv", io.BytesIO(b"repaired"))
    with store.open("rec1-v1", "data/x.csv") as f:
        assert f.read() == b"repaired"
    for bad in ("../x", "/etc/passwd", "a/../b"):
        with pytest.raises(ArchiveError):
            store.open("rec1-v1", bad)


def test_packages_go_to_s3_and_the_audit_repairs_the_s3_copy(
    moto_endpoint,  # noqa: F811
    database_url,
    instance,
    tmp_path,
) -> None:  # type: ignore[no-untyped-def]
    bucket = new_bucket(moto_endpoint)
    config = make_test_config(
        database_url,
        instance,
        **s3_archive_config(moto_endpoint, bucket, ARCHIVE_REPLICA_PATH=str(instance / "replica")),
    )
    app = create_app(config)
    try:
        repo = Repo(app)
        with app.app_context():
            rid = repo.publish(1)
            ok, failed = jobs.run_pending(app.extensions["alluvium.sessionmaker"])
        assert failed == 0
        with new_session(app) as s:
            package = s.scalar(select(ArchivePackage).where(ArchivePackage.record_id == rid))
            name = package.name
            assert {c.location: c.state for c in package.copies} == {
                "primary": "verified",
                "replica": "verified",
            }
        s3 = boto3.client("s3", endpoint_url=moto_endpoint, **CREDENTIALS)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"aip/{name}/")["Contents"]]
        assert f"aip/{name}/bagit.txt" in keys and f"aip/{name}/manifest-sha256.txt" in keys

        # The S3 copy, downloaded, is a valid bag (checked by the bagit library).
        [primary, _] = open_archive_stores(app.config)
        local = tmp_path / "downloaded" / name
        (local / "data").mkdir(parents=True)  # no empty folders in S3; this record has no files
        for rel in primary.list_files(name):
            (local / rel).parent.mkdir(parents=True, exist_ok=True)
            with primary.open(name, rel) as src:
                (local / rel).write_bytes(src.read())
        bagit.Bag(str(local)).validate()

        # A bit flip in the S3 copy: found by the audit and repaired from the replica.
        key = f"aip/{name}/metadata/datacite.xml"
        body = bytearray(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        body[10] ^= 0x01
        s3.put_object(Bucket=bucket, Key=key, Body=bytes(body))
        with app.app_context(), new_session(app) as s:
            report = archive.audit(s, app.config)
        assert report.checked == 2 and [(p, loc) for p, loc, _ in report.repaired] == [(name, "primary")]
        repaired = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert repaired == (instance / "replica" / name / "metadata" / "datacite.xml").read_bytes()
        with new_session(app) as s:
            results = sorted(c.result for c in s.scalars(select(FixityCheck)))
        assert results.count("repaired") == 1 and "failed" not in results
    finally:
        app.extensions["alluvium.engine"].dispose()


def test_s3_archive_settings_are_checked(database_url, instance) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="ARCHIVE_S3_BUCKET"):
        create_app(make_test_config(database_url, instance, ARCHIVE_BACKEND="s3"))
    with pytest.raises(ValueError, match="another location"):
        create_app(
            make_test_config(
                database_url,
                instance,
                ARCHIVE_BACKEND="s3",
                ARCHIVE_S3_BUCKET="b",
                ARCHIVE_REPLICA_S3_BUCKET="b",
            )
        )

"""The S3 store's own behaviour, against a real S3 server on loopback (moto server mode)."""

from __future__ import annotations

import hashlib
import io
import time

import pytest
import requests

from app.storage import ChecksumMismatch, IncompleteUpload, open_store
from app.storage_s3 import PART_SIZE, S3ObjectStore
from tests._s3 import moto_endpoint, new_bucket, s3_config, s3_store  # noqa: F401
from tests.test_storage import GeneratorStream, failing_after, pattern


def multipart_uploads(store: S3ObjectStore) -> list[dict]:
    return store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", [])


def all_keys(store: S3ObjectStore) -> list[str]:
    return [o["Key"] for o in store.client.list_objects_v2(Bucket=store.bucket).get("Contents", [])]


def test_open_store_builds_the_s3_store_from_configuration(moto_endpoint: str) -> None:  # noqa: F811
    store = open_store(s3_config(moto_endpoint, new_bucket(moto_endpoint), S3_PREFIX="/a/b/"))
    assert isinstance(store, S3ObjectStore)
    assert store.prefix == "a/b/"
    assert store.local_path(hashlib.sha256(b"").hexdigest()) is None
    with pytest.raises(ValueError, match="S3_BUCKET"):
        open_store({"STORAGE_BACKEND": "s3"})


def test_body_over_the_part_size_goes_multipart_to_its_content_address(s3_store: S3ObjectStore) -> None:  # noqa: F811
    size = 2 * PART_SIZE + 12_345
    body = b"".join(pattern(size))
    stored = s3_store.put_stream(GeneratorStream(pattern(size)), expected_size=size)
    assert stored.sha256 == hashlib.sha256(body).hexdigest()
    assert stored.md5 == hashlib.md5(body).hexdigest()
    assert all_keys(s3_store) == [f"repo/objects/{stored.sha256[:2]}/{stored.sha256[2:4]}/{stored.sha256}"]
    head = s3_store.client.head_object(Bucket=s3_store.bucket, Key=all_keys(s3_store)[0])
    assert head["ContentLength"] == size
    assert multipart_uploads(s3_store) == []
    assert s3_store.verify(stored.sha256)
    # Stored once: the same large body again is recognised by a HEAD, and its upload aborted.
    again = s3_store.put_stream(GeneratorStream(pattern(size)))
    assert again.created is False and len(all_keys(s3_store)) == 1 and multipart_uploads(s3_store) == []


def test_interrupted_multipart_upload_is_aborted(s3_store: S3ObjectStore) -> None:  # noqa: F811
    # The stream dies after one full part has been sent.
    stream = GeneratorStream(failing_after(pattern(PART_SIZE + 1000), ConnectionResetError("gone")))
    with pytest.raises(IncompleteUpload):
        s3_store.put_stream(stream, expected_size=3 * PART_SIZE)
    assert multipart_uploads(s3_store) == []
    assert all_keys(s3_store) == []


def test_multipart_checksum_mismatch_stores_nothing(s3_store: S3ObjectStore) -> None:  # noqa: F811
    size = PART_SIZE + 5
    with pytest.raises(ChecksumMismatch):
        s3_store.put_stream(GeneratorStream(pattern(size)), expected_sha256="0" * 64)
    assert multipart_uploads(s3_store) == [] and all_keys(s3_store) == []


def test_presigned_url_downloads_with_requests(s3_store: S3ObjectStore) -> None:  # noqa: F811
    body = b"a file fetched straight from the object store\n" * 100
    stored = s3_store.put_stream(io.BytesIO(body))
    url = s3_store.presigned_url(stored.sha256, "données 2019.csv", expires=60)
    r = requests.get(url, timeout=30)
    assert r.status_code == 200
    assert r.content == body
    assert "attachment" in r.headers["Content-Disposition"]
    assert "filename*=UTF-8''donn%C3%A9es%202019.csv" in r.headers["Content-Disposition"]
    # (moto does not check signatures, so a tampered URL cannot be tested here.)


def test_range_reads(s3_store: S3ObjectStore) -> None:  # noqa: F811
    body = bytes(range(256)) * 64
    stored = s3_store.put_stream(io.BytesIO(body))
    with s3_store.open_range(stored.sha256, 100, 199) as part:
        assert part.read() == body[100:200]
    with s3_store.open_range(stored.sha256, len(body) - 10, len(body) + 500) as tail:
        assert tail.read() == body[-10:]
    with pytest.raises(ValueError):
        s3_store.open_range(stored.sha256, 10, 5)
    assert s3_store.size(stored.sha256) == len(body)


def test_verify_detects_an_object_changed_behind_the_store(s3_store: S3ObjectStore) -> None:  # noqa: F811
    stored = s3_store.put_stream(io.BytesIO(b"original"))
    s3_store.client.put_object(Bucket=s3_store.bucket, Key=s3_store.key(stored.sha256), Body=b"bit rot")
    assert s3_store.verify(stored.sha256) is False


def test_cleanup_temp_aborts_stale_uploads_and_deletes_stale_temp_keys(s3_store: S3ObjectStore) -> None:  # noqa: F811
    # What a killed process leaves: an unfinished multipart upload and a temporary key.
    client, bucket = s3_store.client, s3_store.bucket
    client.create_multipart_upload(Bucket=bucket, Key="repo/tmp/upload-dead.part")
    client.put_object(Bucket=bucket, Key="repo/tmp/upload-orphan.part", Body=b"x")
    client.put_object(Bucket=bucket, Key="repo/unrelated.txt", Body=b"keep me")
    # moto reports every multipart upload as initiated in 2010, so only the temporary key can
    # show that fresh leftovers (a live upload) are kept.
    assert s3_store.cleanup_temp(older_than_seconds=3600) == 1
    assert "repo/tmp/upload-orphan.part" in all_keys(s3_store)
    time.sleep(1.1)
    assert s3_store.cleanup_temp(older_than_seconds=1) == 1
    assert multipart_uploads(s3_store) == []
    assert all_keys(s3_store) == ["repo/unrelated.txt"]

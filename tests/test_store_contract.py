"""The ObjectStore contract, run against every store: local directory and S3 (moto on loopback).

tests/test_storage.py holds the local store's own tests (paths, modes, fsync, memory); this
file holds what every implementation must do alike.
"""

from __future__ import annotations

import hashlib
import io

import pytest

from app.storage import (
    CHUNK_SIZE,
    ChecksumMismatch,
    IncompleteUpload,
    LocalObjectStore,
    ObjectNotFound,
    ObjectStore,
    SizeMismatch,
    UploadTooLarge,
)
from tests._s3 import moto_endpoint, s3_store  # noqa: F401
from tests.test_storage import GeneratorStream, failing_after, pattern


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path):  # type: ignore[no-untyped-def]
    if request.param == "local":
        return LocalObjectStore(tmp_path / "storage")
    return request.getfixturevalue("s3_store")


def leftovers(store) -> list[str]:  # type: ignore[no-untyped-def]
    """What a failed upload must not leave: temporary files/keys, unfinished multipart uploads."""
    if isinstance(store, LocalObjectStore):
        return sorted(str(p) for p in store.temp_dir.rglob("*"))
    return store.temporary_keys()


def test_is_an_object_store(store) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(store, ObjectStore)


def test_multi_chunk_body_round_trip(store) -> None:  # type: ignore[no-untyped-def]
    body = b"".join(pattern(3 * CHUNK_SIZE + 12_345))
    stream = GeneratorStream([body[i : i + 70_000] for i in range(0, len(body), 70_000)], max_read=100_000)
    stored = store.put_stream(stream)
    assert stored.sha256 == hashlib.sha256(body).hexdigest()
    assert stored.md5 == hashlib.md5(body).hexdigest()
    assert (stored.size, stored.created) == (len(body), True)
    with store.open(stored.sha256) as f:
        assert f.read() == body
    assert store.exists(stored.sha256)
    assert list(store.iter_objects()) == [stored.sha256]
    assert store.verify(stored.sha256)
    assert leftovers(store) == []


def test_empty_body(store) -> None:  # type: ignore[no-untyped-def]
    stored = store.put_stream(io.BytesIO(b""), expected_size=0)
    assert stored.sha256 == hashlib.sha256(b"").hexdigest()
    with store.open(stored.sha256) as f:
        assert f.read() == b""


def test_identical_content_is_stored_once(store) -> None:  # type: ignore[no-untyped-def]
    body = b"same bytes, two deposits\n" * 1000
    first = store.put_stream(io.BytesIO(body))
    second = store.put_stream(io.BytesIO(body), expected_size=len(body))
    assert (first.created, second.created) == (True, False)
    assert (second.sha256, second.md5, second.size) == (first.sha256, first.md5, first.size)
    assert list(store.iter_objects()) == [first.sha256]


def test_distinct_content_gives_distinct_objects(store) -> None:  # type: ignore[no-untyped-def]
    a = store.put_stream(io.BytesIO(b"a"))
    b = store.put_stream(io.BytesIO(b"b"))
    assert sorted(store.iter_objects()) == sorted([a.sha256, b.sha256])


def test_max_size_exceeded_stops_reading_and_leaves_nothing(store) -> None:  # type: ignore[no-untyped-def]
    limit = 2 * CHUNK_SIZE + 10
    stream = GeneratorStream(pattern(50 * CHUNK_SIZE))
    with pytest.raises(UploadTooLarge):
        store.put_stream(stream, max_size=limit)
    assert stream.delivered == limit + 1
    assert list(store.iter_objects()) == [] and leftovers(store) == []


def test_announced_size_over_limit_is_refused_before_reading(store) -> None:  # type: ignore[no-untyped-def]
    stream = GeneratorStream(pattern(10 * CHUNK_SIZE))
    with pytest.raises(UploadTooLarge):
        store.put_stream(stream, max_size=CHUNK_SIZE, expected_size=10 * CHUNK_SIZE)
    assert stream.delivered == 0


def test_stream_raising_midway_leaves_nothing(store) -> None:  # type: ignore[no-untyped-def]
    cause = ConnectionResetError("client went away")
    stream = GeneratorStream(failing_after(pattern(3 * CHUNK_SIZE), cause))
    with pytest.raises(IncompleteUpload) as info:
        store.put_stream(stream, expected_size=10 * CHUNK_SIZE)
    assert info.value.__cause__ is cause
    assert info.value.received == 3 * CHUNK_SIZE
    assert list(store.iter_objects()) == [] and leftovers(store) == []


def test_short_stream_with_expected_size_is_incomplete(store) -> None:  # type: ignore[no-untyped-def]
    body = b"".join(pattern(2 * CHUNK_SIZE + 7))
    with pytest.raises(IncompleteUpload):
        store.put_stream(io.BytesIO(body), expected_size=len(body) + 1000)
    assert list(store.iter_objects()) == [] and leftovers(store) == []


def test_nothing_past_expected_size_is_read(store) -> None:  # type: ignore[no-untyped-def]
    body = b"".join(pattern(CHUNK_SIZE + 10))
    stream = GeneratorStream([body, b"first bytes of the next request"])
    stored = store.put_stream(stream, expected_size=len(body))
    assert stream.delivered == len(body)
    assert stored.sha256 == hashlib.sha256(body).hexdigest()


def test_stream_returning_more_than_asked_is_refused(store) -> None:  # type: ignore[no-untyped-def]
    class Overgenerous:
        def read(self, n: int) -> bytes:
            return b"y" * (n + 10)

    with pytest.raises(SizeMismatch):
        store.put_stream(Overgenerous(), expected_size=100)
    assert list(store.iter_objects()) == []


@pytest.mark.parametrize("algorithm", ["md5", "sha256"])
def test_checksum_mismatch_stores_nothing(store, algorithm: str) -> None:  # type: ignore[no-untyped-def]
    body = b"the body the client meant to send"
    wrong = hashlib.new(algorithm, b"something else").hexdigest()
    with pytest.raises(ChecksumMismatch) as info:
        store.put_stream(io.BytesIO(body), **{f"expected_{algorithm}": wrong})
    assert info.value.actual == hashlib.new(algorithm, body).hexdigest()
    assert list(store.iter_objects()) == [] and leftovers(store) == []


def test_matching_checksums_in_any_case_are_accepted(store) -> None:  # type: ignore[no-untyped-def]
    body = b"checked on the way in"
    stored = store.put_stream(
        io.BytesIO(body),
        expected_md5=hashlib.md5(body).hexdigest().upper(),
        expected_sha256=hashlib.sha256(body).hexdigest(),
    )
    assert stored.created


def test_malformed_expected_checksum_is_a_value_error(store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        store.put_stream(io.BytesIO(b"x"), expected_md5="not-hex")


def test_missing_object(store) -> None:  # type: ignore[no-untyped-def]
    absent = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(absent)
    for method in (store.open, store.verify, store.delete):
        with pytest.raises(ObjectNotFound):
            method(absent)


def test_delete_then_store_again(store) -> None:  # type: ignore[no-untyped-def]
    stored = store.put_stream(io.BytesIO(b"a discarded draft file"))
    store.delete(stored.sha256)
    assert not store.exists(stored.sha256)
    assert list(store.iter_objects()) == []
    assert store.put_stream(io.BytesIO(b"a discarded draft file")).created is True


@pytest.mark.parametrize("bad", ["../../../../etc/passwd", "a" * 63, "A" * 64, ""])
@pytest.mark.parametrize("method", ["open", "exists", "delete", "verify"])
def test_invalid_sha256_is_rejected(store, method: str, bad: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        getattr(store, method)(bad)


def test_a_deduplicated_upload_renews_the_age_and_young_objects_survive_cleanup(store) -> None:  # type: ignore[no-untyped-def]
    import io
    import time

    first = store.put_stream(io.BytesIO(b"renewed by dedup"))
    stored_at = store.modified_at(first.sha256)
    assert store.delete_unless_recent(first.sha256, 3600) is False  # young: kept
    assert store.exists(first.sha256)
    time.sleep(1.2)  # S3 and file systems keep LastModified/mtime at one-second resolution
    again = store.put_stream(io.BytesIO(b"renewed by dedup"))
    assert again.created is False
    assert store.modified_at(first.sha256) > stored_at
    assert store.delete_unless_recent(first.sha256, 0) is True
    assert not store.exists(first.sha256)
    assert store.delete_unless_recent(first.sha256, 0) is False  # already gone

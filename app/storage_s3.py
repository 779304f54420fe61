"""Content-addressed file store on an S3-compatible object store (AWS S3, MinIO, Ceph RGW…).

The same contract as :class:`app.storage.LocalObjectStore`: bodies are named by their SHA-256
under ``<prefix>objects/<sha256[:2]>/<sha256[2:4]>/<sha256>``, stored once, and an
interrupted, oversized or checksum-failing upload leaves nothing behind.

The final key is only known once the whole body has been hashed, so:

- a body smaller than ``part_size`` (8 MiB) is held in memory while it is hashed, checked,
  and then PUT straight to its final key with its Content-MD5 (the server re-checks it);
- a larger body goes as a multipart upload to a temporary key ``<prefix>tmp/upload-<uuid>.part``
  (each part with its Content-MD5), is checked once complete, then copied server-side to the
  final key (CopyObject; multipart copy above 5 GiB, through boto3's managed copy) and the
  temporary key deleted. Any failure before the upload completes aborts it (no orphaned parts);
  a failure after deletes the temporary key; a crash is mopped up by :meth:`cleanup_temp`.

Memory per upload is one part (``part_size``), whatever the body's size. No Flask, no database.
"""

from __future__ import annotations

import base64
import hashlib
import io
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from app.storage import (
    _SHA256_RE,
    CHUNK_SIZE,
    BodyReader,
    ObjectNotFound,
    StorageError,
    StoredObject,
    validate_sha256,
)

#: Size of each part of a multipart upload (S3 wants at least 5 MiB except for the last one).
PART_SIZE = 8 * 1024 * 1024
_TEMP_PREFIX = "tmp/upload-"
_TEMP_SUFFIX = ".part"


def _md5_b64(data: bytes | memoryview) -> str:
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def _is_missing(exc: Exception) -> bool:
    code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound", "NoSuchUpload")


class S3ObjectStore:
    """Content-addressed store in one bucket (under an optional key prefix)."""

    def __init__(self, client: Any, bucket: str, *, prefix: str = "", part_size: int = PART_SIZE) -> None:
        if part_size < 5 * 1024 * 1024:
            raise ValueError("part_size must be at least 5 MiB (the S3 minimum for multipart parts)")
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.part_size = part_size

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> S3ObjectStore:
        """Build from ``S3_*`` settings; empty credentials fall back to boto3's own chain
        (AWS_ACCESS_KEY_ID… environment variables, instance roles)."""
        import boto3
        from botocore.config import Config

        bucket = config.get("S3_BUCKET")
        if not bucket:
            raise ValueError("S3_BUCKET must be set for the s3 storage backend")
        client = boto3.client(
            "s3",
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            region_name=config.get("S3_REGION") or None,
            aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
            config=Config(signature_version="s3v4", retries={"max_attempts": 5, "mode": "standard"}),
        )
        return cls(client, str(bucket), prefix=str(config.get("S3_PREFIX") or ""))

    def __repr__(self) -> str:
        return f"S3ObjectStore(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def key(self, sha256: str) -> str:
        """The object key of a stored body."""
        validate_sha256(sha256)
        return f"{self.prefix}objects/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    # --- writing -------------------------------------------------------------------------------

    def put_stream(
        self,
        stream: Any,
        *,
        max_size: int | None = None,
        expected_size: int | None = None,
        expected_md5: str | None = None,
        expected_sha256: str | None = None,
    ) -> StoredObject:
        """Store the body read from ``stream``; same arguments, errors and guarantees as
        :meth:`app.storage.LocalObjectStore.put_stream`."""
        body = BodyReader(
            stream,
            max_size=max_size,
            expected_size=expected_size,
            expected_md5=expected_md5,
            expected_sha256=expected_sha256,
        )
        buffer = bytearray()
        upload: _Multipart | None = None
        try:
            for chunk in body.chunks():
                buffer += chunk
                del chunk
                if len(buffer) >= self.part_size:
                    if upload is None:
                        upload = _Multipart(self.client, self.bucket, self._temp_key())
                    upload.send(buffer[: self.part_size])
                    del buffer[: self.part_size]
            md5_hex, sha256_hex = body.finish()
            received = body.received
            final = self.key(sha256_hex)
            if self._head(final) is not None:
                if upload is not None:
                    upload.abort()
                # About to be referenced again: refresh its age so `storage cleanup` spares it.
                self._touch(final)
                return StoredObject(sha256=sha256_hex, md5=md5_hex, size=received, created=False)
            if upload is None:
                # Small body: its name is known before anything is sent.
                self.client.put_object(
                    Bucket=self.bucket, Key=final, Body=bytes(buffer), ContentMD5=_md5_b64(buffer)
                )
                return StoredObject(sha256=sha256_hex, md5=md5_hex, size=received, created=True)
            if buffer:
                upload.send(buffer)
                buffer.clear()
            upload.complete()
            temp_key = upload.key
            upload = None
            try:
                self.client.copy(
                    {"Bucket": self.bucket, "Key": temp_key},
                    self.bucket,
                    final,
                    ExtraArgs={"MetadataDirective": "COPY"},
                )
            finally:
                self.client.delete_object(Bucket=self.bucket, Key=temp_key)
            return StoredObject(sha256=sha256_hex, md5=md5_hex, size=received, created=True)
        finally:
            if upload is not None:
                upload.abort()

    def _temp_key(self) -> str:
        return f"{self.prefix}{_TEMP_PREFIX}{uuid.uuid4().hex}{_TEMP_SUFFIX}"

    # --- reading -------------------------------------------------------------------------------

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _is_missing(exc):
                return None
            raise

    def _get(self, sha256: str, **extra: Any) -> Any:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key(sha256), **extra)["Body"]
        except ClientError as exc:
            if _is_missing(exc):
                raise ObjectNotFound(sha256) from None
            raise

    def open(self, sha256: str) -> BinaryIO:
        """A streaming, binary file-like object (``read(n)``, ``close``, ``with``)."""
        return self._get(sha256)  # type: ignore[no-any-return]

    def open_range(self, sha256: str, start: int, end: int) -> BinaryIO:
        """Bytes ``start`` to ``end`` inclusive (HTTP Range semantics, RFC 9110 section 14.1.2)."""
        if start < 0 or end < start:
            raise ValueError(f"invalid byte range {start}-{end}")
        return self._get(sha256, Range=f"bytes={start}-{end}")  # type: ignore[no-any-return]

    def presigned_url(self, sha256: str, filename: str, expires: int = 300) -> str:
        """A time-limited GET URL that downloads the object as ``filename`` (attachment)."""
        from urllib.parse import quote

        safe = filename.replace("\\", "_").replace('"', "_")
        disposition = f"attachment; filename=\"{safe.encode('ascii', 'replace').decode()}\"; filename*=UTF-8''{quote(filename)}"
        return self.client.generate_presigned_url(  # type: ignore[no-any-return]
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self.key(sha256),
                "ResponseContentDisposition": disposition,
            },
            ExpiresIn=int(expires),
        )

    def local_path(self, sha256: str) -> Path | None:
        """None: objects are not on a local disk (callers stream them with ``open``)."""
        validate_sha256(sha256)
        return None

    def exists(self, sha256: str) -> bool:
        return self._head(self.key(sha256)) is not None

    def size(self, sha256: str) -> int:
        head = self._head(self.key(sha256))
        if head is None:
            raise ObjectNotFound(sha256)
        return int(head["ContentLength"])

    def _touch(self, key: str) -> None:
        # S3 has no utime: copying the object onto itself with new metadata renews LastModified
        # (a managed copy, so objects over 5 GB work too).
        self.client.copy(
            {"Bucket": self.bucket, "Key": key},
            self.bucket,
            key,
            ExtraArgs={"MetadataDirective": "REPLACE", "Metadata": {"touched": f"{time.time():.0f}"}},
        )

    def modified_at(self, sha256: str) -> float:
        """When the object was stored or last deduplicated (epoch seconds); ObjectNotFound."""
        head = self._head(self.key(sha256))
        if head is None:
            raise ObjectNotFound(sha256)
        return head["LastModified"].timestamp()

    def delete_unless_recent(self, sha256: str, older_than_seconds: float) -> bool:
        """Remove the object if it was stored (or deduplicated) more than ``older_than_seconds``
        ago; return whether it was removed. S3 offers no lock between the age check and the
        delete, so keep the cleanup grace period far longer than any upload (the default, 24 h)."""
        key = self.key(sha256)
        head = self._head(key)
        if head is None:
            return False
        if time.time() - head["LastModified"].timestamp() < older_than_seconds:
            return False
        self.client.delete_object(Bucket=self.bucket, Key=key)
        return True

    def delete(self, sha256: str) -> None:
        """Remove a stored object; raise ObjectNotFound if absent."""
        key = self.key(sha256)
        if self._head(key) is None:
            raise ObjectNotFound(sha256)
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def iter_objects(self) -> Iterator[str]:
        """Yield the SHA-256 of every stored object, in sorted order (S3 lists keys sorted)."""
        base = f"{self.prefix}objects/"
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=base):
            for item in page.get("Contents", []):
                rest = item["Key"][len(base) :]
                parts = rest.split("/")
                if (
                    len(parts) == 3
                    and _SHA256_RE.fullmatch(parts[2])
                    and parts[0] == parts[2][:2]
                    and parts[1] == parts[2][2:4]
                ):
                    yield parts[2]

    def verify(self, sha256: str) -> bool:
        """Fixity check: stream the object, re-hash it, compare with its name."""
        digest = hashlib.sha256()
        body = self.open(sha256)
        try:
            while chunk := body.read(CHUNK_SIZE):
                digest.update(chunk)
        finally:
            body.close()
        return digest.hexdigest() == sha256

    def cleanup_temp(self, older_than_seconds: float = 3600) -> int:
        """Abort multipart uploads and delete temporary keys older than the threshold; return
        how many. What a killed process leaves; live uploads are younger than the threshold."""
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
        temp = f"{self.prefix}{_TEMP_PREFIX}"
        removed = 0
        for page in self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.bucket, Prefix=temp
        ):
            for item in page.get("Uploads", []):
                if item["Initiated"] < cutoff:
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=item["Key"], UploadId=item["UploadId"]
                    )
                    removed += 1
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=temp):
            for item in page.get("Contents", []):
                if item["Key"].endswith(_TEMP_SUFFIX) and item["LastModified"] < cutoff:
                    self.client.delete_object(Bucket=self.bucket, Key=item["Key"])
                    removed += 1
        return removed

    def temporary_keys(self) -> list[str]:
        """Temporary keys and unfinished multipart uploads (what a failed upload must not leave)."""
        temp = f"{self.prefix}{_TEMP_PREFIX}"
        keys = [
            item["Key"]
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=temp)
            for item in page.get("Contents", [])
        ]
        uploads = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=temp).get("Uploads", [])
        return keys + [f"multipart:{u['Key']}" for u in uploads]


class _Multipart:
    """One multipart upload to a temporary key, created lazily and aborted on failure."""

    def __init__(self, client: Any, bucket: str, key: str) -> None:
        self.client, self.bucket, self.key = client, bucket, key
        self.upload_id = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        self.parts: list[dict[str, Any]] = []

    def send(self, data: bytes | bytearray) -> None:
        number = len(self.parts) + 1
        answer = self.client.upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            Body=io.BytesIO(bytes(data)),
            ContentMD5=_md5_b64(bytes(data)),
        )
        self.parts.append({"ETag": answer["ETag"], "PartNumber": number})

    def complete(self) -> None:
        self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": self.parts}
        )

    def abort(self) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
        except Exception:  # noqa: BLE001 - cleanup_temp retries what could not be aborted now
            pass


__all__ = ["PART_SIZE", "S3ObjectStore", "StorageError"]

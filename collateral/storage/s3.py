"""The blob store in an S3-compatible bucket, for libraries that run on more than one machine.

Keys mirror the local folder under an optional prefix: blobs/ab/cd/<sha256> and
derived/ab/<sha256>/<name>. An upload is staged and hashed on this machine (see base.py), then
sent with a multipart upload for large files, so no file is ever held in memory; S3 makes an
object visible only once complete, so a killed upload leaves nothing under a real key. A blob
already in the bucket is never sent again: the same name is the same bytes. Reading is lazy and
ranged: `open` costs one HEAD, and each read position costs one GET from there on, so a Range
request fetches only what it sends.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .base import (
    SHA256_HEX,
    BlobMissing,
    BlobStore,
    OpenedBlob,
    StagedBlob,
    check_digest,
    derived_name,
    locked_temp_file,
)

PART_BYTES = 8 * 1024 * 1024  # multipart threshold and part size: memory per upload thread
TRANSFER_THREADS = 4
READ_BUFFER_BYTES = 256 * 1024
_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
_CONTENT_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


def _is_missing(exc: Exception) -> bool:
    from botocore.exceptions import ClientError

    return isinstance(exc, ClientError) and exc.response.get("Error", {}).get("Code") in (
        _MISSING_CODES
    )


def unreachable(exc: BaseException) -> bool:
    """Whether an error says the bucket's server cannot be reached or is failing (a network
    error, a timeout, a 5xx answer): worth a 503 and a try later, not a 500."""
    try:
        from botocore.exceptions import (
            ClientError,
            ConnectionClosedError,
            ConnectTimeoutError,
            EndpointConnectionError,
            ReadTimeoutError,
        )
    except ImportError:  # pragma: no cover - boto3 is pinned
        return False
    network = (
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )
    if isinstance(exc, network):
        return True
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return status >= 500 or exc.response.get("Error", {}).get("Code") == "SlowDown"
    return False


class _ObjectReader(io.RawIOBase):
    """A seekable read-only view of one object: each read goes on from an open ranged GET,
    or opens one at the current position; nothing is fetched before the first read. Told
    where the caller will stop (`expect_end`, for a Range request), the stream ends there, so
    no GET asks for more (a buffered reader would otherwise read ahead past the range)."""

    def __init__(self, client: Any, bucket: str, key: str, size: int) -> None:
        super().__init__()
        self._client, self._bucket, self._key, self._size = client, bucket, key, size
        self._pos = 0
        self._body: Any = None
        self._body_pos = -1
        self._body_end = 0  # where the open GET's range ends (exclusive)
        self._expected_end = size

    def expect_end(self, end: int) -> None:
        """Reading stops at `end` (exclusive): what lies past it is never fetched."""
        self._expected_end = max(0, min(end, self._size))

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self._expected_end or len(buffer) == 0:
            return 0
        if self._body is None or self._body_pos != self._pos or self._pos >= self._body_end:
            self._drop_body()
            end = self._expected_end
            response = self._client.get_object(
                Bucket=self._bucket, Key=self._key, Range=f"bytes={self._pos}-{end - 1}"
            )
            self._body, self._body_pos, self._body_end = response["Body"], self._pos, end
        data = self._body.read(min(len(buffer), self._body_end - self._pos))
        if not data:  # the server stopped short: never a silently truncated file
            self._drop_body()
            raise OSError(f"s3://{self._bucket}/{self._key} ended at byte {self._pos}")
        count = len(data)
        buffer[:count] = data
        self._pos += count
        self._body_pos += count
        return count

    def _drop_body(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def close(self) -> None:
        self._drop_body()
        super().close()


class S3BlobStore(BlobStore):
    """Blobs as objects in a bucket, shared by every node of the library."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        temp_dir: str | os.PathLike,
        endpoint_url: str | None = None,
        part_bytes: int = PART_BYTES,
    ) -> None:
        super().__init__(temp_dir)
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url or None
        self.part_bytes = part_bytes
        self._client_lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._clients_pid = -1

    @property
    def client(self) -> Any:
        """The client for blobs: patient, retrying what S3 says is worth another try."""
        return self._client("work")

    def _client(self, purpose: str) -> Any:
        """One client per purpose and process: a connection pool must not cross a fork."""
        with self._client_lock:
            if self._clients_pid != os.getpid():
                self._clients, self._clients_pid = {}, os.getpid()
            if purpose not in self._clients:
                self._clients[purpose] = self._make_client(probe=purpose == "probe")
            return self._clients[purpose]

    def _make_client(self, *, probe: bool = False) -> Any:
        """A probe answers within seconds (a load balancer waits for /readyz); work waits longer."""
        import boto3
        from botocore.config import Config

        options: dict[str, Any] = {
            "connect_timeout": 2 if probe else 5,
            "read_timeout": 3 if probe else 60,
            "retries": {"max_attempts": 1 if probe else 3, "mode": "standard"},
            "max_pool_connections": 2 if probe else 20,
            # Checksums only where S3 requires them: S3-compatible servers differ in the rest.
            "request_checksum_calculation": "when_required",
            "response_checksum_validation": "when_required",
        }
        if self.endpoint_url:
            options["s3"] = {"addressing_style": "path"}
        session = boto3.session.Session()
        return session.client("s3", endpoint_url=self.endpoint_url, config=Config(**options))

    def _transfer(self) -> Any:
        from boto3.s3.transfer import TransferConfig

        return TransferConfig(
            multipart_threshold=self.part_bytes,
            multipart_chunksize=self.part_bytes,
            max_concurrency=TRANSFER_THREADS,
            io_chunksize=READ_BUFFER_BYTES,
        )

    # Keys
    def _blob_key(self, sha256: str) -> str:
        check_digest(sha256)
        return f"{self.prefix}blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def _derived_folder(self, sha256: str) -> str:
        check_digest(sha256)
        return f"{self.prefix}derived/{sha256[:2]}/{sha256}/"

    def _derived_key(self, sha256: str, key: str, suffix: str) -> str:
        return self._derived_folder(sha256) + derived_name(sha256, key, suffix)

    def _head(self, key: str) -> dict | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _is_missing(exc):
                return None
            raise

    def _open_key(self, key: str) -> OpenedBlob:
        head = self._head(key)
        if head is None:
            raise BlobMissing(f"s3://{self.bucket}/{key}")
        size = int(head["ContentLength"])
        raw = _ObjectReader(self.client, self.bucket, key, size)
        stream = io.BufferedReader(raw, buffer_size=READ_BUFFER_BYTES)
        return OpenedBlob(stream, size, head["LastModified"].timestamp(), raw.expect_end)

    def _keys(self, prefix: str) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"]

    def _delete_keys(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

    # Blobs
    def exists(self, sha256: str) -> bool:
        return self._head(self._blob_key(sha256)) is not None

    def open(self, sha256: str) -> OpenedBlob:
        return self._open_key(self._blob_key(sha256))

    def commit(self, staged: StagedBlob) -> None:
        """Send the staged file unless the bucket has the blob; then only its date is renewed."""
        key = self._blob_key(staged.sha256)
        if self._head(key) is not None:
            # A copy onto itself with fresh metadata: the same bytes, a new LastModified.
            self.client.copy(
                {"Bucket": self.bucket, "Key": key},
                self.bucket,
                key,
                ExtraArgs={
                    "MetadataDirective": "REPLACE",
                    "Metadata": {"committed": f"{time.time():.0f}"},
                },
                Config=self._transfer(),
            )
            return
        self.client.upload_file(str(staged.temp_path), self.bucket, key, Config=self._transfer())

    @contextlib.contextmanager
    def local_copy(self, sha256: str) -> Iterator[Path]:
        """Fetched into a locked temporary file, removed when the block ends."""
        key = self._blob_key(sha256)
        fd, path = locked_temp_file(self.temp_dir)
        try:
            with open(fd, "wb", closefd=False) as out:
                try:
                    self.client.download_fileobj(self.bucket, key, out, Config=self._transfer())
                except Exception as exc:
                    if _is_missing(exc):
                        raise BlobMissing(f"s3://{self.bucket}/{key}") from None
                    raise
            yield path
        finally:
            path.unlink(missing_ok=True)
            os.close(fd)

    def delete(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._blob_key(sha256))

    def iter_blobs(self) -> Iterator[str]:
        for key in self._keys(f"{self.prefix}blobs/"):
            name = key.rsplit("/", 1)[-1]
            if SHA256_HEX.match(name) and key == self._blob_key(name):
                yield name

    def blob_age_seconds(self, sha256: str) -> float:
        head = self._head(self._blob_key(sha256))
        if head is None:
            raise BlobMissing(self.describe(sha256))
        return time.time() - head["LastModified"].timestamp()

    def abandoned_uploads(self, min_age_seconds: float) -> list[str]:
        """Multipart uploads of blobs a killed worker never finished: `s3://bucket/key#upload-id`."""
        found = []
        pages = self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}blobs/"
        )
        for page in pages:
            for upload in page.get("Uploads", []):
                if time.time() - upload["Initiated"].timestamp() >= min_age_seconds:
                    found.append(f"s3://{self.bucket}/{upload['Key']}#{upload['UploadId']}")
        return sorted(found)

    def abort_upload(self, name: str) -> None:
        place, _, upload_id = name.partition("#")
        key = place.removeprefix(f"s3://{self.bucket}/")
        if not upload_id or not key.startswith(f"{self.prefix}blobs/") or key == place:
            raise ValueError(f"not an upload of this store: {name!r}")
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except Exception as exc:
            if not _is_missing(exc) and "NoSuchUpload" not in str(exc):
                raise

    def describe(self, sha256: str) -> str:
        return f"s3://{self.bucket}/{self._blob_key(sha256)}"

    def available(self) -> bool:
        try:
            self._client("probe").head_bucket(Bucket=self.bucket)
        except Exception:
            return False
        return True

    # Derived files
    def put_derived(self, sha256: str, key: str, suffix: str, data: bytes) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._derived_key(sha256, key, suffix),
            Body=data,
            ContentType=_CONTENT_TYPES.get(suffix, "application/octet-stream"),
        )

    def derived_exists(self, sha256: str, key: str, suffix: str) -> bool:
        return self._head(self._derived_key(sha256, key, suffix)) is not None

    def open_derived(self, sha256: str, key: str, suffix: str) -> OpenedBlob:
        return self._open_key(self._derived_key(sha256, key, suffix))

    def iter_derived(self) -> Iterator[str]:
        seen: set[str] = set()
        for key in self._keys(f"{self.prefix}derived/"):
            parts = key[len(self.prefix) :].split("/")
            if len(parts) == 4 and SHA256_HEX.match(parts[2]) and parts[2] not in seen:
                seen.add(parts[2])
                yield parts[2]

    def delete_derived(self, sha256: str) -> None:
        self._delete_keys(list(self._keys(self._derived_folder(sha256))))

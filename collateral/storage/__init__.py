"""The blob store: uploaded files and what is drawn from them, named by their SHA-256.

Two stores stand behind one interface (base.BlobStore): a local folder, the default, and an
S3-compatible bucket for libraries on more than one machine. Knows nothing of Flask.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from .base import (
    CHUNK_BYTES,
    TEMP_PREFIX,
    BlobMissing,
    BlobStore,
    BlobTooLarge,
    OpenedBlob,
    StagedBlob,
)
from .local import LocalBlobStore


def blob_store_unreachable(exc: BaseException) -> bool:
    """Whether an error means the blob store's server cannot be reached now (a bucket's; a local
    folder's errors are not of this kind)."""
    s3 = sys.modules.get(f"{__name__}.s3")  # never loaded: no bucket in use
    return s3 is not None and s3.unreachable(exc)


__all__ = [
    "CHUNK_BYTES",
    "TEMP_PREFIX",
    "BlobMissing",
    "BlobStore",
    "BlobTooLarge",
    "LocalBlobStore",
    "OpenedBlob",
    "StagedBlob",
    "blob_store_unreachable",
    "open_blob_store",
]

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def open_blob_store(
    url: str,
    *,
    upload_root: str | os.PathLike,
    temp_root: str | os.PathLike,
    endpoint_url: str = "",
) -> BlobStore:
    """The store a URL names: empty for the local uploads folder, file:PATH for another folder,
    s3://BUCKET[/PREFIX] for a bucket (reached at `endpoint_url`, or AWS when empty).

    A bucket's uploads are staged under `temp_root`, on this machine, never under uploads/.
    """
    url = (url or "").strip()
    if not url:
        return LocalBlobStore(upload_root)
    if url.startswith("file:"):
        path = url.removeprefix("file:")
        path = path.removeprefix("//") if path.startswith("///") else path
        if not path:
            raise ValueError("COLLATERAL_BLOB_URL=file:PATH needs a folder after 'file:'.")
        return LocalBlobStore(Path(path))
    if url.startswith("s3://"):
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not _BUCKET.match(bucket):
            raise ValueError(
                f"COLLATERAL_BLOB_URL: {bucket!r} is not an S3 bucket name (3-63 lower-case "
                "letters, digits, dots and hyphens); write s3://BUCKET or s3://BUCKET/PREFIX."
            )
        if ".." in prefix.split("/"):
            raise ValueError("COLLATERAL_BLOB_URL: the prefix may not contain '..'.")
        from .s3 import S3BlobStore

        return S3BlobStore(bucket, prefix, temp_dir=temp_root, endpoint_url=endpoint_url)
    raise ValueError(
        f"COLLATERAL_BLOB_URL={url!r}: use s3://BUCKET[/PREFIX] for a bucket, file:PATH for a "
        "folder, or leave it empty for the uploads folder."
    )

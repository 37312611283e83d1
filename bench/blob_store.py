"""Blob store benchmark: upload and download rates to an S3-compatible bucket against the local
folder, through the real upload path and through the store alone.

    scripts/with_seaweedfs.sh .venv/bin/python bench/blob_store.py [--megabytes 256] [--rounds 3]

Needs the server that scripts/with_seaweedfs.sh starts (it sets COLLATERAL_TEST_S3_ENDPOINT_URL,
the bucket and the key pair). For each store, a fresh throwaway instance is served by gunicorn
as `make run` does (one gthread worker), and `--rounds` files of `--megabytes` MiB, each with
fresh random bytes (an MP4 the content check accepts), are uploaded with curl through
POST /api/v1/assets, then downloaded through GET /api/v1/assets/<id>/download: MB/s of each
(median and best) and the worker's peak resident memory. Then the store alone (staged, hashed,
committed; no HTTP, no extraction): MB/s of `--rounds` files. Prints a table, then one JSON line
per store. Both stores sit on this machine's disk, so the bucket's figures are what the protocol
and SeaweedFS cost, not a network's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from transfer import (  # noqa: E402
    child_pids,
    curl,
    free_port,
    make_video,
    peak_and_current_kb,
    start_gunicorn,
    stop,
)

from collateral import create_app  # noqa: E402
from collateral.extensions import db  # noqa: E402
from collateral.services import accounts, setup  # noqa: E402
from collateral.services.resources import blob_store  # noqa: E402

MIB = 1024 * 1024


class Instance:
    """A fresh library in a temporary folder, its blobs in `blob_url`, with an API token."""

    def __init__(self, root: Path, blob_url: str, endpoint: str, max_upload_mb: int) -> None:
        self.root = root
        self.environment = {
            "COLLATERAL_INSTANCE_PATH": str(root / "instance"),
            "COLLATERAL_UPLOAD_ROOT": str(root / "uploads"),
            "COLLATERAL_INDEX_ROOT": str(root / "index"),
            "COLLATERAL_SECRET_KEY": "bench-blob-store",
            "COLLATERAL_MAX_UPLOAD_MB": str(max_upload_mb),
            "COLLATERAL_BLOB_URL": blob_url,
            "COLLATERAL_S3_ENDPOINT_URL": endpoint,
            "COLLATERAL_JOBS_IN_WEB": "false",
        }
        self.app = create_app(
            {key.removeprefix("COLLATERAL_"): v for key, v in self.environment.items()}
        )
        with self.app.app_context():
            setup.init_database()
            user = accounts.create_user("marketer@example.com", "marketer", "bench-blob-pass")
            self.token = accounts.create_api_token(user, "bench")
            db.engine.dispose()


def through_http(instance: Instance, files: list[Path]) -> dict:
    """Upload then download each file through gunicorn; rates and the worker's peak memory."""
    port = free_port()
    server = start_gunicorn(instance, port, instance.root / "gunicorn.log")
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        auth = f"Authorization: Bearer {instance.token}"
        curl("--header", auth, "--output", "/dev/null", f"{base}/assets?q=warm")
        (worker,) = child_pids(server.pid)
        uploads, downloads = [], []
        for number, path in enumerate(files, start=1):
            size = path.stat().st_size
            answer = instance.root / "upload.json"
            sent = curl(
                "--header", auth, "--form", f"title=Clip {number}",
                "--form", f"file=@{path};type=video/mp4",
                "--output", str(answer), f"{base}/assets",
            )  # fmt: skip
            if sent["status"] != 201:
                raise SystemExit(f"Upload failed: {sent} {answer.read_text()[:500]}")
            uploads.append(size / 1e6 / sent["seconds"])
            asset_id = json.loads(answer.read_text())["id"]
            got = curl(
                "--header", auth, "--output", "/dev/null", f"{base}/assets/{asset_id}/download"
            )  # fmt: skip
            if got["status"] != 200 or got["downloaded"] != size:
                raise SystemExit(f"Download failed: {got}")
            downloads.append(got["speed"] / 1e6)
        peak_kb, _ = peak_and_current_kb(worker)
    finally:
        stop(server)
    return {
        "upload_mb_per_s": round(statistics.median(uploads), 1),
        "upload_best_mb_per_s": round(max(uploads), 1),
        "download_mb_per_s": round(statistics.median(downloads), 1),
        "download_best_mb_per_s": round(max(downloads), 1),
        "worker_peak_mb": round(peak_kb / 1024, 1),
    }


def through_store(instance: Instance, files: list[Path]) -> float:
    """Median MB/s of staging (hashing to a temporary file) and committing each file."""
    rates = []
    with instance.app.app_context():
        store = blob_store()
        for path in files:
            started = time.perf_counter()
            with path.open("rb") as stream, store.staged(stream) as staged:
                store.commit(staged)
            rates.append(path.stat().st_size / 1e6 / (time.perf_counter() - started))
        db.engine.dispose()
    return round(statistics.median(rates), 1)


def local_files_written(root: Path) -> int:
    uploads = root / "uploads"
    return sum(1 for p in uploads.rglob("*") if p.is_file()) if uploads.exists() else 0


def run(megabytes: int, rounds: int, endpoint: str, bucket: str) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-blob-store-") as name:
        temp = Path(name)
        prefix = f"bench-{os.getpid()}-{int(time.time())}"
        stores = {"local": ("", ""), "s3": (f"s3://{bucket}/{prefix}", endpoint)}
        for store_name, (blob_url, store_endpoint) in stores.items():
            root = temp / store_name
            instance = Instance(root, blob_url, store_endpoint, megabytes + 16)
            http_files = [make_video(temp / f"http-{n}.mp4", megabytes) for n in range(rounds)]
            row = {"bench": "blob_store", "store": store_name, "megabytes": megabytes}
            row.update(through_http(instance, http_files))
            store_files = [make_video(temp / f"store-{n}.mp4", megabytes) for n in range(rounds)]
            row["store_api_mb_per_s"] = through_store(instance, store_files)
            row["rounds"] = rounds
            row["local_files_written"] = local_files_written(root)
            for path in http_files + store_files:
                path.unlink()
            rows.append(row)
            if store_name == "s3":
                with instance.app.app_context():
                    store = blob_store()
                    for sha256 in list(store.iter_blobs()):
                        store.delete(sha256)
                    for sha256 in list(store.iter_derived()):
                        store.delete_derived(sha256)
    return rows


def print_table(rows: list[dict]) -> None:
    print(
        f"{'store':<6} {'MiB':>5} {'upload MB/s':>12} {'(best)':>7} {'download MB/s':>14} "
        f"{'(best)':>7} {'store API MB/s':>15} {'worker peak MB':>15} {'files in uploads/':>18}"
    )
    for row in rows:
        print(
            f"{row['store']:<6} {row['megabytes']:>5} {row['upload_mb_per_s']:>12} "
            f"{row['upload_best_mb_per_s']:>7} {row['download_mb_per_s']:>14} "
            f"{row['download_best_mb_per_s']:>7} {row['store_api_mb_per_s']:>15} "
            f"{row['worker_peak_mb']:>15} {row['local_files_written']:>18}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=256, help="size of each file, MiB")
    parser.add_argument("--rounds", type=int, default=3, help="files per store and per path")
    args = parser.parse_args()
    endpoint = os.environ.get("COLLATERAL_TEST_S3_ENDPOINT_URL", "")
    bucket = os.environ.get("COLLATERAL_TEST_S3_BUCKET", "")
    if not endpoint or not bucket:
        sys.exit(
            "No S3-compatible server: run it as "
            "scripts/with_seaweedfs.sh .venv/bin/python bench/blob_store.py"
        )
    if shutil.which("curl") is None:
        sys.exit("curl is needed as the client: apt-get install curl.")
    rows = run(args.megabytes, args.rounds, endpoint, bucket)
    print_table(rows)
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main()

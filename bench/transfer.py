"""Transfer benchmark: a large download through gunicorn against nginx, and a large upload.

    .venv/bin/python bench/transfer.py [--megabytes 1024] [--rounds 3]

Builds a fresh throwaway instance, serves it with gunicorn as `make run` does (gthread worker;
one worker, so its memory is the upload's), and uploads one generated MP4 of the given size
(an `ftyp` box, then random data: a real type the content check accepts) through
POST /api/v1/assets: seconds, and the worker's peak resident memory (VmHWM in
/proc/<pid>/status) before and after. Then downloads that file `--rounds` times through
GET /api/v1/assets/<id>/download and, from nginx started on a free port with its own
configuration in a temporary folder, the same blob file: MB/s of each (best round) and the ratio.
curl is the client of every transfer, so the client costs both servers the same. Without nginx
the comparison is skipped with a message. Prints a table, then one JSON line per figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collateral import create_app  # noqa: E402
from collateral.extensions import db  # noqa: E402
from collateral.services import accounts, setup  # noqa: E402

MIB = 1024 * 1024
NGINX_CONF = """
daemon off;
worker_processes 1;
{user}
pid {temp}/nginx.pid;
error_log {temp}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    sendfile on;
    client_body_temp_path {temp}/client;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"The server on port {port} exited with code {process.returncode}.")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"Nothing answered on port {port} within {seconds:g} s.")


def make_video(path: Path, megabytes: int) -> Path:
    """An MP4 of `megabytes` MiB: an ftyp box, then one mdat box of random bytes."""
    block = os.urandom(MIB)
    ftyp = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    body = megabytes * MIB - len(ftyp) - 8
    with path.open("wb") as out:
        out.write(ftyp + (body + 8).to_bytes(4, "big") + b"mdat")
        while body > 0:
            piece = block[: min(body, MIB)]
            out.write(piece)
            body -= len(piece)
    return path


def peak_and_current_kb(pid: int) -> tuple[int, int]:
    """A process's peak (VmHWM) and current (VmRSS) resident memory in kB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.split()[0] if value.split() else "0"
    return int(fields["VmHWM"]), int(fields["VmRSS"])


def child_pids(pid: int) -> list[int]:
    """The pids whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def curl(*arguments: str) -> dict:
    """Run curl; its status, size, seconds and speed (bytes/s) as a dict."""
    written = "%{http_code} %{size_download} %{size_upload} %{time_total} %{speed_download}"
    done = subprocess.run(
        ["curl", "--silent", "--show-error", "--write-out", written, *arguments],
        capture_output=True,
        text=True,
        check=True,
    )
    status, down, up, seconds, speed = done.stdout.split()[-5:]
    return {
        "status": int(status),
        "downloaded": int(down),
        "uploaded": int(up),
        "seconds": float(seconds),
        "speed": float(speed),
    }


def best_download(url: str, rounds: int, expected: int, *headers: str) -> dict:
    """The fastest of `rounds` downloads of `url` to /dev/null."""
    results = []
    for _ in range(rounds):
        options = [arg for header in headers for arg in ("--header", header)]
        result = curl(*options, "--output", "/dev/null", url)
        if result["status"] != 200 or result["downloaded"] != expected:
            raise SystemExit(f"Download of {url} failed: {result}.")
        results.append(result)
    return max(results, key=lambda r: r["speed"])


class Instance:
    """A fresh library in a temporary folder with a marketer's API token."""

    def __init__(self, root: Path, max_upload_mb: int) -> None:
        self.environment = {
            "COLLATERAL_INSTANCE_PATH": str(root / "instance"),
            "COLLATERAL_UPLOAD_ROOT": str(root / "uploads"),
            "COLLATERAL_INDEX_ROOT": str(root / "index"),
            "COLLATERAL_SECRET_KEY": "bench-transfer",
            "COLLATERAL_MAX_UPLOAD_MB": str(max_upload_mb),
        }
        self.upload_root = root / "uploads"
        app = create_app(
            {key.removeprefix("COLLATERAL_"): v for key, v in self.environment.items()}
        )
        with app.app_context():
            setup.init_database()
            user = accounts.create_user("marketer@example.com", "marketer", "bench-transfer-pass")
            self.token = accounts.create_api_token(user, "bench")
            db.engine.dispose()


def start_gunicorn(instance: Instance, port: int, log: Path) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers=1",
        "--threads=4",
        "--timeout=600",
        f"--bind=127.0.0.1:{port}",
        "wsgi:app",
    ]
    environment = {**os.environ, **instance.environment}
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=out, stderr=out)
    wait_for_port(port, server)
    return server


def start_nginx(root: Path, temp: Path, port: int) -> subprocess.Popen | None:
    nginx = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).is_file()), None
    )
    if nginx is None:
        print(
            "nginx is not installed (apt-get install nginx): comparison skipped.", file=sys.stderr
        )
        return None
    # As root, nginx's workers would drop to a user who cannot read the temporary folder.
    user = "user root;" if os.geteuid() == 0 else ""
    conf = temp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(user=user, temp=temp, port=port, root=root))
    server = subprocess.Popen(
        [nginx, "-p", str(temp), "-c", str(conf), "-e", str(temp / "nginx-error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, server)
    return server


def stop(server: subprocess.Popen | None) -> None:
    if server is not None and server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run(megabytes: int, rounds: int) -> list[dict]:
    """Upload then download a file of `megabytes` MiB; one row per figure."""
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-transfer-") as name:
        temp = Path(name)
        instance = Instance(temp, max_upload_mb=megabytes + 16)
        video = make_video(temp / "clip.mp4", megabytes)
        size = video.stat().st_size
        port = free_port()
        gunicorn = start_gunicorn(instance, port, temp / "gunicorn.log")
        nginx = None
        try:
            base = f"http://127.0.0.1:{port}/api/v1"
            auth = f"Authorization: Bearer {instance.token}"
            # The master answers the port before its worker exists; a request waits for it.
            curl("--header", auth, "--output", "/dev/null", f"{base}/assets?q=warm")
            (worker,) = child_pids(gunicorn.pid)
            before_kb, _ = peak_and_current_kb(worker)
            response = temp / "upload.json"
            upload = curl(
                "--header",
                auth,
                "--form",
                "title=Benchmark clip",
                "--form",
                f"file=@{video};type=video/mp4",
                "--output",
                str(response),
                f"{base}/assets",
            )
            if upload["status"] != 201:
                raise SystemExit(f"Upload failed: {upload} {response.read_text()[:500]}")
            peak_kb, now_kb = peak_and_current_kb(worker)
            asset_id = json.loads(response.read_text())["id"]
            rows.append(
                {
                    "bench": "transfer_upload",
                    "megabytes": round(size / 1e6, 1),
                    "seconds": round(upload["seconds"], 2),
                    "mb_per_s": round(size / 1e6 / upload["seconds"], 1),
                    "worker_peak_mb_before": round(before_kb / 1024, 1),
                    "worker_peak_mb": round(peak_kb / 1024, 1),
                    "worker_rss_mb_after": round(now_kb / 1024, 1),
                }
            )
            served = best_download(f"{base}/assets/{asset_id}/download", rounds, size, auth)
            row = {
                "bench": "transfer_download",
                "megabytes": round(size / 1e6, 1),
                "rounds": rounds,
                "gunicorn_mb_per_s": round(served["speed"] / 1e6, 1),
                "nginx_mb_per_s": None,
                "ratio": None,
            }
            blob = next(p for p in instance.upload_root.glob("??/??/*") if p.stat().st_size == size)
            nginx_port = free_port()
            nginx = start_nginx(instance.upload_root, temp, nginx_port)
            if nginx is not None:
                relative = blob.relative_to(instance.upload_root).as_posix()
                direct = best_download(f"http://127.0.0.1:{nginx_port}/{relative}", rounds, size)
                row["nginx_mb_per_s"] = round(direct["speed"] / 1e6, 1)
                row["ratio"] = round(served["speed"] / direct["speed"], 2)
            rows.append(row)
        finally:
            stop(nginx)
            stop(gunicorn)
    return rows


def print_table(rows: list[dict]) -> None:
    for row in rows:
        if row["bench"] == "transfer_upload":
            print(
                f"upload   {row['megabytes']:>8} MB  {row['seconds']:>7} s  "
                f"{row['mb_per_s']:>7} MB/s   worker peak RSS {row['worker_peak_mb']} MB "
                f"(before the upload {row['worker_peak_mb_before']} MB)"
            )
        else:
            nginx = row["nginx_mb_per_s"] if row["nginx_mb_per_s"] is not None else "skipped"
            ratio = f"{row['ratio']:.2f}×" if row["ratio"] is not None else "–"
            print(
                f"download {row['megabytes']:>8} MB  gunicorn {row['gunicorn_mb_per_s']} MB/s  "
                f"nginx {nginx} MB/s  ratio {ratio}  (best of {row['rounds']})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=1024, help="size of the file, MiB")
    parser.add_argument("--rounds", type=int, default=3, help="downloads from each server")
    args = parser.parse_args()
    if shutil.which("curl") is None:
        sys.exit("curl is needed as the client: apt-get install curl.")
    rows = run(args.megabytes, args.rounds)
    print_table(rows)
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
